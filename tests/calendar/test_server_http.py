"""The feed server over real HTTP: a uvicorn on 127.0.0.1, a free port, stopped after the tests."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import icalendar
import pytest
import uvicorn

from scheduler.calendar import tokens as tk
from scheduler.calendar.server import server_config
from scheduler.calendar.store import Store, publish
from tests.calendar_data import assignments, instance, moved_a1

T1 = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2025, 4, 2, 9, 0, tzinfo=UTC)


@dataclass
class Live:
    """A running server and the store behind it."""

    base: str
    port: int
    store: Store
    alice: str  # a live token of A1's feed
    bob: str  # a live token of A2's feed
    school: str  # a live token of S1's feed

    def get(self, token: str, **headers: str) -> httpx.Response:
        return httpx.get(f"{self.base}/feeds/{token}.ics", headers=headers, timeout=5)

    def raw(self, path: str, method: str = "GET") -> tuple[int, bytes]:
        """Send the path exactly as written (httpx would normalise ``..``)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request(method, path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """Version 1 of the tiny branch published, three tokens issued, uvicorn serving it."""
    path = tmp_path / "feeds.sqlite"
    store = Store(path)
    publish(store, instance(), assignments(), now=T1)
    alice, bob = tk.issue(store, "alt:A1").token, tk.issue(store, "alt:A2").token
    school = tk.issue(store, "school:S1").token
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(server_config(path, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield Live(f"http://127.0.0.1:{port}", port, store, alice, bob, school)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        store.close()
    assert not thread.is_alive()


def _feed(live: Live, key: str) -> bytes:
    latest = live.store.latest()
    assert latest is not None
    return {f.key: f.body for f in live.store.feeds(latest.version)}[key]


def test_a_token_gets_its_feed_with_cache_headers(live: Live) -> None:
    r = live.get(live.alice)
    assert r.status_code == 200
    assert r.content == _feed(live, "alt:A1")
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert r.headers["etag"].startswith('"') and len(r.headers["etag"]) == 34
    assert r.headers["last-modified"] == format_datetime(T1, usegmt=True)
    assert "server" not in r.headers
    school = live.get(live.school)
    assert school.status_code == 200 and school.content == _feed(live, "school:S1")


def test_if_none_match(live: Live) -> None:
    etag = live.get(live.alice).headers["etag"]
    hit = live.get(live.alice, **{"If-None-Match": etag})
    assert (hit.status_code, hit.content, hit.headers["etag"]) == (304, b"", etag)
    assert live.get(live.alice, **{"If-None-Match": f'"x", W/{etag}'}).status_code == 304
    assert live.get(live.alice, **{"If-None-Match": "*"}).status_code == 304
    assert live.get(live.alice, **{"If-None-Match": '"stale"'}).status_code == 200


def test_if_modified_since(live: Live) -> None:
    same = format_datetime(T1, usegmt=True)
    later = format_datetime(T1 + timedelta(hours=1), usegmt=True)
    earlier = format_datetime(T1 - timedelta(seconds=1), usegmt=True)
    assert live.get(live.alice, **{"If-Modified-Since": same}).status_code == 304
    assert live.get(live.alice, **{"If-Modified-Since": later}).status_code == 304
    assert live.get(live.alice, **{"If-Modified-Since": earlier}).status_code == 200
    assert live.get(live.alice, **{"If-Modified-Since": "yesterday"}).status_code == 200
    # If-None-Match decides when both are sent (RFC 9110 13.2.2).
    both = {"If-None-Match": '"stale"', "If-Modified-Since": later}
    assert live.get(live.alice, **both).status_code == 200


def test_head_has_headers_and_no_body(live: Live) -> None:
    r = httpx.head(f"{live.base}/feeds/{live.alice}.ics", timeout=5)
    assert r.status_code == 200 and r.content == b""
    assert r.headers["etag"] == live.get(live.alice).headers["etag"]


NOT_FOUND = b"Not Found"


def test_unknown_and_revoked_tokens_look_the_same(live: Live) -> None:
    unknown = live.get(tk.new_token())
    tk.revoke(live.store, "alt:A2")
    revoked = live.get(live.bob)
    assert unknown.status_code == revoked.status_code == 404
    assert unknown.content == revoked.content == NOT_FOUND
    assert unknown.headers == revoked.headers
    assert live.get(live.alice).status_code == 200  # other feeds are untouched


def test_rotation_replaces_the_url(live: Live) -> None:
    new = tk.rotate(live.store, "alt:A1")
    assert live.get(live.alice).status_code == 404
    r = live.get(new.token)
    assert r.status_code == 200 and r.content == _feed(live, "alt:A1")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/feeds/",
        "/feeds",
        "/feeds/../store",
        "/feeds/../feeds.sqlite",
        "/feeds/..%2Ffeeds.sqlite",
        "/feeds/%2e%2e%2ffeeds.sqlite",
        "/feeds/%2e%2e/feeds.sqlite",
        "/feeds.sqlite",
        "/feeds/x.ics",
        "/feeds/TOKEN",  # the right token without .ics
        "/feeds/TOKEN.ics/",
        "/feeds/TOKEN.ics/../TOKEN.ics.bak",
        "/feeds/TOKEN.ICS",
        "/FEEDS/TOKEN.ics",
    ],
)
def test_any_other_path_is_a_bare_404(live: Live, path: str) -> None:
    status, body = live.raw(path.replace("TOKEN", live.alice))
    assert (status, body) == (404, NOT_FOUND)


def test_other_methods_are_refused(live: Live) -> None:
    status, _ = live.raw(f"/feeds/{live.alice}.ics", method="POST")
    assert status == 405
    assert live.raw("/anything", method="DELETE")[0] == 404


def test_a_new_version_is_served_without_restart(live: Live) -> None:
    v1_bob = live.get(live.bob)
    v1_alice = live.get(live.alice)
    with Store(live.store.path) as other:  # another process would publish like this
        publish(other, instance(), moved_a1(), now=T2)
    alice = live.get(live.alice, **{"If-None-Match": v1_alice.headers["etag"]})
    assert alice.status_code == 200 and alice.content == _feed(live, "alt:A1")
    assert alice.headers["last-modified"] == format_datetime(T2, usegmt=True)
    # Bob's lessons did not change: his client's revalidation still gets a 304.
    bob = live.get(live.bob, **{"If-None-Match": v1_bob.headers["etag"]})
    assert bob.status_code == 304


class Client:
    """A calendar app's view of a subscription: events by UID, updated by SEQUENCE."""

    def __init__(self) -> None:
        self.events: dict[str, tuple[int, icalendar.Event]] = {}
        self.etag = ""

    def sync(self, live: Live, token: str) -> None:
        r = live.get(token, **({"If-None-Match": self.etag} if self.etag else {}))
        if r.status_code == 304:
            return
        assert r.status_code == 200
        self.etag = r.headers["etag"]
        for ev in icalendar.Calendar.from_ical(r.content).walk("VEVENT"):
            uid, seq = str(ev["UID"]), int(ev["SEQUENCE"])
            if uid not in self.events or self.events[uid][0] <= seq:
                self.events[uid] = (seq, ev)

    def visible(self) -> list[tuple[str, str]]:
        out = [(ev.start.isoformat(), str(ev["SUMMARY"]))
               for _, ev in self.events.values() if str(ev["STATUS"]) != "CANCELLED"]  # fmt: skip
        return sorted(out)


def test_a_subscribed_client_sees_moves_without_duplicates(live: Live) -> None:
    client = Client()
    client.sync(live, live.alice)
    assert [d[:10] for d, _ in client.visible()] == ["2025-04-28", "2025-05-13"]
    with Store(live.store.path) as other:
        publish(other, instance(), moved_a1(), now=T2)
    client.sync(live, live.alice)
    # Mon 04-28 moved to Thu 05-01; Thu 05-08 and 05-15 are new; Tue 05-13 stays. No 04-28.
    assert [d[:16] for d, _ in client.visible()] == [
        "2025-05-01T09:35", "2025-05-08T09:35", "2025-05-13T09:35", "2025-05-15T09:35",
    ]  # fmt: skip
    assert len(client.events) == 4  # the move reused its UID: nothing to clean up
