"""The real window on the real domain services and datasets."""

from __future__ import annotations

import csv
import json

import pytest
from PySide6.QtCore import Qt

from inkpick_desktop.domains.registry import services
from inkpick_desktop.engine.results import Mode
from inkpick_desktop.ui.resultsmodel import ResultsTableModel
from tests.desktop.conftest import BUILD_TIMEOUT_MS, QUERY_TIMEOUT_MS

pytestmark = [pytest.mark.gui, pytest.mark.realdata, pytest.mark.slow]


def wait_ready(qtbot, window):
    for tab in window.domain_tabs.values():
        if tab.recommender is None:
            with qtbot.waitSignal(tab.recommender_ready, timeout=BUILD_TIMEOUT_MS):
                pass
        assert tab.recommender is not None, tab.message.text()


@pytest.fixture
def window(qtbot, make_window, datasets_root, session_cache_dir):
    win = make_window(
        services(), datasets_root=datasets_root, cache_dir=session_cache_dir
    )
    win.show()
    qtbot.waitExposed(win)
    wait_ready(qtbot, win)
    return win


def run_and_wait(qtbot, tab, action):
    with qtbot.waitSignal(tab.results_shown, timeout=QUERY_TIMEOUT_MS) as blocker:
        action()
    qtbot.waitUntil(lambda: tab.runner.idle, timeout=QUERY_TIMEOUT_MS)
    return blocker.args[1]


def set_hybrid_alpha(tab, alpha):
    tab.mode.setCurrentIndex(tab.mode.findData(Mode.HYBRID))
    tab.auto_alpha.setChecked(False)
    tab.alpha.set_value(alpha, notify=False)


def ids(rows):
    return [r.id for r in rows]


def test_window_godfater_enter_resolves_858_with_correction(qtbot, window):
    tab = window.tab("cinema")
    tab.focus_search()
    qtbot.keyClicks(tab.search, "Godfater")
    rec = run_and_wait(
        qtbot, tab, lambda: qtbot.keyClick(tab.search, Qt.Key.Key_Return)
    )
    assert rec.query.id == "858"
    assert rec.query.title == "The Godfather (1972)"
    assert rec.query.corrected
    assert len(tab.model.rows) == tab.k.value() == len(rec.rows)
    assert ids(tab.model.rows) == ids(rec.rows)
    assert tab.correction.isVisible()
    assert "The Godfather (1972)" in tab.correction.text()
    assert "858" not in ids(tab.model.rows)  # the query item is never recommended
    direct = tab.recommender.recommend_title("Godfater", **_kw(tab))
    assert ids(tab.model.rows) == ids(direct.rows)
    assert (
        window.latency_label.text().endswith(tab.latency.text())
        and "ms" in tab.latency.text()
    )


def test_window_correction_link_runs_other_candidate(qtbot, window):
    tab = window.tab("cinema")
    tab.search.setText("Godfater")
    rec = run_and_wait(qtbot, tab, tab.run_search)
    other = next(c for c in rec.query.candidates if c.index != rec.query.index)
    assert f'href="item:{other.index}"' in tab.correction.text()
    rec2 = run_and_wait(
        qtbot, tab, lambda: tab.correction.linkActivated.emit(f"item:{other.index}")
    )
    assert rec2.components.source_items == (other.index,)
    direct = tab.recommender.recommend_item(other.index, **_kw(tab))
    assert ids(tab.model.rows) == ids(direct.rows)


def _kw(tab):
    p = tab.params()
    return {"mode": p.mode, "alpha": p.alpha, "diversity": p.diversity, "k": p.k}


def test_window_alpha_one_is_content_ranking(qtbot, window):
    tab = window.tab("cinema")
    set_hybrid_alpha(tab, 1.0)
    tab.search.setText("Godfater")
    rec = run_and_wait(qtbot, tab, tab.run_search)
    assert rec.mode == Mode.HYBRID and rec.alpha == 1.0
    content = tab.recommender.recommend_title(
        "Godfater", mode=Mode.CONTENT, k=tab.k.value()
    )
    assert ids(tab.model.rows) == ids(content.rows)
    assert [r.score for r in tab.model.rows] == pytest.approx(
        [r.content for r in content.rows]
    )


def test_window_alpha_zero_is_collaborative_ranking(qtbot, window):
    tab = window.tab("cinema")
    set_hybrid_alpha(tab, 1.0)
    tab.search.setText("Godfater")
    run_and_wait(qtbot, tab, tab.run_search)
    rec = run_and_wait(qtbot, tab, lambda: tab.alpha.slider.setValue(0))
    assert rec.alpha == 0.0
    direct = tab.recommender.recommend_title(
        "Godfater",
        mode=Mode.HYBRID,
        alpha=0.0,
        k=tab.k.value(),
        diversity=tab.diversity.value(),
    )
    assert ids(tab.model.rows) == ids(direct.rows)
    # Rows with collaborative data score exactly their collaborative component and
    # keep the collaborative mode's order; cold items fall back to content.
    collab = tab.recommender.recommend_title("Godfater", mode=Mode.COLLABORATIVE, k=50)
    warm = [r for r in tab.model.rows if r.collaborative is not None]
    assert warm, "no row with collaborative data"
    assert all(r.score == pytest.approx(r.collaborative) for r in warm)
    order = ids(collab.rows)
    assert [order.index(r.id) for r in warm] == sorted(order.index(r.id) for r in warm)
    assert [r.score for r in tab.model.rows] == pytest.approx(
        [r.score for r in direct.rows]
    )


def test_window_mode_switch_requeries(qtbot, window):
    tab = window.tab("cinema")
    tab.search.setText("Godfater")
    run_and_wait(qtbot, tab, tab.run_search)
    for mode in (Mode.CONTENT, Mode.COLLABORATIVE, Mode.HYBRID):
        rec = run_and_wait(
            qtbot,
            tab,
            lambda mode=mode: tab.mode.setCurrentIndex(tab.mode.findData(mode)),
        )
        assert rec.mode == mode
        direct = tab.recommender.recommend_title("Godfater", **_kw(tab))
        assert ids(tab.model.rows) == ids(direct.rows)
    assert tab.alpha.isEnabled() == (not tab.auto_alpha.isChecked())


def test_window_tabs_switch_and_query_each_domain(qtbot, window):
    window.activateWindow()
    for n, (key, tab) in enumerate(window.domain_tabs.items()):
        window._switch_tab(n)
        assert window.current_tab() is tab
        tab.search.setText(tab.service.example_query)
        rec = run_and_wait(qtbot, tab, tab.run_search)
        assert rec.domain == key and rec.rows
    window._step_tab(1)
    assert window.tabs.currentIndex() == 0


def test_window_ctrl_number_and_ctrl_l_shortcuts(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 1
    qtbot.keyClick(window, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 2
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.current_tab().search.hasFocus()


def test_window_1000_slider_moves_end_at_final_alpha(qtbot, window):
    tab = window.tab("cinema")
    set_hybrid_alpha(tab, 0.5)
    tab.search.setText("Godfater")
    run_and_wait(qtbot, tab, tab.run_search)
    shown = []
    tab.results_shown.connect(lambda rid, rec: shown.append((rid, rec.alpha)))
    requested = set()
    for i in range(1000):
        value = (i * 37 + 11) % 101
        tab.alpha.slider.setValue(value)
        requested.add(value / 100)
    final = tab.alpha.value()
    qtbot.waitUntil(lambda: tab.runner.idle and not tab.busy, timeout=QUERY_TIMEOUT_MS)
    assert shown
    assert [rid for rid, _ in shown] == sorted(set(rid for rid, _ in shown))
    assert all(alpha in requested for _, alpha in shown)
    assert shown[-1][1] == pytest.approx(final)
    assert tab.last_recommendation.alpha == pytest.approx(final)
    direct = tab.recommender.recommend_title(
        "Godfater",
        mode=Mode.HYBRID,
        alpha=final,
        k=tab.k.value(),
        diversity=tab.diversity.value(),
    )
    assert ids(tab.model.rows) == ids(direct.rows)
    assert [r.score for r in tab.model.rows] == pytest.approx(
        [r.score for r in direct.rows]
    )


def test_window_diversity_and_k_reblend(qtbot, window):
    tab = window.tab("music")
    tab.search.setText(tab.service.example_query)
    run_and_wait(qtbot, tab, tab.run_search)
    rec = run_and_wait(qtbot, tab, lambda: tab.k.setValue(5))
    assert len(tab.model.rows) == 5 == len(rec.rows)
    rec = run_and_wait(qtbot, tab, lambda: tab.diversity.set_value(0.3))
    assert rec.diversity == pytest.approx(0.3)
    direct = tab.recommender.recommend_title(tab.service.example_query, **_kw(tab))
    assert ids(tab.model.rows) == ids(direct.rows)


def test_results_model_passes_qtmodeltester(qtbot, qtmodeltester, window):
    tab = window.tab("cinema")
    tab.search.setText("Godfater")
    rec = run_and_wait(qtbot, tab, tab.run_search)
    model = ResultsTableModel()
    model.set_rows(rec.rows)
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(tab.model, force_py=True)


def test_window_picks_persist_across_restart(
    qtbot, make_window, datasets_root, session_cache_dir, picks_path
):
    first = make_window(
        services(), datasets_root=datasets_root, cache_dir=session_cache_dir
    )
    wait_ready(qtbot, first)
    tab = first.tab("cinema")
    tab.search.setText("Godfater")
    run_and_wait(qtbot, tab, tab.run_search)
    tab.table.selectRow(0)
    picked = tab.selected_row()
    tab.add_selected_pick()
    tab.search.setText("Toy Story")
    tab.add_typed_pick()
    expected = [picked.id, "1"]
    assert [p.id for p in first.picks.picks("cinema")] == expected
    first.close()
    saved = json.loads(picks_path.read_text(encoding="utf-8"))
    assert [p["id"] for p in saved["domains"]["cinema"]] == expected

    second = make_window(
        services(), datasets_root=datasets_root, cache_dir=session_cache_dir
    )
    wait_ready(qtbot, second)
    tab2 = second.tab("cinema")
    listed = [
        tab2.picks_panel.list.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(tab2.picks_panel.list.count())
    ]
    assert listed == expected
    rec = run_and_wait(qtbot, tab2, tab2.run_profile)
    assert rec.picks == tuple(expected)
    assert not set(expected) & set(ids(tab2.model.rows))
    tab2.remove_pick("1")
    assert [p.id for p in second.picks.picks("cinema")] == [picked.id]


def test_window_dataset_user_history_beside_results(qtbot, window):
    tab = window.tab("cinema")
    tab.user_panel.user_id.setText("1")
    rec = run_and_wait(qtbot, tab, tab.user_panel.load.click)
    assert rec.user == "1"
    history = tab.recommender.user_history("1")
    assert tab.user_panel.history.count() == len(history) > 0
    assert "user 1" in tab.user_panel.caption.text()
    seen = {r.id for r in history}
    assert not seen & set(ids(tab.model.rows))


def test_window_export_csv_escapes_formulas(qtbot, window, tmp_path):
    tab = window.tab("cinema")
    tab.search.setText("Godfater")
    rec = run_and_wait(qtbot, tab, tab.run_search)
    out = tmp_path / "out.csv"
    assert window.export_results(out) == len(rec.rows)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["rank", "id", "title"]
    assert [r[1] for r in rows[1:]] == ids(rec.rows)
    assert not any(
        cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row
    )


def test_window_bad_csv_import_shows_error_and_keeps_working(qtbot, window, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,title,genres\n1,Alpha,A\n2,Beta\n", encoding="utf-8")
    from inkpick_desktop.ui.importdialog import Mapping, run_import

    started = run_import(
        window, "items", bad, Mapping({"id": "id", "title": "title", "year": None})
    )
    assert started is False
    message = window.statusBar().currentMessage()
    assert "bad.csv" in message and "line 3" in message
    dup = tmp_path / "dup.csv"
    dup.write_text(
        "id,title\n" + "".join(f"{i},T{i}\n" for i in range(40)) + "7,Again\n",
        encoding="utf-8",
    )
    with qtbot.waitSignal(window.import_failed, timeout=QUERY_TIMEOUT_MS) as blocker:
        assert run_import(
            window, "items", dup, Mapping({"id": "id", "title": "title", "year": None})
        )
    assert "dup.csv" in blocker.args[0] and "line 42" in blocker.args[0]
    assert "line 42" in window.statusBar().currentMessage()
    tab = window.tab("cinema")
    tab.search.setText("Godfater")
    assert run_and_wait(qtbot, tab, tab.run_search).rows  # still working


def test_window_good_import_reports_counts(qtbot, window, tmp_path):
    good = tmp_path / "mine.csv"
    good.write_text(
        # m2 shares the Drama tag: items with no shared term are never listed
        "key,name,year,tags\nm1,My film,1999,Drama|Crime\nm2,Other,,Comedy|Drama\n",
        encoding="utf-8",
    )
    from inkpick_desktop.ui.importdialog import Mapping, run_import

    mapping = Mapping(
        {"id": "key", "title": "name", "year": "year"}, label_columns=("tags",)
    )
    with qtbot.waitSignal(window.import_finished, timeout=QUERY_TIMEOUT_MS) as blocker:
        assert run_import(window, "items", good, mapping)
    loaded = blocker.args[0]
    assert loaded.catalog.n_items == 2
    assert list(loaded.catalog.ids) == ["m1", "m2"]
    tab = window.tab("imported_mine")
    assert window.current_tab() is tab and tab.label == "My mine"
    qtbot.waitUntil(lambda: tab.recommender is not None, timeout=QUERY_TIMEOUT_MS)
    tab.search.setText("My flim")
    rec = run_and_wait(qtbot, tab, tab.run_search)
    assert rec.query.id == "m1" and ids(rec.rows) == ["m2"]
    assert (
        tab.mode.model().item(tab.mode.findData(Mode.COLLABORATIVE.value)).isEnabled()
        is False
    )


def test_window_settings_remember_mode_alpha_lambda_tab(
    qtbot, make_window, datasets_root, session_cache_dir
):
    first = make_window(
        services(),
        datasets_root=datasets_root,
        cache_dir=session_cache_dir,
        autostart=False,
    )
    tab = first.tab("music")
    tab.mode.setCurrentIndex(tab.mode.findData(Mode.CONTENT))
    tab.auto_alpha.setChecked(False)
    tab.alpha.set_value(0.27)
    tab.diversity.set_value(0.61)
    tab.k.setValue(17)
    first.tabs.setCurrentIndex(1)
    first.close()
    second = make_window(
        services(),
        datasets_root=datasets_root,
        cache_dir=session_cache_dir,
        autostart=False,
    )
    tab2 = second.tab("music")
    assert second.tabs.currentIndex() == 1
    assert tab2.current_mode() == Mode.CONTENT
    assert not tab2.auto_alpha.isChecked()
    assert tab2.alpha.value() == pytest.approx(0.27)
    assert tab2.diversity.value() == pytest.approx(0.61)
    assert tab2.k.value() == 17


def test_window_dataset_chooser_rebuilds_on_other_dataset(qtbot, window):
    tab = window.tab("cinema")
    assert tab.dataset.count() == len(tab.service.datasets) > 1
    tab.search.setText("Godfater")
    run_and_wait(qtbot, tab, tab.run_search)
    with qtbot.waitSignal(tab.recommender_ready, timeout=BUILD_TIMEOUT_MS) as blocker:
        tab.dataset.setCurrentIndex(tab.dataset.findData("movietweetings"))
    rec = blocker.args[0]
    assert rec is not None and "MovieTweetings" in rec.dataset_label
    assert tab.model.rowCount() == 0  # old answers are not shown for new data
    assert tab.state().dataset == "movietweetings"
    tab.search.setText("Godfater")
    out = run_and_wait(qtbot, tab, tab.run_search)
    assert out.query.title.startswith("The Godfather")
