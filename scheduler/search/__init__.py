"""The heuristics: how a timetable is found and improved with the models of
:mod:`scheduler.model`.

- ``greedy``: the constructive start, school by school, nearest ALT with room.
- ``week_plan``: who teaches at which school for the week, by a min-cost flow, as a guide.
- ``from_programme``: a whole timetable built from the week bound's programme, group by group.
- ``regions``: the large-branch search, region steps over a few schools and ALTs at a time.
- ``swaps``: two ALTs exchange whole days, periods and classes unchanged.
"""
