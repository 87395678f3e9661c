"""Term calendars and iCal feeds: the weekly timetable turned into dated lessons.

The data flows one way: instance + assignments -> :mod:`term` (dated lessons) ->
:mod:`identity` (stable UIDs and SEQUENCE across published versions) -> :mod:`ical` (bytes)
-> :mod:`store` (versions in SQLite) -> :mod:`server` (HTTP feeds behind :mod:`tokens`).
:mod:`covers` hands single dated lessons to a substitute (``altsched cover``); every version
the store builds applies them to its dated lessons.
"""
