"""Tests of scheduler.io: readers, input errors, writers, reports and FET export."""
