"""Tests of scheduler.scenarios: scenario verbs, comparisons and sweeps."""
