"""Tests of scheduler.model: the formulation, its rules and goals."""
