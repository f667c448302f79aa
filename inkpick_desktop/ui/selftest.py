"""``inkpick-desktop --self-test``: drive the real window through every domain.

Waits for every tab to build, then in each tab types the service's example
query and runs it once per mode (collaborative only where the dataset has user
data). Returns an exit code and a one-line summary.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, QTimer

from inkpick_desktop.engine.errors import InkpickError
from inkpick_desktop.engine.results import Mode, Recommendation
from inkpick_desktop.ui.domaintab import DomainTab
from inkpick_desktop.ui.mainwindow import MainWindow

logger = logging.getLogger(__name__)

QUERY_TIMEOUT_S = 120.0


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Run the event loop until ``predicate()`` holds or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(
        lambda: loop.quit() if predicate() or time.monotonic() > deadline else None
    )
    timer.start()
    if not predicate():
        loop.exec()
    timer.stop()
    return predicate()


def run_self_test(window: MainWindow, timeout_s: float = 900.0) -> tuple[int, str]:
    started = time.monotonic()
    ready: dict[str, Any] = {}
    for key, tab in window.domain_tabs.items():
        if tab.recommender is not None:
            ready[key] = tab.recommender
        tab.recommender_ready.connect(lambda rec, key=key: ready.__setitem__(key, rec))
    if not window.domain_tabs:
        return 1, "self-test FAILED: no domain services registered"
    if not wait_until(lambda: len(ready) == len(window.domain_tabs), timeout_s):
        missing = sorted(set(window.domain_tabs) - set(ready))
        names = ", ".join(missing)
        return 1, f"self-test FAILED: {names} not loaded within {timeout_s:.0f} s"
    failed = [k for k, r in ready.items() if r is None]
    if failed:
        reasons = "; ".join(f"{k}: {window.tab(k).message.text()}" for k in failed)
        return 1, f"self-test FAILED: could not load {reasons}"

    summary = []
    for key, tab in window.domain_tabs.items():
        modes = [Mode.CONTENT, Mode.HYBRID]
        if tab.recommender.has_collaborative:
            modes.insert(1, Mode.COLLABORATIVE)
        times = []
        for mode in modes:
            outcome = _query_once(tab, mode)
            if not isinstance(outcome, Recommendation):
                return 1, f"self-test FAILED: {key} {mode.value}: {outcome}"
            if outcome.mode != mode or not outcome.rows:
                return 1, f"self-test FAILED: {key} {mode.value} returned no rows"
            times.append(outcome.latency_ms.get("total", 0.0))
        label = tab.recommender.dataset_label
        summary.append(f"{key} [{label}] {len(modes)} modes, max {max(times):.1f} ms")
    seconds = time.monotonic() - started
    return 0, f"self-test ok in {seconds:.1f} s: " + "; ".join(summary)


def query_text(tab: DomainTab) -> str:
    """The service's example query when this catalog resolves it, else a title.

    The example queries are typos of titles in the real datasets ("machne
    learning"); the small starter catalog may hold no such title, and a
    self-test on it must still exercise every mode.
    """
    example = tab.service.example_query
    if example:
        try:
            tab.recommender.resolve(example)
            return example
        except InkpickError as exc:
            logger.info("self-test: example query not usable here (%s)", exc)
    return str(tab.recommender.catalog.titles[0])


def _query_once(tab: DomainTab, mode: Mode) -> Recommendation | str:
    """Type the example query, run it in ``mode``; the answer or the error text."""
    outcome: list[Any] = []

    def shown(_rid: int, rec: Recommendation) -> None:
        outcome.append(rec)

    def failed(text: str) -> None:
        outcome.append(text)

    tab.results_shown.connect(shown)
    tab.query_error.connect(failed)
    try:
        tab.mode.setCurrentIndex(tab.mode.findData(mode.value))
        tab.search.setText(query_text(tab))
        outcome.clear()
        tab.run_search()
        if not wait_until(lambda: bool(outcome) and tab.runner.idle, QUERY_TIMEOUT_S):
            return f"no answer within {QUERY_TIMEOUT_S:.0f} s"
    finally:
        tab.results_shown.disconnect(shown)
        tab.query_error.disconnect(failed)
    return outcome[-1]
