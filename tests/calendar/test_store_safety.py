"""The store under concurrency and damage: writers queue, commands are all or nothing, a
damaged store is an input error for every command, and a backup restores it."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from scheduler.calendar import store as store_module
from scheduler.calendar import tokens as tk
from scheduler.calendar.server import create_app
from scheduler.calendar.store import (
    DEFAULT_WAIT,
    BackupInfo,
    Store,
    StoreError,
    backup,
    publish,
)
from tests.calendar_data import WEEKLY, assignments, instance, moved_a1
from tests.cli.test_calendar_cli import run

with warnings.catch_warnings():  # starlette would rather see httpx2; httpx works the same
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
T1 = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2025, 4, 2, 9, 0, tzinfo=UTC)
ALL_FEEDS = ["alt:A1", "alt:A2", "school:S1", "school:S2"]


@dataclass
class Branch:
    """The tiny branch as the command line sees it, and a store path beside it."""

    root: Path
    inst: Path  # instance JSON
    outs: list[Path]  # solved folders: the timetable, A1 moved, A2's Friday gone
    store: Path

    def publish_args(self, k: int) -> list[object]:
        return ["publish", self.outs[k], "--instance", self.inst, "--store", self.store]


@pytest.fixture
def branch(tmp_path: Path) -> Branch:
    """Three timetables of the tiny branch in folders, and where their store goes."""
    inst = tmp_path / "branch.json"
    inst.write_text(instance().model_dump_json(by_alias=True), encoding="utf-8")
    outs = []
    for k, table in enumerate((assignments(), moved_a1(), assignments(WEEKLY[:3]))):
        out = tmp_path / f"out{k + 1}"
        out.mkdir()
        table.to_csv(out / "assignments.csv", index=False)
        outs.append(out)
    return Branch(tmp_path, inst, outs, tmp_path / "feeds.sqlite")


@pytest.fixture
def published(branch: Branch) -> Branch:
    """The branch with version 1 published and one token for every feed."""
    with Store(branch.store) as st:
        publish(st, instance(), assignments(), now=T1)
        for key in ALL_FEEDS:
            tk.issue(st, key)
    return branch


def token_rows(path: Path) -> list[tuple[str, str, str]]:
    """Every token row of a store: (hash, feed, revoked_at)."""
    with Store(path, "read") as st:
        return [(t.token_hash, t.feed, str(t.revoked_at)) for t in st.tokens()]


def files_in(folder: Path) -> list[str]:
    """Names in a folder, SQLite's -wal and -shm files left out."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm")))


@contextmanager
def write_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's writer in the middle of a transaction (an uncommitted token)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    db.execute(
        "INSERT INTO tokens (token_hash, feed, created_at) VALUES ('uncommitted', 'alt:A1', "
        "'2025-04-01T00:00:00Z')"
    )
    try:
        yield db
    finally:
        db.execute("ROLLBACK")
        db.close()


# ---- writers queue ---------------------------------------------------------------------------


def altsched(*args: object) -> subprocess.Popen[str]:
    """Start the command line in a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def wait_until_open(processes: list[subprocess.Popen[str]], path: Path) -> None:
    """Return once every process has the file open (Linux; elsewhere after a few seconds)."""
    deadline = time.monotonic() + 60
    for p in processes:
        fds = Path(f"/proc/{p.pid}/fd")
        if not fds.is_dir():
            time.sleep(3)
            return
        while time.monotonic() < deadline and p.poll() is None:
            with suppress(OSError):
                if any(os.readlink(fd) == str(path) for fd in fds.iterdir()):
                    break
            time.sleep(0.02)


def test_writers_in_other_processes_queue_for_a_long_writer(published: Branch) -> None:
    # A writer keeps the lock for 5.5 s after three others are waiting for it (more than the
    # 5 s writers used to wait): two publishes and an export, each in a process of its own.
    # All three wait their turn and succeed.
    urls = published.root / "urls.csv"
    with write_lock(published.store):
        started = [
            altsched(*published.publish_args(1)),
            altsched(*published.publish_args(2)),
            altsched("tokens", "--store", published.store, "--rotate", "A2", "--export", urls),
        ]
        wait_until_open(started, published.store.resolve())
        time.sleep(5.5)
    done = [p.communicate(timeout=120) for p in started]
    for p, (_, err) in zip(started, done, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err
    with Store(published.store, "read") as st:
        versions = st.versions()
        assert [v.version for v in versions] == [1, 2, 3]
        assert versions[1].published_at < versions[2].published_at
        # Each version was computed against the one before it: every UID it had lives on
        # (live or cancelled), which fails if both publishes had diffed against version 1.
        for older, newer in ((1, 2), (2, 3)):
            assert {e.uid for e in st.events(older)} <= {e.uid for e in st.events(newer)}
    # Every feed had a token: the file holds A2's new one, which is the only live one of A2.
    assert pd.read_csv(urls)["id"].tolist() == ["A2"]
    live = [feed for _, feed, revoked in token_rows(published.store) if revoked == "None"]
    assert sorted(live) == ALL_FEEDS


def test_a_writer_that_cannot_get_the_lock_says_so(
    published: Branch, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ALTSCHED_STORE_WAIT", "0.3")
    before = token_rows(published.store)
    with write_lock(published.store):
        for args in (
            ["tokens", "--store", published.store, "--rotate", "A1"],
            published.publish_args(1),
        ):
            code, _, err = run(monkeypatch, capsys, *args)
            assert code == 2 and "Traceback" not in err
            assert "is locked by another process for more than 0.3 s" in err
        # Readers do not wait for a writer (WAL): they see the last commit.
        code, out, _ = run(monkeypatch, capsys, "changes", "--store", published.store)
        assert code == 0 and "Version 1" in out
    assert token_rows(published.store) == before
    with Store(published.store, "read") as st:
        assert [v.version for v in st.versions()] == [1]


def test_writers_wait_a_minute_by_default(published: Branch) -> None:
    with Store(published.store, "write") as st:
        assert st.db.execute("PRAGMA busy_timeout").fetchone()[0] == DEFAULT_WAIT * 1000 == 60_000
        assert st.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("wait", ["soon", "-1", "1e9", "nan"])
def test_a_bad_wait_is_an_input_error(
    published: Branch,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    wait: str,
) -> None:
    monkeypatch.setenv("ALTSCHED_STORE_WAIT", wait)
    code, _, err = run(monkeypatch, capsys, "tokens", "--store", published.store)
    assert code == 2 and f'ALTSCHED_STORE_WAIT: "{wait}" is not a number of seconds' in err


def test_publish_renders_before_it_takes_the_lock(
    published: Branch, monkeypatch: pytest.MonkeyPatch
) -> None:
    render = store_module.build_feeds
    seen: list[bool] = []

    def watched(*args: object, **kwargs: object) -> object:
        seen.append(st.db.in_transaction)
        return render(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module, "build_feeds", watched)
    with Store(published.store) as st:
        assert publish(st, instance(), moved_a1(), now=T2).created
    assert seen == [False]


def test_a_publish_that_lost_the_race_is_computed_again(
    published: Branch, monkeypatch: pytest.MonkeyPatch
) -> None:
    # While this publish renders, another process publishes version 2. This one must become
    # version 3, compared with version 2, not a second "version 2" diffed against version 1.
    render = store_module.build_feeds
    calls: list[int] = []

    def racing(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            with Store(published.store) as other:
                publish(other, instance(), assignments(WEEKLY[:3]), now=T2)
        return render(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module, "build_feeds", racing)
    with Store(published.store) as st:
        out = publish(st, instance(), moved_a1(), now=T2)
        assert (out.version.version, out.previous and out.previous.version) == (3, 2)
        assert {e.uid for e in st.events(2)} <= {e.uid for e in st.events(3)}
    assert len(calls) == 3  # this render, the other publish's, this one again


# ---- tokens: all or nothing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "message"),
    [
        # the brief's case: a folder that does not exist (it saved 25 tokens, wrote nothing)
        ("nowhere/urls.csv", "the folder"),
        # a file that exists may hold the only copy of earlier URLs: never replaced
        ("old.csv", "may hold the only copy of earlier URLs"),
        # a folder where the file should go
        ("adir", "is a folder"),
        # a path through a file, as if it were a folder
        ("old.csv/urls.csv", "does not exist"),
    ],
)
@pytest.mark.parametrize(
    "more",
    [
        [],  # export alone
        ["--rotate", "A1"],  # a rotation in the same command is not saved either
        ["--revoke", "A2"],  # nor a revocation
    ],
)
def test_an_export_that_cannot_be_written_changes_nothing(
    branch: Branch,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    target: str,
    message: str,
    more: list[str],
) -> None:
    with Store(branch.store) as st:
        publish(st, instance(), assignments(), now=T1)
        tk.issue(st, "alt:A1")
        tk.issue(st, "alt:A2")
    (branch.root / "old.csv").write_text("kind,id,name,url\nalt,A1,Alice,https://x\n")
    (branch.root / "adir").mkdir()
    before, listing = token_rows(branch.store), files_in(branch.root)
    args = ["tokens", "--store", branch.store, "--export", branch.root / target, *more]
    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert token_rows(branch.store) == before
    assert files_in(branch.root) == listing  # no URL file, no temporary file
    assert (branch.root / "old.csv").read_text().endswith("https://x\n")
    # A rerun to a good name exports every feed that had no token.
    code, _, _ = run(monkeypatch, capsys, "tokens", "--store", branch.store, "--export",
                       branch.root / "urls.csv")  # fmt: skip
    assert code == 0
    assert pd.read_csv(branch.root / "urls.csv")["id"].tolist() == ["S1", "S2"]


def test_rotated_urls_that_cannot_be_shown_are_not_saved(
    published: Branch, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import scheduler.cli as cli

    def closed(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")  # e.g. `altsched tokens --rotate A1 | head -0`

    before = token_rows(published.store)
    monkeypatch.setattr(cli.console, "print", closed)
    code, _, _ = run(monkeypatch, capsys, "tokens", "--store", published.store, "--rotate", "A1")
    assert code == 1  # click's quiet exit on a closed pipe
    assert token_rows(published.store) == before  # the old URL still works; no new token


def test_an_export_file_goes_when_the_commit_fails(
    published: Branch, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    change = tk.change_tokens

    def commit_fails(*args: object, **kwargs: object) -> object:
        change(*args, **kwargs)  # type: ignore[arg-type]
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(tk, "change_tokens", commit_fails)
    urls = published.root / "urls.csv"
    args = ["tokens", "--store", published.store, "--rotate", "A1", "--export", urls]
    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2 and "disk I/O error" in err and not urls.exists()


def test_a_second_export_keeps_the_first_file(
    published: Branch, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = published.root / "urls.csv"
    urls.write_text("the only copy of the first URLs\n")
    code, out, _ = run(monkeypatch, capsys, "tokens", "--store", published.store, "--export",
                       published.root / "more.csv")  # fmt: skip
    assert code == 0 and "Every feed already has a token" in out and "--rotate" in out
    assert not (published.root / "more.csv").exists()
    assert urls.read_text() == "the only copy of the first URLs\n"


def test_tokens_on_a_store_without_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Store(tmp_path / "s.sqlite").close()
    urls = tmp_path / "urls.csv"
    args = ["tokens", "--store", tmp_path / "s.sqlite", "--export", urls]
    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2 and "holds no version yet" in err and not urls.exists()


# ---- damaged stores: every command -----------------------------------------------------------


def _garbage(path: Path, good: bytes) -> None:
    path.write_bytes(random.Random(7).randbytes(len(good)))


def _truncated(path: Path, good: bytes) -> None:
    path.write_bytes(good[: len(good) // 2])


def _header_only(path: Path, good: bytes) -> None:
    path.write_bytes(good[:100])


def _text(path: Path, good: bytes) -> None:
    path.write_text("version,published_at\n1,2025-04-01\n", encoding="utf-8")


def _empty(path: Path, good: bytes) -> None:
    path.write_bytes(b"")


def _folder(path: Path, good: bytes) -> None:
    path.mkdir()


def _newer(path: Path, good: bytes) -> None:
    path.write_bytes(good)
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {store_module.SCHEMA_VERSION + 1}")
    db.close()


def _foreign(path: Path, good: bytes) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE contacts (name TEXT)")
    db.close()


def _no_tokens_table(path: Path, good: bytes) -> None:
    path.write_bytes(good)
    with sqlite3.connect(path) as db:
        db.execute("DROP TRIGGER tokens_no_delete")
        db.execute("DROP TABLE tokens")
    db.close()


def _corrupt_page(path: Path, good: bytes, page: int = 1) -> None:
    # Right size and header, but a page overwritten (page 1 holds the schema after the header).
    body = bytearray(good)
    start = 100 if page == 1 else 4096 * (page - 1)
    body[start : 4096 * page] = random.Random(3).randbytes(4096 * page - start)
    path.write_bytes(bytes(body))


DAMAGES: dict[str, tuple[Callable[[Path, bytes], None], str]] = {
    # random bytes where the store was
    "garbage": (_garbage, "is not an SQLite database"),
    # half the file, as a full disk or a killed copy leaves it
    "truncated": (_truncated, "is truncated (shorter than its header says)"),
    # only SQLite's 100-byte header
    "header only": (_header_only, "is truncated"),
    # a CSV saved under the store's name
    "text": (_text, "is not an SQLite database"),
    # an empty file (touch, or truncated to nothing)
    "empty": (_empty, "is an empty file"),
    # a folder of that name
    "folder": (_folder, "is a folder"),
    # a store written by a newer altsched
    "newer schema": (
        _newer,
        f"was written by a newer altsched (store schema {store_module.SCHEMA_VERSION + 1}",
    ),
    # another application's SQLite database: never written into
    "foreign": (_foreign, "is an SQLite database but not an altsched store"),
    # a store missing one of its tables
    "no tokens table": (_no_tokens_table, "not an altsched store (no table tokens)"),
    # the schema page overwritten behind a sound header
    "corrupt schema": (_corrupt_page, "is damaged"),
}

COMMANDS: dict[str, list[str]] = {
    "publish": ["publish", "{out}", "--instance", "{inst}"],
    "changes": ["changes", "--csv", "{root}/changes.csv"],
    "tokens": ["tokens"],
    "tokens --rotate": ["tokens", "--rotate", "A1"],
    "tokens --revoke": ["tokens", "--revoke", "A1"],
    "tokens --export": ["tokens", "--export", "{root}/urls.csv"],
    "serve": ["serve", "--port", "1"],  # the store is read first: nothing binds
    "backup": ["backup", "{root}/backup.sqlite"],
}


@pytest.fixture(scope="module")
def good_store(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a store with three versions and four tokens, checkpointed into one file."""
    path = tmp_path_factory.mktemp("good") / "s.sqlite"
    with Store(path) as st:
        for k, table in enumerate((assignments(), moved_a1(), assignments(WEEKLY[:3]))):
            publish(st, instance(), table, now=datetime(2025, 4, 1 + k, 9, tzinfo=UTC))
        for key in ALL_FEEDS:
            tk.issue(st, key)
    return path.read_bytes()


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_store_is_an_input_error_for_every_command(
    branch: Branch,
    good_store: bytes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    damage: str,
    command: str,
) -> None:
    make, message = DAMAGES[damage]
    make(branch.store, good_store)
    before = branch.store.read_bytes() if branch.store.is_file() else None
    listing = files_in(branch.root)
    fill = {"out": branch.outs[1], "inst": branch.inst, "root": branch.root}
    args = [a.format(**fill) for a in COMMANDS[command]]
    code, _, err = run(monkeypatch, capsys, *args, "--store", branch.store)
    assert code == 2, err
    assert "Traceback" not in err
    assert f"{branch.store}: " in err and message in err
    # Nothing was written: the store's bytes, and no output file beside it.
    assert (branch.store.read_bytes() if branch.store.is_file() else None) == before
    assert files_in(branch.root) == listing


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files")
@pytest.mark.parametrize("command", ["publish", "tokens --rotate", "tokens --export"])
def test_a_read_only_store_refuses_writers_and_serves_readers(
    published: Branch,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    published.store.chmod(0o444)
    fill = {"out": published.outs[1], "inst": published.inst, "root": published.root}
    args = [a.format(**fill) for a in COMMANDS[command]]
    code, _, err = run(monkeypatch, capsys, *args, "--store", published.store)
    assert code == 2 and "read-only" in err and "Traceback" not in err
    code, out, _ = run(monkeypatch, capsys, "changes", "--store", published.store)
    assert code == 0 and "Version 1" in out


def test_a_missing_store_is_created_only_by_publish(
    branch: Branch, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("changes", "tokens", "tokens --export", "serve", "backup"):
        fill = {"out": branch.outs[0], "inst": branch.inst, "root": branch.root}
        args = [a.format(**fill) for a in COMMANDS[command]]
        code, _, err = run(monkeypatch, capsys, *args, "--store", branch.store)
        assert code == 2 and "is not there; publish a timetable first" in err
    assert not branch.store.exists()
    nowhere = branch.root / "nowhere" / "s.sqlite"
    code, _, err = run(monkeypatch, capsys, "publish", branch.outs[0], "--instance",
                       branch.inst, "--store", nowhere)  # fmt: skip
    assert code == 2 and "the folder" in err and "does not exist" in err
    code, _, _ = run(monkeypatch, capsys, *branch.publish_args(0))
    assert code == 0 and branch.store.is_file()
    assert files_in(branch.root) == sorted(["branch.json", "feeds.sqlite", "out1", "out2",
                                            "out3"])  # no temporary file left  # fmt: skip


def test_a_damaged_data_page_is_found_by_the_backup(
    branch: Branch,
    good_store: bytes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A command reads only the pages it needs; the backup checks every page of its copy.
    _corrupt_page(branch.store, good_store, page=4)
    args = ["backup", branch.root / "b.sqlite", "--store", branch.store]
    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2 and "is damaged" in err
    assert not (branch.root / "b.sqlite").exists()


def test_two_first_publishes_make_one_store(tmp_path: Path) -> None:
    # Both find no file; each builds a store beside it and links it into place: the second
    # link fails and that process uses the first store, never a half-made or empty one.
    path = tmp_path / "s.sqlite"
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def first_publish() -> None:
        start.wait()
        try:
            with Store(path) as st:
                publish(st, instance(), assignments(), now=T1)
        except BaseException as e:
            failures.append(e)

    workers = [threading.Thread(target=first_publish) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert failures == []
    with Store(path, "read") as st:
        assert [v.version for v in st.versions()] == [1]  # the others found nothing changed
    assert files_in(tmp_path) == ["s.sqlite"]


def test_store_errors_name_the_store_in_the_library_too(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_text("not a store")
    with pytest.raises(StoreError, match=r"s\.sqlite: is not an SQLite database"):
        Store(path)
    assert path.read_text() == "not a store"


# ---- backup and restore ----------------------------------------------------------------------


def restore(backup_file: Path, store: Path) -> None:
    """docs/calendar.md's restore: the damaged file and SQLite's -wal/-shm moved aside, the
    backup copied beside the store and renamed over it in one step."""
    for suffix in ("", "-wal", "-shm"):
        damaged = Path(f"{store}{suffix}")
        if damaged.exists():
            damaged.rename(Path(f"{store}.damaged{suffix}"))
    shutil.copyfile(backup_file, f"{store}.new")
    os.replace(f"{store}.new", store)


def test_a_backup_restores_versions_and_tokens(
    published: Branch, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(published.store) as st:
        publish(st, instance(), moved_a1(), now=T2)
        alice = tk.rotate(st, "alt:A1").token
        served = {f.key: f.body for f in st.feeds(2)}
    before = token_rows(published.store)
    saved = published.root / "backups"
    saved.mkdir()
    # Taken while a writer holds the lock mid-transaction: the copy has what was committed.
    with write_lock(published.store):
        code, out, err = run(monkeypatch, capsys, "backup", saved, "--store", published.store)
    assert code == 0, err
    assert "2 versions (latest version 2), 5 tokens" in out and "checked sound" in out
    (copy,) = saved.iterdir()
    assert copy.name.startswith("feeds-") and copy.suffix == ".sqlite"
    assert copy.stat().st_mode & 0o077 == 0  # the branch's names: private

    _garbage(published.store, published.store.read_bytes())
    code, _, err = run(monkeypatch, capsys, "changes", "--store", published.store)
    assert code == 2 and "is not an SQLite database" in err
    restore(copy, published.store)

    code, out, _ = run(monkeypatch, capsys, "changes", "--store", published.store)
    assert code == 0 and out.startswith("Changes from version 1 to 2\nA1 Alice:")
    assert token_rows(published.store) == before
    client = TestClient(create_app(published.store))
    r = client.get(f"/feeds/{alice}.ics")
    assert r.status_code == 200 and r.content == served["alt:A1"]
    # and the restored store takes new versions
    code, out, _ = run(monkeypatch, capsys, *published.publish_args(2))
    assert code == 0 and "Published version 3" in out


@pytest.mark.parametrize(
    ("dest", "message"),
    [
        # an existing file is never replaced (it may be yesterday's backup)
        ("old.sqlite", "exists; a backup never replaces a file"),
        # a folder that does not exist
        ("nowhere/b.sqlite", "the folder"),
        # a folder meant (trailing slash) that does not exist: no file of that name
        ("nowhere/", "is not a folder (it does not exist)"),
    ],
)
def test_a_backup_never_replaces_a_file(
    published: Branch,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    dest: str,
    message: str,
) -> None:
    (published.root / "old.sqlite").write_text("yesterday")
    listing = files_in(published.root)
    args = ["backup", f"{published.root}/{dest}", "--store", published.store]
    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert files_in(published.root) == listing
    assert (published.root / "old.sqlite").read_text() == "yesterday"


def test_a_backup_runs_beside_a_publish(published: Branch) -> None:
    # A publish in another thread commits while backups are taken: each copy is one moment.
    copies = published.root / "copies"
    copies.mkdir()
    stop = threading.Event()

    def publishing() -> None:
        with Store(published.store) as st:
            for k in range(6):
                table = moved_a1() if k % 2 == 0 else assignments()
                publish(st, instance(), table)
        stop.set()

    worker = threading.Thread(target=publishing)
    worker.start()
    made: list[BackupInfo] = []
    with Store(published.store, "read") as st:
        while not stop.is_set() or not made:
            made.append(backup(st, copies / f"{len(made)}.sqlite"))
    worker.join()
    for info in made:
        with Store(info.path, "read") as st:
            numbers = [v.version for v in st.versions()]
            assert numbers == list(range(1, len(numbers) + 1)) and info.versions == len(numbers)
            assert all(len(st.feeds(n)) == 4 for n in numbers)


# ---- the server when the store turns unreadable ----------------------------------------------


def _deleted(path: Path) -> None:
    path.unlink()


def _replaced_by_garbage(path: Path) -> None:
    new = path.with_name("garbage.tmp")
    _garbage(new, path.read_bytes())
    os.replace(new, path)


def _overwritten_in_place(path: Path) -> None:
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.write(random.Random(5).randbytes(size))


def _truncated_in_place(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _replaced_by_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


SERVER_DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    # the file deleted (or moved away) under the server
    "deleted": (_deleted, "is gone"),
    # another file renamed over it
    "replaced by garbage": (_replaced_by_garbage, "is not an SQLite database"),
    # its bytes overwritten, same file
    "overwritten in place": (_overwritten_in_place, "is not an SQLite database"),
    # cut in half, same file
    "truncated in place": (_truncated_in_place, "is truncated"),
    # a folder where the file was
    "replaced by a folder": (_replaced_by_folder, "is a folder"),
}


@pytest.mark.parametrize("damage", SERVER_DAMAGES)
def test_the_server_serves_from_memory_while_the_store_is_unreadable(
    published: Branch, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    copy = backup(Store(published.store, "read"), published.root / "backup.sqlite").path
    with Store(published.store) as st:
        alice = tk.rotate(st, "alt:A1").token
        body = {f.key: f.body for f in st.feeds(1)}["alt:A1"]
    # The store now has one more token than the backup: restoring loses it (a backup is a
    # moment), so the restore below is checked with a token both have.
    with Store(copy, "read") as st:
        assert len(st.tokens()) == 4
    client = TestClient(create_app(published.store, retry_seconds=0))
    assert client.get("/health").json() == {"status": "ok", "version": 1}
    assert client.get(f"/feeds/{alice}.ics").content == body

    make, message = SERVER_DAMAGES[damage]
    make(published.store)
    for _ in range(3):
        r = client.get(f"/feeds/{alice}.ics")
        assert (r.status_code, r.content) == (200, body)  # the last good version, from memory
    health = client.get("/health")
    assert health.status_code == 503
    assert health.json()["status"] == "degraded" and health.json()["version"] == 1
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and message in errors[0] and "serving version 1" in errors[0]

    if published.store.is_dir():
        published.store.rmdir()
    restore(copy, published.store)
    assert client.get("/health").json() == {"status": "ok", "version": 1}
    assert any("readable again" in r.getMessage() for r in caplog.records)
    assert client.get(f"/feeds/{alice}.ics").status_code == 404  # not in the backup
    with Store(published.store) as st:  # a publish after the restore is served at once
        publish(st, instance(), moved_a1(), now=T2)
        bob = tk.rotate(st, "alt:A2").token
    assert client.get("/health").json() == {"status": "ok", "version": 2}
    assert client.get(f"/feeds/{bob}.ics").status_code == 200


def test_the_server_serves_from_memory_while_the_store_is_locked(
    published: Branch, caplog: pytest.LogCaptureFixture
) -> None:
    # In WAL mode nothing shuts a reader out; a store copied back in rollback mode, before
    # any writer opened it again, is locked whole by a writer's commit.
    with Store(published.store) as st:
        alice = tk.rotate(st, "alt:A1").token
    with sqlite3.connect(published.store) as db:
        db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    client = TestClient(create_app(published.store, retry_seconds=0))
    body = client.get(f"/feeds/{alice}.ics").content
    hog = sqlite3.connect(published.store, isolation_level=None)
    hog.execute("BEGIN EXCLUSIVE")
    hog.execute("UPDATE tokens SET revoked_at = '2025-04-02T00:00:00Z'")
    try:
        r = client.get(f"/feeds/{alice}.ics")
        assert (r.status_code, r.content) == (200, body)
        assert client.get("/health").status_code == 503
        assert any("is locked" in r.getMessage() for r in caplog.records)
    finally:
        hog.execute("COMMIT")  # every token revoked
        hog.close()
    assert client.get("/health").json() == {"status": "ok", "version": 1}
    assert client.get(f"/feeds/{alice}.ics").status_code == 404


def test_a_server_does_not_start_on_a_damaged_store(published: Branch) -> None:
    _text(published.store, b"")
    with pytest.raises(StoreError, match="is not an SQLite database"):
        create_app(published.store)


@pytest.mark.parametrize("kind", ["transaction", "snapshot"])
def test_an_error_sqlite_rolled_back_itself_is_the_one_reported(kind: str, tmp_path: Path) -> None:
    # On a full disk or an I/O error SQLite ends the transaction itself; a ROLLBACK or COMMIT
    # after it raised "no transaction is active" and hid what happened.
    with store_module.open_store(tmp_path / "s.sqlite", must_exist=False) as st:
        block = st.transaction if kind == "transaction" else st.snapshot
        with pytest.raises(sqlite3.OperationalError, match="disk is full"), block() as db:
            db.execute("ROLLBACK")  # as SQLite does on SQLITE_FULL
            raise sqlite3.OperationalError("database or disk is full")
