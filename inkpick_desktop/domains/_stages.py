"""Progress and cancellation plumbing of the domain build pipeline.

:func:`checked` wraps a caller's progress callback so that every report first
checks the cancel token: an engine that reports progress but takes no token is
still cancelled at its next report. :func:`timed_stage` brackets one pipeline stage
with the 0 / 1 reports and its INFO timing line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from inkpick_desktop.engine.progress import CancelToken, ProgressCallback, no_progress

logger = logging.getLogger("inkpick_desktop.domains.base")


class CheckedProgress:
    """A progress callback that first raises if its token was cancelled."""

    def __init__(self, progress: ProgressCallback, cancel: CancelToken) -> None:
        self.progress = progress
        self.cancel = cancel

    def __call__(self, stage: str, fraction: float) -> None:
        self.cancel.raise_if_cancelled(stage)
        self.progress(stage, fraction)


def checked(
    progress: ProgressCallback | None, cancel: CancelToken | None
) -> CheckedProgress:
    """``progress`` (or nothing) behind a check of ``cancel`` (or a fresh token)."""
    if isinstance(progress, CheckedProgress) and cancel is None:
        return progress
    return CheckedProgress(progress or no_progress, cancel or CancelToken())


def cancel_of(report: ProgressCallback) -> CancelToken:
    """The token a :class:`CheckedProgress` checks, for engines that take one."""
    return report.cancel if isinstance(report, CheckedProgress) else CancelToken()


def as_stage(report: ProgressCallback, stage: str) -> Callable[[str, float], None]:
    """Forward an engine's fractions under our stage name."""

    def forward(_inner: str, fraction: float) -> None:
        report(stage, fraction)

    return forward


@contextmanager
def timed_stage(report: ProgressCallback, name: str, what: str) -> Iterator[None]:
    """Report ``name`` at 0 and 1 around the block; log its seconds at INFO."""
    report(name, 0.0)
    started = time.perf_counter()
    yield
    logger.info("%s: %s took %.2f s", what, name, time.perf_counter() - started)
    report(name, 1.0)
