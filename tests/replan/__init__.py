"""Tests of scheduler.replan: pins, re-planning from a previous timetable, covers."""
