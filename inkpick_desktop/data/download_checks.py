"""Checks a downloaded dataset folder must pass before it is installed.

Three layers, cheapest first:

1. :func:`check_folder` / :func:`check_file`: every file present, header, field
   count of every record, row count as in the registry.
2. :func:`digest_matches`: sha256 of the raw bytes and of the LF-normalised
   bytes against the registry's digests. A mismatch is *not* a refusal (a
   publisher may re-issue a file); the caller reports the file as unverified.
3. :func:`validate_with_loaders`: the real loaders of
   :data:`inkpick_desktop.data.loaders.LOADERS` that use the folder run on a
   temporary root holding the new folder next to the other folders already
   installed; a loader that raises (it refuses a file past its bad-row budget,
   ``csvio.MAX_BAD_FRACTION``) refuses the download.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from inkpick_desktop.data.registry import DatasetFile, DatasetSpec
from inkpick_desktop.engine.errors import DataFormatError, InkpickError

logger = logging.getLogger(__name__)

_ANCHOR_BULLET = re.compile(r"^\s*[*-] \[")
_BLOCK = 1 << 20


# ------------------------------------------------------------------ row checks


def _decode_error(path: Path, encoding: str) -> DataFormatError:
    # Text files decode in blocks, so the reader's position is only roughly where
    # the bad bytes are; decode the raw bytes once more to name the exact place.
    raw = path.read_bytes()
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as exc:
        return DataFormatError(
            f"cannot be decoded as {encoding} at byte offset {exc.start} "
            f"({exc.reason})",
            path=str(path),
            line=raw.count(b"\n", 0, exc.start) + 1,
        )
    return DataFormatError(f"cannot be decoded as {encoding}", path=str(path))


def count_records(path: Path, dfile: DatasetFile) -> tuple[tuple[str, ...] | None, int]:
    """Header and number of data records of a file, checking its column count.

    Raises
    ------
    DataFormatError
        Undecodable text, malformed quoting, or a record with the wrong number
        of fields (names the line).
    """
    fmt = dfile.format
    header: tuple[str, ...] | None = None
    rows = 0
    line_no = 0
    try:
        with open(path, encoding=fmt.encoding, newline="") as fh:
            if fmt.kind == "markdown-links":
                for line in fh:
                    if _ANCHOR_BULLET.match(line) and "](#" not in line:
                        rows += 1
                return None, rows
            if fmt.kind == "csv":
                reader = csv.reader(fh, delimiter=fmt.delimiter, strict=True)
                records = ((reader.line_num, r) for r in reader)
            else:
                records = (
                    (n, line.rstrip("\r\n").split(fmt.delimiter))
                    for n, line in enumerate(fh, 1)
                    if line.strip()
                )
            for line_no, record in records:
                if not record or record == [""]:
                    continue
                if fmt.header is not None and header is None:
                    header = tuple(record)
                    continue
                if fmt.columns and len(record) != fmt.columns:
                    raise DataFormatError(
                        f"has {len(record)} fields, expected {fmt.columns}",
                        path=str(path),
                        line=line_no,
                    )
                rows += 1
    except UnicodeDecodeError:
        raise _decode_error(path, fmt.encoding) from None
    except csv.Error as exc:
        raise DataFormatError(
            f"malformed CSV: {exc}", path=str(path), line=line_no + 1
        ) from None
    return header, rows


def check_file(path: Path, dfile: DatasetFile) -> int:
    """Check one file against the registry; return its number of data rows.

    Raises
    ------
    DataFormatError
        Header differs, a record has the wrong field count, or the row count is
        not the registry's.
    """
    header, rows = count_records(path, dfile)
    expected = dfile.format.header
    if expected is not None and header != expected:
        raise DataFormatError(
            f"header is {list(header or ())}, expected {list(expected)}",
            path=str(path),
            line=1,
        )
    ok = rows >= dfile.rows if dfile.rows_at_least else rows == dfile.rows
    if not ok:
        want = f"at least {dfile.rows}" if dfile.rows_at_least else str(dfile.rows)
        raise DataFormatError(
            f"has {rows} data rows, the registry expects {want}", path=str(path)
        )
    return rows


def check_folder(folder: Path, spec: DatasetSpec) -> dict[str, int]:
    """Check every file of a dataset folder; optional files may be absent.

    Returns data rows per file found. Raises :class:`DataFormatError` for a
    missing required file or any failed :func:`check_file`.
    """
    folder = Path(folder)
    rows: dict[str, int] = {}
    for dfile in spec.files:
        path = folder / dfile.name
        if not path.is_file():
            if dfile.required:
                raise DataFormatError(
                    f"required file of {spec.key!r} is missing", path=str(path)
                )
            continue
        rows[dfile.name] = check_file(path, dfile)
    return rows


def looks_like_html(path: Path) -> bool:
    """Whether a file starts like an HTML page (an error or login page)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))


# --------------------------------------------------------------------- digests


def file_digests(path: Path) -> tuple[str, str]:
    """sha256 of a file's bytes and of its bytes with every CRLF turned into LF."""
    raw = hashlib.sha256()
    lf = hashlib.sha256()
    carry = b""
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            raw.update(block)
            block = carry + block
            # A CR at the end of a block may be the first half of a CRLF.
            carry = b"\r" if block.endswith(b"\r") else b""
            if carry:
                block = block[:-1]
            lf.update(block.replace(b"\r\n", b"\n"))
    lf.update(carry)
    return raw.hexdigest(), lf.hexdigest()


def digest_matches(path: Path, dfile: DatasetFile) -> bool | None:
    """Whether a file matches a registry digest, raw or LF-normalised.

    Returns ``None`` when the registry knows no digest for the file.
    """
    known = dfile.digests
    if not known:
        return None
    raw, lf = file_digests(path)
    return raw in known or lf in known


# --------------------------------------------------------------------- loaders


def _link(target: Path, link: Path) -> None:
    try:
        os.symlink(target, link, target_is_directory=True)
    except OSError:  # no symlink privilege (Windows): copy the folder instead
        shutil.copytree(target, link)


def _unlink(link: Path) -> None:
    if link.is_symlink():
        link.unlink()
    else:
        shutil.rmtree(link, ignore_errors=True)


@contextmanager
def _linked(root: Path, dest_root: Path, folders: list[str]) -> Iterator[None]:
    made: list[Path] = []
    try:
        for name in folders:
            link = root / name
            _link(dest_root / name, link)
            made.append(link)
        yield
    finally:
        for link in made:
            _unlink(link)


def _blames_other_folder(exc: InkpickError, root: Path, key: str) -> bool:
    """Whether an error names a file outside the new folder ``root / key``."""
    path = getattr(exc, "path", None)
    if not path:
        return False
    try:
        rel = Path(path).resolve().relative_to(root.resolve())
    except ValueError:
        rel = None
    if rel is None:
        try:
            rel = Path(path).relative_to(root)
        except ValueError:
            return False
    return bool(rel.parts) and rel.parts[0] != key


def validate_with_loaders(root: Path, key: str, dest_root: Path) -> list[str]:
    """Run every loader that uses folder ``key`` on the new copy ``root / key``.

    ``root`` is a temporary datasets folder holding the new ``key`` folder; the
    loader's other folders are linked in from ``dest_root`` for the run. A loader
    whose other required folders are missing from ``dest_root`` is not run, and
    neither counts a failure blamed on a file of another folder; both are noted.

    Returns
    -------
    list[str]
        Notes for the user (loaders not run, rows the loaders skipped).

    Raises
    ------
    DataFormatError
        A loader refused the new folder (names the loader and its reason).
    """
    from inkpick_desktop.data.loaders import LOADERS

    notes: list[str] = []
    for spec in LOADERS.values():
        if key not in spec.folders and key not in spec.optional_folders:
            continue
        missing = [f for f in spec.folders if f != key and not (dest_root / f).is_dir()]
        if missing:
            notes.append(
                f"not checked with the {spec.label} loader: it also needs "
                f"{', '.join(missing)} (not installed); row checks only"
            )
            continue
        others = [
            f
            for f in (*spec.folders, *spec.optional_folders)
            if f != key and (dest_root / f).is_dir()
        ]
        with _linked(root, dest_root, others):
            try:
                loaded = spec.load(root)
            except InkpickError as exc:
                if _blames_other_folder(exc, root, key):
                    notes.append(
                        f"not checked with the {spec.label} loader: an installed "
                        f"folder fails to load ({exc})"
                    )
                    continue
                shown = str(exc).replace(str(root) + os.sep, "")
                raise DataFormatError(
                    f"the {spec.label} loader refuses the new files: {shown}"
                ) from None
            except Exception as exc:  # a loader bug on hostile data: still refuse
                logger.exception("loader %s failed on the new %s", spec.key, key)
                raise DataFormatError(
                    f"the {spec.label} loader failed on the new files "
                    f"({type(exc).__name__}: {exc})"
                ) from None
        skipped = [w for w in loaded.warnings if key in Path(w.path).parts]
        if skipped:
            notes.append(
                f"the {spec.label} loader reported {len(skipped)} problem(s) in the "
                f"new files, within its tolerance; first: {skipped[0].message}"
            )
        logger.info("%s: loads with %s", key, spec.key)
    return notes
