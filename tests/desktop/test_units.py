"""Unit tests of the UI's plain parts: picks file, CSV export, settings, helpers."""

from __future__ import annotations

import csv
import io
import json
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QSettings

from inkpick_desktop.engine.errors import InkpickError
from inkpick_desktop.engine.results import Mode, ResultRow
from inkpick_desktop.ui import resources
from inkpick_desktop.ui.export import escape_cell, rows_to_csv
from inkpick_desktop.ui.picks import Pick, PicksStore, atomic_write_text
from inkpick_desktop.ui.settings import AppSettings, TabState
from inkpick_desktop.ui.tabsupport import correction_html, with_year
from inkpick_desktop.ui.widgets import format_latency


def _row(title: str, why: str = "") -> ResultRow:
    return ResultRow(1, 0, "id0", title, 1999, "A|B", 0.5, 0.25, None, why)


# -- picks ---------------------------------------------------------------------
def test_picks_store_round_trip_keeps_order(tmp_path):
    path = tmp_path / "p" / "picks.json"
    store = PicksStore(path)
    assert store.add("cinema", Pick("858", "The Godfather (1972)"))
    assert store.add("cinema", Pick("1", "Toy Story (1995)"))
    assert not store.add("cinema", Pick("858", "again"))
    store.add("music", Pick("a", "Radiohead"))
    again = PicksStore(path)
    assert again.picks("cinema") == [
        Pick("858", "The Godfather (1972)"),
        Pick("1", "Toy Story (1995)"),
    ]
    assert again.picks("music") == [Pick("a", "Radiohead")]
    assert again.load_error == ""
    assert again.remove("cinema", "858") and not again.remove("cinema", "858")
    again.clear("music")
    assert PicksStore(path).picks("cinema") == [Pick("1", "Toy Story (1995)")]
    assert PicksStore(path).picks("music") == []


def test_picks_store_corrupt_file_is_kept_aside_and_reported(tmp_path):
    path = tmp_path / "picks.json"
    path.write_text('{"version": 1, "domains": {"cinema": [', encoding="utf-8")
    store = PicksStore(path)
    aside = tmp_path / "picks.json.corrupt-1"
    assert aside.read_text(encoding="utf-8") == '{"version": 1, "domains": {"cinema": ['
    assert not path.exists()
    assert "picks.json" in store.load_error and "line 1" in store.load_error
    assert str(aside) in store.load_error
    assert store.picks("cinema") == []
    store.add("cinema", Pick("1", "x"))  # writing works again, the old file stays
    assert (
        aside.exists() and json.loads(path.read_text(encoding="utf-8"))["version"] == 1
    )


def test_picks_store_wrong_shape_is_kept_aside_with_second_number(tmp_path):
    (tmp_path / "picks.json.corrupt-1").write_text("old", encoding="utf-8")
    path = tmp_path / "picks.json"
    path.write_text(
        '{"version": 1, "domains": {"cinema": [{"title": "no id"}]}}', encoding="utf-8"
    )
    store = PicksStore(path)
    assert (tmp_path / "picks.json.corrupt-2").exists()
    assert "field 'cinema'" in store.load_error and "'id'" in store.load_error


def test_picks_store_future_version_is_refused(tmp_path):
    path = tmp_path / "picks.json"
    path.write_text('{"version": 7, "domains": {}}', encoding="utf-8")
    assert "got version 7" in PicksStore(path).load_error


def test_atomic_write_leaves_no_temp_file(tmp_path):
    target = tmp_path / "f.json"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text(encoding="utf-8") == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


# -- export --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("The Godfather", "The Godfather"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (3, "3"),
    ],
)
def test_escape_cell_formula_starts(value, expected):
    assert escape_cell(value) == expected


def test_rows_to_csv_escapes_title_and_why():
    text = rows_to_csv([_row("=cmd|' /C calc'!A0", why="-because")])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "rank",
        "id",
        "title",
        "year",
        "labels",
        "score",
        "content",
        "collaborative",
        "why",
    ]
    assert rows[1] == [
        "1",
        "id0",
        "'=cmd|' /C calc'!A0",
        "1999",
        "A|B",
        "0.500000",
        "0.250000",
        "",
        "'-because",
    ]


@settings(deadline=None, max_examples=200)
@given(st.text(max_size=30))
def test_escape_cell_never_starts_with_formula(text):
    out = escape_cell(text)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert out in (text, "'" + text)


# -- settings ------------------------------------------------------------------
def test_settings_tab_state_round_trip(tmp_path):
    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings_ = AppSettings(qs)
    assert settings_.tab_state("cinema") == TabState()
    state = TabState(Mode.CONTENT, 0.3, False, 0.7, 25, "movietweetings")
    settings_.set_tab_state("cinema", state)
    settings_.sync()
    again = AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert again.tab_state("cinema") == state


def test_settings_bad_values_fall_back_to_defaults(tmp_path):
    path = tmp_path / "s.ini"
    path.write_text("[domain.cinema]\nmode=telepathy\nalpha=2\n", encoding="utf-8")
    settings_ = AppSettings(QSettings(str(path), QSettings.Format.IniFormat))
    assert settings_.tab_state("cinema") == TabState()
    assert settings_.geometry() is None


def test_tab_state_rejects_out_of_range():
    with pytest.raises(ValueError, match="alpha must be in"):
        TabState(alpha=1.5)
    with pytest.raises(ValueError, match="k must be in 1..100, got 0"):
        TabState(k=0)


# -- resources and small helpers -----------------------------------------------
def test_resources_dir_uses_meipass_when_frozen(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resources_dir() == tmp_path / "resources"


def test_resources_found_in_checkout():
    assert (resources.resources_dir() / "icon.svg").is_file()
    assert "palette(" in resources.stylesheet()
    body = resources.stylesheet().split("*/", 1)[1]
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgb\(|\b(white|black)\b", body)


def test_format_latency_lists_stages_in_order():
    text = format_latency(
        {"diversity": 0.05, "total": 12.34, "resolve": 1.0, "collaborative": 5.0}
    )
    assert text == "12.3 ms  ·  resolve 1.0 · collab 5.0 · diversity 0.1"
    assert format_latency({}) == ""


def test_with_year_adds_missing_year_only():
    assert with_year("Heat", 1995) == "Heat (1995)"
    assert with_year("Heat (1995)", 1995) == "Heat (1995)"
    assert with_year("Heat", 0) == "Heat"


def test_inkpick_error_is_shown_text():
    assert str(InkpickError("x.csv, line 3: bad")) == "x.csv, line 3: bad"


def test_correction_html_escapes_and_links_other_candidates():
    from inkpick_desktop.engine.results import Recommendation, Resolution, TitleMatch

    res = Resolution(
        "<b>x",
        1,
        "1",
        "A & B",
        True,
        1,
        (
            TitleMatch(1, "1", "A & B", 0, 1, 0.9),
            TitleMatch(5, "5", "C<D", 2001, 2, 0.5),
        ),
    )
    rec = Recommendation("d", Mode.HYBRID, 0.5, True, 1.0, 10, (), {}, query=res)
    text = correction_html(rec)
    assert "A &amp; B" in text and "&lt;b&gt;x" in text
    assert '<a href="item:5">C&lt;D (2001)</a>' in text
    assert 'href="item:1"' not in text
