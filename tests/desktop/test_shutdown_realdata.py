"""Closing the window while a real model trains exits cleanly."""

from __future__ import annotations

import pytest

from inkpick_desktop.domains.registry import services
from inkpick_desktop.engine.errors import CancelledError
from tests.desktop.conftest import BUILD_TIMEOUT_MS

pytestmark = [pytest.mark.gui, pytest.mark.realdata, pytest.mark.slow]


def test_window_close_during_training_joins_threads(
    qtbot, make_window, datasets_root, tmp_path, qtlog
):
    """A cold cache forces loading + training; close as soon as training starts."""
    service = services()["music"]
    window = make_window(
        {"music": service},
        datasets_root=datasets_root,
        cache_dir=tmp_path / "cold-cache",
    )
    tab = window.tab("music")
    stages: list[str] = []
    failures: list[object] = []
    window.tasks.progress_changed.connect(
        lambda key, serial, stage, fraction: stages.append(stage)
    )
    window.tasks.task_failed.connect(lambda key, serial, exc, tb: failures.append(exc))
    qtbot.waitUntil(
        lambda: any(s.startswith("training") for s in stages), timeout=BUILD_TIMEOUT_MS
    )
    assert tab.building and tab.recommender is None
    window.close()
    assert not window.tasks._thread.isRunning()
    assert window.pool.activeThreadCount() == 0
    qtbot.waitUntil(lambda: bool(failures) or tab.recommender is not None, timeout=5000)
    assert failures and isinstance(failures[0], CancelledError), failures
    bad = [
        m.message
        for m in qtlog.records
        if "QThread" in m.message or "Destroyed" in m.message
    ]
    assert bad == []
