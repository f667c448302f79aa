"""Fetch a dataset from its publisher, resume interrupted transfers, verify, install.

:func:`download_dataset` streams each publisher URL of a
:class:`~inkpick_desktop.data.registry.DatasetSpec` to a ``.part`` file under
``<dest_root>/.inkpick-downloads/<key>/`` with plain :mod:`urllib`. After an
interruption (the connection drops, the process stops, the user cancels) the next
attempt asks for the rest with a ``Range`` request; a server answering ``206``
continues the file, one answering ``200`` (Range ignored) restarts it from zero,
and a partial file that does not fit what the server reports (wrong offset, other
total length) is discarded and fetched again.

Nothing reaches ``<dest_root>/<key>/`` unchecked: files are assembled (copied or
extracted from the archive) in a temporary folder next to it, every file is
checked against the registry (present, header, column count, row count), and
only then the folder is renamed into place. A check that fails raises
:class:`~inkpick_desktop.engine.errors.DataFormatError` and leaves the final
folder as it was.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

from inkpick_desktop import __version__
from inkpick_desktop.data import registry
from inkpick_desktop.data.registry import DatasetFile, DatasetSpec, DownloadSource
from inkpick_desktop.engine.errors import (
    CancelledError,
    DataFormatError,
    InkpickError,
    InvalidInputError,
)
from inkpick_desktop.engine.progress import CancelToken, ProgressCallback, no_progress

logger = logging.getLogger(__name__)

CHUNK = 1 << 16
WORK_DIR = ".inkpick-downloads"
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_ANCHOR_BULLET = re.compile(r"^\s*[*-] \[")


class DownloadError(InkpickError):
    """A transfer failed (HTTP error, connection lost too often, bad archive)."""


@dataclass(frozen=True)
class DownloadResult:
    """What :func:`download_dataset` installed.

    Attributes
    ----------
    key
        Dataset folder key.
    folder
        The installed folder ``<dest_root>/<key>``.
    rows
        Data rows per installed file, as checked.
    bytes_fetched
        Bytes received over the network by this call (resumed parts excluded).
    """

    key: str
    folder: Path
    rows: Mapping[str, int]
    bytes_fetched: int


# ------------------------------------------------------------------ verification


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


# ---------------------------------------------------------------------- transfer


def _effective_url(url: str, base_url_override: str | None) -> str:
    if not base_url_override:
        return url
    name = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]
    return base_url_override.rstrip("/") + "/" + name


def _read_meta(meta_path: Path) -> dict[str, object]:
    try:
        data = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _discard(*paths: Path) -> None:
    for p in paths:
        p.unlink(missing_ok=True)


def fetch(
    url: str,
    part: Path,
    *,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    stage: str = "downloading",
    retries: int = 3,
    timeout: float = 30.0,
) -> int:
    """Stream ``url`` into ``part``, resuming what a previous attempt left there.

    A sidecar ``<part>.json`` remembers the URL and total length so that a later
    call can tell whether the partial file belongs to the same transfer.

    Returns
    -------
    int
        Bytes received by this call.

    Raises
    ------
    DownloadError
        HTTP error status, or the connection failed more than ``retries`` times.
    CancelledError
        ``cancel`` was set; the partial file is kept for a later resume.
    """
    if retries < 0:
        raise InvalidInputError(f"retries must be >= 0, got {retries!r}")
    part.parent.mkdir(parents=True, exist_ok=True)
    meta_path = part.with_name(part.name + ".json")
    received = 0
    failures = 0
    while True:
        meta = _read_meta(meta_path)
        if part.exists() and meta.get("url") != url:
            _discard(part, meta_path)
            meta = {}
        offset = part.stat().st_size if part.exists() else 0
        known_total = meta.get("total")
        if isinstance(known_total, int) and offset == known_total:
            return received  # a previous call finished this file
        if isinstance(known_total, int) and offset > known_total:
            logger.warning("%s: partial file longer than the file; restarting", part)
            _discard(part, meta_path)
            continue
        headers = {"User-Agent": f"Inkpick/{__version__}"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        request = urllib.request.Request(url, headers=headers)
        try:
            response = urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and offset:
                logger.warning("%s: server refused the resume range; restarting", url)
                _discard(part, meta_path)
                continue
            raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, HTTPException) as exc:
            failures += 1
            if failures > retries:
                raise DownloadError(f"{url}: cannot connect ({exc})") from None
            logger.warning("%s: connection failed (%s), retrying", url, exc)
            continue

        with response:
            if response.status == 206 and offset:
                match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                total = int(match.group(3)) if match and match.group(3) != "*" else None
                consistent = (
                    match is not None
                    and int(match.group(1)) == offset
                    and (not isinstance(known_total, int) or total == known_total)
                )
                if not consistent:
                    logger.warning("%s: partial file does not match; restarting", url)
                    _discard(part, meta_path)
                    continue
                mode = "ab"
                logger.info("%s: resuming at byte %d", url, offset)
            elif response.status == 200:
                if offset:
                    logger.info("%s: server ignored Range; restarting", url)
                offset = 0
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                mode = "wb"
            else:
                raise DownloadError(f"{url}: unexpected HTTP {response.status}")
            meta_path.write_text(json.dumps({"url": url, "total": total}), "utf-8")

            done = offset
            try:
                with open(part, mode) as out:
                    while True:
                        if cancel is not None and cancel.cancelled:
                            raise CancelledError(f"download of {url} cancelled")
                        chunk = response.read(CHUNK)
                        if not chunk:
                            break
                        out.write(chunk)
                        done += len(chunk)
                        received += len(chunk)
                        progress(stage, done / total if total else -1.0)
                    out.flush()
                    os.fsync(out.fileno())
            except (OSError, HTTPException) as exc:
                logger.warning(
                    "%s: transfer interrupted at %d bytes (%s)", url, done, exc
                )
            if total is None or done == total:
                return received
        failures += 1
        if failures > retries:
            raise DownloadError(
                f"{url}: connection lost {failures} times, {done} of {total} bytes "
                "kept; run the download again to resume"
            )
        logger.warning("%s: got %d of %s bytes, resuming", url, done, total)


# ----------------------------------------------------------------- installation


def _extract(
    archive: Path,
    source: DownloadSource,
    into: Path,
    optional: set[str],
    cancel: CancelToken | None,
) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            names = set(zf.namelist())
            for member, target in source.members:
                if member not in names:
                    if target in optional:
                        continue
                    shown = ", ".join(sorted(names)[:10])
                    raise DownloadError(
                        f"{source.url}: archive has no member {member!r} "
                        f"(it holds {shown})"
                    )
                with zf.open(member) as src, open(into / target, "wb") as dst:
                    while block := src.read(CHUNK):
                        if cancel is not None and cancel.cancelled:
                            raise CancelledError("extraction cancelled")
                        dst.write(block)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        _discard(archive, archive.with_name(archive.name + ".json"))
        raise DownloadError(
            f"{source.url}: not a readable zip archive ({exc})"
        ) from None


def download_dataset(
    key: str | DatasetSpec,
    dest_root: str | os.PathLike[str],
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    base_url_override: str | None = None,
    retries: int = 3,
    timeout: float = 30.0,
) -> DownloadResult:
    """Download, verify and install one dataset folder under ``dest_root``.

    Parameters
    ----------
    key
        Registry key (``"movielens-latest-small"``) or a spec.
    dest_root
        Datasets folder; the dataset lands in ``dest_root / key``, replacing an
        existing folder only once the new one has passed every check.
    progress, cancel
        Progress callback (stage, fraction) and cancel token.
    base_url_override
        Fetch each file's last URL path segment from this base instead of the
        publisher (a mirror, or a local test server).
    retries, timeout
        Reconnections allowed per file, and the socket timeout in seconds.

    Raises
    ------
    DownloadError
        No direct download exists (the message says how to get it by hand), or
        the transfer failed.
    DataFormatError
        The downloaded files do not match the registry.
    CancelledError
        Cancelled; partial downloads are kept for a later resume.
    """
    spec = key if isinstance(key, DatasetSpec) else registry.get(key)
    if spec.download is None:
        raise DownloadError(f"{spec.title} has no direct download. {spec.manual}")
    report = progress or no_progress
    root = Path(dest_root)
    root.mkdir(parents=True, exist_ok=True)
    work = root / WORK_DIR / spec.key
    final = root / spec.key
    staging = Path(tempfile.mkdtemp(prefix=f".{spec.key}-", dir=root))
    fetched = 0
    optional = {f.name for f in spec.files if not f.required}
    sources = spec.download.sources
    try:
        for i, source in enumerate(sources, 1):
            url = _effective_url(source.url, base_url_override)
            name = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1] or "download"
            part = work / f"{i}-{name}.part"
            stage = f"downloading {spec.key}: {name} ({i}/{len(sources)})"
            logger.info("fetching %s into %s", url, part)
            fetched += fetch(
                url,
                part,
                progress=report,
                cancel=cancel,
                stage=stage,
                retries=retries,
                timeout=timeout,
            )
            if source.is_archive:
                report(f"extracting {name}", -1.0)
                _extract(part, source, staging, optional, cancel)
            else:
                assert source.file is not None
                shutil.copyfile(part, staging / source.file)
        report(f"checking {spec.key}", -1.0)
        try:
            rows = check_folder(staging, spec)
        except DataFormatError as exc:
            shutil.rmtree(work, ignore_errors=True)  # wrong data: no point resuming
            raise DataFormatError(f"download of {spec.key!r} refused: {exc}") from None
        _install(staging, final)
        shutil.rmtree(work, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        _prune_empty(root / WORK_DIR)
    logger.info("installed %s (%d bytes fetched)", final, fetched)
    report(f"installed {spec.key}", 1.0)
    return DownloadResult(spec.key, final, rows, fetched)


def _install(staging: Path, final: Path) -> None:
    if not final.exists():
        os.replace(staging, final)
        return
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(final, old)
    try:
        os.replace(staging, final)
    except OSError:
        os.replace(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _prune_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
