"""One tab per domain: search, controls, results, picks and a dataset user.

Every engine call goes through the tab's :class:`QueryRunner` (the shared
one-thread pool) or, for building the recommender, through
:class:`BackgroundTasks`. Widgets are only touched here, on the GUI thread.

Re-blending is coalesced: while a re-blend or a full query is in flight, slider
moves only mark the parameters dirty; when the answer arrives, one re-blend at
the current parameters is sent if they differ from what that answer used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, Signal, Slot
from PySide6.QtWidgets import QMenu, QWidget

from inkpick_desktop.engine.errors import InkpickError
from inkpick_desktop.engine.results import Mode, Recommendation, ResultRow, TitleMatch
from inkpick_desktop.ui.picks import Pick, PicksStore
from inkpick_desktop.ui.resultsmodel import (
    COL_COLLAB,
    COL_CONTENT,
    COL_LABELS,
    COL_YEAR,
    ROW_ROLE,
)
from inkpick_desktop.ui.settings import TabState
from inkpick_desktop.ui.tabsupport import (
    Answer,
    NoPicksInDatasetError,
    Params,
    correction_html,
    dataset_summary,
    details_html,
    match_labels,
    query_kwargs,
    with_year,
)
from inkpick_desktop.ui.tabview import SUGGEST_LIMIT, DomainTabView
from inkpick_desktop.ui.widgets import format_latency
from inkpick_desktop.ui.workers import BackgroundTasks, QueryRunner

logger = logging.getLogger(__name__)


class DomainTab(DomainTabView):
    """The page of one domain service.

    Signals
    -------
    results_shown(int, object)
        Request id and the :class:`Recommendation` just put in the table.
    recommender_ready(object)
        The built recommender (or ``None`` when building failed or was cancelled).
    status_message(str, int)
        Text for the status bar and how long to show it (ms, 0 = until replaced).
    latency_changed(str)
        The formatted latency of the answer shown.
    """

    results_shown = Signal(int, object)
    recommender_ready = Signal(object)
    status_message = Signal(str, int)
    latency_changed = Signal(str)
    query_error = Signal(str)

    def __init__(
        self,
        service: Any,
        *,
        runner: QueryRunner,
        suggester: QueryRunner,
        tasks: BackgroundTasks,
        picks: PicksStore,
        state: TabState,
        parent: QWidget | None = None,
    ) -> None:
        self.key: str = service.key
        self.recommender: Any = None
        self.runner = runner
        self.suggester = suggester
        self.tasks = tasks
        self.picks_store = picks
        self.datasets_root: Path | None = None
        self.cache_dir: Path | None = None
        self._build_serial = 0
        self._base: Recommendation | None = None  # last full query's answer
        self._shown: Answer | None = None
        self._last_query: Callable[[Any, Params], Recommendation] | None = None
        self._last_query_kind = ""
        self._in_flight: Params | None = None  # params of the request in flight
        self._dirty = False
        self._keep_correction = False
        self._suggestions: dict[str, TitleMatch] = {}
        super().__init__(service, state, parent)
        self._connect_signals()
        self._set_ready(False)
        self._refresh_picks()

    def _connect_signals(self) -> None:
        self.runner.results_ready.connect(self._on_results_ready)
        self.runner.query_failed.connect(self._on_query_failed)
        self.suggester.results_ready.connect(self._on_suggestions_ready)
        self.suggester.query_failed.connect(self._on_suggestions_failed)
        self.tasks.progress_changed.connect(self._on_progress_changed)
        self.tasks.task_finished.connect(self._on_task_finished)
        self.tasks.task_failed.connect(self._on_task_failed)
        self.search.textEdited.connect(self._on_text_edited)
        self.search.returnPressed.connect(self.run_search)
        self.suggest_timer.timeout.connect(self._request_suggestions)
        # QCompleter.activated is overloaded (str, QModelIndex): pick the text one.
        self.completer.activated[str].connect(  # type: ignore[index]
            self._on_completion_activated
        )
        self.run_button.clicked.connect(self.run_search)
        self.correction.linkActivated.connect(self._on_correction_link)
        self.dataset.currentIndexChanged.connect(self._on_dataset_changed)
        self.mode.currentIndexChanged.connect(self._on_mode_changed)
        self.alpha.value_changed.connect(self._on_blend_changed)
        self.auto_alpha.toggled.connect(self._on_auto_alpha_toggled)
        self.diversity.value_changed.connect(self._on_blend_changed)
        self.k.valueChanged.connect(self._on_blend_changed)
        self.table.selectionModel().currentRowChanged.connect(
            self._on_current_row_changed
        )
        self.table.doubleClicked.connect(self._on_double_clicked)
        self.table.customContextMenuRequested.connect(self._on_table_menu)
        self.progress.cancel_requested.connect(self.cancel_build)
        self.picks_panel.add_selected_requested.connect(self.add_selected_pick)
        self.picks_panel.add_typed_requested.connect(self.add_typed_pick)
        self.picks_panel.remove_requested.connect(self.remove_pick)
        self.picks_panel.clear_requested.connect(self.clear_picks)
        self.picks_panel.recommend_requested.connect(self.run_profile)
        self.user_panel.load_requested.connect(self.run_user)

    # -- public API ---------------------------------------------------------------
    @property
    def label(self) -> str:
        return str(getattr(self.service, "label", self.key))

    @property
    def last_recommendation(self) -> Recommendation | None:
        return self._shown.rec if self._shown is not None else None

    @property
    def building(self) -> bool:
        return bool(self.tasks.running(self._build_key))

    @property
    def busy(self) -> bool:
        return self._in_flight is not None or self.building

    def state(self) -> TabState:
        return TabState(
            mode=self.current_mode(),
            alpha=self.alpha.value(),
            auto_alpha=self.auto_alpha.isChecked(),
            diversity=self.diversity.value(),
            k=self.k.value(),
            dataset=str(self.dataset.currentData() or ""),
        )

    def params(self) -> Params:
        return Params(
            mode=self.current_mode(),
            alpha=None if self.auto_alpha.isChecked() else self.alpha.value(),
            diversity=self.diversity.value(),
            k=self.k.value(),
        )

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def start_build(
        self, datasets_root: Path | None = None, cache_dir: Path | None = None
    ) -> None:
        """Load, index and train in the background (cancels a running build)."""
        if datasets_root is not None:
            self.datasets_root = datasets_root
        if cache_dir is not None:
            self.cache_dir = cache_dir
        self.tasks.cancel(self._build_key)
        self.runner.invalidate()
        self._in_flight = None
        self.recommender = None
        self._set_ready(False)
        dataset = self.dataset.currentData()
        service, root, cache = self.service, self.datasets_root, self.cache_dir

        def build(progress: Any, cancel: Any) -> Any:
            # learn_alpha: "auto α" uses the schedule learned from this data; it is
            # learned once per dataset and model, then read from the model cache.
            return service.build(
                root,
                dataset=dataset,
                cache_dir=cache,
                progress=progress,
                cancel=cancel,
                learn_alpha=True,
            )

        task = self.tasks.submit(self._build_key, build)
        self._build_serial = task.serial
        self.progress.set_progress(f"Loading {self.label}…", -1)
        self.progress.show()
        self.status_message.emit(f"Loading {self.label}…", 0)

    def cancel_build(self) -> None:
        self.tasks.cancel(self._build_key)

    def run_search(self) -> None:
        text = self.search.text().strip()
        if not text:
            self.show_message("Type something to search for first.")
            return
        match = self._suggestions.get(text)
        if match is not None:
            self.run_item(match.index, label=match.title)
            return
        self.suggest_timer.stop()
        popup = self.completer.popup()
        if popup is not None:
            popup.hide()
        self._run(lambda r, p: r.recommend_title(text, **query_kwargs(p)), "title")

    def run_item(self, index: int, label: str = "") -> None:
        """ "More like this": recommendations from one catalog item."""
        self._run(
            lambda r, p: r.recommend_item(index, **query_kwargs(p)),
            "item",
            keep_correction=True,
        )

    def run_profile(self) -> None:
        picks = self.picks_store.picks(self.key)
        if not picks:
            self.show_message(
                "Add some picks first (from the results or the search field)."
            )
            return
        ids = [p.id for p in picks]

        def query(r: Any, p: Params) -> Recommendation:
            items = []
            for item_id in ids:
                try:
                    items.append(r.catalog.lookup(item_id))
                except InkpickError:
                    logger.info("pick %s is not in %s", item_id, r.dataset_label)
            if not items:
                raise NoPicksInDatasetError(
                    f"none of your {len(ids)} picks is in {r.dataset_label}"
                )
            return r.recommend_profile(items, **query_kwargs(p))

        self._run(query, "profile")

    def run_user(self, user_id: str) -> None:
        self._run(
            lambda r, p: r.recommend_user(user_id, **query_kwargs(p)),
            "user",
            history_of=user_id,
        )

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        if text:
            self.status_message.emit(text, 8000)

    # -- picks ----------------------------------------------------------------------
    def add_selected_pick(self) -> None:
        row = self.selected_row()
        if row is None:
            self.show_message("Select a result to add it to your picks.")
            return
        self._add_pick(Pick(row.id, with_year(row.title, row.year)))

    def add_typed_pick(self) -> None:
        text = self.search.text().strip()
        if not text or self.recommender is None:
            self.show_message("Type a title in the search field to add it.")
            return
        match = self._suggestions.get(text)
        if match is not None:
            self._add_pick(Pick(match.id, with_year(match.title, match.year)))
            return
        try:  # resolve is a dictionary lookup plus a small fuzzy search
            res = self.recommender.resolve(text)
        except InkpickError as exc:
            self.show_message(str(exc))
            return
        self._add_pick(Pick(res.id, res.title))

    def remove_pick(self, item_id: str) -> None:
        self.picks_store.remove(self.key, item_id)
        self._refresh_picks()

    def clear_picks(self) -> None:
        self.picks_store.clear(self.key)
        self._refresh_picks()

    def selected_row(self) -> ResultRow | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        row = index.data(ROW_ROLE)
        return row if isinstance(row, ResultRow) else None

    def _add_pick(self, pick: Pick) -> None:
        try:
            added = self.picks_store.add(self.key, pick)
        except OSError as exc:
            self.show_message(
                f"Could not save your picks to {self.picks_store.path}: {exc}"
            )
            return
        self.status_message.emit(
            f"Added {pick.title} to your picks"
            if added
            else f"{pick.title} is already in your picks",
            4000,
        )
        self._refresh_picks()
        self.side.setCurrentWidget(self.picks_panel)

    def _refresh_picks(self) -> None:
        self.picks_panel.set_picks(self.picks_store.picks(self.key))

    # -- query plumbing -------------------------------------------------------------
    @property
    def _build_key(self) -> str:
        return f"build:{self.key}"

    def _run(
        self,
        query: Callable[[Any, Params], Recommendation],
        kind: str,
        *,
        keep_correction: bool = False,
        history_of: str | None = None,
    ) -> None:
        if self.recommender is None:
            self.show_message(
                f"{self.label} is still loading; try again when it is ready."
            )
            return
        self._last_query = query
        self._last_query_kind = kind
        self._keep_correction = keep_correction
        self._submit_full(history_of)

    def _submit_full(self, history_of: str | None = None) -> None:
        assert self._last_query is not None
        recommender, query, params = self.recommender, self._last_query, self.params()

        def call() -> Answer:
            rec = query(recommender, params)
            history = recommender.user_history(history_of) if history_of else None
            return Answer(rec, params, reblend=False, history=history)

        self._in_flight = params
        self._dirty = False
        self.runner.submit(call)
        self.status_message.emit("Working…", 0)

    def _submit_reblend(self) -> None:
        base, recommender, params = self._base, self.recommender, self.params()
        if base is None or recommender is None:
            return
        if base.components is None:  # nothing cached to re-blend: compute again
            self._submit_full()
            return

        def call() -> Answer:
            rec = recommender.reblend(
                base, alpha=params.alpha, diversity=params.diversity, k=params.k
            )
            return Answer(rec, params, reblend=True)

        self._in_flight = params
        self._dirty = False
        self.runner.submit(call)

    @Slot(int, object)
    def _on_results_ready(self, request_id: int, answer: object) -> None:
        assert isinstance(answer, Answer)
        self._in_flight = None
        if not answer.reblend:
            self._base = answer.rec
            if answer.history is not None and answer.rec.user is not None:
                self.user_panel.set_history(answer.rec.user, answer.history)
                self.side.setCurrentWidget(self.user_panel)
        self._show(request_id, answer)
        if self.params() != answer.params:
            self._dirty = False
            if (
                self.params().mode != answer.params.mode
                or answer.reblend is False
                and self._base is None
            ):
                self._submit_full()
            else:
                self._submit_reblend()

    @Slot(int, object, str)
    def _on_query_failed(self, request_id: int, exc: object, tb: str) -> None:
        self._in_flight = None
        self._report_failure(exc, tb)

    def _show(self, request_id: int, answer: Answer) -> None:
        rec = answer.rec
        self._shown = answer
        current = self.selected_row()
        self.model.set_rows(rec.rows)
        self._hide_empty_columns(rec.rows)
        if current is not None:
            self._reselect(current.id)
        self.message.hide()
        if not answer.reblend:
            if rec.query is not None:
                self._show_correction(rec)
            elif not self._keep_correction:
                self.correction.hide()
        if self.auto_alpha.isChecked():
            self.alpha.set_value(rec.alpha, notify=False)
        text = format_latency(rec.latency_ms)
        self.latency.setText(text)
        self.notes.setText(" · ".join(rec.notes))
        self.latency_changed.emit(text)
        what = {
            "title": "",
            "item": "more like this",
            "profile": "from your picks",
            "user": f"for user {rec.user}",
        }
        suffix = what.get(self._last_query_kind, "")
        what_text = f"{len(rec.rows)} results" + (f" {suffix}" if suffix else "")
        self.status_message.emit(f"{what_text} · α {rec.alpha:.2f}", 0)
        self.results_shown.emit(request_id, rec)

    def _hide_empty_columns(self, rows: tuple[ResultRow, ...]) -> None:
        # A column with no value in any row (no years for artists, no
        # collaborative data for a catalog without users) only takes space.
        self.table.setColumnHidden(COL_YEAR, not any(r.year for r in rows))
        self.table.setColumnHidden(COL_LABELS, not any(r.labels for r in rows))
        self.table.setColumnHidden(
            COL_CONTENT, not any(r.content is not None for r in rows)
        )
        self.table.setColumnHidden(
            COL_COLLAB, not any(r.collaborative is not None for r in rows)
        )

    def _show_correction(self, rec: Recommendation) -> None:
        text = correction_html(rec)
        self.correction.setText(text)
        self.correction.setVisible(bool(text))

    def _reselect(self, item_id: str) -> None:
        for row in range(self.model.rowCount()):
            r = self.model.row_at(row)
            if r is not None and r.id == item_id:
                source = self.model.index(row, 0)
                self.table.selectionModel().setCurrentIndex(
                    self.proxy.mapFromSource(source),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                return

    def _report_failure(self, exc: object, tb: str) -> None:
        if isinstance(exc, InkpickError | NoPicksInDatasetError):
            text = str(exc)
        else:
            logger.error("unexpected error in %s:\n%s", self.key, tb or repr(exc))
            text = f"Unexpected error: {type(exc).__name__}: {exc} (details in the log)"
        self.show_message(text)
        self.query_error.emit(text)

    # -- slots ----------------------------------------------------------------------
    @Slot(str)
    def _on_text_edited(self, text: str) -> None:
        if text.strip() and self.recommender is not None:
            self.suggest_timer.start()
        else:
            self.suggest_timer.stop()

    @Slot()
    def _request_suggestions(self) -> None:
        text = self.search.text().strip()
        recommender = self.recommender
        if not text or recommender is None:
            return
        self.suggester.submit(lambda: (text, recommender.suggest(text, SUGGEST_LIMIT)))

    @Slot(int, object)
    def _on_suggestions_ready(self, request_id: int, result: object) -> None:
        assert isinstance(result, tuple)
        text: str = result[0]
        matches: list[TitleMatch] = result[1]
        if text != self.search.text().strip():
            return  # typed on since; a newer request is coming
        labels = match_labels(matches)
        self._suggestions = dict(zip(labels, matches, strict=True))
        self.completer_model.setStringList(labels)
        if labels and self.search.hasFocus():
            self.completer.complete()

    @Slot(int, object, str)
    def _on_suggestions_failed(self, request_id: int, exc: object, tb: str) -> None:
        if not isinstance(exc, InkpickError):
            logger.error("suggest failed:\n%s", tb)

    @Slot(str)
    def _on_completion_activated(self, label: str) -> None:
        match = self._suggestions.get(label)
        if match is not None:
            self.correction.hide()
            self.run_item(match.index, label=label)

    @Slot(str)
    def _on_correction_link(self, href: str) -> None:
        if href.startswith("item:"):
            index = int(href.split(":", 1)[1])
            self.run_item(index)

    @Slot(int)
    def _on_dataset_changed(self, _pos: int) -> None:
        if self._build_serial:  # only once the window has started building
            self._base = None
            self.model.clear()
            self.correction.hide()
            self.start_build()

    @Slot(int)
    def _on_mode_changed(self, _pos: int) -> None:
        self._update_alpha_enabled()
        if self._last_query is None or self.recommender is None:
            return
        if self._in_flight is not None:
            self._dirty = True
            return
        self._submit_full()

    @Slot(bool)
    def _on_auto_alpha_toggled(self, _checked: bool) -> None:
        self._update_alpha_enabled()
        self._on_blend_changed()

    @Slot()
    def _on_blend_changed(self, *_args: object) -> None:
        if self._base is None or self.recommender is None:
            return
        if self._in_flight is not None:
            self._dirty = True  # coalesced: sent when the answer in flight arrives
            return
        self._submit_reblend()

    @Slot(QModelIndex, QModelIndex)
    def _on_current_row_changed(
        self, current: QModelIndex, _previous: QModelIndex
    ) -> None:
        row = current.data(ROW_ROLE) if current.isValid() else None
        if not isinstance(row, ResultRow):
            self.details.clear()
            return
        self.details.setHtml(details_html(row))

    @Slot(QModelIndex)
    def _on_double_clicked(self, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if isinstance(row, ResultRow):
            self.search.setText(with_year(row.title, row.year))
            self.correction.hide()
            self.run_item(row.index)

    @Slot(QPoint)
    def _on_table_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        row = index.data(ROW_ROLE) if index.isValid() else None
        if not isinstance(row, ResultRow):
            return
        menu = QMenu(self)
        menu.addAction("More like this", lambda: self._on_double_clicked(index))
        menu.addAction(
            "Add to my picks",
            lambda: self._add_pick(Pick(row.id, with_year(row.title, row.year))),
        )
        menu.exec(self.table.viewport().mapToGlobal(pos))

    # -- building -------------------------------------------------------------------
    @Slot(str, int, str, float)
    def _on_progress_changed(
        self, key: str, serial: int, stage: str, fraction: float
    ) -> None:
        if key == self._build_key and serial == self._build_serial:
            self.progress.set_progress(stage, fraction)

    @Slot(str, int, object)
    def _on_task_finished(self, key: str, serial: int, result: object) -> None:
        if key != self._build_key or serial != self._build_serial:
            return
        self.recommender = result
        self.progress.hide()
        label = getattr(result, "dataset_label", "")
        self.dataset_label.setText(
            dataset_summary(
                result,
                self.dataset.currentText(),
                getattr(self.service, "item_noun", "item"),
            )
        )
        has_cf = bool(getattr(result, "has_collaborative", False))
        item = self.mode.model().item(self.mode.findData(Mode.COLLABORATIVE.value))  # type: ignore[attr-defined]
        if item is not None:
            item.setEnabled(has_cf)
            item.setToolTip("" if has_cf else "This dataset has no user data")
        if not has_cf and self.current_mode() == Mode.COLLABORATIVE:
            self.mode.setCurrentIndex(self.mode.findData(Mode.CONTENT.value))
        self._set_ready(True)
        n = getattr(getattr(result, "catalog", None), "n_items", 0)
        self.status_message.emit(f"{self.label} ready: {label} ({n:,} items)", 5000)
        self.recommender_ready.emit(result)

    @Slot(str, int, object, str)
    def _on_task_failed(self, key: str, serial: int, exc: object, tb: str) -> None:
        if key != self._build_key or serial != self._build_serial:
            return
        self.progress.hide()
        self.dataset_label.setText("not loaded")
        self._report_failure(exc, tb)
        self.recommender_ready.emit(None)

    def _set_ready(self, ready: bool) -> None:
        for widget in (
            self.run_button,
            self.picks_panel.recommend,
            self.user_panel.load,
            self.picks_panel.add_typed,
        ):
            widget.setEnabled(ready)
        if ready:
            self._refresh_picks()
