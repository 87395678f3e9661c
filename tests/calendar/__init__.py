"""Tests of scheduler.calendar: term dates, iCal feeds, the store and the server."""
