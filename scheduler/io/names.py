"""File names made from ids: safe on every file system and unique in their folder."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Where a solve's calendar feeds go, and the instance they were made from: the calendar
# writes them, the output writer recognises them as its own.
FEEDS_FOLDER = "ical"
FEEDS_SOURCE = "source.json"


def file_stems(ids: Iterable[str], prefix: str, used: set[str]) -> dict[str, str]:
    """A file stem per id: ``prefix`` + the id with letters (any script), digits, ``.``,
    ``-`` and ``_`` kept and anything else turned into ``_``; a clash with a stem in ``used``
    (compared case-insensitively, for Windows and macOS) gets ``-2``, ``-3``... Updates
    ``used``. An ALT called ``school-E01`` thus never overwrites school E01's file, and an
    id like ``../x`` never leaves the folder."""
    out: dict[str, str] = {}
    for id_ in ids:
        base = prefix + (re.sub(r"[^\w.-]", "_", id_).lstrip(".") or "_")
        stem, n = base, 1
        while stem.casefold() in used:
            n += 1
            stem = f"{base}-{n}"
        used.add(stem.casefold())
        out[id_] = stem
    return out


def feed_files(alt_ids: Iterable[str], school_ids: Iterable[str]) -> dict[str, str]:
    """The calendar feed file of every ALT and school, by feed key (``alt:<id>``,
    ``school:<id>``): ``<alt_id>.ics`` and ``school-<school_id>.ics``, made safe and unique
    as the timetables' are."""
    used: set[str] = set()
    names = {f"alt:{a}": f"{stem}.ics" for a, stem in file_stems(alt_ids, "", used).items()}
    for s, stem in file_stems(school_ids, "school-", used).items():
        names[f"school:{s}"] = f"{stem}.ics"
    return names
