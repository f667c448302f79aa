"""The evaluation dialog: run the offline harness for one domain and show it.

:class:`EvaluationDialog` runs :func:`~inkpick_desktop.engine.evaluation.evaluate`
for a domain service and dataset on the window's :class:`BackgroundTasks`
thread (never on the GUI thread), with a progress strip and Cancel, then shows
the protocol line, a metrics table (:class:`MetricsTableModel`) and two
:class:`~inkpick_desktop.ui.plot.LinePlot` charts: the validation α sweep
(NDCG@K against α, one series per history size, the learned α ringed) and the
cold-start curve (NDCG@K against the number of known items).

Closing the dialog while a run is going cancels it; the dialog is only hidden
and stays alive (its parent owns it) until the worker reports the
``CancelledError``, so nothing is deleted under a running job and the window's
shutdown still waits for the thread.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inkpick_desktop.engine.errors import CancelledError, InkpickError
from inkpick_desktop.engine.evaluation import (
    EvaluationConfig,
    EvaluationReport,
    evaluate,
)
from inkpick_desktop.ui.plot import LinePlot, Series
from inkpick_desktop.ui.widgets import ProgressStrip
from inkpick_desktop.ui.workers import BackgroundTasks, Task

logger = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex

#: Role of the raw float (or ``None``) behind a metric cell.
VALUE_ROLE = Qt.ItemDataRole.UserRole + 1
#: Metric columns: header (``{k}`` = K), ``MetricSummary`` field, decimals.
METRIC_COLUMNS = (
    ("P@{k}", "precision", 4),
    ("R@{k}", "recall", 4),
    ("NDCG@{k}", "ndcg", 4),
    ("MAP@{k}", "map", 4),
    ("hit rate", "hit_rate", 4),
    ("coverage", "coverage", 4),
    ("diversity", "diversity", 3),
    ("popularity", "popularity", 3),
)
#: Cold-start curves of the report, in plotting order, with their legend names.
COLD_START_SERIES = (
    ("content", "content"),
    ("collaborative", "collaborative (fold-in)"),
    ("hybrid learned α", "hybrid, learned α"),
    ("hybrid default curve", "hybrid, default curve"),
)
MAX_K = 100


def format_metric(value: float | None, decimals: int) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{decimals}f}"


class MetricsTableModel(QAbstractTableModel):
    """One row per evaluated model; column 0 the name, then the metrics.

    ``DisplayRole`` is the formatted value, ``VALUE_ROLE`` the raw float
    (``None`` for a metric the run did not measure), tooltips carry notes.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: tuple[Any, ...] = ()
        self._k = 10

    def set_report(self, report: EvaluationReport | None) -> None:
        self.beginResetModel()
        self._rows = report.results if report is not None else ()
        self._k = report.config.k if report is not None else 10
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 1 + len(METRIC_COLUMNS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if not 0 <= section < self.columnCount():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if section == 0:
                return "model"
            return METRIC_COLUMNS[section - 1][0].format(k=self._k)
        if role == Qt.ItemDataRole.TextAlignmentRole and section > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(
        self,
        index: Index,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        col = index.column()
        if col == 0:
            if role in (Qt.ItemDataRole.DisplayRole, VALUE_ROLE):
                return row.name
            if role == Qt.ItemDataRole.ToolTipRole:
                return row.note or None
            return None
        if not 0 < col <= len(METRIC_COLUMNS):
            return None
        _, attr, decimals = METRIC_COLUMNS[col - 1]
        value = getattr(row.summary, attr)
        if role == Qt.ItemDataRole.DisplayRole:
            return format_metric(value, decimals)
        if role == VALUE_ROLE:
            return None if value is None else float(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


@dataclass(frozen=True)
class EvaluationRequest:
    """What one run evaluates: the domain service, where the data is, which set."""

    service: Any
    datasets_root: Path | None
    cache_dir: Path | None
    dataset: str | None
    #: ``True``/``False`` when known from the loaded data, ``None`` = unknown.
    has_timestamps: bool | None = None


def alpha_sweep_series(report: EvaluationReport) -> list[Series]:
    """One series per simulated history size that had users; learned α ringed."""
    learning = report.alpha
    grid = tuple(float(a) for a in learning.grid)
    out = []
    for size, users, curve in zip(
        learning.sizes, learning.n_users, learning.curves, strict=True
    ):
        if users == 0 or not any(math.isfinite(v) for v in curve):
            continue
        chosen = learning.schedule(int(size))
        marked = tuple(
            j for j, a in enumerate(grid) if math.isclose(a, chosen, abs_tol=1e-9)
        )
        out.append(
            Series(f"n = {size} ({users} users)", grid, tuple(curve), marked[:1])
        )
    return out


def cold_start_series(report: EvaluationReport) -> list[Series]:
    cold = report.cold_start
    xs = tuple(float(s) for s in cold.sizes)
    return [
        Series(label, xs, tuple(cold.curves[key]))
        for key, label in COLD_START_SERIES
        if key in cold.curves
    ]


class EvaluationDialog(QDialog):
    """Runs and shows an offline evaluation of one domain.

    Signals
    -------
    evaluation_finished(object)
        The :class:`EvaluationReport` of a completed run.
    evaluation_failed(str)
        The text shown for a failed or cancelled run (``"cancelled"`` for one
        that was cancelled).
    """

    evaluation_finished = Signal(object)
    evaluation_failed = Signal(str)

    def __init__(
        self,
        request: EvaluationRequest,
        tasks: BackgroundTasks,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.request = request
        self.tasks = tasks
        self.report: EvaluationReport | None = None
        self._task: Task | None = None
        label = str(getattr(request.service, "label", request.service.key))
        self.setWindowTitle(f"Evaluate {label} — Inkpick Desktop")
        self.setObjectName(f"evaluationDialog_{request.service.key}")
        self.setAccessibleName(f"Evaluation of {label}")
        self._build_ui()
        self._connect_signals()
        self.resize(1180, 820)

    # -- public API --------------------------------------------------------------
    @property
    def key(self) -> str:
        return f"evaluate:{self.request.service.key}"

    @property
    def running(self) -> bool:
        return self._task is not None

    def config(self) -> EvaluationConfig:
        return EvaluationConfig(
            k=self.k.value(),
            protocol=str(self.protocol.currentData()),
            reference=self.reference.isChecked(),
        )

    def start(self) -> Task | None:
        """Start a run with the chosen settings (no-op while one is running)."""
        if self._task is not None:
            return None
        try:
            config = self.config()
        except InkpickError as exc:
            self._show_status(str(exc))
            return None
        req = self.request
        if req.datasets_root is None:
            self._show_status(
                "No datasets folder is set: evaluation needs the real datasets "
                "(File → Choose datasets folder…)."
            )
            return None

        def job(progress: Any, cancel: Any) -> EvaluationReport:
            return evaluate(
                req.service,
                req.datasets_root,
                dataset=req.dataset,
                config=config,
                cache_dir=req.cache_dir,
                progress=progress,
                cancel=cancel,
            )

        self._task = self.tasks.submit(self.key, job)
        self.progress.set_progress("Waiting for the background thread…", -1)
        self.progress.show()
        self._set_controls_enabled(False)
        self.status.setText("Running…")
        return self._task

    def cancel(self) -> None:
        if self._task is not None:
            self._task.token.cancel()
            self.progress.set_progress("Cancelling…", -1)

    # -- construction ------------------------------------------------------------
    def _build_ui(self) -> None:
        self.protocol = QComboBox()
        self.protocol.setAccessibleName("Protocol")
        self.protocol.addItem("random holdout", "random")
        self.protocol.addItem("temporal holdout", "temporal")
        if self.request.has_timestamps is False:
            item = self.protocol.model().item(1)  # type: ignore[attr-defined]
            item.setEnabled(False)
            item.setToolTip("This dataset has no timestamps")
        self.k = QSpinBox()
        self.k.setRange(1, MAX_K)
        self.k.setValue(10)
        self.k.setPrefix("K = ")
        self.k.setAccessibleName("List length K")
        self.reference = QCheckBox("implicit reference")
        self.reference.setToolTip(
            "Also fit the implicit library's ALS and BPR, when it is installed"
        )
        self.run_button = QPushButton("&Run")
        self.run_button.setDefault(True)
        self.run_button.setAccessibleName("Run evaluation")
        self.close_button = QPushButton("Close")
        controls = QHBoxLayout()
        protocol_label = QLabel("&Protocol:")
        protocol_label.setBuddy(self.protocol)
        controls.addWidget(protocol_label)
        controls.addWidget(self.protocol)
        controls.addWidget(self.k)
        controls.addWidget(self.reference)
        controls.addStretch(1)
        controls.addWidget(self.run_button)
        controls.addWidget(self.close_button)

        self.progress = ProgressStrip()
        self.progress.bar.setAccessibleName("Evaluation progress")
        self.progress.cancel.setAccessibleName("Cancel evaluation")
        self.progress.hide()
        self.status = QLabel("Choose the protocol and K, then Run.")
        self.status.setWordWrap(True)
        self.status.setObjectName("evaluationStatus")
        self.protocol_line = QLabel()
        self.protocol_line.setWordWrap(True)
        self.protocol_line.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.protocol_line.setAccessibleName("Protocol line")

        self.model = MetricsTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Metrics per model")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)

        self.sweep_plot = LinePlot("α sweep (validation)", "α", "NDCG@10")
        self.sweep_plot.marker_label = "learned α"
        self.cold_plot = LinePlot(
            "Cold start (test split)", "known items n", "NDCG@10", x_scale="log"
        )
        plots = QWidget()
        plots_layout = QHBoxLayout(plots)
        plots_layout.setContentsMargins(0, 0, 0, 0)
        plots_layout.addWidget(self.sweep_plot)
        plots_layout.addWidget(self.cold_plot)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(plots)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        # Room for the ten-odd model rows without scrolling; the plots get the rest.
        split.setSizes([320, 440])

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.protocol_line)
        layout.addWidget(split, 1)

    def _connect_signals(self) -> None:
        self.run_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.close)
        self.progress.cancel_requested.connect(self.cancel)
        self.tasks.progress_changed.connect(self._on_progress_changed)
        self.tasks.task_finished.connect(self._on_task_finished)
        self.tasks.task_failed.connect(self._on_task_failed)

    def _set_controls_enabled(self, enabled: bool) -> None:
        for widget in (self.run_button, self.protocol, self.k, self.reference):
            widget.setEnabled(enabled)

    def _show_status(self, text: str) -> None:
        self.status.setText(text)

    def _mine(self, key: str, serial: int) -> bool:
        task = self._task
        return task is not None and key == self.key and serial == task.serial

    # -- results -------------------------------------------------------------------
    def show_report(self, report: EvaluationReport) -> None:
        self.report = report
        self.model.set_report(report)
        k = report.config.k
        self.protocol_line.setText(f"Protocol: {report.protocol}.")
        summary = (
            f"{report.label}: {report.n_users:,} users, {report.n_items:,} items "
            f"({report.n_items_with_data:,} with training data), "
            f"{report.n_train_events:,} training events, "
            f"{report.n_test_pairs:,} test pairs; {report.seconds:.1f} s."
        )
        alphas = ", ".join(f"{a:g}" for a in report.alpha.schedule.alphas)
        starts = ", ".join(str(s) for s in report.alpha.schedule.bucket_starts)
        summary += f" Learned α {alphas} (buckets from {starts})."
        if report.notes:
            summary += " " + " ".join(report.notes)
        self.status.setText(summary)
        self.sweep_plot.y_label = f"NDCG@{k}"
        self.cold_plot.y_label = f"NDCG@{k}"
        self.sweep_plot.set_series(alpha_sweep_series(report))
        sizes = tuple(float(s) for s in report.cold_start.sizes)
        self.cold_plot.set_series(cold_start_series(report), x_ticks=sizes)

    @Slot(str, int, str, float)
    def _on_progress_changed(
        self, key: str, serial: int, stage: str, fraction: float
    ) -> None:
        if self._mine(key, serial) and not self._task.token.cancelled:  # type: ignore[union-attr]
            self.progress.set_progress(stage[:1].upper() + stage[1:] + "…", fraction)

    @Slot(str, int, object)
    def _on_task_finished(self, key: str, serial: int, result: object) -> None:
        if not self._mine(key, serial):
            return
        self._end_run()
        assert isinstance(result, EvaluationReport)
        self.show_report(result)
        self.evaluation_finished.emit(result)

    @Slot(str, int, object, str)
    def _on_task_failed(self, key: str, serial: int, exc: object, tb: str) -> None:
        if not self._mine(key, serial):
            return
        self._end_run()
        if isinstance(exc, CancelledError):
            text = "cancelled"
            self.status.setText("Evaluation cancelled.")
        elif isinstance(exc, InkpickError):
            text = str(exc)
            self.status.setText(f"Evaluation failed: {text}")
        else:
            logger.error("evaluation failed:\n%s", tb)
            text = f"unexpected error: {type(exc).__name__}: {exc}"
            self.status.setText(f"Evaluation failed: {text} (details in the log)")
        self.evaluation_failed.emit(text)

    def _end_run(self) -> None:
        self._task = None
        self.progress.hide()
        self._set_controls_enabled(True)

    # -- closing -------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        # Cancel, hide, and let the worker's CancelledError end the run later.
        self.cancel()
        super().closeEvent(event)

    def reject(self) -> None:  # Escape
        self.cancel()
        super().reject()


def open_evaluation(window: Any) -> EvaluationDialog | None:
    """Open (or raise) the evaluation dialog for the window's current tab."""
    tab = window.current_tab()
    if tab is None:
        return None
    dataset = tab.dataset.currentData() or None
    for dialog in window.findChildren(EvaluationDialog):
        if dialog.request.service is tab.service and dialog.request.dataset == dataset:
            dialog.show()
            dialog.raise_()
            dialog.activateWindow()
            return dialog
    rec = tab.recommender
    inter = getattr(rec, "interactions", None) if rec is not None else None
    has_ts = None if rec is None else inter is not None and inter.timestamps is not None
    request = EvaluationRequest(
        service=tab.service,
        datasets_root=window.datasets_root,
        cache_dir=window.cache_dir,
        dataset=dataset,
        has_timestamps=has_ts,
    )
    dialog = EvaluationDialog(request, window.tasks, window)
    dialog.show()
    return dialog
