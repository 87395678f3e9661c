"""The heuristics: how a timetable is found and improved with the models of
:mod:`scheduler.model`.

- ``greedy``: the constructive start, school by school, nearest ALT with room; the
  planned start; the final fill of unmet lessons that still fit.
- ``week_plan``: who teaches at which school for the week, by a min-cost flow, as a guide.
- ``from_programme``: a whole timetable built from the week bound's programme, group by group.
- ``regions``: region steps over a few schools and ALTs at a time, in lanes side by side
  (the whole search on large branches, after the master on small ones).
- ``swaps``: two ALTs exchange whole days, periods and classes unchanged.
"""
