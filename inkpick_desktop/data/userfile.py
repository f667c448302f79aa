"""Reading a user file into header + records: kind, decoding, CSV and JSON.

The format rules (extension first, strict quoting, JSON numbers as text) are
described in :mod:`inkpick_desktop.data.importers`, whose public functions are
the only callers.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path

from inkpick_desktop.data.csvio import csv_error_text
from inkpick_desktop.data.model import LABEL_SEP
from inkpick_desktop.engine.errors import (
    DataFormatError,
    DatasetNotFoundError,
    InvalidInputError,
)

DELIMITERS = (",", ";", "\t")
#: Extensions that fix the file kind; anything else is sniffed.
_KIND_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
#: Floats with an integral value up to this magnitude are written as integers.
_EXACT_INT = 2**53

Record = tuple[int | None, dict[str, str]]  # (line or None, column -> value)


def _read(path: Path, limit: int | None = None) -> bytes:
    try:
        with open(path, "rb") as fh:
            raw = fh.read() if limit is None else fh.read(limit + 1)
    except FileNotFoundError:
        raise DatasetNotFoundError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InvalidInputError(f"{path} is a folder, expected a file") from None
    except OSError as exc:
        raise DataFormatError(
            f"cannot be read ({exc.strerror})", path=str(path)
        ) from None
    if limit is not None and len(raw) > limit:
        cut = raw.rfind(b"\n", 0, limit)
        raw = raw[: cut + 1] if cut >= 0 else raw[:limit]
    return raw


def _decode(raw: bytes, path: Path, encoding: str) -> str:
    nul = raw.find(b"\x00") if not encoding.lower().startswith("utf-16") else -1
    if nul >= 0:
        raise DataFormatError(
            f"NUL byte at byte offset {nul} (a binary file?)",
            path=str(path),
            line=raw.count(b"\n", 0, nul) + 1,
        )
    try:
        text = raw.decode(encoding)
    except LookupError:
        raise InvalidInputError(f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 4]
        raise DataFormatError(
            f"bytes cannot be decoded as {encoding} at byte offset {exc.start} "
            f"({bad!r}: {exc.reason})",
            path=str(path),
            line=raw.count(b"\n", 0, exc.start) + 1,
        ) from None
    return text.removeprefix("\ufeff")


def _kind(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in _KIND_BY_SUFFIX:
        return _KIND_BY_SUFFIX[suffix]
    head = text.lstrip()[:1]
    if suffix == ".json":
        return "jsonl" if head == "{" else "json"
    return "json" if head == "[" else "jsonl" if head == "{" else "csv"


def sniff_delimiter(text: str, path: Path | None = None) -> str:
    """The delimiter among ``,`` ``;`` tab that splits the header line most."""
    first = text.lstrip("\r\n").splitlines()[0] if text.strip() else ""
    default = (
        "\t" if path is not None and path.suffix.lower() in (".tsv", ".tab") else ","
    )
    best, best_n = default, 1
    for delim in DELIMITERS:
        n = len(next(csv.reader([first], delimiter=delim), []))
        if n > best_n:
            best, best_n = delim, n
    return best


class _NonFiniteNumber(ValueError):
    """A JSON NaN or Infinity (Python's json module accepts them)."""


def _json_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _NonFiniteNumber(repr(value))
        if value.is_integer() and abs(value) <= _EXACT_INT:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, list):
        return LABEL_SEP.join(_json_value(v) for v in value if v is not None)
    return json.dumps(value, ensure_ascii=False)


def _json_records(text: str, path: Path, kind: str) -> tuple[list[str], list[Record]]:
    objects: list[tuple[int | None, object]] = []
    try:
        if kind == "json":
            data = json.loads(text)
            if not isinstance(data, list):
                raise DataFormatError(
                    f"expected a JSON list of objects, got {type(data).__name__}",
                    path=str(path),
                )
            objects = [(None, obj) for obj in data]
        else:
            for n, raw in enumerate(text.splitlines(), 1):
                if raw.strip():
                    objects.append((n, json.loads(raw)))
    except json.JSONDecodeError as exc:
        bad_line = exc.lineno if kind == "json" else n
        raise DataFormatError(
            f"invalid JSON: {exc.msg}", path=str(path), line=bad_line
        ) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise DataFormatError(
            f"invalid JSON: {exc}",
            path=str(path),
            line=n if kind == "jsonl" else None,
        ) from None
    except RecursionError:
        raise DataFormatError("JSON nested too deeply", path=str(path)) from None

    columns: dict[str, None] = {}
    records: list[Record] = []
    for i, (obj_line, obj) in enumerate(objects, 1):
        if not isinstance(obj, dict):
            where = f"line {obj_line}" if obj_line else f"record {i}"
            raise DataFormatError(
                f"{where} is a JSON {type(obj).__name__}, expected an object",
                path=str(path),
                line=obj_line,
            )
        row: dict[str, str] = {}
        for key, value in obj.items():
            try:
                row[str(key)] = _json_value(value)
            except _NonFiniteNumber as exc:
                where = "" if obj_line else f"record {i}: "
                raise DataFormatError(
                    f"{where}expected a finite number, got {exc}",
                    path=str(path),
                    line=obj_line,
                    field=str(key),
                ) from None
        columns.update(dict.fromkeys(row))
        records.append((obj_line, row))
    return list(columns), records


def _stray_quote(raw: str, delimiter: str) -> int | None:
    """Index of the first field of one raw CSV record that holds a ``"`` without
    being quoted (the csv module keeps such a quote as a literal character)."""
    field, at_start, quoted, i = 0, True, False, 0
    while i < len(raw):
        c = raw[i]
        if quoted:
            if c == '"' and raw[i + 1 : i + 2] == '"':
                i += 1  # a doubled quote inside a quoted field
            elif c == '"':
                quoted = False
        elif c == delimiter:
            field, at_start = field + 1, True
        elif c == '"' and at_start:
            quoted, at_start = True, False
        elif c == '"':
            return field
        else:
            at_start = False
        i += 1
    return None


def _csv_records(
    text: str, path: Path, delimiter: str
) -> tuple[list[str], Iterator[Record]]:
    # The reader is fed the physical lines so that a record holding a quote can
    # be looked at as written (was the quote inside a quoted field or not?).
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    last = 0
    header: list[str] = []

    def check_quotes(start: int, record: list[str]) -> None:
        if not any('"' in v for v in record):
            return
        j = _stray_quote("".join(lines[start - 1 : last]), delimiter)
        if j is None:
            return
        raise DataFormatError(
            f"stray '\"' in the unquoted value {record[j]!r}; a value holding "
            'quotes must be enclosed in double quotes, inner ones doubled ("a""b")',
            path=str(path),
            line=start,
            field=header[j] if j < len(header) else f"column {j + 1}",
        )

    def rows() -> Iterator[tuple[int, list[str]]]:
        nonlocal last
        try:
            for record in reader:
                start, last = last + 1, reader.line_num
                if record and record != [""]:
                    check_quotes(start, record)
                    yield start, record
        except csv.Error as exc:
            raise DataFormatError(
                csv_error_text(exc),
                path=str(path),
                line=last + 1,
            ) from None

    it = rows()
    first = next(it, None)
    if first is None:
        raise DataFormatError("is empty, expected a header row", path=str(path))
    header += [h.strip() for h in first[1]]
    for i, name in enumerate(header):
        if not name:
            raise DataFormatError(
                f"header column {i + 1} has no name", path=str(path), line=1
            )
        if name in header[:i]:
            raise DataFormatError(
                f"header repeats column {name!r}", path=str(path), line=1
            )

    def records() -> Iterator[Record]:
        for line, record in it:
            if len(record) != len(header):
                what = "truncated row: " if len(record) < len(header) else ""
                raise DataFormatError(
                    f"{what}{len(record)} fields, the header has {len(header)}",
                    path=str(path),
                    line=line,
                )
            yield line, dict(zip(header, record, strict=True))

    return header, records()


def open_table(
    path: str | Path,
    delimiter: str | None,
    encoding: str,
    limit: int | None = None,
) -> tuple[list[str], Iterator[Record] | list[Record], str | None, str]:
    path = Path(path)
    if delimiter is not None and delimiter not in DELIMITERS:
        raise InvalidInputError(
            f"delimiter must be one of {DELIMITERS}, got {delimiter!r}"
        )
    text = _decode(_read(path, limit), path, encoding)
    kind = _kind(path, text)
    if kind != "csv":
        columns, json_records = _json_records(text, path, kind)
        return columns, json_records, None, kind
    delim = delimiter or sniff_delimiter(text, path)
    header, records = _csv_records(text, path, delim)
    return header, records, delim, "csv"
