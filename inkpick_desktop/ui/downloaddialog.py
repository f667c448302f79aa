"""File → Download datasets: pick datasets, fetch them with progress and cancel."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inkpick_desktop.engine.errors import CancelledError, InkpickError
from inkpick_desktop.ui.widgets import ProgressStrip
from inkpick_desktop.ui.workers import BackgroundTasks

logger = logging.getLogger(__name__)

TASK_PREFIX = "download:"


class DownloadDialog(QDialog):
    """Downloads the checked datasets one after the other on the background thread."""

    def __init__(
        self, parent: QWidget | None, tasks: BackgroundTasks, root: Path | None
    ) -> None:
        super().__init__(parent)
        from inkpick_desktop.data.locate import user_datasets_dir
        from inkpick_desktop.data.registry import DATASETS

        self.setWindowTitle("Download datasets")
        self.resize(560, 460)
        self.tasks = tasks
        self.root = root if root is not None else user_datasets_dir()
        self._pending: list[str] = []
        self._serial = 0
        self.list = QListWidget()
        self.list.setAccessibleName("Datasets to download")
        for key, spec in DATASETS.items():
            item = QListWidgetItem(f"{spec.title} — {spec.licence}")
            item.setData(Qt.ItemDataRole.UserRole, key)
            can = spec.download is not None
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            if not can:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(spec.manual or "no direct download")
            present = (self.root / key).is_dir()
            if present:
                item.setText(item.text() + " (present)")
            self.list.addItem(item)
        self.info = QLabel(f"Into {self.root}")
        self.info.setWordWrap(True)
        self.progress = ProgressStrip()
        self.progress.hide()
        self.start = QPushButton("Download")
        self.start.setAccessibleName("Start download")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.start, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.info)
        layout.addWidget(self.progress)
        layout.addWidget(buttons)
        self.start.clicked.connect(self._on_start)
        self.progress.cancel_requested.connect(self._on_cancel)
        tasks.progress_changed.connect(self._on_progress)
        tasks.task_finished.connect(self._on_finished)
        tasks.task_failed.connect(self._on_failed)

    def _on_start(self) -> None:
        self._pending = [
            str(self.list.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]
        if not self._pending:
            self.info.setText("Tick at least one dataset.")
            return
        self.start.setEnabled(False)
        self._next()

    def _next(self) -> None:
        if not self._pending:
            self.start.setEnabled(True)
            self.progress.hide()
            return
        key = self._pending.pop(0)
        root = self.root

        def job(progress: Any, cancel: Any) -> Any:
            from inkpick_desktop.data.download import download_dataset

            return download_dataset(key, root, progress=progress, cancel=cancel)

        task = self.tasks.submit(TASK_PREFIX + key, job)
        self._serial = task.serial
        self.progress.set_progress(f"Downloading {key}…", -1)
        self.progress.show()

    def _on_cancel(self) -> None:
        self._pending.clear()
        self.tasks.cancel(None if not self._serial else self._current_key())

    def _current_key(self) -> str | None:
        for task in self.tasks.running():
            if task.serial == self._serial:
                return task.key
        return None

    @Slot(str, int, str, float)
    def _on_progress(self, key: str, serial: int, stage: str, fraction: float) -> None:
        if serial == self._serial:
            self.progress.set_progress(f"{key[len(TASK_PREFIX) :]}: {stage}", fraction)

    @Slot(str, int, object)
    def _on_finished(self, key: str, serial: int, result: object) -> None:
        if serial == self._serial:
            name = key[len(TASK_PREFIX) :]
            warnings = list(getattr(result, "warnings", ()))
            if getattr(result, "unverified", ()):
                text = f"{name} downloaded and checked (rows and loaders)"
            else:
                text = f"{name} downloaded and verified"
            self.info.setText(". ".join([text, *warnings]) + ".")
            self._next()

    @Slot(str, int, object, str)
    def _on_failed(self, key: str, serial: int, exc: object, tb: str) -> None:
        if serial != self._serial:
            return
        if isinstance(exc, CancelledError):
            self.info.setText("Download cancelled; a later download resumes it.")
        elif isinstance(exc, InkpickError):
            self.info.setText(str(exc))
        else:
            logger.error("download of %s failed:\n%s", key, tb)
            self.info.setText(f"Unexpected error: {type(exc).__name__}: {exc}")
        self._pending.clear()
        self.start.setEnabled(True)
        self.progress.hide()

    def done(self, result: int) -> None:
        self._on_cancel()
        for signal, slot in (
            (self.tasks.progress_changed, self._on_progress),
            (self.tasks.task_finished, self._on_finished),
            (self.tasks.task_failed, self._on_failed),
        ):
            signal.disconnect(slot)
        super().done(result)
