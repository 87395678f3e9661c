"""Feed tokens: random secrets in subscription URLs, stored only as SHA-256 hashes.

A token is ``secrets.token_urlsafe(32)`` (256 random bits). The store keeps its hash, so a
leaked store file does not leak working URLs; the plain token is shown once, when issued.
Lookups compare the hash against every active hash with :func:`hmac.compare_digest`, without
stopping early, so response time does not depend on how much of a guess was right.

A ``tokens`` command is all or nothing: :func:`change_tokens` revokes and issues in one
transaction and hands the new URLs over (the export file, the screen) before it commits, so a
URL file that cannot be written leaves the store as it was, and a token is never saved
without its URL having reached the user.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from scheduler.calendar.store import Store, StoredFeed, StoreError, new_file
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


@dataclass(frozen=True)
class TokenChanges:
    """What one ``tokens`` command changes, handed to the caller before it is committed."""

    feeds: Mapping[str, StoredFeed]  # the feeds of the latest version, by key
    revoked: dict[str, int] = field(default_factory=dict)  # feed key -> tokens revoked
    issued: list[Issued] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # feeds left out of an export: they had one


def change_tokens(
    store: Store,
    *,
    revoke_ids: Sequence[str] = (),
    rotate_ids: Sequence[str] = (),
    export_missing: bool = False,
    deliver: Callable[[TokenChanges], None] | None = None,
    now: datetime | None = None,
) -> TokenChanges:
    """Revoke, rotate and issue tokens in one transaction: all of it happens, or none.

    Parameters
    ----------
    store
        The open store (a writer).
    revoke_ids, rotate_ids
        Feeds named as for :func:`resolve_feeds`: every token revoked; revoked and a new one.
    export_missing
        Issue a token for every feed of the latest version that has none.
    deliver
        Called with the changes while the transaction is still open, to write or show the
        new URLs; if it raises, nothing is changed.
    now
        The time recorded; the clock when None.

    Raises
    ------
    InstanceError
        An id that is no feed, or a store without a version.
    """
    # The latest version is read under the write lock: a publish landing meanwhile would
    # otherwise leave its new feeds without tokens.
    with store.transaction():
        latest = store.latest()
        if latest is None:
            raise StoreError(store.path, "holds no version yet; publish a timetable first")
        feeds = {f.key: f for f in store.feeds(latest.version)}
        to_revoke = resolve_feeds(revoke_ids, feeds)
        to_rotate = resolve_feeds(rotate_ids, feeds)
        done = TokenChanges(feeds)
        for key in to_revoke:
            done.revoked[key] = revoke(store, key, now)
        done.issued.extend(rotate(store, key, now) for key in to_rotate)
        if export_missing:
            # Read under the lock: two exports at once never issue a feed two tokens.
            have = feeds_with_tokens(store)
            done.issued.extend(issue(store, key, now) for key in feeds if key not in have)
            done.kept.extend(sorted(have & set(feeds) - {i.feed for i in done.issued}))
        if deliver is not None:
            deliver(done)
    return done


def check_export_path(path: Path) -> None:
    """Refuse an export path before anything is issued: an existing file may hold the only
    copy of earlier URLs (the store keeps hashes), and a missing folder is a typo.

    Raises
    ------
    InstanceError
        Naming the path.
    """
    if path.is_dir():
        why = "is a folder; name the file to write, e.g. urls.csv"
    elif path.exists() or path.is_symlink():
        why = (
            "exists and may hold the only copy of earlier URLs (the store keeps only hashes): "
            "export to a new file name; nothing was issued"
        )
    elif not path.parent.is_dir():
        why = f"cannot be written: the folder {path.parent} does not exist; nothing was issued"
    else:
        return
    raise InstanceError([InputIssue(str(path), None, None, None, why)])


def export_urls(
    path: Path, issued: Sequence[Issued], feeds: Mapping[str, StoredFeed], base_url: str
) -> None:
    """Write the URL file all at once under a new name: a temporary file beside ``path``,
    private from the start, then linked into place; never replaces an existing file."""
    check_export_path(path)
    try:
        with new_file(path) as tmp:
            write_urls(tmp, issued, feeds, base_url)
    except FileExistsError:  # made meanwhile by someone else
        check_export_path(path)  # says why
        raise


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
