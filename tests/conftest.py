"""Shared test configuration and fixtures.

Hypothesis draws the same examples on every run (``derandomize``): a property that fails
fails every time, on every machine, instead of landing or not by luck. To explore new
examples locally, run ``pytest --hypothesis-profile explore``.

Fixtures, for any test below ``tests/`` to ask for by name:

- ``tiny_branch``: one school, two classes, one ALT; everything can be given.
- ``demo``: the bundled demo branch (``instances/demo``), read once per session.
- ``generated``: ``generated(n_alts, seed)`` draws a branch of :func:`scheduler.generate`
  once per session and hands the same (frozen) instance to every test asking for it.
- ``solve_checked``: :func:`tests.tiny.solved`, a solve whose timetable the independent
  validator has accepted and whose objective is the validator's.

Builders of tiny branches (``school``, ``bells``, ``klass``, ``alt``, ``branch``, ``only``)
live in :mod:`tests.tiny`; the calendar's fixed week in :mod:`tests.calendar_data`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from hypothesis import settings

from scheduler.generate import generate
from scheduler.instance import Instance
from scheduler.io.read import load_instance
from scheduler.result import Result
from tests.tiny import alt, bells, branch, klass, school, solved

settings.register_profile("default", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile("default")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tiny_branch() -> Instance:
    """One school open all week, classes 3-1 (needs 2) and 4-1 (needs 1), one ALT at it."""
    return branch(
        [school("S")], bells("S"), [klass("S", "3-1", 2), klass("S", "4-1", 1)], [alt("A")]
    )


@pytest.fixture(scope="session")
def demo() -> Instance:
    """The bundled demo branch, read once per session."""
    return load_instance(ROOT / "instances" / "demo")[0]


@cache
def _generated(n_alts: int, seed: int) -> Instance:
    return generate(n_alts, seed)


@pytest.fixture(scope="session")
def generated() -> Callable[[int, int], Instance]:
    """``generated(n_alts, seed)``: a generated branch, drawn once per session."""
    return _generated


@pytest.fixture(scope="session")
def solve_checked() -> Callable[..., Result]:
    """Solve and assert what every solve in the tests must show (:func:`tests.tiny.solved`)."""
    return solved
