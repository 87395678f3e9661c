"""Tests of scheduler.plot: every figure draws what the timetable holds."""
