"""The feed server: ``/feeds/<token>.ics`` serves the latest published version of one feed.

Everything that is not a live token's feed answers the same bare 404, so the server tells a
guesser nothing (not whether a token existed, was revoked, or the path was close). Bodies are
the bytes stored at publish time; ``ETag`` is their hash and ``Last-Modified`` the publish time
of the first version with these bytes, so clients revalidate with 304s between publishes.
The access log is off: request paths carry tokens. Each 404 is logged instead, with a hash
prefix of what was asked for, and a client address with more than :data:`MISS_LIMIT` of them
in a minute gets 429 for the rest of that minute (:class:`Throttle`).

The server keeps the latest version's feeds and the active tokens in memory and reloads them
when the store changes. When the store cannot be read (deleted, replaced by garbage, locked)
it goes on serving what it holds, logs why, answers ``/health`` with 503, and tries the store
again every :data:`RETRY_SECONDS` until it is readable, then serves what it holds.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from scheduler.calendar.ical import CONTENT_TYPE
from scheduler.calendar.store import Store, StoredFeed, StoreError, is_store_fault, store_error
from scheduler.calendar.tokens import hash_token, resolve

log = logging.getLogger("altsched.server")

# While the store is unreadable, it is tried again at most this often (each try may wait
# READ_WAIT for a lock, and requests wait for the try).
RETRY_SECONDS = 1.0
# A reader in WAL mode never waits for a writer; only a process holding the whole file
# locked makes it wait, and then a request should not hang on it.
READ_WAIT = 0.25
# Unknown tokens a client address may ask for in WINDOW seconds before it gets 429s. Calendar
# apps poll every few hours, so even a school of ALTs behind one address with stale URLs
# stays far below; a guesser is slowed to a crawl.
MISS_LIMIT = 20
WINDOW = 60.0
# Addresses remembered at most: a flood from many addresses cannot grow memory without end.
MAX_CLIENTS = 10_000


@dataclass
class FeedState:
    """The latest version's feeds and the active tokens, kept in memory.

    Reloaded when another process commits (``PRAGMA data_version``) or the file itself changes
    (a restore copied over it: device, inode, size or mtime). When the store cannot be read,
    the last good feeds and tokens stay and :attr:`problem` says why.
    """

    path: Path
    retry_seconds: float = RETRY_SECONDS
    feeds: dict[str, StoredFeed] = field(default_factory=dict)
    tokens: list[tuple[str, str]] = field(default_factory=list)
    version: int | None = None
    problem: str | None = None  # None while the store is readable
    since: datetime | None = None  # when the current problem began
    _store: Store | None = None
    _file: tuple[int, ...] | None = None
    _seen: int | None = None
    _retry_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self) -> None:
        """Reload after a publish, a token change or a restore; keep the last good on failure."""
        with self._lock:
            if self.problem is not None and time.monotonic() < self._retry_at:
                return
            try:
                self._reload()
            except (StoreError, sqlite3.Error, OSError) as e:
                self._fail(e)
            else:
                if self.problem is not None:
                    log.warning("store %s readable again: serving version %s", self.path,
                                self.version)  # fmt: skip
                self.problem = self.since = None

    def start(self) -> None:
        """The first load: unlike :meth:`refresh`, a store that cannot be read raises.

        Raises
        ------
        StoreError
            Why the store cannot be read.
        """
        with self._lock:
            try:
                self._reload()
            except sqlite3.Error as e:
                self._close()
                if is_store_fault(e):
                    raise store_error(self.path, e, READ_WAIT) from e
                raise
            except StoreError:
                self._close()
                raise

    def _reload(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise StoreError(self.path, "is gone (deleted or renamed)") from None
        file = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if self._store is None or file != self._file:
            self._close()
            self._store = Store(self.path, "read", wait=READ_WAIT)
            self._file, self._seen = file, None
        seen = self._store.data_version()
        if seen == self._seen:
            return
        with self._store.snapshot():
            latest = self._store.latest()
            feeds = self._store.feeds(latest.version) if latest else []
            tokens = self._store.active_tokens()
        self.feeds = {f.key: f for f in feeds}
        self.tokens = tokens
        self.version = latest.version if latest else None
        self._seen = seen

    def _fail(self, error: BaseException) -> None:
        if isinstance(error, StoreError):
            why = str(error)
        elif is_store_fault(error) or isinstance(error, OSError):
            why = str(store_error(self.path, error, READ_WAIT))
        else:
            why = f"{self.path}: {error}"
        if why != self.problem:
            log.error("%s; serving version %s from memory", why, self.version)
            self.since = self.since or datetime.now(UTC)
        self.problem = why
        self._retry_at = time.monotonic() + self.retry_seconds
        self._close()  # open afresh next time: the file may be replaced by then

    def _close(self) -> None:
        if self._store is not None:
            self._store.close()
        self._store = self._file = self._seen = None

    def lookup(self, token: str) -> StoredFeed | None:
        """The feed a token opens, or None for an unknown or revoked token."""
        self.refresh()
        key = resolve(self.tokens, token)
        return self.feeds.get(key) if key is not None else None

    def health(self) -> tuple[int, dict[str, Any]]:
        """HTTP status and body of ``/health``: 200 ok, or 503 while serving from memory."""
        self.refresh()
        if self.problem is None:
            return 200, {"status": "ok", "version": self.version}
        since = f"{self.since:%Y-%m-%dT%H:%M:%SZ}" if self.since else None
        # The reason is in the log: it names paths the world need not see.
        return 503, {"status": "degraded", "version": self.version, "since": since}


@dataclass
class Throttle:
    """Counts 404s per client address in fixed windows; too many and the address waits.

    An IPv6 client is counted by its /64 network, the block one subscriber usually holds.
    """

    limit: int = MISS_LIMIT
    window: float = WINDOW
    clock: Callable[[], float] = time.monotonic
    _misses: dict[str, tuple[float, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, client: str) -> float:
        """Seconds the client must wait (0 when it may ask; always 0 with a limit of 0)."""
        if self.limit <= 0:
            return 0.0
        with self._lock:
            start, count = self._misses.get(client, (0.0, 0))
            left = start + self.window - self.clock()
            return left if count >= self.limit and left > 0 else 0.0

    def miss(self, client: str) -> bool:
        """Count a 404; True when this one reaches the limit (the next request waits)."""
        if self.limit <= 0:
            return False
        with self._lock:
            now = self.clock()
            start, count = self._misses.get(client, (now, 0))
            if now >= start + self.window:
                start, count = now, 0
            self._misses[client] = (start, count + 1)
            if len(self._misses) > MAX_CLIENTS:
                self._forget(now)
            return count + 1 == self.limit

    def _forget(self, now: float) -> None:
        live = {c: v for c, v in self._misses.items() if now < v[0] + self.window}
        if len(live) > MAX_CLIENTS:  # still full: keep the newest half
            newest = sorted(live.items(), key=lambda kv: kv[1][0])[-MAX_CLIENTS // 2 :]
            live = dict(newest)
        self._misses = live


def client_key(request: Request) -> str:
    """The address a client is counted by (behind a proxy, uvicorn puts the forwarded one)."""
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def not_modified(headers: Headers, feed: StoredFeed) -> bool:
    """RFC 9110 conditional GET: If-None-Match decides when present, else If-Modified-Since."""
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or feed.etag in tags
    ims = headers.get("if-modified-since")
    if ims is None:
        return False
    try:
        since = parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as the RFC asks
    if since.tzinfo is None:
        return False
    return feed.modified_at <= since


def create_app(
    store_path: Path, retry_seconds: float = RETRY_SECONDS, throttle: Throttle | None = None
) -> Starlette:
    """The Starlette app serving the feeds of a store (read-only, reloaded on change).

    Raises
    ------
    StoreError
        When the store cannot be read at start: there is nothing good to serve yet.
    """
    state = FeedState(store_path, retry_seconds)
    state.start()
    limiter = throttle or Throttle()

    # Plain functions: Starlette runs them in its thread pool, so a store that is being
    # reopened (a lock, a restore: up to a fraction of a second) never stalls the event loop
    # and every other request with it. FeedState and Throttle hold locks of their own.
    def feed(request: Request) -> Response:
        client = client_key(request)
        wait = limiter.wait(client)
        if wait:
            return _too_many(wait)
        name: str = request.path_params["name"]
        token = name.removesuffix(".ics")
        found = state.lookup(token) if name.endswith(".ics") else None
        if found is None:
            return _miss(client, name)
        headers = {
            "ETag": found.etag,
            "Last-Modified": _http_date(found.modified_at),
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        }
        if not_modified(request.headers, found):
            return Response(status_code=304, headers=headers)
        return Response(found.body, headers=headers, media_type=CONTENT_TYPE)

    def health(request: Request) -> Response:
        status, body = state.health()
        return JSONResponse(body, status, headers={"Cache-Control": "no-store"})

    async def refused(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.status_code == 405:
            # The same for every name under /feeds/, live token or not: it tells nothing.
            return PlainTextResponse("Method Not Allowed", 405, headers={"Allow": "GET, HEAD"})
        client = client_key(request)
        wait = limiter.wait(client)
        return _too_many(wait) if wait else _miss(client, request.url.path)

    def _miss(client: str, asked: str) -> Response:
        # A hash prefix, as `altsched tokens` lists them: a revoked token still polled can
        # be recognised, and the log never holds a working URL.
        log.warning("404 for %s from %s", _digest(asked), client)
        if limiter.miss(client):
            log.warning("%s asked for %d unknown feeds in %g s: 429 until the window ends",
                        client, limiter.limit, limiter.window)  # fmt: skip
        return PlainTextResponse("Not Found", status_code=404)

    app = Starlette(
        routes=[
            Route("/feeds/{name}", feed, methods=["GET", "HEAD"]),
            Route("/health", health, methods=["GET", "HEAD"]),
        ],
        exception_handlers={404: refused, 405: refused},
    )
    # A trailing-slash redirect would tell a guesser that the path without it exists.
    app.router.redirect_slashes = False
    app.state.feeds = state
    app.state.throttle = limiter
    return app


def _digest(asked: str) -> str:
    """``sha256:<12 hex>`` of a token (``.ics`` dropped) or of any other path."""
    return "sha256:" + hash_token(asked.removesuffix(".ics"))[:12]


def _too_many(wait: float) -> Response:
    retry = str(max(1, math.ceil(wait)))
    return PlainTextResponse("Too Many Requests", 429, headers={"Retry-After": retry})


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the server's own messages on the same stream."""
    config: dict[str, Any] = {**uvicorn.config.LOGGING_CONFIG}
    config["loggers"] = {
        **config["loggers"],
        log.name: {"handlers": ["default"], "level": "INFO", "propagate": False},
    }
    return config


def server_config(
    store_path: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    miss_limit: int = MISS_LIMIT,
) -> uvicorn.Config:
    """The uvicorn configuration: no access log (paths hold tokens), no Server header."""
    app = create_app(store_path, throttle=Throttle(limit=miss_limit))
    return uvicorn.Config(
        app, host=host, port=port, log_config=log_config(),
        access_log=False, server_header=False, log_level=log_level,
    )  # fmt: skip


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, bound before uvicorn starts so that a port in use or an address
    this machine does not have is an error the caller can word (uvicorn would exit 1)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class ListenError(OSError):
    """The server's address cannot be bound (``errno`` and ``strerror`` as the bind gave)."""


def serve(
    store_path: Path, host: str = "127.0.0.1", port: int = 8000, miss_limit: int = MISS_LIMIT
) -> None:
    """Run the feed server until interrupted; ``miss_limit`` 404s a minute per address
    (0: no limit).

    Raises
    ------
    StoreError
        The store cannot be read at start.
    ListenError
        The address cannot be bound (in use, not this machine's, a privileged port).
    """
    config = server_config(store_path, host, port, miss_limit=miss_limit)
    try:
        sock = bind(host, port)
    except OSError as e:  # only the bind: a later OSError is not about the address
        raise ListenError(e.errno, e.strerror or str(e)) from e
    # uvicorn says where it listens only for sockets it binds itself.
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    log.info("serving %s on %s/feeds/<token>.ics (Ctrl-C to quit)", store_path, url)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


def _http_date(t: datetime) -> str:
    return format_datetime(t, usegmt=True)
