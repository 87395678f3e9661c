"""Lower bounds on the objective and upper bounds on coverage, valid for every timetable.

- ``flow``: the lesson network, the most lessons any timetable can give (maximum flow) and
  the cheap bound by ALT and by school, at any size.
- ``coverage``: the most lessons, counting visits (a linear relaxation), for short-handed
  branches where the flow is loose.
- ``words``: that bound in users' words ("25 lessons unmet; no timetable can give more").
- ``week_bound``: column generation over weeks that forget their days, at any size; run
  beside the large-branch search, whose plan and restart it also feeds.
- ``patterns``: column generation over each ALT's whole weekly patterns (small branches,
  once every lesson and floor is proven coverable).
- ``week_dp``: one ALT's cheapest whole week at given prices, by a dynamic programme.
- ``closing``: every week signature near the pattern bound listed, and the relaxation over
  them that raises the bound to the optimum.
- ``lp``: the week bound's linear programme, solved by MathOpt or by a warm HiGHS process.
- ``lp_worker``: that HiGHS process.
- ``compiled``: the numba decorator the pricing's hot loops are compiled with.
"""
