"""The heuristics: how a timetable is found and improved with the models of
:mod:`scheduler.model`.

- ``job``: what a search path starts from (``Job``), its clock (``Clock``: wall seconds or
  work units), and the Result of a timetable (``result_of``).
- ``small``: the small-branch search (``SmallSearch``): the master, then region steps.
- ``large``: the large-branch search (``LargeSearch``): plan, start, region steps.
- ``greedy``: the constructive start, school by school, nearest ALT with room; the
  planned start; the final fill of unmet lessons that still fit.
- ``week_plan``: who teaches at which school for the week, by a min-cost flow, as a guide.
- ``from_programme``: a whole timetable built from the week bound's programme, group by group.
- ``regions``: region steps over a few schools and ALTs at a time, in lanes side by side
  (``Lanes``; the whole search on large branches, after the master on small ones).
- ``swaps``: two ALTs exchange whole days, periods and classes unchanged.
"""
