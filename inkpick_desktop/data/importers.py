"""Import a user's own catalog (CSV, TSV, JSON) and interactions (CSV, JSON).

The app's column-mapping dialog shows :func:`preview`; :func:`import_items` and
:func:`import_interactions` then read the whole file with the chosen mapping.

Formats
-------
* The kind is decided by the extension first: ``.csv``/``.tsv``/``.tab`` are
  delimited text, ``.json`` a JSON list (or JSON lines when it starts with
  ``{``), ``.jsonl``/``.ndjson`` JSON lines. Any other extension is sniffed from
  the first character (``[`` JSON, ``{`` JSON lines, else delimited text).
* Delimited text with a header row. The delimiter is sniffed among ``,``, ``;``
  and tab from the header line (``.tsv``/``.tab`` files default to tab) unless
  given; standard double-quote quoting, fields may span lines, a field may
  hold up to 16 Mi characters (:data:`~inkpick_desktop.data.csvio.FIELD_SIZE_LIMIT`).
  A ``"`` inside an unquoted field (``Al"pha``) is refused: such a field must be
  quoted with the inner quote doubled (``"Al""pha"``).
* JSON: a list of objects, or JSON lines (one object per line). Lists inside a
  value become labels; ``null`` is an empty value; keys missing from an object
  are empty values. Numbers become their text; a float with an integral value
  up to 2**53 becomes the integer's text (``1.0`` -> ``"1"``, so ids ``1`` and
  ``1.0`` are the same id). ``NaN`` and ``Infinity`` are refused.
* Label columns hold several labels split on ``|``, else ``;``, else ``,``.
* Numbers (values) are plain ASCII decimals (``4``, ``-2.5``, ``1e3``); ``1_0``
  and non-ASCII digits are refused although Python's ``float`` accepts them, and
  so is any value that is not finite as float32 (``3.5e38``, ``1e300``), the
  dtype values are stored in. Timestamps are ASCII integers within int64, or
  ISO 8601 dates. Years are 1-4 ASCII digits.

Skip or refuse
--------------
A user file is **refused** (:class:`DataFormatError` naming file, line and
field) whenever its content or the chosen mapping looks wrong, so the dialog can
point at the exact place: bytes that do not decode (with the byte offset), a NUL
byte, broken quoting or JSON, a row with more or fewer fields than the header
(a truncated row), a stray quote, a mapped column that is not in the file, an
empty id, title, user id or item id, a duplicate catalog id, a non-numeric,
``nan``, infinite or float32-overflowing value, a bad year or timestamp, or no
data row at all. Blank lines are ignored.

Only one thing is **skipped**: an interaction whose item id is not in the
catalog (histories often span items a catalog lacks). The skipped rows are
counted in one :class:`~inkpick_desktop.data.model.LoadWarning` and logged;
when *every* row is unknown the file is refused, since the mapping is then
almost certainly wrong.

Repeated ``(user, item)`` pairs in a history are **kept**, every one of them
(a play log repeats items on purpose), and counted in one warning; the
collaborative model then sums them or counts the pair once, depending on the
domain's value transform (``engine.factor_inputs.interactions_to_matrix``).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from inkpick_desktop.data.csvio import (
    NUMBER_PATTERN,
    finite_as_float32,
    float32_overflow_message,
    text_array,
)
from inkpick_desktop.data.model import (
    LABEL_SEP,
    Catalog,
    Interactions,
    LoadedDataset,
    LoadWarning,
)
from inkpick_desktop.data.userfile import DELIMITERS, open_table, sniff_delimiter
from inkpick_desktop.engine.errors import DataFormatError, InvalidInputError

__all__ = [
    "DELIMITERS",
    "PREVIEW_BYTES",
    "Preview",
    "import_interactions",
    "import_items",
    "preview",
    "sniff_delimiter",
]

logger = logging.getLogger(__name__)

#: Bytes read for a preview; the cut falls on a line end.
PREVIEW_BYTES = 4 << 20
_LABEL_SPLIT = ("|", ";", ",")
_YEAR = re.compile(r"[0-9]{1,4}")
_INTEGER = re.compile(r"-?[0-9]+")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Preview:
    """The first rows of a user file, for the column-mapping dialog.

    ``delimiter`` is ``None`` for JSON; ``rows`` are aligned with ``columns``.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    delimiter: str | None
    encoding: str
    format: str  # "csv", "json" or "jsonl"


def _require_columns(
    path: Path, columns: Sequence[str], wanted: dict[str, str]
) -> None:
    for role, name in wanted.items():
        if name not in columns:
            raise DataFormatError(
                f"{role} column {name!r} is not in the file; columns: {list(columns)}",
                path=str(path),
                line=1,
                field=name,
            )


def _split_labels(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    sep = next((s for s in _LABEL_SPLIT if s in value), None)
    parts = value.split(sep) if sep else [value]
    return LABEL_SEP.join(dict.fromkeys(p.strip() for p in parts if p.strip()))


def _number(path: Path, line: int | None, field: str, raw: str) -> float:
    text = raw.strip()
    if NUMBER_PATTERN.fullmatch(text):
        value = float(text)
    else:
        try:
            value = float(text)  # only to tell nan/inf apart from non-numbers
        except ValueError:
            value = 0.0
        if math.isfinite(value):
            raise DataFormatError(
                f"expected a number, got {raw!r} (plain ASCII decimals such as 4, "
                "-3.5 or 1e3)",
                path=str(path),
                line=line,
                field=field,
            )
    if not math.isfinite(value):
        raise DataFormatError(
            f"expected a finite number, got {raw!r}",
            path=str(path),
            line=line,
            field=field,
        )
    if not finite_as_float32(value):
        raise DataFormatError(
            float32_overflow_message(text), path=str(path), line=line, field=field
        )
    return value


def _timestamp(path: Path, line: int | None, field: str, raw: str) -> int:
    text = raw.strip()
    if _INTEGER.fullmatch(text):
        digits = text.lstrip("-").lstrip("0")
        if len(digits) > 19 or not _INT64_MIN <= int(text) <= _INT64_MAX:
            raise DataFormatError(
                f"timestamp {text} is out of the 64-bit range (Unix seconds, at "
                f"most {_INT64_MAX})",
                path=str(path),
                line=line,
                field=field,
            )
        return int(text)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return int(when.timestamp())
    except (ValueError, OverflowError, OSError):
        raise DataFormatError(
            f"expected Unix seconds or an ISO 8601 date, got {raw!r}",
            path=str(path),
            line=line,
            field=field,
        ) from None


# ---------------------------------------------------------------------- public


def preview(
    path: str | Path,
    n: int = 20,
    *,
    delimiter: str | None = None,
    encoding: str = "utf-8",
) -> Preview:
    """Columns and the first ``n`` rows of a user file (reads at most 4 MiB)."""
    if not isinstance(n, int) or n < 0:
        raise InvalidInputError(f"n must be a non-negative int, got {n!r}")
    columns, records, delim, kind = open_table(path, delimiter, encoding, PREVIEW_BYTES)
    rows: list[tuple[str, ...]] = []
    for _, row in records:
        if len(rows) >= n:
            break
        rows.append(tuple(row.get(c, "") for c in columns))
    return Preview(tuple(columns), tuple(rows), delim, encoding, kind)


def import_items(
    path: str | Path,
    *,
    id_column: str,
    title_column: str,
    text_columns: Sequence[str],
    label_columns: Sequence[str] = (),
    year_column: str | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    domain: str = "custom",
) -> LoadedDataset:
    """Read a user's catalog into a :class:`LoadedDataset` without interactions.

    Parameters
    ----------
    path
        CSV/TSV (header row) or JSON (list of objects, or JSON lines).
    id_column, title_column
        Columns giving the unique external id and the display title.
    text_columns, label_columns
        Columns kept as free-text fields and as label fields (split on ``|``,
        ``;`` or ``,``); each becomes ``catalog.fields[column]``.
    year_column
        Optional column of whole years (empty means unknown, stored as 0).
    delimiter, encoding
        ``None`` sniffs the delimiter among ``,`` ``;`` tab.
    domain
        Domain key given to the catalog.

    Raises
    ------
    DataFormatError
        See the module docstring for what refuses a file.
    """
    path = Path(path)
    text_columns, label_columns = tuple(text_columns), tuple(label_columns)
    overlap = set(text_columns) & set(label_columns)
    if overlap:
        raise InvalidInputError(f"columns {sorted(overlap)} are both text and labels")
    columns, records, _, _ = open_table(path, delimiter, encoding)
    wanted = {"id": id_column, "title": title_column}
    wanted |= {f"text {i + 1}": c for i, c in enumerate(text_columns)}
    wanted |= {f"label {i + 1}": c for i, c in enumerate(label_columns)}
    if year_column:
        wanted["year"] = year_column
    _require_columns(path, columns, wanted)

    ids: list[str] = []
    titles: list[str] = []
    years: list[int] = []
    fields: dict[str, list[str]] = {c: [] for c in (*text_columns, *label_columns)}
    first_seen: dict[str, int | None] = {}
    for n, (line, row) in enumerate(records, 1):
        where = "" if line else f"record {n}: "
        item_id = row.get(id_column, "").strip()
        if not item_id:
            raise DataFormatError(
                f"{where}empty id", path=str(path), line=line, field=id_column
            )
        if item_id in first_seen:
            prev = first_seen[item_id]
            raise DataFormatError(
                f"{where}duplicate id {item_id!r}"
                + (f" (first on line {prev})" if prev else ""),
                path=str(path),
                line=line,
                field=id_column,
            )
        first_seen[item_id] = line
        title = row.get(title_column, "").strip()
        if not title:
            raise DataFormatError(
                f"{where}empty title", path=str(path), line=line, field=title_column
            )
        year = 0
        if year_column:
            raw = row.get(year_column, "").strip()
            if raw and not _YEAR.fullmatch(raw):
                raise DataFormatError(
                    f"{where}expected a whole year such as 1972, got {raw!r}",
                    path=str(path),
                    line=line,
                    field=year_column,
                )
            year = int(raw) if raw else 0
        ids.append(item_id)
        titles.append(title)
        years.append(year)
        for c in text_columns:
            fields[c].append(row.get(c, "").strip())
        for c in label_columns:
            fields[c].append(_split_labels(row.get(c, "")))
    if not ids:
        raise DataFormatError("has a header but no data rows", path=str(path))

    catalog = Catalog(
        domain=domain,
        # Object arrays of str, as the loaders build: a 'U' array would pad every
        # value to the longest one (one 120,000-character description in 5,000
        # rows would take 2.4 GB).
        ids=text_array(ids),
        titles=text_array(titles),
        years=np.array(years, dtype=np.int32),
        fields={c: text_array(v) for c, v in fields.items()},
        label_fields=label_columns,
    )
    logger.info("imported %d items from %s", catalog.n_items, path)
    return LoadedDataset(
        key=f"import:{path.name}",
        catalog=catalog,
        interactions=None,
        sources=(str(path),),
        interactions_note="Imported items have no user data; import a history "
        "file to use the collaborative mode.",
    )


def import_interactions(
    path: str | Path,
    catalog: Catalog,
    *,
    user_column: str,
    item_column: str,
    value_column: str | None = None,
    timestamp_column: str | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    warnings_out: list[LoadWarning] | None = None,
) -> Interactions:
    """Read user-item events against ``catalog``.

    Rows naming an item id absent from the catalog are skipped; one
    :class:`LoadWarning` counting them is appended to ``warnings_out`` (when
    given) and logged. Without ``value_column`` every event has value 1
    (``value_kind="implicit"``), else the numbers as given (``"rating"``).
    ``timestamp_column`` takes Unix seconds or ISO 8601 dates (UTC if no zone).

    Raises
    ------
    DataFormatError
        See the module docstring; also when no row names a catalog item.
    """
    path = Path(path)
    columns, records, _, _ = open_table(path, delimiter, encoding)
    wanted = {"user": user_column, "item": item_column}
    if value_column:
        wanted["value"] = value_column
    if timestamp_column:
        wanted["timestamp"] = timestamp_column
    _require_columns(path, columns, wanted)

    user_index: dict[str, int] = {}
    users: list[int] = []
    items: list[int] = []
    values: list[float] = []
    stamps: list[int] = []
    unknown: dict[str, None] = {}
    skipped = 0
    first_skip: int | None = None
    total = 0
    first_pair: dict[tuple[int, int], str] = {}  # (user, item) -> "line 2"
    n_repeats = 0
    first_repeat: LoadWarning | None = None
    for n, (line, row) in enumerate(records, 1):
        total += 1
        where = "" if line else f"record {n}: "
        user = row.get(user_column, "").strip()
        if not user:
            raise DataFormatError(
                f"{where}empty user id", path=str(path), line=line, field=user_column
            )
        item_id = row.get(item_column, "").strip()
        if not item_id:
            raise DataFormatError(
                f"{where}empty item id", path=str(path), line=line, field=item_column
            )
        value = 1.0
        if value_column:
            value = _number(path, line, value_column, row.get(value_column, ""))
        stamp = 0
        if timestamp_column:
            stamp = _timestamp(
                path, line, timestamp_column, row.get(timestamp_column, "")
            )
        item = catalog.index_of.get(item_id)
        if item is None:
            skipped += 1
            first_skip = first_skip or line
            if len(unknown) < 5:
                unknown[item_id] = None
            continue
        u = user_index.setdefault(user, len(user_index))
        here = f"line {line}" if line else f"record {n}"
        first = first_pair.setdefault((u, item), here)
        if first != here:
            n_repeats += 1
            if first_repeat is None:
                first_repeat = LoadWarning(
                    str(path),
                    line,
                    item_column,
                    f"user {user!r} and item {item_id!r} (first on {first})",
                )
        users.append(u)
        items.append(item)
        values.append(value)
        stamps.append(stamp)
    if total == 0:
        raise DataFormatError("has a header but no data rows", path=str(path))
    examples = ", ".join(repr(u) for u in unknown)
    if not items:
        raise DataFormatError(
            f"none of the {total} rows names an item of the {catalog.domain} catalog "
            f"(e.g. {examples}); is {item_column!r} the right column?",
            path=str(path),
            field=item_column,
        )
    found: list[LoadWarning] = []
    if skipped:
        found.append(
            LoadWarning(
                str(path),
                first_skip,
                item_column,
                f"skipped {skipped} of {total} rows whose item is not in the catalog "
                f"(e.g. {examples})",
            )
        )
    if first_repeat is not None:
        found.append(
            LoadWarning(
                first_repeat.path,
                first_repeat.line,
                first_repeat.field,
                f"{n_repeats} rows repeat the (user, item) pair of an earlier row, "
                f"e.g. {first_repeat.message}; all kept (the collaborative model "
                "sums them or counts the pair once)",
            )
        )
    for warning in found:
        logger.warning("%s", warning)
    if warnings_out is not None:
        warnings_out.extend(found)

    return Interactions(
        user_ids=text_array(user_index),
        users=np.array(users, dtype=np.int32),
        items=np.array(items, dtype=np.int32),
        values=np.array(values, dtype=np.float32),
        n_items=catalog.n_items,
        value_kind="rating" if value_column else "implicit",
        timestamps=np.array(stamps, dtype=np.int64) if timestamp_column else None,
    )
