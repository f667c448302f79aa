"""Window plumbing on a fake service: threads, coalescing, picks, cancellation."""

from __future__ import annotations

import threading

import pytest

from inkpick_desktop.engine.results import Mode
from tests.desktop.fakes import FakeService

pytestmark = pytest.mark.gui


def _ready(qtbot, window):
    for tab in window.domain_tabs.values():
        if tab.recommender is None:
            with qtbot.waitSignal(tab.recommender_ready, timeout=10_000):
                pass


def test_window_fake_query_fills_table(qtbot, make_window):
    window = make_window({"a": FakeService("a", "A"), "b": FakeService("b", "B")})
    _ready(qtbot, window)
    tab = window.tab("a")
    tab.search.setText("Gamm")
    with qtbot.waitSignal(tab.results_shown, timeout=5000) as blocker:
        tab.run_search()
    rec = blocker.args[1]
    assert rec.query.title == "Gamma"
    assert [r.title for r in tab.model.rows] == [r.title for r in rec.rows]
    assert tab.correction.isVisibleTo(window)
    assert window.tabs.count() == 2


def test_slider_rapid_moves_coalesce_to_final_alpha(qtbot, make_window):
    service = FakeService("a", "A")
    window = make_window({"a": service})
    _ready(qtbot, window)
    tab = window.tab("a")
    tab.mode.setCurrentIndex(tab.mode.findData(Mode.HYBRID))
    tab.auto_alpha.setChecked(False)
    tab.search.setText("Gamma")
    with qtbot.waitSignal(tab.results_shown, timeout=5000):
        tab.run_search()
    shown: list[tuple[int, float]] = []
    tab.results_shown.connect(lambda rid, rec: shown.append((rid, rec.alpha)))
    service_calls_before = len(tab.recommender.calls)
    for i in range(1000):
        tab.alpha.slider.setValue((i * 37) % 101)
    final = tab.alpha.value()
    qtbot.waitUntil(lambda: tab.runner.idle and not tab.busy, timeout=10_000)
    reblends = len(tab.recommender.calls) - service_calls_before
    assert shown, "no answer shown after the slider moves"
    assert [rid for rid, _ in shown] == sorted({rid for rid, _ in shown})
    assert shown[-1][1] == pytest.approx(final)
    assert reblends < 1000  # coalesced: far fewer engine calls than moves
    direct = tab.recommender.recommend_title("Gamma", mode=Mode.HYBRID, alpha=final)
    assert [r.id for r in tab.model.rows] == [r.id for r in direct.rows]
    assert [r.score for r in tab.model.rows] == [r.score for r in direct.rows]


def test_close_during_build_cancels_and_joins(qtbot, make_window, qtlog):
    gate = threading.Event()  # never set: the fake trains until cancelled
    service = FakeService("a", "A", gate=gate)
    window = make_window({"a": service})
    tab = window.tab("a")
    qtbot.waitUntil(lambda: bool(service.builds), timeout=5000)
    assert tab.building
    window.close()
    assert not window.tasks._thread.isRunning()
    messages = [m.message for m in qtlog.records]
    assert not any("Destroyed while thread" in m for m in messages), messages


def test_cancel_button_stops_build_and_reports(qtbot, make_window):
    gate = threading.Event()
    service = FakeService("a", "A", gate=gate)
    window = make_window({"a": service})
    tab = window.tab("a")
    qtbot.waitUntil(lambda: bool(service.builds), timeout=5000)
    with qtbot.waitSignal(tab.recommender_ready, timeout=5000) as blocker:
        tab.progress.cancel.click()
    assert blocker.args == [None]
    assert "cancelled" in tab.message.text()
    assert tab.recommender is None


def test_suggestions_fill_completer_model(qtbot, make_window):
    window = make_window({"a": FakeService("a", "A")})
    _ready(qtbot, window)
    tab = window.tab("a")
    with qtbot.waitSignal(tab.suggester.results_ready, timeout=5000):
        qtbot.keyClicks(tab.search, "Ep")
    assert tab.completer_model.stringList() == ["Epsilon (2004)"]
    # A completion runs "more like this" on that exact item, no fuzzy resolve.
    with qtbot.waitSignal(tab.results_shown, timeout=5000):
        tab.completer.activated[str].emit("Epsilon (2004)")
    assert tab.recommender.calls[-1] == "item:4"
