"""The results table: :class:`ResultsTableModel` and the score-bar delegate.

The model holds an immutable tuple of :class:`ResultRow`, swapped inside a model
reset. Score columns return their float under :data:`SCORE_ROLE` (also used for
sorting) and a formatted number for display; :class:`ScoreBarDelegate` draws
them as small bars in the palette's highlight colour.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from inkpick_desktop.data.model import LABEL_SEP
from inkpick_desktop.engine.results import ResultRow

#: Float value of a score column, raw value of the others (for sorting).
SCORE_ROLE = Qt.ItemDataRole.UserRole + 1
#: The whole :class:`ResultRow` of a row (any column).
ROW_ROLE = Qt.ItemDataRole.UserRole + 2

COL_RANK, COL_TITLE, COL_YEAR, COL_LABELS, COL_SCORE, COL_CONTENT, COL_COLLAB = range(7)
SCORE_COLUMNS = (COL_SCORE, COL_CONTENT, COL_COLLAB)

_HEADERS = ("#", "Title", "Year", "Genres / tags", "Score", "Content", "Collab.")
_HEADER_TIPS = (
    "Rank",
    "Title",
    "Year of release or publication",
    "Genres, tags or provider",
    "Blended score: α · content + (1 − α) · collaborative, rescaled to [0, 1]",
    "Content score (TF-IDF cosine), rescaled to [0, 1]",
    "Collaborative score (latent factors), rescaled to [0, 1]",
)

Index = QModelIndex | QPersistentModelIndex


class ResultsTableModel(QAbstractTableModel):
    """Read-only table of recommendation rows."""

    def __init__(self, parent: object | None = None, labels_header: str = "") -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self._rows: tuple[ResultRow, ...] = ()
        self._headers = list(_HEADERS)
        if labels_header:
            self._headers[COL_LABELS] = labels_header

    # -- data access -------------------------------------------------------
    @property
    def rows(self) -> tuple[ResultRow, ...]:
        return self._rows

    def set_rows(self, rows: Sequence[ResultRow]) -> None:
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows(())

    def row_at(self, row: int) -> ResultRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    # -- Qt model API --------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        if orientation != Qt.Orientation.Horizontal or not (
            0 <= section < len(self._headers)
        ):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _HEADER_TIPS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.parent().isValid():
            return None
        row = self.row_at(index.row())
        col = index.column()
        if row is None or not 0 <= col < len(self._headers):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(row, col)
        if role == SCORE_ROLE:
            return _sort_value(row, col)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (COL_RANK, COL_YEAR) or col in SCORE_COLUMNS:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return _display(row, col) or "none"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def _score_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _display(row: ResultRow, col: int) -> str:
    if col == COL_RANK:
        return str(row.rank)
    if col == COL_TITLE:
        # The year has its own column; "Heat (1995)" shows as "Heat".
        suffix = f" ({row.year})"
        if row.year and row.title.endswith(suffix):
            return row.title[: -len(suffix)]
        return row.title
    if col == COL_YEAR:
        return str(row.year) if row.year else ""
    if col == COL_LABELS:
        return ", ".join(x for x in row.labels.split(LABEL_SEP) if x)
    if col == COL_SCORE:
        return _score_text(row.score)
    if col == COL_CONTENT:
        return _score_text(row.content)
    return _score_text(row.collaborative)


def _sort_value(row: ResultRow, col: int) -> object:
    if col == COL_RANK:
        return row.rank
    if col == COL_YEAR:
        return row.year
    if col == COL_SCORE:
        return float(row.score)
    if col == COL_CONTENT:
        return -1.0 if row.content is None else float(row.content)
    if col == COL_COLLAB:
        return -1.0 if row.collaborative is None else float(row.collaborative)
    return _display(row, col).casefold()


def _tooltip(row: ResultRow) -> str:
    text = row.why or row.title
    if row.fallback:
        text += f"\n({row.fallback})"
    return text


class ScoreBarDelegate(QStyledItemDelegate):
    """Draws a score in [0, 1] as a bar behind its number; palette colours only."""

    BAR_HEIGHT_RATIO = 0.42

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: Index
    ) -> None:
        value = index.data(SCORE_ROLE)
        if not isinstance(value, float) or value < 0:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        style = opt.widget.style() if opt.widget is not None else None
        text = opt.text
        opt.text = ""
        if style is not None:
            style.drawControl(
                QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget
            )
        rect: QRect = option.rect.adjusted(4, 0, -4, 0)
        number_width = opt.fontMetrics.horizontalAdvance("0.000") + 8
        bar_space = max(rect.width() - number_width, 8)
        height = max(int(rect.height() * self.BAR_HEIGHT_RATIO), 4)
        top = rect.top() + (rect.height() - height) // 2
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette: QPalette = opt.palette
        groove = palette.color(QPalette.ColorRole.Mid)
        fill = palette.color(
            QPalette.ColorRole.HighlightedText
            if selected
            else QPalette.ColorRole.Highlight
        )
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        groove.setAlpha(70)
        painter.setBrush(groove)
        painter.drawRoundedRect(QRect(rect.left(), top, bar_space, height), 2, 2)
        painter.setBrush(fill)
        width = int(round(bar_space * min(max(value, 0.0), 1.0)))
        if width > 0:
            painter.drawRoundedRect(QRect(rect.left(), top, width, height), 2, 2)
        text_role = (
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        painter.setPen(palette.color(text_role))
        painter.drawText(
            rect,
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            text,
        )
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        base = super().sizeHint(option, index)
        return QSize(max(base.width(), 110), base.height())
