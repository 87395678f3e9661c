"""Reference models the tests and benchmarks compare against; not offered to users.

- ``naive``: the straightforward ALT x class x day x period CP-SAT model.
- ``periods``: period placement for a fixed choice of lessons, compared against FET.
"""
