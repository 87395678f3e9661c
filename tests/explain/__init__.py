"""Tests of scheduler.explain: why need is unmet, penalties, what-ifs."""
