"""The widgets of a domain tab and their layout (behaviour is in domaintab.py)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, QStringListModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from inkpick_desktop.engine.results import Mode
from inkpick_desktop.ui.resultsmodel import (
    COL_LABELS,
    COL_RANK,
    COL_TITLE,
    COL_YEAR,
    SCORE_COLUMNS,
    SCORE_ROLE,
    ResultsTableModel,
    ScoreBarDelegate,
)
from inkpick_desktop.ui.settings import TabState
from inkpick_desktop.ui.tabsupport import MODE_LABELS, dataset_label, labels_header
from inkpick_desktop.ui.widgets import (
    LabelledSlider,
    PicksPanel,
    ProgressStrip,
    UserPanel,
)

SUGGEST_DEBOUNCE_MS = 120
SUGGEST_LIMIT = 10


class DomainTabView(QWidget):
    """Creates and lays out every control of a domain tab, each with an
    accessible name; no signal is connected here."""

    def __init__(self, service: Any, state: TabState, parent: QWidget | None = None):
        super().__init__(parent)
        self.service = service
        self._build_ui(state)

    def _build_ui(self, state: TabState) -> None:
        noun = getattr(self.service, "item_noun", "item")
        example = getattr(self.service, "example_query", "")
        self.search = QLineEdit()
        self.search.setPlaceholderText(
            f"Type a {noun} you like, e.g. {example}" if example else f"Type a {noun}"
        )
        self.search.setAccessibleName(f"Search {noun}")
        self.search.setClearButtonEnabled(True)
        self.completer_model = QStringListModel(self)
        self.completer = QCompleter(self.completer_model, self)
        self.completer.setCompletionMode(
            QCompleter.CompletionMode.UnfilteredPopupCompletion
        )
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setMaxVisibleItems(SUGGEST_LIMIT)
        self.search.setCompleter(self.completer)
        self.suggest_timer = QTimer(self)
        self.suggest_timer.setSingleShot(True)
        self.suggest_timer.setInterval(SUGGEST_DEBOUNCE_MS)
        self.run_button = QPushButton("Recommend")
        self.run_button.setAccessibleName("Run recommendation")
        self.run_button.setDefault(True)

        self.correction = QLabel()
        self.correction.setObjectName("correction")
        self.correction.setTextFormat(Qt.TextFormat.RichText)
        self.correction.setWordWrap(True)
        self.correction.setAccessibleName("Did you mean")
        self.correction.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.correction.hide()
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.message.hide()

        self.dataset = QComboBox()
        self.dataset.setAccessibleName("Dataset")
        for key in getattr(self.service, "datasets", ()) or ():
            self.dataset.addItem(dataset_label(key), key)
        if state.dataset:
            pos = self.dataset.findData(state.dataset)
            if pos >= 0:
                self.dataset.setCurrentIndex(pos)
        self.dataset.setEnabled(self.dataset.count() > 1)
        self.dataset_label = QLabel()
        self.dataset_label.setObjectName("datasetLabel")
        self.mode = QComboBox()
        self.mode.setAccessibleName("Recommendation mode")
        for mode in (Mode.CONTENT, Mode.COLLABORATIVE, Mode.HYBRID):
            self.mode.addItem(MODE_LABELS[mode], mode.value)
        self.mode.setCurrentIndex(self.mode.findData(state.mode.value))
        self.alpha = LabelledSlider("α", "Hybrid weight alpha")
        self.alpha.setToolTip("α = 1: content only; α = 0: collaborative only")
        self.alpha.set_value(state.alpha, notify=False)
        self.auto_alpha = QCheckBox("auto α")
        self.auto_alpha.setAccessibleName("Automatic alpha")
        self.auto_alpha.setToolTip("Choose α from how much history the query has")
        self.auto_alpha.setChecked(state.auto_alpha)
        self.diversity = LabelledSlider("λ", "Diversity lambda")
        self.diversity.setToolTip(
            "MMR λ: 1 = pure relevance, lower = more varied results"
        )
        self.diversity.set_value(state.diversity, notify=False)
        self.k = QSpinBox()
        self.k.setRange(1, 100)
        self.k.setValue(state.k)
        self.k.setAccessibleName("Number of results")
        self.k.setPrefix("top ")

        self.model = ResultsTableModel(self, labels_header=labels_header(self.service))
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SCORE_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Recommendations")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_RANK, Qt.SortOrder.AscendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        bar = ScoreBarDelegate(self.table)
        for col in SCORE_COLUMNS:
            self.table.setItemDelegateForColumn(col, bar)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(COL_TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_LABELS, QHeaderView.ResizeMode.Stretch)
        for col in (COL_RANK, COL_YEAR):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        for col in SCORE_COLUMNS:
            header.resizeSection(col, 118)

        self.details = QTextBrowser()
        self.details.setAccessibleName("Why this result")
        self.details.setOpenLinks(False)
        self.details.setPlaceholderText("Select a result to see why it is recommended.")
        self.picks_panel = PicksPanel(noun)
        self.user_panel = UserPanel()
        self.side = QTabWidget()
        self.side.setDocumentMode(True)
        self.side.addTab(self.details, "Why")
        self.side.addTab(self.picks_panel, "My picks")
        self.side.addTab(self.user_panel, "Dataset user")
        self.progress = ProgressStrip()
        self.progress.hide()
        self.latency = QLabel()
        self.latency.setObjectName("latency")
        self.latency.setAccessibleName("Latency")
        self.notes = QLabel()
        self.notes.setObjectName("notes")
        self.notes.setWordWrap(True)

        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        search_row.addWidget(self.run_button)
        controls = QHBoxLayout()
        controls.setSpacing(14)
        form_mode = QFormLayout()
        form_mode.addRow("&Mode", self.mode)
        controls.addLayout(form_mode)
        controls.addWidget(self.alpha, 2)
        controls.addWidget(self.auto_alpha)
        controls.addWidget(self.diversity, 2)
        controls.addWidget(self.k)
        data_row = QHBoxLayout()
        data_label = QLabel("&Dataset")
        data_label.setBuddy(self.dataset)
        data_row.addWidget(data_label)
        data_row.addWidget(self.dataset)
        data_row.addWidget(self.dataset_label, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([880, 320])
        split.setChildrenCollapsible(False)
        self.splitter = split
        footer = QHBoxLayout()
        footer.addWidget(self.notes, 1)
        footer.addWidget(self.latency)
        self.latency.hide()  # shown in the window's status bar

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        layout.addLayout(data_row)
        layout.addWidget(self.progress)
        layout.addLayout(search_row)
        layout.addWidget(self.correction)
        layout.addWidget(self.message)
        layout.addLayout(controls)
        layout.addWidget(split, 1)
        layout.addLayout(footer)
        self._set_tab_order()
        self._update_alpha_enabled()

    def _set_tab_order(self) -> None:
        """Tab walks the controls top to bottom, left to right, as laid out."""
        chain = [
            self.dataset,
            self.progress.cancel,
            self.search,
            self.run_button,
            self.correction,
            self.mode,
            self.alpha.slider,
            self.auto_alpha,
            self.diversity.slider,
            self.k,
            self.table,
            self.side,
        ]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)
        self.correction.setFocusPolicy(Qt.FocusPolicy.TabFocus)

    def current_mode(self) -> Mode:
        # PySide stores the str-Enum as its plain string value.
        data = self.mode.currentData()
        try:
            return Mode(str(data.value if isinstance(data, Mode) else data))
        except ValueError:
            return Mode.HYBRID

    def _update_alpha_enabled(self) -> None:
        hybrid = self.current_mode() == Mode.HYBRID
        self.auto_alpha.setEnabled(hybrid)
        self.alpha.setEnabled(hybrid and not self.auto_alpha.isChecked())
