"""The evaluation dialog, its metrics model and the QPainter line plot."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor, QImage, QKeySequence, QPalette

from inkpick_desktop.domains.courses import SERVICE as COURSES
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.evaluation import EvaluationConfig, evaluate
from inkpick_desktop.ui.evaluationview import (
    COLD_START_SERIES,
    METRIC_COLUMNS,
    VALUE_ROLE,
    EvaluationDialog,
    EvaluationRequest,
    MetricsTableModel,
    format_metric,
)
from inkpick_desktop.ui.plot import LinePlot, Series, nice_ticks, series_color
from inkpick_desktop.ui.workers import BackgroundTasks

RUN_TIMEOUT_MS = 600_000
K = 5  # not the default, so the spin box is proven to reach the harness


# -- LinePlot ------------------------------------------------------------------------


def test_nice_ticks_cover_range_with_round_steps():
    assert nice_ticks(0.0, 0.27) == [0.0, 0.1, 0.2, 0.3]
    assert nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(1.0, 20.0) == [0.0, 5.0, 10.0, 15.0, 20.0]
    assert nice_ticks(0.0, 0.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_series_length_mismatch_is_refused():
    with pytest.raises(InvalidInputError, match="2 x values and 3 y values"):
        Series("a", (0.0, 1.0), (0.1, 0.2, 0.3))
    with pytest.raises(InvalidInputError, match="marked index 5"):
        Series("a", (0.0, 1.0), (0.1, 0.2), marked=(5,))


def test_line_plot_log_axis_refuses_non_positive_x(qtbot):
    plot = LinePlot("t", "x", "y", x_scale="log")
    qtbot.addWidget(plot)
    with pytest.raises(InvalidInputError, match="x <= 0 on a log axis"):
        plot.set_series([Series("a", (0.0, 1.0), (0.1, 0.2))])
    with pytest.raises(InvalidInputError, match="x_scale must be one of"):
        LinePlot("t", "x", "y", x_scale="sqrt")


def _demo_series() -> list[Series]:
    xs = tuple(i / 20 for i in range(21))
    return [
        Series("first", xs, tuple(0.1 + 0.2 * x for x in xs), marked=(7,)),
        Series("second", xs, tuple(0.3 - 0.1 * x for x in xs)),
        Series("gappy", xs, tuple(math.nan if i % 4 == 0 else 0.2 for i in range(21))),
    ]


def _image(widget) -> QImage:
    return widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def _count_not(image: QImage, color: QColor) -> int:
    rgb = color.rgb()
    return sum(
        image.pixel(x, y) != rgb
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
    )


def _has_near(image: QImage, color: QColor, tol: int = 12) -> bool:
    for y in range(image.height()):
        for x in range(image.width()):
            c = QColor(image.pixel(x, y))
            if (
                abs(c.red() - color.red()) <= tol
                and abs(c.green() - color.green()) <= tol
                and abs(c.blue() - color.blue()) <= tol
            ):
                return True
    return False


@pytest.mark.parametrize("size", [(160, 120), (320, 220), (460, 320), (1000, 640)])
def test_line_plot_paints_series_at_size(qtbot, size):
    plot = LinePlot("Demo plot", "α", "NDCG@10")
    plot.marker_label = "learned α"
    qtbot.addWidget(plot)
    plot.set_series(_demo_series())
    plot.resize(*size)
    image = _image(plot)
    assert (image.width(), image.height()) == size
    background = plot.palette().color(QPalette.ColorRole.Base)
    assert QColor(image.pixel(1, size[1] // 2)) == background
    # Title, axes, labels and lines: a good share of pixels is not background.
    assert _count_not(image, background) > 0.01 * size[0] * size[1] / 4
    if size[0] >= 320:
        assert _has_near(image, series_color(0, plot.palette()))
        assert _has_near(image, series_color(1, plot.palette()))


@pytest.mark.parametrize("scale", ["linear", "log"])
def test_line_plot_empty_and_tiny_paint_without_error(qtbot, scale):
    plot = LinePlot("Nothing yet", "x", "y", x_scale=scale)
    qtbot.addWidget(plot)
    for size in [(1, 1), (30, 20), (300, 200)]:
        plot.resize(*size)
        assert not _image(plot).isNull()
    assert plot.series() == ()
    assert plot.accessibleName() == "Nothing yet"


def test_line_plot_dark_palette_uses_light_series_on_dark_base(qtbot):
    plot = LinePlot("Dark", "x", "y")
    qtbot.addWidget(plot)
    pal = plot.palette()
    pal.setColor(QPalette.ColorRole.Base, QColor(30, 32, 36))
    pal.setColor(QPalette.ColorRole.WindowText, QColor(226, 228, 232))
    plot.setPalette(pal)
    plot.set_series(_demo_series())
    plot.resize(460, 320)
    image = _image(plot)
    assert QColor(image.pixel(1, 160)) == QColor(30, 32, 36)
    dark_color = series_color(0, plot.palette())
    assert dark_color.lightnessF() > 0.6
    assert _has_near(image, dark_color)
    assert _has_near(image, QColor(226, 228, 232), tol=20)  # text in the text colour
    assert "first, second, gappy" in plot.accessibleDescription()


# -- real data: the dialog -----------------------------------------------------------


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("eval-cache")


@pytest.fixture(scope="module")
def courses_report(datasets_root, cache_dir):
    """The harness called directly, the numbers the dialog must show."""
    config = EvaluationConfig(k=K, reference=False)
    return evaluate(COURSES, datasets_root, config=config, cache_dir=cache_dir)


@pytest.fixture
def tasks(qapp):
    t = BackgroundTasks()
    yield t
    t.shutdown()


@pytest.fixture
def dialog(qtbot, tasks, datasets_root, cache_dir):
    request = EvaluationRequest(
        COURSES, datasets_root, cache_dir, dataset=None, has_timestamps=False
    )
    dlg = EvaluationDialog(request, tasks)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


@pytest.mark.gui
@pytest.mark.realdata
@pytest.mark.slow
def test_evaluation_dialog_run_fills_table_and_plots(qtbot, dialog, courses_report):
    assert not dialog.protocol.model().item(1).isEnabled()  # courses: no timestamps
    dialog.k.setValue(K)
    with qtbot.waitSignal(dialog.evaluation_finished, timeout=RUN_TIMEOUT_MS) as got:
        dialog.run_button.click()
        assert dialog.running and not dialog.run_button.isEnabled()
    shown = got.args[0]
    assert not dialog.running and dialog.progress.isHidden()
    assert shown.config == courses_report.config
    assert dialog.protocol_line.text() == f"Protocol: {courses_report.protocol}."
    assert "random holdout 80/20" in dialog.protocol_line.text()

    model = dialog.model
    assert model.rowCount() == len(courses_report.results) == 8
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(9)] == [
        "model", "P@5", "R@5", "NDCG@5", "MAP@5", "hit rate", "coverage",
        "diversity", "popularity",
    ]  # fmt: skip
    for r, expected in enumerate(courses_report.results):
        assert model.data(model.index(r, 0)) == expected.name
        for c, (_, attr, decimals) in enumerate(METRIC_COLUMNS, start=1):
            want = getattr(expected.summary, attr)
            assert model.data(model.index(r, c), VALUE_ROLE) == want, (r, attr)
            assert model.data(model.index(r, c)) == format_metric(want, decimals)
    bpr = next(r for r, e in enumerate(courses_report.results) if e.name == "bpr")
    assert model.data(model.index(bpr, 3)) == (
        f"{courses_report.result('bpr').summary.ndcg:.4f}"
    )

    sweep = dialog.sweep_plot.series()
    alpha = courses_report.alpha
    with_users = [i for i, n in enumerate(alpha.n_users) if n > 0]
    assert [s.name for s in sweep] == [
        f"n = {alpha.sizes[i]} ({alpha.n_users[i]} users)" for i in with_users
    ]
    assert len(sweep) == 5  # courses: sizes 20 and 50 have no validation users
    for s, i in zip(sweep, with_users, strict=True):
        assert len(s.xs) == len(s.ys) == 21
        assert s.ys == tuple(alpha.curves[i])
        assert len(s.marked) == 1
        assert s.xs[s.marked[0]] == pytest.approx(alpha.schedule(alpha.sizes[i]))
    cold = dialog.cold_plot.series()
    assert [s.name for s in cold] == [label for _, label in COLD_START_SERIES]
    for s, (key, _) in zip(cold, COLD_START_SERIES, strict=True):
        assert s.xs == (1.0, 2.0, 3.0, 5.0, 10.0, 20.0)
        assert s.ys == tuple(courses_report.cold_start.curves[key])
    assert dialog.sweep_plot.y_label == "NDCG@5"
    image = _image(dialog.cold_plot)
    background = dialog.cold_plot.palette().color(QPalette.ColorRole.Base)
    assert _count_not(image, background) > 500


@pytest.mark.gui
@pytest.mark.realdata
@pytest.mark.slow
def test_evaluation_dialog_cancel_shows_cancelled(qtbot, dialog):
    with qtbot.waitSignal(dialog.tasks.progress_changed, timeout=RUN_TIMEOUT_MS):
        dialog.start()
    with qtbot.waitSignal(dialog.evaluation_failed, timeout=RUN_TIMEOUT_MS) as got:
        dialog.progress.cancel.click()
    assert got.args == ["cancelled"]
    assert dialog.status.text() == "Evaluation cancelled."
    assert dialog.report is None and dialog.model.rowCount() == 0
    assert not dialog.running and dialog.run_button.isEnabled()


@pytest.mark.gui
@pytest.mark.realdata
@pytest.mark.slow
def test_evaluation_dialog_close_during_run_cancels_and_waits(qtbot, dialog, tasks):
    with qtbot.waitSignal(tasks.progress_changed, timeout=RUN_TIMEOUT_MS):
        dialog.start()
    assert dialog.running
    with qtbot.waitSignal(dialog.evaluation_failed, timeout=RUN_TIMEOUT_MS) as got:
        dialog.close()
        assert not dialog.isVisible()
    assert got.args == ["cancelled"]
    assert tasks.running() == []
    # The shared thread is still usable after the cancelled run.
    with qtbot.waitSignal(tasks.task_finished, timeout=10_000) as done:
        tasks.submit("probe", lambda progress, cancel: 42)
    assert done.args[2] == 42


def test_evaluation_dialog_without_datasets_folder_says_so(qtbot, tasks):
    dlg = EvaluationDialog(EvaluationRequest(COURSES, None, None, None), tasks)
    qtbot.addWidget(dlg)
    assert dlg.start() is None
    assert "No datasets folder" in dlg.status.text()
    assert dlg.protocol.model().item(1).isEnabled()  # unknown: temporal allowed


def test_metrics_model_passes_model_tester_empty(qtmodeltester):
    model = MetricsTableModel()
    qtmodeltester.check(model)
    assert model.rowCount() == 0 and model.columnCount() == 9
    assert model.data(model.index(0, 0)) is None
    assert model.rowCount(model.index(0, 0)) == 0 and model.rowCount(QModelIndex()) == 0


@pytest.mark.realdata
@pytest.mark.slow
def test_metrics_model_passes_model_tester_with_report(qtmodeltester, courses_report):
    model = MetricsTableModel()
    model.set_report(courses_report)
    qtmodeltester.check(model)
    assert model.rowCount() == 8
    learned = [r.name for r in courses_report.results].index("hybrid learned α")
    assert "validation split" in model.data(
        model.index(learned, 0), Qt.ItemDataRole.ToolTipRole
    )


@pytest.mark.gui
@pytest.mark.realdata
@pytest.mark.slow
def test_window_tools_menu_opens_evaluation_for_current_tab(
    qtbot, make_window, datasets_root, cache_dir
):
    window = make_window(
        {"courses": COURSES},
        datasets_root=datasets_root,
        cache_dir=cache_dir,
        autostart=False,
    )
    action = window.action_evaluate
    assert action.shortcut() == QKeySequence("Ctrl+Shift+E")
    menus = [a.text() for a in window.menuBar().actions()]
    assert "&Tools" in menus
    action.trigger()
    dialogs = window.findChildren(EvaluationDialog)
    assert len(dialogs) == 1
    dlg = dialogs[0]
    assert dlg.request.service is COURSES
    assert dlg.request.datasets_root == datasets_root
    assert dlg.request.cache_dir == cache_dir
    assert dlg.request.dataset == "courses"
    action.trigger()  # raises the same dialog, no second one
    assert window.findChildren(EvaluationDialog) == [dlg]
    # Shutting the window down mid-run cancels and joins the thread.
    with qtbot.waitSignal(window.tasks.progress_changed, timeout=RUN_TIMEOUT_MS):
        dlg.start()
    window.shutdown()
    assert not window.tasks._thread.isRunning()
