"""File → Import items / interactions: a column-mapping dialog with a preview.

The preview comes from ``data.importers.preview`` (first rows, at most 4 MiB
read); the whole import runs on the background thread. Any ``InkpickError``
(a bad file, a wrong mapping) is shown with the file, line and field the
importer names, and the window keeps working.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inkpick_desktop.engine.errors import InkpickError

if TYPE_CHECKING:
    from inkpick_desktop.ui.mainwindow import MainWindow

logger = logging.getLogger(__name__)

NONE = "(none)"
PREVIEW_ROWS = 20
_GUESSES = {
    "id": ("id", "item_id", "itemid", "movieid", "course_id", "key"),
    "title": ("title", "name", "course_title", "album", "artist"),
    "year": ("year", "release_year", "published"),
    "user": ("user", "user_id", "userid"),
    "item": ("item", "item_id", "itemid", "movieid", "course_id"),
    "value": ("rating", "value", "score", "count", "plays", "weight"),
    "timestamp": ("timestamp", "time", "date", "ts"),
}


@dataclass(frozen=True)
class Mapping:
    """The chosen columns (``None`` = not mapped)."""

    columns: dict[str, str | None]
    text_columns: tuple[str, ...] = ()
    label_columns: tuple[str, ...] = ()


def _guess(columns: tuple[str, ...], role: str) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    for name in _GUESSES.get(role, ()):
        if name in lowered:
            return lowered[name]
    return None


class ImportDialog(QDialog):
    """Shows a preview of ``path`` and lets the user map its columns."""

    def __init__(
        self, parent: QWidget | None, kind: str, path: Path, preview: Any
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.path = path
        self.columns: tuple[str, ...] = tuple(preview.columns)
        self.setWindowTitle(f"Import {kind} from {path.name}")
        self.resize(820, 560)
        where = f"{path} · {preview.format.upper()}"
        if preview.delimiter:
            where += f" · delimiter {preview.delimiter!r}"
        info = QLabel(where)
        info.setWordWrap(True)
        self.table = QTableWidget(len(preview.rows), len(self.columns))
        self.table.setAccessibleName("File preview")
        self.table.setHorizontalHeaderLabels(list(self.columns))
        for r, row in enumerate(preview.rows):
            for c, value in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.resizeColumnsToContents()
        self.combos: dict[str, QComboBox] = {}
        form = QFormLayout()
        roles = (
            [("id", True), ("title", True), ("year", False)]
            if kind == "items"
            else [
                ("user", True),
                ("item", True),
                ("value", False),
                ("timestamp", False),
            ]
        )
        for role, required in roles:
            combo = QComboBox()
            combo.setAccessibleName(f"{role} column")
            if not required:
                combo.addItem(NONE)
            combo.addItems(list(self.columns))
            guess = _guess(self.columns, role)
            if guess is not None:
                combo.setCurrentText(guess)
            self.combos[role] = combo
            form.addRow(
                f"{role.capitalize()} column{'' if required else ' (optional)'}", combo
            )
        self.text_list = self.label_list = None
        if kind == "items":
            self.text_list = self._checklist("Text columns (for content similarity)")
            self.label_list = self._checklist("Label columns (genres, tags)")
            form.addRow("Text columns", self.text_list)
            form.addRow("Label columns", self.label_list)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(info)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _checklist(self, name: str) -> QListWidget:
        widget = QListWidget()
        widget.setAccessibleName(name)
        widget.setMaximumHeight(90)
        for column in self.columns:
            item = QListWidgetItem(column)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            widget.addItem(item)
        return widget

    def mapping(self) -> Mapping:
        columns = {
            role: (None if c.currentText() == NONE else c.currentText())
            for role, c in self.combos.items()
        }

        def checked(widget: QListWidget | None) -> tuple[str, ...]:
            if widget is None:
                return ()
            return tuple(
                widget.item(i).text()
                for i in range(widget.count())
                if widget.item(i).checkState() == Qt.CheckState.Checked
            )

        return Mapping(columns, checked(self.text_list), checked(self.label_list))


def import_job(
    kind: str, path: Path, mapping: Mapping, catalog: Any, domain: str
) -> Any:
    """The work of an import, run on the background thread."""
    from inkpick_desktop.data import importers

    cols = mapping.columns
    if kind == "items":
        return importers.import_items(
            path,
            id_column=str(cols["id"]),
            title_column=str(cols["title"]),
            text_columns=mapping.text_columns,
            label_columns=mapping.label_columns,
            year_column=cols.get("year"),
            domain=domain,
        )
    return importers.import_interactions(
        path,
        catalog,
        user_column=str(cols["user"]),
        item_column=str(cols["item"]),
        value_column=cols.get("value"),
        timestamp_column=cols.get("timestamp"),
    )


def run_import(
    window: MainWindow,
    kind: str,
    path: Path | None = None,
    mapping: Mapping | None = None,
) -> bool:
    """Ask for a file (unless given), preview it, map columns, import in background.

    Returns ``False`` when nothing was started (cancelled, or the file was refused
    at preview; the error has then been shown).
    """
    from inkpick_desktop.data import importers

    if path is None:
        chosen, _ = QFileDialog.getOpenFileName(
            window,
            f"Import {kind}",
            str(Path.home()),
            "Data files (*.csv *.tsv *.json *.jsonl);;All files (*)",
        )
        if not chosen:
            return False
        path = Path(chosen)
    tab = window.current_tab()
    catalog = getattr(tab.recommender, "catalog", None) if tab is not None else None
    if kind == "interactions" and catalog is None:
        window.report_error(
            InkpickError(
                "load a domain first: interactions are matched against its catalog"
            ),
            "Import: ",
        )
        return False
    try:
        preview = importers.preview(path, PREVIEW_ROWS)
    except InkpickError as exc:
        window.report_error(exc, "Import failed: ")
        return False
    if mapping is None:
        dialog = ImportDialog(window, kind, path, preview)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        mapping = dialog.mapping()
    domain = tab.key if tab is not None else "custom"
    task_path, task_mapping = path, mapping
    window.start_import(
        kind,
        path,
        lambda progress, cancel: import_job(
            kind, task_path, task_mapping, catalog, domain
        ),
    )
    return True
