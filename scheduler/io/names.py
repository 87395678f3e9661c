"""File names made from ids: safe on every file system and unique in their folder."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

# Where a solve's calendar feeds go, and the instance they were made from: the calendar
# writes them, the output writer recognises them as its own.
FEEDS_FOLDER = "ical"
FEEDS_SOURCE = "source.json"


# Names Windows keeps for devices, with any extension: "CON.csv" is the console, not a file.
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"{dev}{n}" for dev in ("COM", "LPT") for n in ("0123456789\u00b9\u00b2\u00b3")]
)
# Bytes of a stem before it is cut: file systems allow 255 bytes (UTF-8) or 255 UTF-16 units
# in a name, and ".html" and a "-2" come on top.
MAX_STEM_BYTES = 120


def file_stems(ids: Iterable[str], prefix: str, used: set[str]) -> dict[str, str]:
    """A file stem per id, safe on every file system and unique in its folder.

    Every file name made from data (ids of ALTs and schools) goes through here. The stem is
    ``prefix`` + the id with letters (any script), digits, ``.``, ``-`` and ``_`` kept and
    anything else (``/``, ``\\``, ``:``, control characters ...) turned into ``_``, leading
    dots dropped; a Windows device name (``CON``, ``NUL``, ``COM1`` ...) gets a leading
    ``_``; a stem over :data:`MAX_STEM_BYTES` bytes is cut and ends in ``_`` and a hash of
    the whole id.
    A clash with a stem in ``used`` (compared case-insensitively, for Windows and macOS) gets
    ``-2``, ``-3``... Updates ``used``. An ALT called ``school-E01`` thus never overwrites
    school E01's file, and an id like ``../x`` never leaves the folder.
    """
    out: dict[str, str] = {}
    for id_ in ids:
        base = _safe(prefix, id_)
        stem, n = base, 1
        while stem.casefold() in used:
            n += 1
            stem = f"{base}-{n}"
        used.add(stem.casefold())
        out[id_] = stem
    return out


def _safe(prefix: str, id_: str) -> str:
    stem = prefix + (re.sub(r"[^\w.-]", "_", id_).lstrip(".") or "_")
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    if len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        # Cut at a character boundary; the hash keeps two long ids that share a start apart
        # and gives an id the same name in every run, whatever else the branch holds.
        digest = hashlib.sha256(id_.encode("utf-8")).hexdigest()[:8]
        cut = stem.encode("utf-8")[: MAX_STEM_BYTES - 9].decode("utf-8", errors="ignore")
        stem = f"{cut}_{digest}"
    return stem


def feed_files(alt_ids: Iterable[str], school_ids: Iterable[str]) -> dict[str, str]:
    """The calendar feed file of every ALT and school, by feed key (``alt:<id>``,
    ``school:<id>``): ``<alt_id>.ics`` and ``school-<school_id>.ics``, made safe and unique
    as the timetables' are."""
    used: set[str] = set()
    names = {f"alt:{a}": f"{stem}.ics" for a, stem in file_stems(alt_ids, "", used).items()}
    for s, stem in file_stems(school_ids, "school-", used).items():
        names[f"school:{s}"] = f"{stem}.ics"
    return names
