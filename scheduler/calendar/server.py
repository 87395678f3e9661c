"""The feed server: ``/feeds/<token>.ics`` serves the latest published version of one feed.

Everything that is not a live token's feed answers the same bare 404, so the server tells a
guesser nothing (not whether a token existed, was revoked, or the path was close). Bodies are
the bytes stored at publish time; ``ETag`` is their hash and ``Last-Modified`` the publish time
of the first version with these bytes, so clients revalidate with 304s between publishes.
The access log is off: request paths carry tokens.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from scheduler.calendar.ical import CONTENT_TYPE
from scheduler.calendar.store import Store, StoredFeed
from scheduler.calendar.tokens import resolve


@dataclass
class FeedState:
    """The latest version's feeds and the active tokens, reloaded when the store changes."""

    store: Store
    feeds: dict[str, StoredFeed] = field(default_factory=dict)
    tokens: list[tuple[str, str]] = field(default_factory=list)
    _seen: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self) -> None:
        """Reload after a publish or a token change by another process (one PRAGMA if none)."""
        with self._lock:
            seen = self.store.data_version()
            if seen == self._seen:
                return
            latest = self.store.latest()
            feeds = self.store.feeds(latest.version) if latest else []
            self.feeds = {f.key: f for f in feeds}
            self.tokens = self.store.active_tokens()
            self._seen = seen

    def lookup(self, token: str) -> StoredFeed | None:
        """The feed a token opens, or None for an unknown or revoked token."""
        self.refresh()
        key = resolve(self.tokens, token)
        return self.feeds.get(key) if key is not None else None


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


def create_app(store_path: Path) -> Starlette:
    """The Starlette app serving the feeds of a store (opened read-mostly, reloaded on change)."""
    state = FeedState(Store(store_path))

    async def feed(request: Request) -> Response:
        name: str = request.path_params["name"]
        found = state.lookup(name.removesuffix(".ics")) if name.endswith(".ics") else None
        if found is None:
            return _not_found()
        headers = {
            "ETag": found.etag,
            "Last-Modified": _http_date(found.modified_at),
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        }
        if not_modified(request.headers, found):
            return Response(status_code=304, headers=headers)
        return Response(found.body, headers=headers, media_type=CONTENT_TYPE)

    async def not_found(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.status_code == 405:
            return PlainTextResponse("Method Not Allowed", 405, headers={"Allow": "GET, HEAD"})
        return _not_found()

    app = Starlette(
        routes=[Route("/feeds/{name}", feed, methods=["GET", "HEAD"])],
        exception_handlers={404: not_found, 405: not_found},
    )
    # A trailing-slash redirect would tell a guesser that the path without it exists.
    app.router.redirect_slashes = False
    app.state.feeds = state
    return app


def server_config(
    store_path: Path, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info"
) -> uvicorn.Config:
    """The uvicorn configuration: no access log (paths hold tokens), no Server header."""
    return uvicorn.Config(
        create_app(store_path), host=host, port=port,
        access_log=False, server_header=False, log_level=log_level,
    )  # fmt: skip


def serve(store_path: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the feed server until interrupted."""
    uvicorn.Server(server_config(store_path, host, port)).run()


def _not_found() -> Response:
    return PlainTextResponse("Not Found", status_code=404)


def _http_date(t: datetime) -> str:
    return format_datetime(t, usegmt=True)
