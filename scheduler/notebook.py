"""Small HTML views for Jupyter: the ``_repr_html_`` of instances, results and comparisons.

Plain HTML with inline styles and every text escaped; no scripts, so a notebook saved with
its outputs shows the same tables on GitHub or after ``nbconvert``.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

import pandas as pd

_TABLE = "border-collapse:collapse;margin:.25rem 0;font-size:.9rem"
_TH = "text-align:left;padding:.15rem .8rem .15rem 0;color:#55606b;font-weight:normal"
_TD = "text-align:left;padding:.15rem .8rem .15rem 0"


def facts_html(title: str, facts: Iterable[tuple[str, object]], note: str = "") -> str:
    """A title over a two-column table of (label, value) rows, and an optional note."""
    rows = "".join(
        f'<tr><th style="{_TH}">{escape(label)}</th>'
        f'<td style="{_TD}">{escape(str(value))}</td></tr>'
        for label, value in facts
    )
    tail = f'<p style="color:#55606b;margin:.25rem 0">{escape(note)}</p>' if note else ""
    table = f'<table style="{_TABLE}">{rows}</table>'
    return f"<div><strong>{escape(title)}</strong>{table}{tail}</div>"


def number(value: object, digits: int = 3) -> str:
    """A value as a person reads it in a table: thousands separated, ``-`` for missing."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return str(value)


def percent(value: float | None) -> str:
    """A ratio as a percentage with one decimal, ``-`` for missing."""
    return "-" if value is None or value != value else f"{100 * value:.1f}\u00a0%"


def frame_html(df: pd.DataFrame, title: str = "", highlight: dict[int, str] | None = None) -> str:
    """A DataFrame as a plain HTML table (index hidden), rows in ``highlight`` tinted.

    ``highlight[i]`` is a CSS colour for the i-th row, e.g. a failed scenario.
    """
    head = "".join(f'<th style="{_TH};font-weight:600">{escape(str(c))}</th>' for c in df.columns)
    body = []
    for i, record in enumerate(df.itertuples(index=False, name=None)):
        tint = f' style="background:{highlight[i]}"' if highlight and i in highlight else ""
        cells = "".join(f'<td style="{_TD}">{escape(number(v))}</td>' for v in record)
        body.append(f"<tr{tint}>{cells}</tr>")
    caption = f"<strong>{escape(title)}</strong>" if title else ""
    return (
        f'<div>{caption}<table style="{_TABLE}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )
