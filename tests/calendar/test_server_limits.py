"""The feed server's small things: /health, 405s, logged and rate-limited 404s, the port."""

from __future__ import annotations

import logging
import socket
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.calendar import tokens as tk
from scheduler.calendar.server import MISS_LIMIT, Throttle, create_app
from scheduler.calendar.store import Store, publish
from tests.calendar_data import assignments, instance
from tests.cli.test_calendar_cli import run

with warnings.catch_warnings():  # starlette would rather see httpx2; httpx works the same
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

T1 = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """Version 1 of the tiny branch published."""
    path = tmp_path / "feeds.sqlite"
    with Store(path) as st:
        publish(st, instance(), assignments(), now=T1)
    return path


@pytest.fixture
def alice(store: Path) -> str:
    """A live token of A1's feed."""
    with Store(store) as st:
        return tk.issue(st, "alt:A1").token


@pytest.fixture
def clock() -> Clock:
    """The throttle's clock."""
    return Clock()


@pytest.fixture
def client(store: Path, clock: Clock) -> Iterator[TestClient]:
    """The app on the store, seen from one client address."""
    app = create_app(store, throttle=Throttle(clock=clock))
    yield TestClient(app, client=("203.0.113.7", 50000))


def test_health_says_ok_and_the_version(client: TestClient) -> None:
    r = client.get("/health")
    assert (r.status_code, r.json()) == (200, {"status": "ok", "version": 1})
    assert r.headers["cache-control"] == "no-store"
    assert client.head("/health").status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_on_feeds_are_405_with_allow(
    client: TestClient, alice: str, method: str
) -> None:
    known = client.request(method, f"/feeds/{alice}.ics")
    unknown = client.request(method, f"/feeds/{tk.new_token()}.ics")
    # 405 for any name under /feeds/: a live token and a guess look the same.
    assert known.status_code == unknown.status_code == 405
    assert known.headers["allow"] == unknown.headers["allow"] == "GET, HEAD"
    assert known.content == unknown.content == b"Method Not Allowed"
    assert client.request(method, "/elsewhere").status_code == 404


def test_unknown_tokens_are_logged_by_hash_prefix(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    guess = tk.new_token()
    caplog.set_level(logging.WARNING, "altsched.server")
    assert client.get(f"/feeds/{guess}.ics").status_code == 404
    assert client.get("/feeds/short.ics").status_code == 404  # not even token-shaped
    assert client.get("/robots.txt").status_code == 404  # any other path
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3
    assert lines[0] == f"404 for sha256:{tk.hash_token(guess)[:12]} from 203.0.113.7"
    assert all(guess not in line and "short" not in line for line in lines)


def test_too_many_unknown_tokens_get_429_until_the_window_ends(
    client: TestClient, alice: str, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "altsched.server")
    for _ in range(MISS_LIMIT):
        assert client.get(f"/feeds/{tk.new_token()}.ics").status_code == 404
    clock.now += 15
    blocked = client.get(f"/feeds/{tk.new_token()}.ics")
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "45"
    # A live token from that address waits too: otherwise 200 against 429 would answer
    # every further guess, and the limit would slow nothing.
    assert client.get(f"/feeds/{alice}.ics").status_code == 429
    assert client.get("/robots.txt").status_code == 429
    assert client.get("/health").status_code == 200  # monitoring is never throttled
    # Other addresses are not affected.
    other = TestClient(client.app, client=("198.51.100.1", 50000))
    assert other.get(f"/feeds/{alice}.ics").status_code == 200
    # One line says the address waits; the 429s themselves are not logged one by one.
    said = [r.getMessage() for r in caplog.records if "429" in r.getMessage()]
    assert said == [f"203.0.113.7 asked for {MISS_LIMIT} unknown feeds in 60 s: 429 until "
                    "the window ends"]  # fmt: skip
    clock.now += 45
    assert client.get(f"/feeds/{alice}.ics").status_code == 200


def test_a_limit_of_0_never_waits() -> None:
    throttle = Throttle(limit=0)
    assert not any(throttle.miss("192.0.2.1") for _ in range(1000))
    assert throttle.wait("192.0.2.1") == 0


def test_the_throttle_counts_an_ipv6_client_by_its_64() -> None:
    from starlette.requests import Request

    from scheduler.calendar.server import client_key

    def key(host: str) -> str:
        return client_key(Request({"type": "http", "client": (host, 1)}))

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
    assert key("::ffff:192.0.2.1") == "192.0.2.1"
    assert key("testclient") == "testclient"


def test_the_throttle_forgets_old_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    import scheduler.calendar.server as server

    monkeypatch.setattr(server, "MAX_CLIENTS", 10)
    clock = Clock()
    throttle = Throttle(clock=clock)
    for n in range(10):
        throttle.miss(f"10.0.0.{n}")
    clock.now += 61  # those windows are over
    for n in range(25):
        throttle.miss(f"10.0.1.{n}")  # a flood from many addresses
    assert len(throttle._misses) <= 10


# ---- the port -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # beyond the last port
        (["--port", "99999"], "Invalid value for '--port'"),
        # port 0 would pick a random port nobody knows
        (["--port", "0"], "Invalid value for '--port'"),
        # negative
        (["--port", "-1"], "Invalid value for '--port'"),
        # not a number
        (["--port", "http"], "Invalid value for '--port'"),
        # an address that is not this machine's (TEST-NET-3)
        (["--host", "203.0.113.9", "--port", "8765"], "cannot be listened on"),
        # a name that does not resolve
        (["--host", "no-such-host.invalid"], "cannot be listened on"),
    ],
)
def test_a_bad_address_is_one_line_and_exit_2(
    store: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    code, _, err = run(monkeypatch, capsys, "serve", "--store", store, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_a_port_in_use_is_one_line_and_exit_2(
    store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run(monkeypatch, capsys, "serve", "--store", store, "--port", port)
    assert code == 2 and "Traceback" not in err
    assert f"127.0.0.1:{port}: cannot be listened on: Address already in use" in err
    assert "pick another --port" in err
