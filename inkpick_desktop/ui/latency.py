"""A GUI-thread latency probe: a 10 ms timer that records its own lateness.

When the GUI thread is blocked, the timer's ticks come late; the lateness of a
tick is how long the event loop could not run. Used by ``scripts/measure_gui.py``
(not by tests: timings do not belong in unit tests).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer


class LatencyProbe(QObject):
    """Records how late each tick of a ``interval_ms`` precise timer fires."""

    def __init__(self, interval_ms: int = 10, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_tick)
        self._last = 0.0
        self.lateness_ms: list[float] = []

    def start(self) -> None:
        self.reset()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def reset(self) -> None:
        self._last = time.perf_counter()
        self.lateness_ms = []

    @property
    def worst_ms(self) -> float:
        return max(self.lateness_ms, default=0.0)

    def percentile(self, q: float) -> float:
        if not self.lateness_ms:
            return 0.0
        ordered = sorted(self.lateness_ms)
        return ordered[min(int(q / 100 * len(ordered)), len(ordered) - 1)]

    def _on_tick(self) -> None:
        now = time.perf_counter()
        late = (now - self._last) * 1000.0 - self.interval_ms
        self.lateness_ms.append(max(late, 0.0))
        self._last = now
