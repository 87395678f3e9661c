"""A reason: one fact, in users' words, about why a need stays unmet or an ALT under floor."""

from __future__ import annotations

from dataclasses import dataclass, field

from scheduler.instance import Instance

ClassKey = tuple[str, str]  # (school_id, class)

# Kinds of reasons, from the cheapest check to the last resort (docs/explain.md).
KINDS = (
    "class",  # the class's own periods and daily limit cannot hold its need
    "co_teacher",  # one co-teacher's classes need more lessons than they have periods
    "school",  # the school's usable periods and ALTs-a-day limit cannot hold its need
    "reach",  # nobody qualified lives within the commute limit
    "supply",  # the ALTs who can reach a set of schools cannot give what those schools need
    "alt",  # an ALT cannot give their floor: too few days, schools or need within reach
    "floors",  # the floors of all ALTs add up to more than the schools need
    "timetable",  # a fact of the timetable in DIR (every reachable ALT at their maximum)
    "core",  # a small set of rule groups that together make the need impossible (CP-SAT)
    "search",  # nothing forbids it: the search did not find a place
)


@dataclass(frozen=True)
class Reason:
    """One fact explaining unmet need, located at the classes and ALTs it concerns.

    ``kind`` is one of :data:`KINDS`; ``text`` is the sentence shown to users; ``classes``
    and ``alts`` say whom it concerns (a reason about a set of schools names every class of
    them), so a caller can pick the reasons of one unmet class or one ALT under floor.
    """

    kind: str
    text: str
    classes: frozenset[ClassKey] = field(default_factory=frozenset)
    alts: frozenset[str] = field(default_factory=frozenset)

    def __str__(self) -> str:
        return self.text


def school_name(inst: Instance, school_id: str) -> str:
    """The school's display name (its id when the name is empty)."""
    school = inst.school_by_id.get(school_id)
    return school.name if school is not None and school.name else school_id


def class_name(inst: Instance, key: ClassKey) -> str:
    """``Kita ES 1-1``: school name and class."""
    return f"{school_name(inst, key[0])} {key[1]}"


def listing(items: list[str], most: int = 4) -> str:
    """``A, B and C``; past ``most`` items, ``A, B, C, D and 3 more``."""
    if len(items) > most:
        return f"{', '.join(items[:most])} and {len(items) - most} more"
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def plural(n: int, word: str) -> str:
    """``1 lesson``, ``2 lessons``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def level_words(level: str) -> str:
    """``junior high`` for ``junior_high``."""
    return level.replace("_", " ")
