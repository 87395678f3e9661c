"""The formulation: what a timetable is allowed to be and what it costs, as CP-SAT models.

- ``data``: the candidate index (which visits and periods can happen at all); level,
  commute, days off, blocked periods and the day window are enforced here by not creating
  the variable.
- ``visit_rules``: hard rules on visit booleans, shared by every model that has them.
- ``goals``: the soft goals of docs/objective.md as CP-SAT terms, one function per weight.
- ``master``: the aggregated model (which ALT visits which school which day, how many
  lessons of which class); hard rules in contract order, soft goals in priority order.
- ``placement``: the master's visits placed exactly into classes and periods, per school.
- ``diagnose``: count-level explanations of why the need cannot all be covered.
- ``interrupt``: running a CP-SAT solve so Ctrl-C and SIGTERM stop it at once.

The heuristics that drive these models live in :mod:`scheduler.search`, the lower bounds
in :mod:`scheduler.bounds`.
"""
