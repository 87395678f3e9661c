"""Tests of scheduler.bounds: every lower bound stays below the optimum."""
