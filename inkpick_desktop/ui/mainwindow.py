"""The main window: one tab per registered domain, menus, status bar.

The window owns the shared one-thread query pool and the background thread; on
close it cancels all long work, clears queued queries and waits for both, so no
thread outlives it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QTimer, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from inkpick_desktop.engine.errors import InkpickError
from inkpick_desktop.ui import log as ui_log
from inkpick_desktop.ui.domaintab import DomainTab
from inkpick_desktop.ui.export import export_csv
from inkpick_desktop.ui.picks import PicksStore
from inkpick_desktop.ui.resources import app_icon
from inkpick_desktop.ui.settings import AppSettings
from inkpick_desktop.ui.workers import BackgroundTasks, QueryRunner, make_query_pool

logger = logging.getLogger(__name__)

IMPORT_SUFFIXES = (".csv", ".tsv", ".json")


class MainWindow(QMainWindow):
    """Inkpick Desktop's window.

    Signals
    -------
    import_finished(object)
        The imported ``LoadedDataset`` or ``Interactions``.
    import_failed(str)
        The error text shown for a refused import.

    Parameters
    ----------
    services
        Domain key -> service (``domains.registry.services()``); one tab each.
    settings
        Where UI state is remembered (tests pass one on a ``tmp_path`` INI).
    picks
        The picks store (tests pass one on a ``tmp_path`` file).
    datasets_root
        The datasets folder, or ``None`` for the starter catalogs.
    cache_dir
        Model cache folder (``None`` = the data layer's default).
    autostart
        Start building every domain at once (tests may defer it).
    """

    import_finished = Signal(object)
    import_failed = Signal(str)

    def __init__(
        self,
        services: dict[str, Any],
        *,
        settings: AppSettings | None = None,
        picks: PicksStore | None = None,
        datasets_root: Path | None = None,
        cache_dir: Path | None = None,
        autostart: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Inkpick Desktop")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.settings = settings if settings is not None else AppSettings()
        self.picks = picks if picks is not None else PicksStore()
        self.datasets_root = datasets_root
        self.cache_dir = cache_dir
        self._closing = False
        self._import_paths: dict[str, Path] = {}
        self.last_import: object = None
        self.pool = make_query_pool(self)
        self.tasks = BackgroundTasks(self)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setAccessibleName("Domains")
        self.domain_tabs: dict[str, DomainTab] = {}
        for service in services.values():
            self._add_tab(service)
        self.setCentralWidget(self.tabs)
        self.latency_label = QLabel()
        self.latency_label.setObjectName("statusLatency")
        self.statusBar().addPermanentWidget(self.latency_label)
        self._build_menus()
        self._build_shortcuts()
        self._connect_signals()
        self._restore_state()
        if self.picks.load_error:
            QTimer.singleShot(0, lambda: self._show_error(self.picks.load_error))
        if autostart:
            self.start_all()

    # -- public API --------------------------------------------------------------
    def tab(self, key: str) -> DomainTab:
        return self.domain_tabs[key]

    def current_tab(self) -> DomainTab | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, DomainTab) else None

    def start_all(self) -> None:
        for tab in self.domain_tabs.values():
            tab.start_build(self.datasets_root, self.cache_dir)

    def set_datasets_root(self, root: Path) -> None:
        self.datasets_root = root
        self.settings.set_datasets_root(str(root))
        self.start_all()

    def export_results(self, path: Path | None = None) -> int | None:
        tab = self.current_tab()
        rec = tab.last_recommendation if tab is not None else None
        if tab is None or rec is None:
            self.statusBar().showMessage(
                "Nothing to export yet: run a query first.", 5000
            )
            return None
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(
                self, "Export results", f"inkpick-{tab.key}.csv", "CSV files (*.csv)"
            )
            if not chosen:
                return None
            path = Path(chosen)
        try:
            n = export_csv(rec, path)
        except OSError as exc:
            self._show_error(f"Could not write {path}: {exc}")
            return None
        self.statusBar().showMessage(f"Exported {n} rows to {path}", 5000)
        return n

    def _add_tab(self, service: Any) -> DomainTab:
        tab = DomainTab(
            service,
            runner=QueryRunner(self.pool, self),
            suggester=QueryRunner(self.pool, self),
            tasks=self.tasks,
            picks=self.picks,
            state=self.settings.tab_state(service.key),
        )
        self.domain_tabs[service.key] = tab
        self.tabs.addTab(tab, tab.label)
        if hasattr(self, "latency_label"):  # tabs added after construction
            self._connect_tab(tab)
        return tab

    # -- construction ------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.action_import_items = file_menu.addAction(
            "Import &items…", self.import_items
        )
        self.action_import_inter = file_menu.addAction(
            "Import i&nteractions…", self.import_interactions
        )
        file_menu.addSeparator()
        file_menu.addAction("Choose &datasets folder…", self.choose_datasets_folder)
        file_menu.addAction("Do&wnload datasets…", self.download_datasets)
        file_menu.addSeparator()
        self.action_export = QAction("&Export results to CSV…", self)
        self.action_export.setShortcut(QKeySequence("Ctrl+E"))
        self.action_export.triggered.connect(lambda: self.export_results())
        file_menu.addAction(self.action_export)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        search = QAction("Focus &search", self)
        search.setShortcuts([QKeySequence("Ctrl+L"), QKeySequence("Ctrl+F")])
        search.triggered.connect(self._focus_search)
        view_menu.addAction(search)
        self.action_focus_search = search
        tools_menu = self.menuBar().addMenu("&Tools")
        self.action_evaluate = QAction("&Evaluate current domain…", self)
        self.action_evaluate.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.action_evaluate.triggered.connect(self.open_evaluation)
        tools_menu.addAction(self.action_evaluate)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About Inkpick Desktop", self.show_about)

    def _build_shortcuts(self) -> None:
        for n in range(1, 10):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{n}"), self)
            shortcut.activated.connect(lambda n=n: self._switch_tab(n - 1))
        next_tab = QShortcut(QKeySequence("Ctrl+Tab"), self)
        next_tab.activated.connect(lambda: self._step_tab(1))
        prev_tab = QShortcut(QKeySequence("Ctrl+Shift+Tab"), self)
        prev_tab.activated.connect(lambda: self._step_tab(-1))

    def _connect_signals(self) -> None:
        self.tabs.currentChanged.connect(self._on_tab_changed)
        ui_log.reporter.error_reported.connect(self._on_unexpected_error)
        self.tasks.task_finished.connect(self._on_task_finished)
        self.tasks.task_failed.connect(self._on_task_failed)
        for tab in self.domain_tabs.values():
            self._connect_tab(tab)

    def _connect_tab(self, tab: DomainTab) -> None:
        tab.status_message.connect(
            lambda text, ms, tab=tab: self._on_tab_status(tab, text, ms)
        )
        tab.latency_changed.connect(
            lambda text, tab=tab: self._on_tab_latency(tab, text)
        )

    def _restore_state(self) -> None:
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            if geometry is not None:
                logger.warning(
                    "could not restore the window geometry; using the default"
                )
            self.resize(1280, 800)
        last = self.settings.last_tab()
        keys = list(self.domain_tabs)
        if last in keys:
            self.tabs.setCurrentIndex(keys.index(last))

    def save_state(self) -> None:
        self.settings.set_geometry(self.saveGeometry())
        current = self.current_tab()
        if current is not None:
            self.settings.set_last_tab(current.key)
        for key, tab in self.domain_tabs.items():
            if not key.startswith("imported_"):  # imported tabs last one run
                self.settings.set_tab_state(key, tab.state())
        self.settings.sync()

    # -- menu actions (dialogs live in their own modules) ------------------------
    def import_items(self, path: Path | None = None) -> None:
        from inkpick_desktop.ui.importdialog import run_import

        run_import(self, "items", path)

    def import_interactions(self, path: Path | None = None) -> None:
        from inkpick_desktop.ui.importdialog import run_import

        run_import(self, "interactions", path)

    def start_import(self, kind: str, path: Path, fn: Any) -> None:
        """Run an import job on the background thread; the result is reported."""
        self.statusBar().showMessage(f"Importing {kind} from {path.name}…", 0)
        self._import_paths[f"import:{kind}"] = path
        self.tasks.submit(f"import:{kind}", fn)

    @Slot(str, int, object)
    def _on_task_finished(self, key: str, serial: int, result: object) -> None:
        if not key.startswith("import:"):
            return
        self.last_import = result
        path = self._import_paths.pop(key, None)
        name = path.name if path is not None else "the file"
        catalog = getattr(result, "catalog", None)
        if catalog is not None:
            text = f"Imported {catalog.n_items:,} items from {name}"
        else:
            n = getattr(result, "n_events", 0)
            users = getattr(result, "n_users", 0)
            text = f"Imported {n:,} interactions of {users:,} users from {name}"
        warnings = getattr(result, "warnings", ())
        if warnings:
            text += " (" + "; ".join(str(w) for w in warnings[:3]) + ")"
        self.statusBar().showMessage(text, 10000)
        if catalog is not None and path is not None:
            self.add_imported_tab(result, path)
        self.import_finished.emit(result)

    def add_imported_tab(self, loaded: Any, path: Path) -> DomainTab:
        """Open a tab with content-based recommendations over an imported catalog."""
        from inkpick_desktop.ui.imported import imported_service

        service = imported_service(loaded, path, set(self.domain_tabs))
        tab = self._add_tab(service)
        self.tabs.setCurrentWidget(tab)
        tab.start_build(self.datasets_root, self.cache_dir)
        return tab

    @Slot(str, int, object, str)
    def _on_task_failed(self, key: str, serial: int, exc: object, tb: str) -> None:
        if not key.startswith("import:"):
            return
        self._import_paths.pop(key, None)
        if not isinstance(exc, InkpickError):
            logger.error("import failed:\n%s", tb)
        self.report_error(
            exc if isinstance(exc, BaseException) else RuntimeError(str(exc)),
            "Import failed: ",
            log=False,
        )
        self.import_failed.emit(str(exc))

    def choose_datasets_folder(self) -> None:
        start = str(self.datasets_root or Path.home())
        chosen = QFileDialog.getExistingDirectory(
            self, "Choose the datasets folder", start
        )
        if chosen:
            self.set_datasets_root(Path(chosen))

    def download_datasets(self) -> None:
        from inkpick_desktop.ui.downloaddialog import DownloadDialog

        DownloadDialog(self, self.tasks, self.datasets_root).exec()

    def open_evaluation(self) -> Any:
        from inkpick_desktop.ui.evaluationview import open_evaluation

        return open_evaluation(self)

    def show_about(self) -> None:
        from inkpick_desktop.ui.about import AboutDialog

        AboutDialog(self).exec()

    # -- drag and drop -----------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_file(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        path = _dropped_file(event.mimeData())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        QTimer.singleShot(0, lambda: self.import_items(path))

    # -- closing -----------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Cancel background work and wait for every worker thread to stop."""
        if self._closing:
            return
        self._closing = True
        for tab in self.domain_tabs.values():
            tab.runner.invalidate()
            tab.suggester.invalidate()
            tab.suggest_timer.stop()
        self.tasks.cancel()
        self.pool.clear()  # queued queries that have not started
        self.pool.waitForDone()
        self.tasks.shutdown()
        logger.info("background work stopped")

    # -- slots -------------------------------------------------------------------
    def _focus_search(self) -> None:
        tab = self.current_tab()
        if tab is not None:
            tab.focus_search()

    def _switch_tab(self, index: int) -> None:
        if 0 <= index < self.tabs.count():
            self.tabs.setCurrentIndex(index)

    def _step_tab(self, step: int) -> None:
        if self.tabs.count():
            self.tabs.setCurrentIndex(
                (self.tabs.currentIndex() + step) % self.tabs.count()
            )

    @Slot(int)
    def _on_tab_changed(self, _index: int) -> None:
        tab = self.current_tab()
        if tab is not None:
            self.latency_label.setText(tab.latency.text())

    def _on_tab_status(self, tab: DomainTab, text: str, ms: int) -> None:
        if tab is self.current_tab():
            self.statusBar().showMessage(text, ms)

    def _on_tab_latency(self, tab: DomainTab, text: str) -> None:
        if tab is self.current_tab():
            self.latency_label.setText(text)

    @Slot(str)
    def _on_unexpected_error(self, text: str) -> None:
        self.statusBar().showMessage(text + " (details in the log)", 10000)

    def _show_error(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Inkpick Desktop",
            text,
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setObjectName("errorBox")
        box.open()

    def report_error(
        self, exc: BaseException, context: str = "", log: bool = True
    ) -> None:
        """Show an ``InkpickError`` as is; log anything else with its traceback."""
        if isinstance(exc, InkpickError):
            self._show_error(f"{context}{exc}")
        else:
            if log:
                logger.error("unexpected error %s", context, exc_info=exc)
            self._show_error(f"{context}unexpected error: {type(exc).__name__}: {exc}")


def _dropped_file(mime: QMimeData) -> Path | None:
    if not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if path.suffix.lower() in IMPORT_SUFFIXES:
                return path
    return None
