"""CP-SAT model: candidate index, aggregated master, exact placement, greedy start.

Hard rule -> where it is enforced:
level qualification, maximum commute, days off, blocked periods, day window ->
``data.prepare`` (no variable is created); the others -> one function each in ``master``
(counts) and in ``placement`` (periods).
"""
