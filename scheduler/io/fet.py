"""Export a solved instance's ALT-to-class choice as a FET input file (``.fet``).

FET (https://lalescu.ro/liviu/fet/) places activities into a week of days x hours; it cannot
choose which teacher teaches a class. So the export fixes what our solve chose (which ALT
teaches which class on which day) and leaves FET the period placement, the same job as
:func:`scheduler.model.placement.place`. The mapping, decided in ``docs/benchmarks.md``:

- Days ``Mon`` .. ``Fri``. Hours ``P1`` .. ``Pn``: period *numbers*, not clock times. Each
  school keeps its own bells; an ALT on a day is at one school, so two lessons of one ALT
  clash exactly when they share a period number. (With two schools in one ALT-day the
  period numbers of different schools are not comparable, so such timetables are refused.)
- Each school is a FET year, each class a group named ``<school_id> <class>``.
- Each ALT is a teacher; a co-teacher is a second teacher of the class's activities, named
  ``<co_teacher> @ <school_id>``, so FET keeps their classes apart in time.
- One activity (subject ``English``, duration 1) per lesson, with its day pinned by a
  preferred-starting-times constraint listing the class's usable periods that day.
- Not-available times: an ALT's days off; for a class, every period that does not exist at
  its school that day, lies outside the day window or is blocked.
- Daily maxima: each ALT's ``max_lessons_per_day``; ``max_class_lessons_per_day`` for all
  students.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from scheduler.errors import InputIssue, InstanceError
from scheduler.instance import DAYS, Day, Instance
from scheduler.io.write import write_text_atomic
from scheduler.result import ASSIGNMENT_COLUMNS
from scheduler.validate import check

FET_VERSION = "6.8.5"
SUBJECT = "English"


def group_name(school_id: str, class_: str) -> str:
    """The FET students-group name of a class."""
    return f"{school_id} {class_}"


def co_teacher_name(school_id: str, co_teacher: str) -> str:
    """The FET teacher name of a co-teacher (co-teachers are named per school)."""
    return f"{co_teacher} @ {school_id}"


def hour_name(period: int) -> str:
    """The FET hour name of a period number."""
    return f"P{period}"


def fet_xml(instance: Instance, assignments: pd.DataFrame, *, strict: bool = True) -> str:
    """The ``.fet`` text that asks FET to place the lessons of a valid timetable.

    Parameters
    ----------
    instance
        The branch.
    assignments
        The contract's assignments table of a solve (its ALT, class and day are kept; its
        periods are what FET decides again).
    strict
        Refuse a timetable that breaks a hard rule (False for the benchmark's deliberately
        over-constrained variants, whose lessons no longer fit).

    Returns
    -------
    str
        The XML document; the same inputs give the same bytes.

    Raises
    ------
    InstanceError
        When the timetable breaks a hard rule, or an ALT visits two schools in one day.
    """
    _refuse_unexportable(instance, assignments, strict)
    doc = _FetDocument(instance)
    doc.days_and_hours()
    doc.teachers()
    doc.students()
    pinned = doc.activities(assignments)
    doc.time_constraints(pinned)
    return doc.text()


class _FetDocument:
    """The ``.fet`` tree of a branch, built list by list in the order FET writes them."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.n_hours = max((b.period for b in inst.bells), default=1)
        self.root = ET.Element("fet", version=FET_VERSION)
        _text(self.root, "Mode", "Official")
        _text(self.root, "Institution_Name", inst.settings.branch or "ALT branch")
        _text(self.root, "Comments", "Exported by altsched export-fet: hours are period numbers.")

    def days_and_hours(self) -> None:
        """The weekdays, the period numbers as hours, the one subject and no tags."""
        days = ET.SubElement(self.root, "Days_List")
        _text(days, "Number_of_Days", str(len(DAYS)))
        for d in DAYS:
            _text(ET.SubElement(days, "Day"), "Name", d)
        hours = ET.SubElement(self.root, "Hours_List")
        _text(hours, "Number_of_Hours", str(self.n_hours))
        for p in range(1, self.n_hours + 1):
            _text(ET.SubElement(hours, "Hour"), "Name", hour_name(p))
        subjects = ET.SubElement(self.root, "Subjects_List")
        _named(subjects, "Subject", SUBJECT)
        ET.SubElement(self.root, "Activity_Tags_List")

    def teachers(self) -> None:
        """The ALTs, then the co-teachers; refused when a co-teacher's FET name is an ALT's."""
        inst = self.inst
        co_teachers = sorted(
            {co_teacher_name(c.school_id, c.co_teacher) for c in inst.classes if c.co_teacher}
        )
        clash = set(co_teachers) & set(inst.alt_by_id)
        if clash:
            raise InstanceError(
                [
                    InputIssue(
                        "alts.csv", None, "alt_id", name, "is also a co-teacher name in FET"
                    )
                    for name in sorted(clash)
                ]
            )
        teachers = ET.SubElement(self.root, "Teachers_List")
        for name in [a.alt_id for a in inst.alts] + co_teachers:
            t = _named(teachers, "Teacher", name)
            _text(t, "Target_Number_of_Hours", "0")
            ET.SubElement(t, "Qualified_Subjects")

    def students(self) -> None:
        """A year per school, a group per class."""
        students = ET.SubElement(self.root, "Students_List")
        for s in self.inst.schools:
            year = _named(students, "Year", s.school_id, students="0")
            _text(year, "Number_of_Categories", "0")
            _text(year, "Separator", " ")
            for c in self.inst.classes_of.get(s.school_id, []):
                _named(year, "Group", group_name(s.school_id, c.class_), students="0")

    def activities(self, assignments: pd.DataFrame) -> list[tuple[int, Day, list[int]]]:
        """One activity per lesson, then the (empty) buildings and rooms; returns each
        activity's id, day and usable periods for its pin."""
        inst = self.inst
        activities = ET.SubElement(self.root, "Activities_List")
        pinned: list[tuple[int, Day, list[int]]] = []
        for i, (alt_id, school_id, class_, day) in enumerate(_ordered(assignments), start=1):
            c = inst.class_by_key[(school_id, class_)]
            act = ET.SubElement(activities, "Activity")
            _text(act, "Teacher", alt_id)
            if c.co_teacher:
                _text(act, "Teacher", co_teacher_name(school_id, c.co_teacher))
            _text(act, "Subject", SUBJECT)
            _text(act, "Students", group_name(school_id, class_))
            for tag, value in (
                ("Duration", "1"),
                ("Total_Duration", "1"),
                ("Id", str(i)),
                ("Activity_Group_Id", "0"),
                ("Active", "true"),
                ("Comments", ""),
            ):
                _text(act, tag, value)
            usable = [p.period for p in inst.usable_periods(school_id, class_, day)]
            pinned.append((i, day, usable))
        ET.SubElement(self.root, "Buildings_List")
        ET.SubElement(self.root, "Rooms_List")
        return pinned

    def time_constraints(self, pinned: Sequence[tuple[int, Day, list[int]]]) -> None:
        """Not-available times, daily maxima and the day pins; then the space list."""
        time_list = ET.SubElement(self.root, "Time_Constraints_List")
        _constraint(time_list, "ConstraintBasicCompulsoryTime")
        self._not_available_times(time_list)
        self._daily_maxima(time_list)
        for activity_id, day, usable in pinned:
            _pin(time_list, activity_id, day, usable)
        space = ET.SubElement(self.root, "Space_Constraints_List")
        _constraint(space, "ConstraintBasicCompulsorySpace")

    def _not_available_times(self, time_list: ET.Element) -> None:
        # ALTs: their days off; classes: every period that is not usable on its day.
        inst, hours = self.inst, range(1, self.n_hours + 1)
        for a in inst.alts:
            if a.unavailable:
                off = [(d, p) for d in DAYS if d in a.unavailable for p in hours]
                _not_available(
                    time_list, "ConstraintTeacherNotAvailableTimes", "Teacher", a.alt_id, off
                )
        for c in inst.classes:
            closed = [
                (d, p)
                for d in DAYS
                for usable in [{q.period for q in inst.usable_periods(c.school_id, c.class_, d)}]
                for p in hours
                if p not in usable
            ]
            if closed:
                _not_available(
                    time_list,
                    "ConstraintStudentsSetNotAvailableTimes",
                    "Students",
                    group_name(c.school_id, c.class_),
                    closed,
                )

    def _daily_maxima(self, time_list: ET.Element) -> None:
        for a in self.inst.alts:
            _constraint(
                time_list,
                "ConstraintTeacherMaxHoursDaily",
                Teacher_Name=a.alt_id,
                Maximum_Hours_Daily=str(self.inst.max_lessons_per_day(a)),
            )
        _constraint(
            time_list,
            "ConstraintStudentsMaxHoursDaily",
            Maximum_Hours_Daily=str(self.inst.settings.max_class_lessons_per_day),
        )

    def text(self) -> str:
        """The document, tab-indented, after an XML declaration."""
        ET.indent(self.root, space="\t")
        body = ET.tostring(self.root, encoding="unicode", short_empty_elements=False)
        return '<?xml version="1.0" encoding="UTF-8"?>\n\n' + body + "\n"


def _pin(time_list: ET.Element, activity_id: int, day: Day, usable: Sequence[int]) -> None:
    """Pin an activity to its day: its preferred starting times are the usable periods."""
    el = _constraint(
        time_list,
        "ConstraintActivityPreferredStartingTimes",
        Activity_Id=str(activity_id),
        Number_of_Preferred_Starting_Times=str(len(usable)),
        tail=False,
    )
    for p in usable:
        slot = ET.SubElement(el, "Preferred_Starting_Time")
        _text(slot, "Preferred_Starting_Day", day)
        _text(slot, "Preferred_Starting_Hour", hour_name(p))
    _text(el, "Active", "true")
    _text(el, "Comments", "")


def write_fet(
    instance: Instance, assignments: pd.DataFrame, path: Path, *, strict: bool = True
) -> None:
    """Write :func:`fet_xml` to ``path`` (UTF-8)."""
    write_text_atomic(path, fet_xml(instance, assignments, strict=strict))


def _ordered(assignments: pd.DataFrame) -> list[tuple[str, str, str, Day]]:
    """(ALT, school, class, day) of each lesson in activity-id order (ids count from 1)."""
    rows = assignments[["alt_id", "school_id", "class", "day", "period"]].itertuples(index=False)
    keyed = sorted((str(a), DAYS.index(d), str(s), str(c), int(p)) for a, s, c, d, p in rows)
    return [(a, s, c, DAYS[di]) for a, di, s, c, _ in keyed]


def fet_assignments(
    instance: Instance, assignments: pd.DataFrame, activities_xml: Path
) -> pd.DataFrame:
    """The timetable FET made: the exported lessons at the day and hour of FET's
    ``*_activities.xml``, as the contract's assignments table (to check it with ours).

    Raises
    ------
    InstanceError
        When the file cannot be read or names an activity or period that does not exist.
    """
    name = activities_xml.name
    try:
        root = ET.parse(activities_xml).getroot()
    except (OSError, ET.ParseError) as e:
        raise InstanceError([InputIssue(name, None, None, None, f"cannot be read: {e}")]) from e
    lessons = _ordered(assignments)
    rows = []
    issues = []
    for el in root.iter("Activity"):
        ident, day, hour = (el.findtext(tag, "").strip() for tag in ("Id", "Day", "Hour"))
        if not ident.isdigit() or not 1 <= int(ident) <= len(lessons):
            issues.append(InputIssue(name, None, "Id", ident, "is not an exported activity"))
            continue
        alt_id, school_id, class_, _ = lessons[int(ident) - 1]
        period = int(hour[1:]) if hour[:1] == "P" and hour[1:].isdigit() else -1
        day_of = next((d for d in DAYS if d == day), None)
        bell = None
        if day_of is not None:
            bell = next(
                (p for p in instance.periods(school_id, day_of) if p.period == period), None
            )
        if bell is None:
            issues.append(
                InputIssue(name, None, "Hour", f"{day} {hour}", f"is not a period of {school_id}")
            )
            continue
        rows.append(
            {
                "alt_id": alt_id,
                "school_id": school_id,
                "class": class_,
                "day": day,
                "period": period,
                "start": f"{bell.start:%H:%M}",
                "end": f"{bell.end:%H:%M}",
            }
        )
    if issues:
        raise InstanceError(issues)
    return pd.DataFrame(rows, columns=ASSIGNMENT_COLUMNS)


def _refuse_unexportable(instance: Instance, assignments: pd.DataFrame, strict: bool) -> None:
    # FET gets a valid timetable's choice; a broken one would hand it an impossible task.
    issues = [
        InputIssue("assignments.csv", None, None, None, f"breaks a hard rule: {v}")
        for v in (check(instance, assignments) if strict else [])
    ]
    schools: dict[tuple[str, str], set[str]] = defaultdict(set)
    for alt_id, school_id, day in assignments[["alt_id", "school_id", "day"]].itertuples(
        index=False
    ):
        schools[(alt_id, day)].add(school_id)
    for (alt_id, day), ss in sorted(schools.items()):
        if len(ss) > 1:
            issues.append(
                InputIssue(
                    "assignments.csv",
                    None,
                    "school_id",
                    ";".join(sorted(ss)),
                    f"are all visited by {alt_id} on {day}; FET's one hour grid cannot hold "
                    "two schools' bells and the travel between them",
                )
            )
    if issues:
        raise InstanceError(issues)


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    el = ET.SubElement(parent, tag)
    el.text = value
    return el


def _named(parent: ET.Element, tag: str, name: str, students: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    _text(el, "Name", name)
    if students is not None:
        _text(el, "Number_of_Students", students)
    _text(el, "Comments", "")
    return el


def _constraint(parent: ET.Element, tag: str, tail: bool = True, **fields: str) -> ET.Element:
    """A constraint at weight 100%; ``tail`` False leaves Active/Comments to the caller."""
    el = ET.SubElement(parent, tag)
    _text(el, "Weight_Percentage", "100")
    for key, value in fields.items():
        _text(el, key, value)
    if tail:
        _text(el, "Active", "true")
        _text(el, "Comments", "")
    return el


def _not_available(
    parent: ET.Element, tag: str, who_tag: str, who: str, slots: Sequence[tuple[str, int]]
) -> None:
    el = _constraint(parent, tag, tail=False, **{who_tag: who})
    _text(el, "Number_of_Not_Available_Times", str(len(slots)))
    for d, p in slots:
        slot = ET.SubElement(el, "Not_Available_Time")
        _text(slot, "Day", d)
        _text(slot, "Hour", hour_name(p))
    _text(el, "Active", "true")
    _text(el, "Comments", "")
