"""What text from a branch's tables may hold: the id rule, clean names, visible messages.

Ids (``alt_id``, ``school_id``, ``class``, ``co_teacher``) name files, are compared as keys
and are written back unchanged into ``assignments.csv``, a contract other tools read; so an id
that would climb out of a folder, start a spreadsheet formula or drive a terminal is refused,
never rewritten (:func:`id_problem`). Names are free text shown to people: control characters
are removed from them and the rest is kept (:func:`clean_name`). Messages that quote a bad
value show its control characters as escapes (:func:`visible`), so quoting it is harmless.
"""

from __future__ import annotations

import re
import unicodedata

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); TAB and CR are the other two starts OWASP lists for cells.
FORMULA_STARTS = ("=", "+", "-", "@")
# Bidirectional embeddings, overrides and isolates: invisible, and they reorder the text
# around them on a terminal or a page ("Trojan Source"). Plain marks (U+200E, U+200F) and
# joiners stay: scripts need them and they reorder nothing.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Control characters that separate words: in a name they become one space, so that
# "Sakura\nES" (Alt+Enter in an Excel cell) reads "Sakura ES", not "SakuraES".
_BREAKS = re.compile("[\t\n\r\x0b\x0c\x1c-\x1f\x85\u2028\u2029]+")
# A terminal escape sequence goes whole (CSI like ESC[31m, OSC like ESC]8;;url BEL), so a
# name is not left with its "[31m" once the ESC is gone.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?)")


def is_control(ch: str) -> bool:
    """True for a C0 or C1 control character, DEL, a line or paragraph separator, or a
    bidirectional embedding, override or isolate."""
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in BIDI_CONTROLS


def code_points(chars: str) -> str:
    """``U+001B, U+0000``: each distinct character once, in order of appearance."""
    return ", ".join(f"U+{ord(c):04X}" for c in dict.fromkeys(chars))


def id_problem(value: str) -> str | None:
    """Why ``value`` cannot be an id, or None when it can.

    The message completes the sentence 'value ...', as every input message does. An id may
    not hold a control character or a path separator, be ``.`` or ``..``, or start with
    ``= + - @``.
    """
    controls = "".join(c for c in value if is_control(c))
    if controls:
        return f"contains a control character ({code_points(controls)}); ids may hold none"
    if "/" in value or "\\" in value:
        return "contains a path separator (/ or \\); ids name files, so they may hold neither"
    if value in (".", ".."):
        return "is a folder step (. or ..); ids name files"
    if value.startswith(FORMULA_STARTS):
        return "may not start with =, +, - or @ (a spreadsheet would run it as a formula)"
    return None


def clean_name(value: str) -> tuple[str, str]:
    """``value`` without control characters, and the characters removed ("" if none).

    Word-separating controls (line breaks, TAB, ...) become one space; terminal escape
    sequences go whole; other controls go; the result is stripped of spaces at both ends.
    """
    removed = "".join(c for c in value if is_control(c))
    if not removed:
        return value, ""
    spaced = _BREAKS.sub(" ", _ESCAPES.sub("", value))
    return "".join(c for c in spaced if not is_control(c)).strip(), removed


def visible(text: str, keep: str = "") -> str:
    """``text`` with every control character (except those in ``keep``) written as an
    escape like ``\\x1b`` or ``\\u202e``, so printing it cannot move the cursor, recolour the
    terminal or reorder the line."""
    if not any(is_control(c) and c not in keep for c in text):
        return text
    return "".join(
        c if c in keep or not is_control(c) else c.encode("unicode_escape").decode("ascii")
        for c in text
    )
