"""Fetch a dataset from its publisher, resume interrupted transfers, verify, install.

:func:`download_dataset` streams each publisher URL of a
:class:`~inkpick_desktop.data.registry.DatasetSpec` to a ``.part`` file under
``<dest_root>/.inkpick-downloads/<key>/`` with plain :mod:`urllib`. After an
interruption (the connection drops, the process stops, the user cancels) the next
attempt asks for the rest with a ``Range`` request; a server answering ``206``
continues the file, one answering ``200`` (Range ignored) restarts it from zero,
and a partial file that does not fit what the server reports (wrong offset, other
total length) is discarded and fetched again.

A hostile or broken server cannot make a download unbounded:

* **size**: each transfer is capped at :func:`download_bound` bytes, derived from
  the registry (``max(4 x expected, expected + 16 MiB)`` over the sizes of the
  files the source provides, or the source's ``max_bytes`` for an archive that
  carries much more than the files kept). Zip members are checked against
  :func:`member_bound` by their declared size and compression ratio before
  extraction, and extraction stops when a member expands past its bound.
* **time**: the whole call has a ``deadline`` (default :data:`DEFAULT_DEADLINE`
  seconds) that retries respect too, and a transfer averaging less than
  ``min_rate`` bytes/s over a window of ``timeout`` seconds counts as a failed
  attempt. Checks run between reads, so the deadline may be overshot by at most
  one socket ``timeout``.
* **schemes**: only ``http``/``https`` URLs and redirects are followed.

Nothing reaches ``<dest_root>/<key>/`` unchecked: files are assembled (copied or
extracted from the archive) in a temporary folder next to it, every file is
checked against the registry (present, header, column count, row count), the
real loaders that use the folder must load it (see
:mod:`~inkpick_desktop.data.download_checks`), and only then the folder is
renamed into place. A check that fails raises
:class:`~inkpick_desktop.engine.errors.DataFormatError` and leaves the final
folder as it was. A file whose sha256 matches neither registry digest (raw or
LF-normalised) is installed but reported as unverified in
:attr:`DownloadResult.warnings`.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import urllib.parse
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from inkpick_desktop.data import registry
from inkpick_desktop.data.download_checks import (
    check_file,
    check_folder,
    count_records,
    digest_matches,
    looks_like_html,
    validate_with_loaders,
)
from inkpick_desktop.data.download_http import (
    CHUNK,
    DeadlineError,
    DownloadError,
    FetchResult,
    _check_limits,
    _deadline_error,
    _discard,
    check_url,
    fetch,
)
from inkpick_desktop.data.registry import DatasetFile, DatasetSpec, DownloadSource
from inkpick_desktop.engine.errors import (
    CancelledError,
    DataFormatError,
    InvalidInputError,
)
from inkpick_desktop.engine.progress import CancelToken, ProgressCallback, no_progress

__all__ = [
    "CHUNK",
    "DEFAULT_DEADLINE",
    "DEFAULT_MIN_RATE",
    "DownloadError",
    "DownloadResult",
    "FetchResult",
    "check_file",
    "check_folder",
    "check_url",
    "count_records",
    "download_bound",
    "download_dataset",
    "fetch",
    "member_bound",
]

logger = logging.getLogger(__name__)

WORK_DIR = ".inkpick-downloads"
#: Seconds one :func:`download_dataset` call may take, retries included.
DEFAULT_DEADLINE = 3600.0
#: Bytes/s a transfer must average over each window of ``timeout`` seconds.
DEFAULT_MIN_RATE = 8192.0
#: Slack over the expected size allowed for any file or transfer.
SIZE_SLACK = 16 << 20
#: A zip member over :data:`RATIO_MIN_SIZE` bytes may expand at most this much.
MAX_COMPRESSION_RATIO = 100
RATIO_MIN_SIZE = 1 << 20
_HTML_HINT = "; the server sent an HTML page, not the data file"


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
    unverified
        Installed files whose sha256 matches neither registry digest.
    warnings
        One line each for the user: unverified files, loader checks not run,
        rows a loader skipped within its tolerance.
    """

    key: str
    folder: Path
    rows: Mapping[str, int]
    bytes_fetched: int
    unverified: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


# ------------------------------------------------------------------- bounds


def _bound(expected: int) -> int:
    return max(4 * expected, expected + SIZE_SLACK)


def download_bound(spec: DatasetSpec, source: DownloadSource) -> int:
    """Most bytes a transfer of ``source`` may bring.

    ``source.max_bytes`` when set, else ``max(4 * e, e + SIZE_SLACK)`` where ``e``
    is the total registry size of the files the source provides.
    """
    if source.max_bytes is not None:
        return source.max_bytes
    return _bound(sum(spec.file(name).size for name in source.targets))


def member_bound(dfile: DatasetFile) -> int:
    """Most bytes a zip member may expand to: ``max(4 * size, size + SIZE_SLACK)``."""
    return _bound(dfile.size)


# ----------------------------------------------------------------- installation


def _effective_url(url: str, base_url_override: str | None) -> str:
    if not base_url_override:
        return check_url(url)
    check_url(base_url_override, "mirror")
    name = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]
    return check_url(base_url_override.rstrip("/") + "/" + name, "mirror")


def _extract_member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    dest: Path,
    bound: int,
    where: str,
    cancel: CancelToken | None,
) -> None:
    if info.flag_bits & 0x1:
        raise DownloadError(f"{where}: member is encrypted")
    if info.file_size > bound:
        raise DownloadError(
            f"{where}: member declares {info.file_size} bytes, more than the "
            f"{bound} allowed for {dest.name}; download refused"
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > RATIO_MIN_SIZE and ratio > MAX_COMPRESSION_RATIO:
        raise DownloadError(
            f"{where}: member expands {ratio:.0f}-fold ({info.compress_size} -> "
            f"{info.file_size} bytes), more than the {MAX_COMPRESSION_RATIO}-fold "
            "a data file may; download refused"
        )
    written = 0
    with zf.open(info) as src, open(dest, "wb") as dst:
        while block := src.read(CHUNK):
            if cancel is not None and cancel.cancelled:
                raise CancelledError("extraction cancelled")
            written += len(block)
            if written > bound:
                raise DownloadError(
                    f"{where}: member expands past the {bound} bytes allowed for "
                    f"{dest.name}; download refused"
                )
            dst.write(block)


def _extract(
    archive: Path,
    source: DownloadSource,
    url: str,
    spec: DatasetSpec,
    into: Path,
    cancel: CancelToken | None,
) -> dict[str, str]:
    """Extract the members of ``source`` into ``into``; target -> where it came from."""
    optional = {f.name for f in spec.files if not f.required}
    origin: dict[str, str] = {}
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            for member, target in source.members:
                info = infos.get(member)
                if info is None:
                    if target in optional:
                        continue
                    shown = ", ".join(sorted(infos)[:10])
                    raise DownloadError(
                        f"{url}: archive has no member {member!r} (it holds {shown})"
                    )
                where = f"{url}, member {member}"
                bound = member_bound(spec.file(target))
                _extract_member(zf, info, into / target, bound, where, cancel)
                origin[target] = where
    except DownloadError:
        _discard(archive, archive.with_name(archive.name + ".json"))
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        zlib.error,
        NotImplementedError,
    ) as exc:
        hint = _HTML_HINT if looks_like_html(archive) else ""
        _discard(archive, archive.with_name(archive.name + ".json"))
        raise DownloadError(
            f"{url}: not a readable zip archive ({exc}){hint}"
        ) from None
    return origin


def _check_staging(
    staging: Path, spec: DatasetSpec, origin: Mapping[str, str]
) -> dict[str, int]:
    """:func:`check_folder`, with errors naming where each file was fetched."""
    rows: dict[str, int] = {}
    for dfile in spec.files:
        path = staging / dfile.name
        where = origin.get(dfile.name, dfile.name)
        if not path.is_file():
            if dfile.required:
                raise DataFormatError(f"{where}: required file {dfile.name} is missing")
            continue
        try:
            rows[dfile.name] = check_file(path, dfile)
        except DataFormatError as exc:
            loc = where + (f", line {exc.line}" if exc.line else "")
            hint = _HTML_HINT if looks_like_html(path) else ""
            raise DataFormatError(f"{loc}: {exc.reason}{hint}") from None
    return rows


def _prepare_root(root: Path) -> Path:
    if root.exists() and not root.is_dir():
        raise InvalidInputError(
            f"datasets folder {str(root)!r} exists but is not a folder"
        )
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(
            f"cannot create the datasets folder {str(root)!r}: {exc.strerror or exc}"
        ) from None
    return root


def download_dataset(
    key: str | DatasetSpec,
    dest_root: str | os.PathLike[str],
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    base_url_override: str | None = None,
    retries: int = 3,
    timeout: float = 30.0,
    deadline: float | None = DEFAULT_DEADLINE,
    min_rate: float = DEFAULT_MIN_RATE,
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
        Fetch each file's last URL path segment from this http(s) base instead
        of the publisher (a mirror, or a local test server).
    retries, timeout
        Failed attempts allowed per file, and the socket timeout in seconds
        (also the window over which ``min_rate`` is averaged).
    deadline
        Seconds the whole call may take, retries included (default
        :data:`DEFAULT_DEADLINE`, one hour); ``None`` for no deadline.
    min_rate
        Bytes/s a transfer must average over each ``timeout`` window (default
        :data:`DEFAULT_MIN_RATE`); slower attempts count as failed. 0: no check.

    Returns
    -------
    DownloadResult
        What was installed; ``warnings`` lists unverified digests and loader
        checks that could not run.

    Raises
    ------
    DownloadError
        No direct download exists (the message says how to get it by hand), the
        transfer failed, a size bound or the deadline was passed.
    DataFormatError
        The downloaded files do not match the registry, or a loader refuses them.
    InvalidInputError
        ``dest_root`` is not a folder, the mirror is not an http(s) URL, or a
        limit is out of range.
    CancelledError
        Cancelled; partial downloads are kept for a later resume.
    """
    spec = key if isinstance(key, DatasetSpec) else registry.get(key)
    if spec.download is None:
        raise DownloadError(f"{spec.title} has no direct download. {spec.manual}")
    _check_limits(retries, timeout, deadline, min_rate)
    sources = spec.download.sources
    urls = [_effective_url(s.url, base_url_override) for s in sources]
    report = progress or no_progress
    root = _prepare_root(Path(dest_root))
    end = None if deadline is None else time.monotonic() + deadline
    work = root / WORK_DIR / spec.key
    final = root / spec.key
    temp_root = Path(tempfile.mkdtemp(prefix=f".{spec.key}-", dir=root))
    staging = temp_root / spec.key
    staging.mkdir()
    fetched = 0
    origin: dict[str, str] = {}
    try:
        for i, (source, url) in enumerate(zip(sources, urls, strict=True), 1):
            name = urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1] or "download"
            part = work / f"{i}-{name}.part"
            stage = f"downloading {spec.key}: {name} ({i}/{len(sources)})"
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                raise _deadline_error(url, deadline)
            logger.info("fetching %s into %s", url, part)
            try:
                got = fetch(
                    url,
                    part,
                    progress=report,
                    cancel=cancel,
                    stage=stage,
                    retries=retries,
                    timeout=timeout,
                    max_bytes=download_bound(spec, source),
                    deadline=left,
                    min_rate=min_rate,
                )
            except DeadlineError as exc:  # name the caller's deadline, not the rest
                raise _deadline_error(exc.url, deadline) from None
            fetched += got.received
            if source.is_archive:
                report(f"extracting {name}", -1.0)
                origin.update(_extract(part, source, got.url, spec, staging, cancel))
            else:
                assert source.file is not None
                shutil.copyfile(part, staging / source.file)
                origin[source.file] = got.url
        report(f"checking {spec.key}", -1.0)
        try:
            rows = _check_staging(staging, spec, origin)
            notes = validate_with_loaders(temp_root, spec.key, root)
        except DataFormatError as exc:
            shutil.rmtree(work, ignore_errors=True)  # wrong data: no point resuming
            raise DataFormatError(f"download of {spec.key!r} refused: {exc}") from None
        unverified = tuple(
            n for n in rows if digest_matches(staging / n, spec.file(n)) is False
        )
        warnings = [
            f"{origin.get(n, n)}: sha256 matches neither the reference copy nor its "
            "LF-normalised form; installed as unverified (the publisher may have "
            "re-issued the file)"
            for n in unverified
        ] + notes
        for line in warnings:
            logger.warning("%s: %s", spec.key, line)
        _install(staging, final)
        shutil.rmtree(work, ignore_errors=True)
    finally:
        shutil.rmtree(temp_root, ignore_errors=True)
        _prune_empty(work)
        _prune_empty(root / WORK_DIR)
    logger.info("installed %s (%d bytes fetched)", final, fetched)
    report(f"installed {spec.key}", 1.0)
    return DownloadResult(
        spec.key, final, rows, fetched, unverified=unverified, warnings=tuple(warnings)
    )


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
