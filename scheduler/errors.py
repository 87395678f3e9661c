"""Errors and warnings about a branch's input tables.

Every problem is an :class:`InputIssue` that names the file, the row, the column and the bad
value, so a branch scheduler can find it in the spreadsheet. Readers collect all issues before
raising one :class:`InstanceError`, so the user sees every mistake at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.text import visible


@dataclass(frozen=True, order=True)
class InputIssue:
    """One problem in the input, located as precisely as the source allows.

    ``row`` is the spreadsheet row number (the header is row 1, the first record row 2);
    ``None`` where the problem concerns a whole file or column.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        # The value, the column and even the file name come from the user's data: control
        # characters in them are shown as escapes, so printing a message cannot drive the
        # terminal. Line breaks in a message (a YAML parser's) are the message's own.
        where = visible(self.file)
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            column = visible(self.column)
            where += f", column {column}" if self.row is not None else f" column {column}"
        message = visible(self.message, keep="\n")
        if self.value is not None:
            return f'{where}: "{visible(self.value)}" {message}'
        return f"{where}: {message}"


class InstanceError(ValueError):
    """The input tables hold one or more errors; ``issues`` lists all of them."""

    def __init__(self, issues: list[InputIssue]) -> None:
        self.issues = sorted(set(issues), key=_issue_key)
        super().__init__("\n".join(str(i) for i in self.issues))


class InstanceWarning(UserWarning):
    """Suspicious but legal input, e.g. a 40-minute period or an unreachable class."""


def _issue_key(issue: InputIssue) -> tuple[str, int, str, str]:
    return (issue.file, issue.row or 0, issue.column or "", issue.message)
