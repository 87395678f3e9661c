"""Feed tokens: random secrets in subscription URLs, stored only as SHA-256 hashes.

A token is ``secrets.token_urlsafe(32)`` (256 random bits). The store keeps its hash, so a
leaked store file does not leak working URLs; the plain token is shown once, when issued.
Lookups compare the hash against every active hash with :func:`hmac.compare_digest`, without
stopping early, so response time does not depend on how much of a guess was right.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from scheduler.calendar.store import Store, StoredFeed
from scheduler.errors import InputIssue, InstanceError
from scheduler.io.cells import frame_csv

TOKEN_BYTES = 32
# token_urlsafe(32) gives 43 characters of [A-Za-z0-9_-].
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class Issued:
    """A token just issued: the only moment its plain text exists."""

    feed: str
    token: str

    def url(self, base_url: str) -> str:
        """The subscription URL under a server base URL like ``https://feeds.example.org``."""
        return f"{base_url.rstrip('/')}/feeds/{self.token}.ics"


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token: what the store keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def resolve(active: Sequence[tuple[str, str]], token: str) -> str | None:
    """The feed key of an active token, or None; constant time in the token's value.

    Parameters
    ----------
    active
        (token hash, feed key) pairs, e.g. :meth:`Store.active_tokens`.
    token
        The token from the URL.
    """
    if not TOKEN_PATTERN.match(token):
        return None
    digest = hash_token(token).encode()
    found = None
    for token_hash, feed in active:
        # No early exit: every active hash is compared, whatever matched.
        if hmac.compare_digest(digest, token_hash.encode()):
            found = feed
    return found


def issue(store: Store, feed: str, now: datetime | None = None) -> Issued:
    """Issue a new token for a feed (other tokens of the feed stay valid)."""
    token = new_token()
    store.add_token(hash_token(token), feed, now or datetime.now(UTC))
    return Issued(feed, token)


def revoke(store: Store, feed: str, now: datetime | None = None) -> int:
    """Revoke every active token of a feed; returns how many were revoked."""
    return store.revoke_tokens(feed, now or datetime.now(UTC))


def rotate(store: Store, feed: str, now: datetime | None = None) -> Issued:
    """Revoke a feed's tokens and issue a new one: the old URL stops working at once."""
    revoke(store, feed, now)
    return issue(store, feed, now)


def feeds_with_tokens(store: Store) -> set[str]:
    """Feed keys that have at least one active token."""
    return {feed for _, feed in store.active_tokens()}


def resolve_feeds(ids: Sequence[str], feeds: Mapping[str, StoredFeed]) -> list[str]:
    """Feed keys named on the command line: ``all``, ``alt:ID``, ``school:ID`` or a bare id.

    Raises
    ------
    InstanceError
        Naming every id that is no feed of the latest version.
    """
    out: list[str] = []
    bad: list[InputIssue] = []
    for given in ids:
        if given == "all":
            out += list(feeds)
            continue
        keys = [k for k in (given, f"alt:{given}", f"school:{given}") if k in feeds]
        if keys:
            out.append(keys[0])
        else:
            bad.append(
                InputIssue("store", None, "feed", given,
                           "is no ALT or school with a feed in the latest version")
            )  # fmt: skip
    if bad:
        raise InstanceError(bad)
    return list(dict.fromkeys(out))


def write_urls(
    path: Path, issued: Sequence[Issued], feeds: Mapping[str, StoredFeed], base_url: str
) -> None:
    """Write ``kind, id, name, url`` per issued token; the file is readable by its owner only.

    A name or id that a spreadsheet would run as a formula starts with ``'`` (the file is
    opened in Excel to mail the URLs out).
    """
    rows = [
        {
            "kind": feeds[i.feed].kind if i.feed in feeds else i.feed.split(":", 1)[0],
            "id": i.feed.split(":", 1)[1],
            "name": feeds[i.feed].name if i.feed in feeds else "",
            "url": i.url(base_url),
        }
        for i in issued
    ]
    frame = pd.DataFrame(rows, columns=["kind", "id", "name", "url"])
    # The URLs are secrets: create the file private before writing them.
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(frame_csv(frame), encoding="utf-8", newline="\n")
