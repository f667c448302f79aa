"""Small widgets the domain tab is made of; no engine calls in here."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from inkpick_desktop.engine.results import ResultRow
from inkpick_desktop.ui.picks import Pick

#: Stages shown in the latency line, in pipeline order.
LATENCY_STAGES = ("resolve", "content", "collaborative", "blend", "diversity")
_STAGE_SHORT = {"collaborative": "collab"}


def format_latency(latency: Mapping[str, float]) -> str:
    """``"12.3 ms  ·  resolve 0.4 · content 3.1 · ..."``; stages present only."""
    if not latency:
        return ""
    total = latency.get("total")
    parts = [
        f"{_STAGE_SHORT.get(s, s)} {latency[s]:.1f}"
        for s in LATENCY_STAGES
        if s in latency
    ]
    head = f"{total:.1f} ms" if total is not None else ""
    return head + ("  ·  " + " · ".join(parts) if parts else "")


class LabelledSlider(QWidget):
    """A 0..100 slider mapped to [0, 1] with its value shown beside it.

    Signals
    -------
    value_changed(float)
        The new value in [0, 1] (emitted on every slider step).
    """

    value_changed = Signal(float)

    def __init__(self, symbol: str, accessible: str, parent: QWidget | None = None):
        super().__init__(parent)
        self._symbol = symbol
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setSingleStep(1)
        self.slider.setPageStep(10)
        self.slider.setMinimumWidth(110)
        self.slider.setAccessibleName(accessible)
        self.slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.label = QLabel()
        self.label.setMinimumWidth(
            self.label.fontMetrics().horizontalAdvance("λ 0.00 ")
        )
        self.label.setBuddy(self.slider)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.label)
        layout.addWidget(self.slider, 1)
        self.slider.valueChanged.connect(self._on_slider)
        self._update_label(self.slider.value())

    def value(self) -> float:
        return self.slider.value() / 100.0

    def set_value(self, value: float, *, notify: bool = True) -> None:
        step = int(round(min(max(value, 0.0), 1.0) * 100))
        if not notify:
            blocked = self.slider.blockSignals(True)
            self.slider.setValue(step)
            self.slider.blockSignals(blocked)
            self._update_label(step)
        else:
            self.slider.setValue(step)

    def _on_slider(self, step: int) -> None:
        self._update_label(step)
        self.value_changed.emit(step / 100.0)

    def _update_label(self, step: int) -> None:
        self.label.setText(f"{self._symbol} {step / 100:.2f}")


class ProgressStrip(QWidget):
    """Progress bar with a stage label and a cancel button, for long jobs.

    Signals
    -------
    cancel_requested()
        The user pressed Cancel.
    """

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(12)
        self.bar.setAccessibleName("Loading progress")
        self.cancel = QPushButton("Cancel")
        self.cancel.setAccessibleName("Cancel loading")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stage)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel)
        self.cancel.clicked.connect(self.cancel_requested)

    def set_progress(self, stage: str, fraction: float) -> None:
        self.stage.setText(stage)
        if fraction < 0:
            self.bar.setRange(0, 0)  # busy indicator: fraction unknown
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(round(fraction * 1000)))


class PicksPanel(QWidget):
    """The user's own picks for one domain, with buttons acting on them.

    Signals
    -------
    add_selected_requested(), add_typed_requested(), remove_requested(str),
    clear_requested(), recommend_requested()
    """

    add_selected_requested = Signal()
    add_typed_requested = Signal()
    remove_requested = Signal(str)
    clear_requested = Signal()
    recommend_requested = Signal()

    def __init__(self, item_noun: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAccessibleName("My picks")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.add_selected = QPushButton("Add selected")
        self.add_selected.setToolTip(f"Add the {item_noun} selected in the results")
        self.add_typed = QPushButton("Add typed")
        self.add_typed.setToolTip(f"Add the {item_noun} typed in the search field")
        self.remove = QPushButton("Remove")
        self.clear = QPushButton("Clear")
        self.recommend = QPushButton("Recommend from my picks")
        self.recommend.setDefault(False)
        for button in (self.add_selected, self.add_typed, self.remove, self.clear):
            button.setAccessibleName(f"{button.text()} pick")
        self.recommend.setAccessibleName("Recommend from my picks")
        row1 = QHBoxLayout()
        row1.addWidget(self.add_selected)
        row1.addWidget(self.add_typed)
        row2 = QHBoxLayout()
        row2.addWidget(self.remove)
        row2.addWidget(self.clear)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addWidget(self.recommend)
        self.add_selected.clicked.connect(self.add_selected_requested)
        self.add_typed.clicked.connect(self.add_typed_requested)
        self.remove.clicked.connect(self._on_remove)
        self.clear.clicked.connect(self.clear_requested)
        self.recommend.clicked.connect(self.recommend_requested)

    def set_picks(self, picks: list[Pick]) -> None:
        self.list.clear()
        for pick in picks:
            item = QListWidgetItem(pick.title or pick.id)
            item.setData(Qt.ItemDataRole.UserRole, pick.id)
            item.setToolTip(f"id {pick.id}")
            self.list.addItem(item)
        has = bool(picks)
        self.remove.setEnabled(has)
        self.clear.setEnabled(has)
        self.recommend.setEnabled(has)

    def _on_remove(self) -> None:
        item = self.list.currentItem() or (
            self.list.item(0) if self.list.count() else None
        )
        if item is not None:
            self.remove_requested.emit(str(item.data(Qt.ItemDataRole.UserRole)))


class UserPanel(QWidget):
    """Load a dataset user by id and show their history.

    Signals
    -------
    load_requested(str)
        The user id typed.
    """

    load_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.user_id = QLineEdit()
        self.user_id.setPlaceholderText("user id, e.g. 1")
        self.user_id.setAccessibleName("Dataset user id")
        self.load = QPushButton("Load user")
        self.load.setAccessibleName("Load dataset user")
        self.caption = QLabel("History")
        self.caption.setWordWrap(True)
        self.history = QListWidget()
        self.history.setAccessibleName("User history")
        row = QHBoxLayout()
        row.addWidget(self.user_id, 1)
        row.addWidget(self.load)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.caption)
        layout.addWidget(self.history, 1)
        self.load.clicked.connect(self._on_load)
        self.user_id.returnPressed.connect(self._on_load)

    def set_history(self, user_id: str, rows: list[ResultRow]) -> None:
        self.caption.setText(f"History of user {user_id}: {len(rows)} items")
        self.history.clear()
        for row in rows:
            year = (
                f" ({row.year})" if row.year and str(row.year) not in row.title else ""
            )
            item = QListWidgetItem(f"{row.title}{year}")
            item.setToolTip(row.why or row.labels)
            self.history.addItem(item)

    def _on_load(self) -> None:
        text = self.user_id.text().strip()
        if text:
            self.load_requested.emit(text)


def expanding(widget: QWidget) -> QWidget:
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return widget
