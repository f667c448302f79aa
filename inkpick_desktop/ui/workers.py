"""Background work for the window: queries on a pool, builds on a thread.

Workers never touch widgets: they run plain engine calls and hand results back
through signals, which Qt delivers on the GUI thread (queued connections, since
the receivers live there).

* :class:`QueryRunner` runs short engine calls (queries, re-blends, suggestions)
  on a shared one-thread ``QThreadPool`` as :class:`QueryRunnable` objects that
  report through a :class:`QuerySignals` holder. Every call gets a request id;
  only the newest id's answer is passed on, and queued work that is already
  stale when its turn comes is skipped without running.
* :class:`BackgroundTasks` owns one ``QThread`` with a :class:`TaskWorker` moved
  onto it for long jobs (loading, index building, training, downloads,
  imports), each with a :class:`CancelToken` and throttled progress.
"""

from __future__ import annotations

import itertools
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot

from inkpick_desktop.engine.errors import CancelledError
from inkpick_desktop.engine.progress import CancelToken, ProgressCallback

logger = logging.getLogger(__name__)


def make_query_pool(parent: QObject | None = None) -> QThreadPool:
    """The pool all tabs share: one thread, so engine calls never overlap."""
    pool = QThreadPool(parent)
    pool.setMaxThreadCount(1)
    pool.setObjectName("inkpick-queries")
    return pool


class QuerySignals(QObject):
    """Signals holder of :class:`QueryRunnable` (a QRunnable is no QObject).

    Signals
    -------
    finished(int, object)
        Request id and the call's return value.
    failed(int, object, str)
        Request id, the exception and its formatted traceback.
    skipped(int)
        Request id of a call dropped because a newer one had been submitted.
    """

    finished = Signal(int, object)
    failed = Signal(int, object, str)
    skipped = Signal(int)


class QueryRunnable(QRunnable):
    """Runs one engine call on the pool and reports through ``signals``."""

    def __init__(
        self,
        request_id: int,
        fn: Callable[[], Any],
        signals: QuerySignals,
        is_stale: Callable[[int], bool],
    ) -> None:
        super().__init__()
        self.request_id = request_id
        self._fn = fn
        self._signals = signals
        self._is_stale = is_stale

    def run(self) -> None:
        if self._is_stale(self.request_id):
            self._signals.skipped.emit(self.request_id)
            return
        try:
            result = self._fn()
        except BaseException as exc:  # reported to the GUI thread, never lost
            self._signals.failed.emit(self.request_id, exc, traceback.format_exc())
        else:
            self._signals.finished.emit(self.request_id, result)


class QueryRunner(QObject):
    """Submits calls to a pool; only the newest request's answer comes out.

    Signals
    -------
    results_ready(int, object)
        Request id and result of the newest request.
    query_failed(int, object)
        Request id and exception of the newest request (tracebacks of anything
        that is not an ``InkpickError`` are logged by the receiver).
    idle_changed(bool)
        True when nothing submitted through this runner is queued or running.
    """

    results_ready = Signal(int, object)
    query_failed = Signal(int, object, str)
    idle_changed = Signal(bool)

    def __init__(self, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool
        self._ids = itertools.count(1)
        self._latest = 0
        self._in_flight: dict[int, QueryRunnable] = {}
        self._signals = QuerySignals(self)
        self._signals.finished.connect(self._on_finished)
        self._signals.failed.connect(self._on_failed)
        self._signals.skipped.connect(self._on_skipped)

    @property
    def latest_id(self) -> int:
        return self._latest

    @property
    def idle(self) -> bool:
        return not self._in_flight

    def submit(self, fn: Callable[[], Any]) -> int:
        """Queue ``fn`` on the pool; returns its request id."""
        request_id = next(self._ids)
        self._latest = request_id
        runnable = QueryRunnable(request_id, fn, self._signals, self._is_stale)
        was_idle = not self._in_flight
        # Keep the Python wrapper alive until its answer has been delivered.
        self._in_flight[request_id] = runnable
        self._pool.start(runnable)
        if was_idle:
            self.idle_changed.emit(False)
        return request_id

    def invalidate(self) -> None:
        """Make every submitted request stale (e.g. the recommender changed)."""
        self._latest = next(self._ids)

    def _is_stale(self, request_id: int) -> bool:
        # Read from the pool thread; an int attribute read is atomic under the GIL.
        return request_id != self._latest

    def _done(self, request_id: int) -> None:
        self._in_flight.pop(request_id, None)
        if not self._in_flight:
            self.idle_changed.emit(True)

    @Slot(int, object)
    def _on_finished(self, request_id: int, result: object) -> None:
        self._done(request_id)
        if request_id == self._latest:
            self.results_ready.emit(request_id, result)
        else:
            logger.debug(
                "dropping stale answer %d (newest %d)", request_id, self._latest
            )

    @Slot(int, object, str)
    def _on_failed(self, request_id: int, exc: object, tb: str) -> None:
        self._done(request_id)
        if request_id == self._latest:
            self.query_failed.emit(request_id, exc, tb)
        else:
            logger.debug("dropping stale failure %d: %r", request_id, exc)

    @Slot(int)
    def _on_skipped(self, request_id: int) -> None:
        self._done(request_id)


# -- long jobs ----------------------------------------------------------------

TaskFn = Callable[[ProgressCallback, CancelToken], Any]


@dataclass
class Task:
    """One long job: a key the window knows it by, the work, its token."""

    key: str
    fn: TaskFn
    token: CancelToken = field(default_factory=CancelToken)
    serial: int = 0


class TaskWorker(QObject):
    """Lives on the background thread and runs :class:`Task` objects in order.

    Signals
    -------
    progress_changed(str, int, str, float)
        Task key, serial, stage label, fraction in [0, 1] or -1 (throttled).
    task_finished(str, int, object)
        Task key, serial and the job's return value.
    task_failed(str, int, object, str)
        Task key, serial, exception (``CancelledError`` when cancelled), traceback.
    """

    progress_changed = Signal(str, int, str, float)
    task_finished = Signal(str, int, object)
    task_failed = Signal(str, int, object, str)

    #: Emit progress at most this often unless the stage changes.
    MIN_INTERVAL_S = 0.05

    @Slot(object)
    def run_task(self, task: Task) -> None:
        if task.token.cancelled:
            self.task_failed.emit(
                task.key, task.serial, CancelledError(f"{task.key} cancelled"), ""
            )
            return
        last: list[Any] = ["", -2.0, 0.0]

        def progress(stage: str, fraction: float) -> None:
            now = time.monotonic()
            if (
                stage != last[0]
                or fraction >= 1.0
                or abs(fraction - last[1]) >= 0.01
                and now - last[2] >= self.MIN_INTERVAL_S
            ):
                last[:] = [stage, fraction, now]
                self.progress_changed.emit(
                    task.key, task.serial, stage, float(fraction)
                )

        started = time.perf_counter()
        try:
            result = task.fn(progress, task.token)
        except BaseException as exc:
            self.task_failed.emit(task.key, task.serial, exc, traceback.format_exc())
        else:
            logger.info("%s done in %.2f s", task.key, time.perf_counter() - started)
            self.task_finished.emit(task.key, task.serial, result)


class BackgroundTasks(QObject):
    """One background thread for long jobs, shut down cleanly with the window.

    Signals
    -------
    progress_changed(str, int, str, float), task_finished(str, int, object),
    task_failed(str, int, object, str)
        Forwarded from :class:`TaskWorker`, delivered on the GUI thread.
    """

    progress_changed = Signal(str, int, str, float)
    task_finished = Signal(str, int, object)
    task_failed = Signal(str, int, object, str)
    _task_submitted = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._serials = itertools.count(1)
        self._tasks: dict[int, Task] = {}
        self._thread = QThread()
        self._thread.setObjectName("inkpick-background")
        self._worker = TaskWorker()
        self._worker.moveToThread(self._thread)
        self._thread.finished.connect(self._worker.deleteLater)
        self._task_submitted.connect(self._worker.run_task)
        self._worker.progress_changed.connect(self.progress_changed)
        self._worker.task_finished.connect(self._on_finished)
        self._worker.task_failed.connect(self._on_failed)
        self._thread.start()

    def submit(self, key: str, fn: TaskFn) -> Task:
        task = Task(key, fn, serial=next(self._serials))
        self._tasks[task.serial] = task
        self._task_submitted.emit(task)
        return task

    def running(self, key: str | None = None) -> list[Task]:
        return [t for t in self._tasks.values() if key is None or t.key == key]

    def cancel(self, key: str | None = None) -> None:
        for task in self.running(key):
            task.token.cancel()

    def shutdown(self) -> None:
        """Cancel everything, stop the thread and wait for it."""
        self.cancel()
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait()

    @Slot(str, int, object)
    def _on_finished(self, key: str, serial: int, result: object) -> None:
        self._tasks.pop(serial, None)
        self.task_finished.emit(key, serial, result)

    @Slot(str, int, object, str)
    def _on_failed(self, key: str, serial: int, exc: object, tb: str) -> None:
        self._tasks.pop(serial, None)
        self.task_failed.emit(key, serial, exc, tb)
