"""HTTP transfer of one file with resume, size bound, deadline and rate floor.

:func:`fetch` is the network half of :mod:`inkpick_desktop.data.download`: it
streams one http(s) URL into a ``.part`` file, resumes it with ``Range``
requests, follows redirects to http(s) only, and stops a transfer that passes
its size bound, its deadline, or stays under a minimum rate (see that module's
docstring for the policy).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException, HTTPResponse
from pathlib import Path

from inkpick_desktop import __version__
from inkpick_desktop.engine.errors import (
    CancelledError,
    InkpickError,
    InvalidInputError,
)
from inkpick_desktop.engine.progress import CancelToken, ProgressCallback, no_progress

logger = logging.getLogger(__name__)

CHUNK = 1 << 16
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class DownloadError(InkpickError):
    """A transfer failed (HTTP error, connection lost too often, bad archive)."""


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch` did: bytes received and the URL actually fetched."""

    received: int
    url: str


def _check_limits(
    retries: int, timeout: float, deadline: float | None, min_rate: float
) -> None:
    if retries < 0:
        raise InvalidInputError(f"retries must be >= 0, got {retries!r}")
    if not timeout > 0:
        raise InvalidInputError(f"timeout must be > 0 seconds, got {timeout!r}")
    if deadline is not None and not deadline > 0:
        raise InvalidInputError(
            f"deadline must be > 0 seconds or None, got {deadline!r}"
        )
    if not min_rate >= 0:
        raise InvalidInputError(f"min_rate must be >= 0 bytes/s, got {min_rate!r}")


# ---------------------------------------------------------------------- urls


def check_url(url: str, what: str = "URL") -> str:
    """Return ``url`` if it is an absolute http(s) URL; else InvalidInputError."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError as exc:
        raise InvalidInputError(f"{what} {url!r} is not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInputError(
            f"{what} must be an http:// or https:// URL, got {url!r}"
        )
    if not parts.hostname:
        raise InvalidInputError(f"{what} {url!r} names no host")
    return url


class _HttpOnlyRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would also follow ftp://)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        scheme = urllib.parse.urlsplit(newurl).scheme.lower()
        if scheme not in ("http", "https"):
            raise DownloadError(
                f"{req.full_url}: redirected to {newurl!r}, which is not http(s)"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirect)


# ---------------------------------------------------------------------- transfer


def _read_meta(meta_path: Path) -> dict[str, object]:
    try:
        data = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _discard(*paths: Path) -> None:
    for p in paths:
        p.unlink(missing_ok=True)


class _TooSlow(Exception):
    pass


class _TooBig(Exception):
    pass


class _Stream:
    """Counters and limits of one response body being copied to a file."""

    def __init__(
        self,
        response: HTTPResponse,
        *,
        max_bytes: int | None,
        end: float | None,
        min_rate: float,
        window: float,
        deadline: float | None,
    ) -> None:
        self.response = response
        self.max_bytes = max_bytes
        self.end = end
        self.min_rate = min_rate
        self.window = window
        self.deadline = deadline
        self.window_start = time.monotonic()
        self.window_bytes = 0
        #: Bytes read but not returned when a limit interrupted :meth:`chunk`.
        self.pending = b""

    def chunk(self, done: int, url: str) -> bytes:
        """Up to :data:`CHUNK` bytes (fewer only at the end of the body)."""
        buf = bytearray()
        self.pending = b""
        while len(buf) < CHUNK:
            piece = self.response.read1(CHUNK - len(buf))
            if not piece:
                break
            if self.max_bytes is not None and done + len(buf) + len(piece) > (
                self.max_bytes
            ):
                raise _TooBig
            buf += piece
            self.window_bytes += len(piece)
            now = time.monotonic()
            if self.end is not None and now >= self.end:
                self.pending = bytes(buf)
                raise _deadline_error(url, self.deadline)
            elapsed = now - self.window_start
            if self.min_rate and elapsed >= self.window:
                if self.window_bytes < self.min_rate * elapsed:
                    self.pending = bytes(buf)
                    raise _TooSlow
                self.window_start, self.window_bytes = now, 0
        return bytes(buf)


class DeadlineError(DownloadError):
    """The deadline passed; ``url`` is the URL being fetched at that moment."""

    def __init__(self, url: str, deadline: float | None) -> None:
        self.url = url
        self.deadline = deadline
        super().__init__(
            f"{url}: not finished within the {deadline:g} s deadline; what arrived "
            "is kept, run the download again to resume"
        )


def _deadline_error(url: str, deadline: float | None) -> DeadlineError:
    return DeadlineError(url, deadline)


def fetch(
    url: str,
    part: Path,
    *,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    stage: str = "downloading",
    retries: int = 3,
    timeout: float = 30.0,
    max_bytes: int | None = None,
    deadline: float | None = None,
    min_rate: float = 0.0,
) -> FetchResult:
    """Stream ``url`` into ``part``, resuming what a previous attempt left there.

    A sidecar ``<part>.json`` remembers the URL and total length so that a later
    call can tell whether the partial file belongs to the same transfer.

    Parameters
    ----------
    url
        An http(s) URL; redirects are followed to http(s) only.
    part
        The partial file (created with its folder).
    progress, cancel, stage
        Progress callback, cancel token, and the stage label reported.
    retries
        Failed attempts (connection errors, timeouts, too slow) allowed.
    timeout
        Socket timeout in seconds, and the window over which ``min_rate`` is
        averaged.
    max_bytes
        Most bytes the file may have; a server announcing or sending more is
        refused and the partial file discarded. ``None``: no bound.
    deadline
        Seconds this call may take, retries included; ``None``: no deadline.
    min_rate
        Bytes/s an attempt must average over each ``timeout`` window; 0: none.

    Returns
    -------
    FetchResult
        Bytes received by this call and the URL they came from.

    Raises
    ------
    DownloadError
        HTTP error status, a size bound or the deadline passed, or the attempts
        failed more than ``retries`` times.
    CancelledError
        ``cancel`` was set; the partial file is kept for a later resume.
    InvalidInputError
        ``url`` is not http(s), or a limit is out of range.
    """
    check_url(url)
    _check_limits(retries, timeout, deadline, min_rate)
    part.parent.mkdir(parents=True, exist_ok=True)
    meta_path = part.with_name(part.name + ".json")
    end = None if deadline is None else time.monotonic() + deadline
    received = 0
    failures = 0
    final_url = url
    while True:
        left = None if end is None else end - time.monotonic()
        if left is not None and left <= 0:
            raise _deadline_error(final_url, deadline)
        meta = _read_meta(meta_path)
        if part.exists() and meta.get("url") != url:
            _discard(part, meta_path)
            meta = {}
        offset = part.stat().st_size if part.exists() else 0
        known_total = meta.get("total")
        if isinstance(known_total, int) and offset == known_total:
            # a previous call finished this file
            return FetchResult(received, str(meta.get("final_url") or url))
        if isinstance(known_total, int) and offset > known_total:
            logger.warning("%s: partial file longer than the file; restarting", part)
            _discard(part, meta_path)
            continue
        headers = {"User-Agent": f"Inkpick/{__version__}"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        request = urllib.request.Request(url, headers=headers)
        try:
            response = _OPENER.open(
                request, timeout=timeout if left is None else min(timeout, left)
            )
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 416 and offset:
                logger.warning("%s: server refused the resume range; restarting", url)
                _discard(part, meta_path)
                continue
            # a refused redirect carries its target as exc.url: name what we asked
            where = url if 300 <= exc.code < 400 else (exc.url or url)
            raise DownloadError(f"{where}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, HTTPException) as exc:
            failures += 1
            if failures > retries:
                raise DownloadError(f"{url}: cannot connect ({exc})") from None
            logger.warning("%s: connection failed (%s), retrying", url, exc)
            continue

        with response:
            final_url = response.geturl() or url
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
                raise DownloadError(f"{final_url}: unexpected HTTP {response.status}")
            if max_bytes is not None and total is not None and total > max_bytes:
                _discard(part, meta_path)
                raise DownloadError(
                    f"{final_url}: the server announces {total} bytes, more than "
                    f"the {max_bytes} allowed for this file"
                )
            meta_path.write_text(
                json.dumps({"url": url, "total": total, "final_url": final_url}),
                "utf-8",
            )

            done = offset
            stream = _Stream(
                response,
                max_bytes=max_bytes,
                end=end,
                min_rate=min_rate,
                window=timeout,
                deadline=deadline,
            )
            too_big = slow = False
            try:
                with open(part, mode) as out:
                    try:
                        while True:
                            if cancel is not None and cancel.cancelled:
                                raise CancelledError(f"download of {url} cancelled")
                            chunk = stream.chunk(done, final_url)
                            if not chunk:
                                break
                            out.write(chunk)
                            done += len(chunk)
                            received += len(chunk)
                            progress(stage, done / total if total else -1.0)
                    except (_TooSlow, DownloadError):
                        # keep what arrived for the next attempt or a later resume
                        out.write(stream.pending)
                        done += len(stream.pending)
                        received += len(stream.pending)
                        raise
                    finally:
                        out.flush()
                        os.fsync(out.fileno())
            except _TooBig:
                too_big = True
            except _TooSlow:
                slow = True
            except (OSError, HTTPException) as exc:
                logger.warning(
                    "%s: transfer interrupted at %d bytes (%s)", final_url, done, exc
                )
            if too_big:
                _discard(part, meta_path)
                raise DownloadError(
                    f"{final_url}: the server sent more than the {max_bytes} bytes "
                    "allowed for this file; download refused"
                )
            if not slow and (total is None or done == total):
                return FetchResult(received, final_url)
        failures += 1
        if slow:
            logger.warning(
                "%s: slower than %g bytes/s over %g s", final_url, min_rate, timeout
            )
        if failures > retries:
            why = (
                f"slower than {min_rate:g} bytes/s {failures} times"
                if slow
                else f"connection lost {failures} times"
            )
            raise DownloadError(
                f"{final_url}: {why}, {done} of {total} bytes "
                "kept; run the download again to resume"
            )
        logger.warning("%s: got %d of %s bytes, resuming", final_url, done, total)
