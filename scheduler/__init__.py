"""ALT timetabler: assign Assistant Language Teachers to classes with CP-SAT.

In a notebook::

    import scheduler as alt

    demo = alt.load("instances/demo")              # an Instance; warnings as Python warnings
    result = alt.solve(demo, time_limit=30, seed=1)  # a Result, checked by the validator
    result.kpis()                                  # one row, recomputed by the validator
    result.timetable("A01")                        # periods x Mon..Fri, "1-1 Sakura ES"
    more = alt.scenarios.add_alts(demo, n=2)       # a new Instance; demo is unchanged
    alt.compare({"today": demo, "two more": more}, time_limit=30)

Everything is imported on first use, so ``import scheduler`` stays fast (no OR-Tools, no
pandas) and the command line starts quickly.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from scheduler.api import load as load
    from scheduler.api import solve as solve
    from scheduler.config import SolverParams as SolverParams
    from scheduler.config import Weights as Weights
    from scheduler.instance import Alt as Alt
    from scheduler.instance import Bell as Bell
    from scheduler.instance import Instance as Instance
    from scheduler.instance import School as School
    from scheduler.instance import SchoolClass as SchoolClass
    from scheduler.result import Result as Result
    from scheduler.scenarios import Comparison as Comparison
    from scheduler.scenarios import Scenario as Scenario
    from scheduler.scenarios import compare as compare
    from scheduler.scenarios import diff as diff

# Public name -> the module that defines it, imported when the name is first used.
_LAZY = {
    "load": "scheduler.api",
    "Weights": "scheduler.config",
    "SolverParams": "scheduler.config",
    "Alt": "scheduler.instance",
    "Bell": "scheduler.instance",
    "Instance": "scheduler.instance",
    "School": "scheduler.instance",
    "SchoolClass": "scheduler.instance",
    "Result": "scheduler.result",
    "Comparison": "scheduler.scenarios",
    "Scenario": "scheduler.scenarios",
    "compare": "scheduler.scenarios",
    "diff": "scheduler.scenarios",
}
_SUBMODULES = ("scenarios", "plot", "validate", "solve")

__all__ = sorted([*_LAZY, *_SUBMODULES])


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


# `alt.solve(instance, time_limit=...)` and the pipeline module `scheduler.solve` share a name:
# Python binds a submodule to its package's attribute when it is first imported, so a function
# of that name here would be replaced by the module. Instead the module itself is made
# callable: `alt.solve(...)` calls scheduler.api.solve, while `import scheduler.solve`,
# `from scheduler.solve import solve` and monkeypatching its functions work as before.
class _CallableSolveModule(types.ModuleType):
    def __call__(self, instance: Any, **options: Any) -> Any:
        """Solve a branch: see :func:`scheduler.api.solve`."""
        from scheduler.api import solve as solve_api

        return solve_api(instance, **options)


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name == "solve" and type(value) is types.ModuleType:
            value.__class__ = _CallableSolveModule
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
