"""A coverage bound in users' words: how many unmet lessons must stay unmet, and how many a
better timetable might still give (``altsched solve`` prints it; report.json stores it)."""

from __future__ import annotations


def _lessons(n: int) -> str:
    return f"{n} lesson{'' if n == 1 else 's'}"


def unmet_in_words(unmet: int, demand: int, most: int) -> str:
    """What the unmet lessons of a timetable mean, given that no timetable gives more than
    ``most`` of the ``demand``: ``25 lessons unmet; no timetable can give more``, or ``30
    lessons unmet; at least 25 must stay unmet (bound); 5 may be recoverable``."""
    if unmet == 0:
        return f"every one of the {_lessons(demand)} is given"
    floor = max(0, demand - most)
    if unmet <= floor:
        return f"{_lessons(unmet)} unmet; no timetable can give more"
    if floor == 0:
        return f"{_lessons(unmet)} unmet; all may be recoverable (no bound says otherwise)"
    return (
        f"{_lessons(unmet)} unmet; at least {floor} must stay unmet (bound); "
        f"{unmet - floor} may be recoverable"
    )


def unmet_report(unmet: int, demand: int, most: int) -> dict[str, int | str]:
    """The ``coverage_bound`` entry of report.json (docs/outputs.md): the numbers behind
    :func:`unmet_in_words` and the words."""
    floor = max(0, demand - most)
    return {
        "most_lessons": most,
        "unmet": unmet,
        "must_stay_unmet": floor,
        "may_be_recoverable": max(0, unmet - floor),
        "in_words": unmet_in_words(unmet, demand, most),
    }
