"""Tests of scheduler.reference: the naive model and the FET period placement."""
