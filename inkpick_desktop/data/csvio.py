"""Strict readers for delimited text files that report file, line and field.

Every dataset loader and the user-file importers read through :func:`read_table`.
The rules (also in ``docs/DATA.md``):

* The whole file is **refused** with :class:`DataFormatError` when it cannot be
  trusted at all: missing file is :class:`DatasetNotFoundError`; bytes that do not
  decode in the declared encoding, a NUL byte, a broken quoted field (the
  ``csv`` module in strict mode), an empty file, a missing required column, or
  more than ``max_bad_fraction`` of the data rows bad.
* A single bad **row** is skipped with a :class:`LoadWarning` naming its line and
  field: wrong number of fields (a truncated row included), a non-numeric or
  out-of-range number, ``nan``/``inf``, a number too large for float32 (the dtype
  every loader stores), an empty required text, a duplicate key (the first
  occurrence is kept). Blank lines are ignored.
* A UTF-8 byte-order mark at the start of a UTF-8 file is dropped.

Reading is two-step: :func:`read_table` splits the file into a :class:`Table` of
string rows; the typed accessors (:meth:`Table.ints`, :meth:`Table.floats`,
:meth:`Table.texts`, :meth:`Table.unique`) mark bad rows; :meth:`Table.finish`
checks the bad-row budget and returns the indices of the rows to keep. Nothing
is half-loaded: a loader builds its result only from kept rows, and an error
leaves no state behind. Source files are only ever opened for reading.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt

from inkpick_desktop.data.model import LABEL_SEP, LoadWarning, StrArray
from inkpick_desktop.engine.errors import (
    DataFormatError,
    DatasetNotFoundError,
    InvalidInputError,
)

logger = logging.getLogger(__name__)

#: Default share of bad data rows above which a file is refused.
MAX_BAD_FRACTION = 0.05
#: Bad rows listed one by one per file; the rest are counted in one summary.
MAX_LISTED_WARNINGS = 20

#: Longest field (in characters) the quoted-CSV readers accept. The ``csv``
#: module's default of 128 KiB refuses real catalogs with long descriptions.
FIELD_SIZE_LIMIT = 16 << 20
# The limit is process-wide state of the csv module; only ever raise it.
csv.field_size_limit(max(csv.field_size_limit(), FIELD_SIZE_LIMIT))

_PLAIN_NUMBER_CHARS = frozenset("0123456789.eE+-")
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
#: A plain decimal number: ASCII digits only, no "_" separators, no nan/inf,
#: no hex. float() and int() accept more (``1_0``, Arabic-Indic digits).
NUMBER_PATTERN = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NON_FINITE_PATTERN = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def finite_as_float32(values: npt.ArrayLike) -> bool:
    """Whether every value stays finite once cast to float32 (the dtype of
    ``Interactions.values``): ``3.4e38`` does, ``3.5e38`` and ``1e39`` do not."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.asarray(values, dtype=np.float32)).all())


@dataclass(frozen=True)
class TextFormat:
    """How one delimited text file is laid out.

    Attributes
    ----------
    delimiter
        Field separator; several characters (``"::"``) only with ``quoting=False``.
    encoding
        Text encoding; ``"utf-8-sig"`` accepts and drops a byte-order mark.
    quoting
        ``True``: standard double-quote CSV quoting, records may span lines.
        ``False``: one record per physical line, quotes are literal characters.
    header
        Whether the first record names the columns.
    names
        Column names when ``header`` is ``False`` (required then).
    max_bad_fraction
        Refuse the file when more than this share of data rows is bad.
    """

    delimiter: str = ","
    encoding: str = "utf-8"
    quoting: bool = True
    header: bool = True
    names: tuple[str, ...] = ()
    max_bad_fraction: float = MAX_BAD_FRACTION

    def __post_init__(self) -> None:
        if not self.delimiter or "\n" in self.delimiter or "\r" in self.delimiter:
            raise InvalidInputError(
                f"delimiter must be a non-empty string without newlines, "
                f"got {self.delimiter!r}"
            )
        if self.quoting and len(self.delimiter) != 1:
            raise InvalidInputError(
                f"a quoted CSV needs a one-character delimiter, got {self.delimiter!r}"
            )
        if not self.header and not self.names:
            raise InvalidInputError("a file without header needs column names")
        if not 0.0 <= self.max_bad_fraction <= 1.0:
            raise InvalidInputError(
                f"max_bad_fraction must be in [0, 1], got {self.max_bad_fraction!r}"
            )
        try:
            "".encode(self.encoding)
        except LookupError:
            raise InvalidInputError(f"unknown encoding {self.encoding!r}") from None


CSV = TextFormat()


@dataclass(eq=False)
class Table:
    """String rows of one file plus the bookkeeping of bad rows.

    ``rows[i]`` came from physical line ``lines[i]`` (1-based, the header is line
    1). ``bad`` marks rows rejected by the typed accessors; ``n_read_bad`` counts
    rows already dropped while splitting (wrong field count); ``dropped`` marks
    rows a loader filters out on purpose.
    """

    path: str
    columns: tuple[str, ...]
    rows: list[list[str]]
    lines: list[int]
    fmt: TextFormat = CSV
    warnings: list[LoadWarning] = field(default_factory=list)
    n_read_bad: int = 0
    bad: set[int] = field(default_factory=set)
    dropped: set[int] = field(default_factory=set)
    _listed: int = 0

    def __len__(self) -> int:
        return len(self.rows)

    def index(self, name: str) -> int:
        """Position of a column; :class:`DataFormatError` when it is missing."""
        try:
            return self.columns.index(name)
        except ValueError:
            raise DataFormatError(
                f"required column {name!r} is missing; the header has "
                f"{', '.join(map(repr, self.columns))}",
                path=self.path,
                line=1 if self.fmt.header else None,
                field=name,
            ) from None

    def column(self, name: str) -> list[str]:
        """Raw strings of a column, one per row (bad rows included)."""
        j = self.index(name)
        return [r[j] for r in self.rows]

    def warn(self, line: int | None, fld: str | None, message: str) -> None:
        """Record a warning, listing at most MAX_LISTED_WARNINGS per file."""
        self._listed += 1
        if self._listed <= MAX_LISTED_WARNINGS:
            self.warnings.append(LoadWarning(self.path, line, fld, message))

    def skip(self, i: int, fld: str | None, message: str) -> None:
        """Mark row ``i`` bad (it is dropped by :meth:`finish`) and warn once."""
        if i in self.bad:
            return
        self.bad.add(i)
        self.warn(self.lines[i], fld, message + "; row skipped")

    def drop(self, i: int) -> None:
        """Leave row ``i`` out on purpose (a filter, not an error): no warning,
        not counted against the bad-row budget."""
        self.dropped.add(i)

    def ints(
        self,
        name: str,
        *,
        lo: int | None = None,
        hi: int | None = None,
        canonical: bool = False,
    ) -> npt.NDArray[np.int64]:
        """A column as int64; rows that are not integers in [lo, hi] are marked bad.

        With ``canonical``, an integer written with leading zeros (``007``,
        ``-0``) is bad too: for ids read as numbers, so that ``str(value)`` gives
        back the file's text and ``007`` never silently becomes id ``7``.
        """
        j = self.index(name)
        col = [r[j] for r in self.rows]
        joined = "".join(col)
        if canonical:
            for i, raw in enumerate(col):
                text = raw.strip()
                if (len(text) > 1 and text[0] == "0") or text[:2] == "-0":
                    self.skip(
                        i,
                        name,
                        f"expected an integer without leading zeros, got {raw!r}",
                    )
        if col and all(col) and joined.isascii() and joined.isdigit():
            # Fast path: every value is plain ASCII digits (numpy parses them).
            try:
                fast = np.array(col).astype(np.int64)
            except (OverflowError, ValueError):
                fast = np.array([-1])  # out of int64: the slow path reports it
            if (
                (fast >= 0).all()
                and (lo is None or lo <= 0 or fast.min() >= lo)
                and (hi is None or fast.max() <= hi)
            ):
                return fast
        out = np.zeros(len(self.rows), dtype=np.int64)
        for i, row in enumerate(self.rows):
            text = row[j].strip()
            body = text[1:] if text[:1] == "-" else text
            if not (body.isascii() and body.isdigit()):
                self.skip(i, name, f"expected an integer, got {row[j]!r}")
                continue
            value = int(text)
            if not _INT64_MIN <= value <= _INT64_MAX:
                self.skip(i, name, f"integer {text} is out of the 64-bit range")
                continue
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                self.skip(i, name, f"expected an integer in [{lo}, {hi}], got {value}")
                continue
            out[i] = value
        return out

    def floats(
        self, name: str, *, lo: float | None = None, hi: float | None = None
    ) -> npt.NDArray[np.float64]:
        """A column as float64; non-numbers, NaN, inf, values outside [lo, hi] and
        values that would overflow float32 mark the row bad.

        Loaders store values as float32 (``Interactions.values``), so a value such
        as ``1e39`` is refused here, with its line, instead of turning into inf
        later. Every returned value is finite as float32.
        """
        j = self.index(name)
        col = [r[j] for r in self.rows]
        if col and all(col) and not set("".join(col)) - _PLAIN_NUMBER_CHARS:
            # Fast path: plain decimal numbers only (no spaces, nan, inf or "_").
            try:
                fast = np.array(col).astype(np.float64)
            except ValueError:
                fast = None
            if (
                fast is not None
                and np.isfinite(fast).all()
                and finite_as_float32(fast)
                and (lo is None or fast.min() >= lo)
                and (hi is None or fast.max() <= hi)
            ):
                return fast
        out = np.zeros(len(self.rows), dtype=np.float64)
        for i, row in enumerate(self.rows):
            text = row[j].strip()
            value = parse_float(text)
            if value is None:
                self.skip(i, name, f"expected a number, got {row[j]!r}")
                continue
            if not math.isfinite(value):
                self.skip(i, name, f"expected a finite number, got {row[j]!r}")
                continue
            if abs(value) > _FLOAT32_MAX and not finite_as_float32(value):
                self.skip(i, name, float32_overflow_message(text))
                continue
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                self.skip(i, name, f"expected a number in [{lo}, {hi}], got {value}")
                continue
            out[i] = value
        return out

    def texts(self, name: str, *, required: bool = False) -> list[str]:
        """A column stripped of surrounding white space; with ``required``, an
        empty value marks the row bad."""
        out = [v.strip() for v in self.column(name)]
        if required:
            for i, v in enumerate(out):
                if not v:
                    self.skip(i, name, "empty value where one is required")
        return out

    def unique(self, name: str, keys: Sequence[object] | None = None) -> None:
        """Mark rows whose key repeats an earlier good row bad (first one kept).

        ``keys`` defaults to the stripped column; pass converted values (ints,
        tuples) to compare those instead.
        """
        values: Sequence[object] = self.texts(name) if keys is None else keys
        first: dict[object, int] = {}
        for i, key in enumerate(values):
            if i in self.bad or i in self.dropped:
                continue
            seen = first.setdefault(key, i)
            if seen != i:
                self.skip(
                    i,
                    name,
                    f"duplicate {name} {key!r} (first on line {self.lines[seen]})",
                )

    def finish(self) -> npt.NDArray[np.intp]:
        """Indices of the good rows; refuse the file past the bad-row budget."""
        n_bad = len(self.bad) + self.n_read_bad
        n_total = len(self.rows) + self.n_read_bad
        if n_bad and n_bad > self.fmt.max_bad_fraction * n_total:
            first = self.warnings[0] if self.warnings else None
            raise DataFormatError(
                f"{n_bad} of {n_total} data rows are bad (more than "
                f"{self.fmt.max_bad_fraction:.0%} allowed); first: "
                f"{first.message if first else '?'}",
                path=self.path,
                line=first.line if first else None,
                field=first.field if first else None,
            )
        if self._listed > MAX_LISTED_WARNINGS:
            self.warnings.append(
                LoadWarning(
                    self.path,
                    None,
                    None,
                    f"{self._listed} problems in total, the first "
                    f"{MAX_LISTED_WARNINGS} listed",
                )
            )
            self._listed = MAX_LISTED_WARNINGS  # summary added once
        if n_bad:
            logger.warning("%s: skipped %d of %d rows", self.path, n_bad, n_total)
        out = self.bad | self.dropped
        keep = [i for i in range(len(self.rows)) if i not in out]
        return np.asarray(keep, dtype=np.intp)


def parse_float(text: str) -> float | None:
    """``text`` as a float when it is a plain decimal number (see
    :data:`NUMBER_PATTERN`) or a spelling of nan/inf (which the caller refuses
    with its own message); ``None`` for anything else (``1_0``, ``\u0661``,
    ``0x1p3``, empty)."""
    if NUMBER_PATTERN.fullmatch(text):
        return float(text)
    if _NON_FINITE_PATTERN.fullmatch(text):
        return float(text)
    return None


def float32_overflow_message(text: str) -> str:
    """What is wrong with a number too large for float32."""
    return (
        f"number {text} is too large: values are stored as float32, at most "
        f"{_FLOAT32_MAX:.7g} in magnitude"
    )


def is_utf8(encoding: str) -> bool:
    """Whether ``encoding`` names plain UTF-8 (not ``utf-8-sig``, which drops a
    byte-order mark by itself)."""
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def read_text(path: Path | str, encoding: str = "utf-8") -> str:
    """Decode a whole file strictly; undecodable bytes refuse it with their line.

    A leading byte-order mark is dropped from UTF-8 files (editors on Windows
    write one; it would otherwise stick to the first column name)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise DatasetNotFoundError(f"{p}: file not found") from None
    except OSError as exc:
        raise DataFormatError(
            f"cannot read the file: {exc.strerror}", path=str(p)
        ) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataFormatError(
            f"bytes {data[exc.start : exc.end]!r} at offset {exc.start} are not valid "
            f"{encoding}",
            path=str(p),
            line=line,
        ) from None
    return text.removeprefix("\ufeff") if is_utf8(encoding) else text


def _split_quoted(
    text: str, path: str, fmt: TextFormat
) -> Iterable[tuple[int, list[str]]]:
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=fmt.delimiter, strict=True
    )
    start = 1
    try:
        for record in reader:
            yield start, record
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataFormatError(csv_error_text(exc), path=path, line=start) from None


def csv_error_text(exc: csv.Error) -> str:
    """Words for a ``csv`` module error; the field-size one names the limit."""
    if "field larger than field limit" in str(exc):
        return (
            f"a field is longer than {csv.field_size_limit():,} characters "
            "(the field size limit); a quote left open would do this"
        )
    return f"malformed CSV quoting ({exc})"


def _split_plain(text: str, fmt: TextFormat) -> Iterable[tuple[int, list[str]]]:
    # Only "\n" ends a record: str.splitlines would also split on U+2028 and
    # friends, which may occur inside names.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line[:-1] if line.endswith("\r") else line
        yield number, (line.split(fmt.delimiter) if line else [])


def read_table(
    path: Path | str, fmt: TextFormat = CSV, *, required: Sequence[str] = ()
) -> Table:
    """Split a delimited file into string rows.

    Parameters
    ----------
    path
        The file; it is only read.
    fmt
        Its layout.
    required
        Columns that must exist (checked against the header or ``fmt.names``).

    Returns
    -------
    Table
        Rows with the expected number of fields; other rows are already counted
        as bad with a warning.

    Raises
    ------
    DatasetNotFoundError
        The file does not exist.
    DataFormatError
        Undecodable bytes, a NUL byte, broken quoting, no header, a missing
        required column.
    """
    p = str(path)
    text = read_text(path, fmt.encoding)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DataFormatError("the file contains a NUL byte", path=p, line=line)
    records = _split_quoted(text, p, fmt) if fmt.quoting else _split_plain(text, fmt)

    columns: tuple[str, ...] = fmt.names
    if fmt.header:
        for _, record in records:
            if record:
                columns = tuple(c.strip() for c in record)
                break
        else:
            raise DataFormatError("the file is empty (no header line)", path=p, line=1)
    table = Table(p, columns, [], [], fmt)
    for name in required:
        table.index(name)

    width = len(columns)
    for line, record in records:
        if not record or (len(record) == 1 and not record[0].strip() and width > 1):
            continue  # blank line
        if len(record) != width:
            table.n_read_bad += 1
            what = "truncated row" if len(record) < width else "too many fields"
            table.warn(
                line,
                None,
                f"{what}: expected {width} fields, got {len(record)}; row skipped",
            )
            continue
        table.rows.append(record)
        table.lines.append(line)
    if not table.rows and not table.n_read_bad and not fmt.header:
        raise DataFormatError("the file has no data rows", path=p)
    return table


def text_array(values: Iterable[str]) -> StrArray:
    """A 1-D array of Python ``str`` (dtype object).

    Loaders use object arrays rather than fixed-width ``'U'`` arrays because a
    ``'U'`` array pads every value to the longest one: the MovieLens tags field
    would take about 700 MB that way. Typed as ``StrArray`` (what the data model
    declares: an array of str); the runtime dtype is ``object``.
    """
    items = list(values)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return cast(StrArray, out)


def join_labels(labels: Iterable[str]) -> str:
    """Labels joined by LABEL_SEP: stripped, empty ones dropped, duplicates
    (case-folded) dropped keeping the first, a literal separator replaced."""
    seen: set[str] = set()
    out: list[str] = []
    for label in labels:
        text = " ".join(label.replace(LABEL_SEP, "/").split())
        key = text.casefold()
        if text and key not in seen:
            seen.add(key)
            out.append(text)
    return LABEL_SEP.join(out)


# Characters cp1252 puts in 0x80-0x9F (where Latin-1 has control codes).
_CP1252_BYTE = {
    bytes([b]).decode("cp1252"): b
    for b in range(0x80, 0xA0)
    if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as cp1252/Latin-1 once too often.

    ``"SeÃ±or"`` gives ``"Señor"``. The text is re-encoded byte for byte (cp1252
    for the characters only cp1252 has, Latin-1 otherwise) and decoded as UTF-8;
    when any character cannot be re-encoded, or the bytes are not valid UTF-8,
    the text is returned unchanged, so correct text such as ``"Recórcholis"`` is
    left alone.
    """
    if text.isascii():
        return text
    buf = bytearray()
    for ch in text:
        code = ord(ch)
        if code < 0x100:
            buf.append(code)
        elif ch in _CP1252_BYTE:
            buf.append(_CP1252_BYTE[ch])
        else:
            return text
    try:
        return buf.decode("utf-8")
    except UnicodeDecodeError:
        return text


def source_name(root: Path, path: Path) -> str:
    """A source file as recorded in LoadedDataset.sources: relative to the
    datasets root, with forward slashes."""
    return Path(path).relative_to(root).as_posix()


def require_file(path: Path) -> Path:
    """``path`` itself, or :class:`DatasetNotFoundError` naming it."""
    if not path.is_file():
        raise DatasetNotFoundError(f"{path}: file not found")
    return path
