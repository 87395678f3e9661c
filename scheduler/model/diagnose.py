"""Up-front explanations, at the level of counts, of why the need cannot all be covered."""

from __future__ import annotations

from collections import defaultdict

from scheduler.instance import DAYS, LEVELS
from scheduler.model.data import Prepared, alt_week_capacity


def capacity_notes(prep: Prepared) -> list[str]:
    """Plain sentences naming every count-level reason some need must stay unmet."""
    reachers: dict[str, set[str]] = defaultdict(set)
    for a, s in prep.commute:
        reachers[s].add(a)
    return [
        *_supply_notes(prep),
        *_floor_notes(prep),
        *_unreachable_school_notes(prep, reachers),
        *_class_room_notes(prep),
        *_school_room_notes(prep, reachers),
    ]


def _supply_notes(prep: Prepared) -> list[str]:
    # The ALTs' weeks hold fewer lessons than the need, in all or for one school level.
    inst = prep.instance
    need = inst.need()
    capacity = alt_week_capacity(prep)

    def supply(alt_ids: set[str]) -> int:
        return sum(capacity[a] for a in alt_ids)

    total_supply = supply({a for (a, _s, _d) in prep.visits})
    notes = []
    if total_supply < need:
        notes.append(f"ALTs can give at most {total_supply} lessons a week, schools need {need}.")
    for level in LEVELS:
        level_need = sum(
            c.alt_lessons for c in inst.classes if inst.school_by_id[c.school_id].level == level
        )
        qualified = {a for (a, s, _d) in prep.visits if inst.school_by_id[s].level == level}
        level_supply = supply(qualified)
        if level_need > 0 and level_supply < level_need and total_supply >= need:
            notes.append(
                f"ALTs qualified for {level.replace('_', ' ')} can give at most "
                f"{level_supply} lessons a week there, {level} schools need {level_need}."
            )
    return notes


def _floor_notes(prep: Prepared) -> list[str]:
    # The ALTs' weekly floors ask for more lessons than the schools need.
    inst = prep.instance
    need = inst.need()
    floors = sum(inst.min_lessons(a) for a in inst.alts)
    if floors <= need:
        return []
    return [
        f"Contract floors add up to {floors} lessons, schools need only {need}: "
        "some ALTs will stay under their floor."
    ]


def _unreachable_school_notes(prep: Prepared, reachers: dict[str, set[str]]) -> list[str]:
    # A school with need and no usable period, or that no qualified ALT can reach.
    inst = prep.instance
    notes = []
    for s in sorted({c.school_id for c in inst.classes if c.alt_lessons > 0}):
        school = inst.school_by_id[s]
        school_need = sum(c.alt_lessons for c in inst.classes_of[s])
        if s not in prep.needy:
            notes.append(f"{school.name} needs {school_need} lessons but has no usable period.")
        elif not reachers[s]:
            minutes = inst.settings.max_commute_minutes
            notes.append(
                f"Nobody qualified can reach {school.name} within "
                f"{minutes} minutes ({school_need} lessons a week unmet)."
            )
    return notes


def _class_room_notes(prep: Prepared) -> list[str]:
    # A class needing more lessons than its usable periods and daily limit let it take.
    inst = prep.instance
    notes = []
    for c in inst.classes:
        if c.alt_lessons == 0 or c.school_id not in prep.needy:
            continue
        most = sum(prep.cap.get((c.key, d), 0) for d in DAYS)
        if most < c.alt_lessons:
            name = inst.school_by_id[c.school_id].name
            notes.append(
                f"{name} {c.class_} needs {c.alt_lessons} lessons a week but can take at "
                f"most {most} (usable periods, "
                f"{inst.settings.max_class_lessons_per_day} a day)."
            )
    return notes


def _school_room_notes(prep: Prepared, reachers: dict[str, set[str]]) -> list[str]:
    # A school needing more lessons than its ALTs a day can give in its usable periods.
    inst = prep.instance
    notes = []
    for s, classes in sorted(prep.needy.items()):
        school = inst.school_by_id[s]
        school_need = sum(c.alt_lessons for c in classes)
        most = 0
        for d in DAYS:
            periods = {p.period for c in classes for p in prep.periods.get((c.key, d), [])}
            class_cap = sum(prep.cap.get((c.key, d), 0) for c in classes)
            most += min(class_cap, school.max_alts_per_day * len(periods))
        if reachers[s] and most < school_need:
            notes.append(
                f"{school.name} needs {school_need} lessons but can take at most {most} "
                f"({school.max_alts_per_day} ALT a day in its usable periods)."
            )
    return notes
