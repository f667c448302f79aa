"""Timing and memory primitives shared by every benchmark section.

A figure is a :class:`Timing`: wall-clock milliseconds of ``n`` timed calls after
a warm-up, summarised as p50 / p95 / p99, plus the same percentiles of the
calling thread's CPU time. On a shared machine the wall-clock tail includes time
spent descheduled; CPU time does not, so the two together tell noise from work.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

#: Percentiles every figure reports.
PERCENTILES = (50.0, 95.0, 99.0)


@dataclass(frozen=True)
class Timing:
    """Summary of repeated measurements of one operation (milliseconds).

    Attributes
    ----------
    name
        What was measured ("hybrid item query").
    n
        Number of timed calls (warm-up calls excluded).
    p50, p95, p99, mean
        Wall-clock percentiles and mean, ms.
    cpu_p50, cpu_p95
        Percentiles of the calling thread's CPU time, ms (NaN when not taken,
        e.g. for a subprocess measured from outside).
    """

    name: str
    n: int
    p50: float
    p95: float
    p99: float
    mean: float
    cpu_p50: float = float("nan")
    cpu_p95: float = float("nan")

    @classmethod
    def from_samples(
        cls,
        name: str,
        wall_ms: Sequence[float],
        cpu_ms: Sequence[float] | None = None,
    ) -> Timing:
        if len(wall_ms) == 0:
            raise ValueError(f"{name}: no samples to summarise")
        w = np.asarray(wall_ms, np.float64)
        p50, p95, p99 = np.percentile(w, PERCENTILES)
        c50 = c95 = float("nan")
        if cpu_ms is not None and len(cpu_ms):
            c50, c95 = np.percentile(np.asarray(cpu_ms, np.float64), (50.0, 95.0))
        return cls(
            name,
            len(w),
            float(p50),
            float(p95),
            float(p99),
            float(w.mean()),
            float(c50),
            float(c95),
        )

    def scaled(self, factor: float, name: str | None = None) -> Timing:
        """The same summary with every value multiplied (e.g. per-item cost)."""
        return Timing(
            name or self.name,
            self.n,
            self.p50 * factor,
            self.p95 * factor,
            self.p99 * factor,
            self.mean * factor,
            self.cpu_p50 * factor,
            self.cpu_p95 * factor,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "n": self.n,
            "p50_ms": self.p50,
            "p95_ms": self.p95,
            "p99_ms": self.p99,
            "mean_ms": self.mean,
            "cpu_p50_ms": self.cpu_p50,
            "cpu_p95_ms": self.cpu_p95,
        }


def measure(
    name: str,
    fn: Callable[[T], object],
    inputs: Sequence[T],
    *,
    warmup: int = 20,
) -> Timing:
    """Time ``fn(x)`` once for each ``x`` in ``inputs`` after ``warmup`` calls.

    Warm-up calls use the first inputs (cycled when there are fewer). The garbage
    collector is run before and paused during the timed loop, as the app's queries
    are too short to trigger a collection that belongs to them.
    """
    if not inputs:
        raise ValueError(f"{name}: no inputs")
    for j in range(warmup):
        fn(inputs[j % len(inputs)])
    wall: list[float] = []
    cpu: list[float] = []
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for x in inputs:
            c = time.thread_time_ns()
            t = time.perf_counter_ns()
            fn(x)
            wall.append((time.perf_counter_ns() - t) / 1e6)
            cpu.append((time.thread_time_ns() - c) / 1e6)
    finally:
        if enabled:
            gc.enable()
    return Timing.from_samples(name, wall, cpu)


def measure_calls(
    name: str,
    fn: Callable[[], object],
    *,
    repeats: int,
    warmup: int = 1,
    clock: Callable[[], int] = time.thread_time_ns,
) -> Timing:
    """Time ``repeats`` calls of a no-argument ``fn`` after ``warmup`` calls.

    For long operations (builds, training); the collector stays on. ``clock`` is
    the CPU clock: this thread's by default, ``time.process_time_ns`` to count
    every thread of the process (multi-threaded training).
    """
    for _ in range(warmup):
        fn()
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(repeats):
        c = clock()
        t = time.perf_counter_ns()
        fn()
        wall.append((time.perf_counter_ns() - t) / 1e6)
        cpu.append((clock() - c) / 1e6)
    return Timing.from_samples(name, wall, cpu)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """``fn()`` and its wall-clock seconds."""
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


# -- memory ---------------------------------------------------------------------


def _status_kib(field: str) -> int:
    """A ``VmXXX`` line of ``/proc/self/status`` in KiB (0 where unavailable)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mib() -> float:
    """Resident set size of this process now, MiB."""
    return _status_kib("VmRSS") / 1024.0


def peak_rss_mib() -> float:
    """Peak resident set size since start or the last :func:`reset_peak_rss`."""
    return _status_kib("VmHWM") / 1024.0


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux ``clear_refs`` 5); False if refused."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def load_average() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def profile_top(
    fn: Callable[[T], object], inputs: Sequence[T], *, top: int = 8
) -> list[tuple[str, int, float, float]]:
    """cProfile ``fn`` over ``inputs``; the ``top`` functions by own time.

    Returns ``(function, calls, own ms per input, cumulative ms per input)``.
    """
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    for x in inputs:
        fn(x)
    prof.disable()
    stats = pstats.Stats(prof)
    rows = []
    n = max(len(inputs), 1)
    for (path, line, func), (_cc, calls, tt, ct, _callers) in stats.stats.items():
        short = f"{os.path.basename(path)}:{line}({func})" if line else func
        rows.append((short, calls, tt * 1e3 / n, ct * 1e3 / n))
    rows.sort(key=lambda r: -r[2])
    return rows[:top]
