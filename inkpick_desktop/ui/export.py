"""Export of a result table to CSV, safe to open in a spreadsheet.

A cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab / carriage return,
which some spreadsheets also treat as a formula start) gets a leading ``'`` so a
title like ``=HYPERLINK(...)`` is shown as text instead of being evaluated.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from inkpick_desktop.engine.results import Recommendation, ResultRow
from inkpick_desktop.ui.picks import atomic_write_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

HEADER = (
    "rank",
    "id",
    "title",
    "year",
    "labels",
    "score",
    "content",
    "collaborative",
    "why",
)


def escape_cell(value: object) -> str:
    """The text of one cell, with a ``'`` in front of a formula start."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def row_cells(row: ResultRow) -> list[str]:
    # Numbers are written by us and cannot start with a formula character except
    # "-", which scores in [0, 1] never have; they go through escape_cell anyway.
    values: Sequence[object] = (
        row.rank,
        row.id,
        row.title,
        row.year or "",
        row.labels,
        _score(row.score),
        _score(row.content),
        _score(row.collaborative),
        row.why,
    )
    return [escape_cell(v) for v in values]


def rows_to_csv(rows: Iterable[ResultRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(row_cells(row))
    return buffer.getvalue()


def export_csv(rec: Recommendation, path: Path) -> int:
    """Write the rows of ``rec`` to ``path`` atomically; returns the row count."""
    atomic_write_text(Path(path), rows_to_csv(rec.rows))
    return len(rec.rows)
