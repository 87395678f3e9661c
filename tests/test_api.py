"""The notebook API: ``import scheduler as alt``, load, solve, KPIs, grids and HTML views."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import scheduler as alt
from scheduler.errors import InstanceError, InstanceWarning
from scheduler.instance import Instance
from scheduler.io.html import grid_csv
from scheduler.io.tables import write_instance
from scheduler.io.write import alt_grid, school_grid
from scheduler.result import RESULT_KPI_COLUMNS, Result
from scheduler.validate import check, score
from tests.tiny import alt as tiny_alt
from tests.tiny import bells, branch, klass, school

ROOT = Path(__file__).resolve().parents[1]


def _branch() -> Instance:
    # Two schools 1 km apart, one ALT at S: 4 lessons, all of them can be given.
    return branch(
        [school("S"), school("T", north_km=1)],
        bells("S") + bells("T"),
        [klass("S", "3-1", 1), klass("S", "4-1", 1), klass("T", "5-1", 2)],
        [tiny_alt("A")],
    )


@pytest.fixture(scope="module")
def solved() -> tuple[Instance, Result]:
    """The tiny branch solved once through the API, checked by the validator."""
    inst = _branch()
    result = alt.solve(inst, time_limit=5, workers=1, seed=1)
    assert check(inst, result.assignments) == []
    return inst, result


def test_import_scheduler_loads_no_solver_and_no_pandas() -> None:
    # The command line and `import scheduler` stay fast: everything heavy loads on first use.
    code = (
        "import sys, scheduler; "
        "print(sorted(m for m in ('ortools', 'pandas', 'pydantic', 'numba', 'matplotlib') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_solve_is_callable_and_still_the_pipeline_module() -> None:
    import scheduler.solve as solve_module
    from scheduler import solve as from_package
    from scheduler.solve import solve as pipeline

    assert alt.solve is solve_module is from_package  # one object, callable
    assert callable(alt.solve) and callable(pipeline) and pipeline is not alt.solve
    assert hasattr(solve_module, "prepare")  # tests monkeypatch the module's functions


def test_lazy_names_resolve_and_unknown_ones_do_not() -> None:
    assert alt.Instance is Instance and alt.Result is Result
    assert {"load", "solve", "compare", "scenarios"} <= set(dir(alt))
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        alt.nonsense  # noqa: B018


def test_load_returns_the_instance_and_issues_warnings(tmp_path: Path) -> None:
    # An ALT living 500 km away reaches no school: legal, so a warning, not an error.
    far = branch([school("S")], bells("S"), [klass("S", "1-1", 1)], [tiny_alt("F", 500)])
    write_instance(far, tmp_path / "far")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        inst = alt.load(tmp_path / "far")
    assert isinstance(inst, Instance) and [a.alt_id for a in inst.alts] == ["F"]
    found = [str(w.message) for w in caught if w.category is InstanceWarning]
    assert any(m.startswith("alts.csv row 2, column alt_id") for m in found), found
    # The same call from a path given as text.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert alt.load(str(tmp_path / "far")) == inst


@pytest.mark.parametrize(
    "make, message",
    [
        # a folder that does not exist
        (lambda p: p / "missing", "does not exist"),
        # a file of a kind no reader takes
        (lambda p: (p / "notes.txt").write_text("x") and p / "notes.txt", "neither a folder"),
    ],
)
def test_load_raises_input_errors(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InstanceError, match=message):
        alt.load(make(tmp_path))


def test_kpis_are_one_validator_row(solved: tuple[Instance, Result]) -> None:
    inst, result = solved
    row = result.kpis()
    assert list(row.columns) == RESULT_KPI_COLUMNS and len(row) == 1
    k = row.iloc[0]
    assert (k["need"], k["given"], k["unmet"], k["alts"]) == (4, 4, 0, 1)
    assert k["coverage"] == 1.0 and k["status"] == result.status
    scored = score(inst, result.assignments, alt.Weights.model_validate(result.weights))
    assert k["commute_minutes"] == scored.terms["commute_minute"]
    # Passing the instance gives the same row; other weights change nothing in these columns.
    assert row.equals(result.kpis(inst, alt.Weights.default()))


def test_a_result_without_its_instance_says_how_to_give_it(
    solved: tuple[Instance, Result],
) -> None:
    inst, result = solved
    bare = Result.model_validate(result.model_dump())  # e.g. read back from JSON
    with pytest.raises(ValueError, match="does not know its instance"):
        bare.kpis()
    with pytest.raises(ValueError, match="does not know its instance"):
        bare.timetable("A")
    assert bare.kpis(inst).equals(result.kpis())
    assert bare.for_instance(inst).timetable("A").equals(result.timetable("A"))
    assert bare.model_dump() == result.model_dump()  # the reference is never dumped


def _same_cells(frame: pd.DataFrame, csv_text: str) -> bool:
    # The frame holds exactly the CSV's cells: labels as index, then Mon..Fri.
    written = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)
    shown = frame.reset_index().astype(str)
    return bool(
        list(shown.columns) == list(written.columns)
        and shown.to_numpy().tolist() == written.to_numpy().tolist()
    )


def test_timetables_are_the_written_grids(solved: tuple[Instance, Result]) -> None:
    inst, result = solved
    lessons = list(result.lessons)
    tt = result.timetable("A")
    assert list(tt.columns) == ["Mon", "Tue", "Wed", "Thu", "Fri"] and tt.index.name == "time"
    assert _same_cells(tt, grid_csv(alt_grid(inst, lessons, "A")))
    cells = [c for c in tt.to_numpy().ravel() if c]
    assert sorted(cells) == ["3-1 S School", "4-1 S School", "5-1 T School", "5-1 T School"]
    st = result.school_timetable("T")
    assert st.index.names == ["period", "time"] and list(st.index.get_level_values(0)) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    assert _same_cells(st, grid_csv(school_grid(inst, lessons, "T")))
    assert sorted(c for c in st.to_numpy().ravel() if c) == ["5-1 ALT A", "5-1 ALT A"]


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.timetable("nobody"),  # an ALT id the branch does not have
        lambda r: r.school_timetable("nowhere"),  # a school id it does not have
        lambda r: r.school_timetable("A"),  # an ALT id where a school is asked for
    ],
)
def test_grids_of_unknown_ids_raise_key_error(solved: tuple[Instance, Result], call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KeyError):
        call(solved[1])


def test_solve_takes_weights_as_a_mapping_and_checks_them() -> None:
    inst = _branch()
    result = alt.solve(inst, time_limit=3, workers=1, seed=1, weights={"commute_minute": 2})
    assert check(inst, result.assignments) == []
    assert result.weights["commute_minute"] == 2
    assert result.weights["unmet_lesson"] == alt.Weights.default().unmet_lesson
    with pytest.raises(ValueError, match="no_such_goal"):
        alt.solve(inst, time_limit=3, weights={"no_such_goal": 1})
    with pytest.raises(ValueError, match="time_limit"):
        alt.solve(inst, time_limit=-1)


def test_html_views_escape_and_summarise(solved: tuple[Instance, Result]) -> None:
    inst, result = solved
    odd = inst.model_copy(
        update={"settings": inst.settings.model_copy(update={"branch": "<North & South>"})}
    )
    page = odd._repr_html_()
    assert "&lt;North &amp; South&gt;" in page and "<North" not in page
    assert "1 (contracts 0-25" in page and "2 (2 elementary)" in page and "no dates" in page
    assert "4 ALT lessons a week" in page
    shown = result._repr_html_()
    assert result.status in shown and "4 of 4 (100.0\u00a0%)" in shown
    # Without its instance a result still shows what it knows.
    assert "coverage" not in Result.model_validate(result.model_dump())._repr_html_()
