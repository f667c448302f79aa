"""main(), error reporting, drag and drop, the query runner and suggestions."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QThreadPool, QUrl
from PySide6.QtGui import QDropEvent

from inkpick_desktop.domains.registry import services
from inkpick_desktop.ui import log as ui_log
from inkpick_desktop.ui.workers import QueryRunner
from tests.conftest import REPO
from tests.desktop.conftest import BUILD_TIMEOUT_MS, QUERY_TIMEOUT_MS
from tests.desktop.fakes import FakeService

pytestmark = pytest.mark.gui


def test_query_runner_only_newest_answer_is_delivered(qtbot):
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    runner = QueryRunner(pool)
    gate, started = threading.Event(), threading.Event()
    ran: list[int] = []

    def job(n):
        def call():
            if n == 0:
                started.set()
                gate.wait(10)
            ran.append(n)
            return n

        return call

    got: list[tuple[int, object]] = []
    runner.results_ready.connect(lambda rid, result: got.append((rid, result)))
    ids = [runner.submit(job(0))]
    assert started.wait(5)  # job 0 is running; the next four queue behind it
    ids += [runner.submit(job(n)) for n in range(1, 5)]
    gate.set()
    qtbot.waitUntil(lambda: runner.idle, timeout=5000)
    assert got == [(ids[-1], 4)]
    assert ran == [0, 4]  # 0 ran but was superseded; 1..3 skipped unrun
    pool.waitForDone()


def test_query_runner_failure_of_newest_is_reported(qtbot):
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    runner = QueryRunner(pool)

    def boom():
        raise ValueError("bad value 42")

    with qtbot.waitSignal(runner.query_failed, timeout=5000) as blocker:
        runner.submit(boom)
    assert isinstance(blocker.args[1], ValueError)
    assert "bad value 42" in blocker.args[2]  # the traceback text
    pool.waitForDone()


def test_unexpected_exception_is_logged_and_shown(qtbot, make_window, caplog):
    window = make_window({"a": FakeService("a", "A")}, autostart=False)
    try:
        raise RuntimeError("kaboom")
    except RuntimeError:
        exc_info = sys.exc_info()
    with caplog.at_level(logging.ERROR):
        ui_log.excepthook(*exc_info)
    assert "RuntimeError: kaboom" in window.statusBar().currentMessage()
    assert any(
        "Traceback" in r.getMessage() and "kaboom" in r.getMessage()
        for r in caplog.records
    )


def test_unexpected_query_error_is_logged_with_traceback(qtbot, make_window, caplog):
    window = make_window({"a": FakeService("a", "A")})
    tab = window.tab("a")
    qtbot.waitUntil(lambda: tab.recommender is not None, timeout=5000)
    tab.recommender.recommend_title = lambda text, **kw: 1 / 0
    tab.search.setText("Gamma")
    with (
        caplog.at_level(logging.ERROR),
        qtbot.waitSignal(tab.query_error, timeout=5000),
    ):
        tab.run_search()
    assert "ZeroDivisionError" in tab.message.text()
    assert any("ZeroDivisionError" in r.getMessage() for r in caplog.records)
    tab.recommender.recommend_title = type(tab.recommender).recommend_title.__get__(
        tab.recommender
    )
    with qtbot.waitSignal(tab.results_shown, timeout=5000):
        tab.run_search()  # still works afterwards


def test_dropping_csv_starts_import(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window({"a": FakeService("a", "A")}, autostart=False)
    started = []
    monkeypatch.setattr(window, "import_items", lambda path=None: started.append(path))
    path = tmp_path / "mine.csv"
    path.write_text("id,title\n1,x\n", encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    qtbot.waitUntil(lambda: bool(started), timeout=2000)
    assert started == [path]
    other = QMimeData()
    other.setUrls([QUrl.fromLocalFile(str(tmp_path / "x.png"))])
    window.dropEvent(
        QDropEvent(
            QPointF(1, 1),
            Qt.DropAction.CopyAction,
            other,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
    )
    assert started == [path]


def test_controls_have_accessible_names(qtbot, make_window):
    window = make_window({"a": FakeService("a", "A")}, autostart=False)
    tab = window.tab("a")
    controls = [
        tab.search,
        tab.run_button,
        tab.dataset,
        tab.mode,
        tab.alpha.slider,
        tab.auto_alpha,
        tab.diversity.slider,
        tab.k,
        tab.table,
        tab.picks_panel.list,
        tab.user_panel.user_id,
    ]
    for widget in controls:
        assert widget.accessibleName(), widget
        assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus, widget


@pytest.mark.realdata
@pytest.mark.slow
def test_suggestions_come_from_recommender_suggest(
    qtbot, make_window, datasets_root, session_cache_dir
):
    window = make_window(
        {"cinema": services()["cinema"]},
        datasets_root=datasets_root,
        cache_dir=session_cache_dir,
    )
    tab = window.tab("cinema")
    qtbot.waitUntil(lambda: tab.recommender is not None, timeout=BUILD_TIMEOUT_MS)
    with qtbot.waitSignal(tab.suggester.results_ready, timeout=QUERY_TIMEOUT_MS):
        qtbot.keyClicks(tab.search, "godfather")
    expected = [m.title for m in tab.recommender.suggest("godfather", 10)]
    shown = tab.completer_model.stringList()
    assert shown and len(shown) == len(expected)
    assert shown[0].startswith(expected[0])
    assert any(s.startswith("The Godfather (1972)") for s in shown)


@pytest.mark.realdata
@pytest.mark.slow
def test_main_self_test_exits_zero(datasets_root, session_cache_dir):
    env = dict(
        os.environ,
        INKPICK_CACHE_DIR=str(session_cache_dir),
        QT_QPA_PLATFORM="offscreen",
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "inkpick_desktop.ui.app",
            "--self-test",
            "--datasets",
            str(datasets_root),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_MS / 1000,
    )
    assert proc.returncode == 0, (proc.stdout[-1000:], proc.stderr[-2000:])
    line = proc.stdout.strip().splitlines()[-1]
    assert line.startswith("self-test ok")
    for key in services():
        assert f"{key} [" in line


def test_main_self_test_missing_datasets_folder_fails(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "inkpick_desktop.ui.app",
            "--self-test",
            "--datasets",
            str(tmp_path / "nope"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "nope" in proc.stderr and "does not exist" in proc.stderr


def test_tab_key_walks_every_control_in_layout_order(qtbot, make_window):
    window = make_window({"a": FakeService("a", "A")}, autostart=False)
    tab = window.tab("a")
    window.show()
    qtbot.waitExposed(window)
    chain = []
    widget = tab.dataset
    for _ in range(40):
        chain.append(widget)
        widget = widget.nextInFocusChain()
    expected = [
        tab.dataset,
        tab.search,
        tab.run_button,
        tab.mode,
        tab.alpha.slider,
        tab.auto_alpha,
        tab.diversity.slider,
        tab.k,
        tab.table,
    ]
    positions = [chain.index(w) for w in expected]
    assert positions == sorted(positions)
