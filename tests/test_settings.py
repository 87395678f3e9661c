"""The search's settings: [search] and [bounds] tables in defaults.toml, a user's file
overriding some keys, and every mistake in that file an input error naming the file, the
key and the value (exit 2 on the command line, never a traceback)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from scheduler.api import settings_of
from scheduler.cli import main
from scheduler.config import Settings
from scheduler.errors import InstanceError

TINY = Path(__file__).resolve().parent.parent / "instances" / "tiny-floor"


def _issues(path: Path) -> list[tuple[str, str | None, str | None, str]]:
    with pytest.raises(InstanceError) as raised:
        Settings.from_toml(path)
    return [(i.file, i.column, i.value, i.message) for i in raised.value.issues]


def test_the_defaults_are_the_tuning_the_search_was_built_with() -> None:
    settings = Settings.default()
    assert settings.search.large_branch_visits == 2_500
    assert settings.search.group_weights == (1 / 3, 1 / 2, 2 / 3, 0.9)
    assert settings.bounds.closing_gap == 0.01


def test_a_file_overrides_the_keys_it_gives(tmp_path: Path) -> None:
    path = tmp_path / "tuning.toml"
    text = (
        "[weights]\nunmet_lesson = 7\n\n"
        "[search]\nstep_seconds = 0.5\n\n"
        "[bounds]\nclosing_choices = 3\n"
    )
    path.write_text(text, encoding="utf-8")
    settings = Settings.from_toml(path)
    assert settings.search.step_seconds == 0.5 and settings.bounds.closing_choices == 3
    assert settings.search.lanes == Settings.default().search.lanes  # left out: the default
    assert settings_of(path) == settings
    assert settings_of({"search": {"step_seconds": 0.5}}).search.step_seconds == 0.5


@pytest.mark.parametrize(
    ("text", "column", "value", "fragment"),
    [
        ("[search]\nstep_seconds = -1\n", "search.step_seconds", "-1", "greater than or equal"),
        ("[search]\nmaster_share = 2\n", "search.master_share", "2", "less than or equal"),
        ("[search]\nstep_second = 0.5\n", "search.step_second", "0.5", "extra inputs"),
        ("[bounds]\nclosing_choices = 'many'\n", "bounds.closing_choices", "many", "integer"),
        ("[search]\nlanes = 0\n", "search.lanes", "0", "greater than or equal"),
        ("[serch]\nlanes = 2\n", "serch", None, "not a table of settings"),
        ("search = 3\n", "search", "3", "must be a table"),
        ("[weights]\nunmet_lesson = 7\n", None, None, "[search] or [bounds]"),
        ("[search\n", None, None, "cannot be read"),
    ],
)
def test_a_bad_settings_file_names_file_key_and_value(
    tmp_path: Path, text: str, column: str | None, value: str | None, fragment: str
) -> None:
    path = tmp_path / "tuning.toml"
    path.write_text(text, encoding="utf-8")
    [(file, col, val, message)] = _issues(path)
    assert file == "tuning.toml" and col == column and val == value
    assert fragment in message


def test_solve_refuses_a_bad_settings_file_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tuning.toml"
    path.write_text("[search]\nstep_seconds = 'fast'\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = ["altsched", "solve", str(TINY), "--out", str(out), "--settings", str(path)]
    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as done:
        main()
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert "tuning.toml" in err and "search.step_seconds" in err and "fast" in err
    assert "Traceback" not in err
    assert not out.exists()  # refused before anything was written
