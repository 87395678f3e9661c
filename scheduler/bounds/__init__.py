"""Lower bounds on the objective and upper bounds on coverage, valid for every timetable.

- ``flow``: the most lessons any timetable can give (maximum flow) and cheap per-ALT bounds.
- ``coverage``: the same, counting visits (a linear relaxation), for short-handed branches.
- ``words``: that bound in users' words ("25 lessons unmet; no timetable can give more").
- ``week_bound``: column generation over weeks that forget their days, at any size.
- ``patterns``: column generation over each ALT's whole weekly patterns (small branches).
- ``week_dp``: one ALT's cheapest week at given prices, by a dynamic programme.
- ``closing``: every timetable within the gap of the pattern bound, listed and solved.
- ``lp``: the bounds' linear programmes, solved by MathOpt or by a warm HiGHS process.
- ``lp_worker``: that HiGHS process.
- ``compiled``: the pricing's hot loops compiled with numba.
"""
