"""Progress reporting and cancellation for long operations.

Training, index building, loading and downloading take a ``progress`` callback
and a :class:`CancelToken`. Both are plain Python so the engines stay Qt-free; the
desktop app forwards the callback to a Qt signal and cancels from its button.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from inkpick_desktop.engine.errors import CancelledError

#: ``progress(stage, fraction)``: ``stage`` is a short label ("training ALS"),
#: ``fraction`` in [0, 1] or -1 when unknown. Called from the working thread.
ProgressCallback = Callable[[str, float], None]


def no_progress(stage: str, fraction: float) -> None:
    """A progress callback that ignores everything."""


class CancelToken:
    """Thread-safe flag a caller sets to stop a long operation at its next check."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self, what: str = "operation") -> None:
        if self._event.is_set():
            raise CancelledError(f"{what} cancelled")
