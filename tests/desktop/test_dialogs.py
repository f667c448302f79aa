"""Import mapping dialog, download dialog and About, without real network."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from inkpick_desktop.data import importers
from inkpick_desktop.data.registry import DATASETS
from inkpick_desktop.engine.errors import CancelledError, InkpickError
from inkpick_desktop.ui.about import AboutDialog, credits_html
from inkpick_desktop.ui.downloaddialog import DownloadDialog
from inkpick_desktop.ui.importdialog import NONE, ImportDialog
from tests.desktop.fakes import FakeService

pytestmark = pytest.mark.gui


def test_import_dialog_previews_and_guesses_columns(qtbot, tmp_path):
    path = tmp_path / "mine.tsv"
    path.write_text(
        "movieId\tname\tyear\ttags\n1\tHeat\t1995\tCrime|Drama\n2\tUp\t\tKids\n",
        encoding="utf-8",
    )
    preview = importers.preview(path, 20)
    dialog = ImportDialog(None, "items", path, preview)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 2 and dialog.table.columnCount() == 4
    assert dialog.table.item(0, 1).text() == "Heat"
    assert dialog.combos["id"].currentText() == "movieId"
    assert dialog.combos["title"].currentText() == "name"
    assert dialog.combos["year"].currentText() == "year"
    dialog.label_list.item(3).setCheckState(Qt.CheckState.Checked)
    mapping = dialog.mapping()
    assert mapping.columns == {"id": "movieId", "title": "name", "year": "year"}
    assert mapping.label_columns == ("tags",) and mapping.text_columns == ()
    dialog.combos["year"].setCurrentText(NONE)
    assert dialog.mapping().columns["year"] is None


def test_import_dialog_interactions_roles(qtbot, tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "user_id,item,rating,timestamp\nu1,1,4.5,964982703\n", encoding="utf-8"
    )
    dialog = ImportDialog(None, "interactions", path, importers.preview(path))
    qtbot.addWidget(dialog)
    assert dialog.mapping().columns == {
        "user": "user_id",
        "item": "item",
        "value": "rating",
        "timestamp": "timestamp",
    }


def test_about_lists_every_dataset_licence_and_attribution(qtbot):
    text = credits_html()
    for spec in DATASETS.values():
        assert spec.licence_url.replace("&", "&amp;") in text
        assert spec.title.replace("&", "&amp;") in text
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    plain = dialog.credits.toPlainText()
    for spec in DATASETS.values():
        assert spec.attribution.split(".")[0] in plain


@pytest.fixture
def fake_download(monkeypatch):
    calls = []

    def download_dataset(key, dest_root, progress=None, cancel=None):
        calls.append(key)
        if key == "movietweetings-100k":
            raise InkpickError(f"{key}: connection refused by publisher")
        for i in range(1000):
            progress("fetching", i / 1000)
            cancel.raise_if_cancelled("download")
        return key

    import inkpick_desktop.data.download as download

    monkeypatch.setattr(download, "download_dataset", download_dataset)
    return calls


def _check(dialog, key):
    for i in range(dialog.list.count()):
        item = dialog.list.item(i)
        if item.data(Qt.ItemDataRole.UserRole) == key:
            item.setCheckState(Qt.CheckState.Checked)
            return
    raise AssertionError(key)


def test_download_dialog_error_is_shown(qtbot, make_window, fake_download, tmp_path):
    window = make_window({"a": FakeService("a", "A")}, autostart=False)
    dialog = DownloadDialog(window, window.tasks, tmp_path)
    qtbot.addWidget(dialog)
    _check(dialog, "movietweetings-100k")
    with qtbot.waitSignal(window.tasks.task_failed, timeout=5000):
        dialog.start.click()
    assert dialog.info.text() == "movietweetings-100k: connection refused by publisher"
    assert dialog.start.isEnabled()
    dialog.reject()


def test_download_dialog_runs_checked_datasets_in_order(
    qtbot, make_window, fake_download, tmp_path
):
    window = make_window({"a": FakeService("a", "A")}, autostart=False)
    dialog = DownloadDialog(window, window.tasks, tmp_path)
    qtbot.addWidget(dialog)
    keys = [
        k
        for k, s in DATASETS.items()
        if s.download is not None and k != "movietweetings-100k"
    ][:2]
    for key in keys:
        _check(dialog, key)
    dialog.start.click()
    qtbot.waitUntil(lambda: dialog.start.isEnabled(), timeout=10_000)
    assert fake_download == keys
    assert dialog.info.text() == f"{keys[-1]} downloaded and verified."
    dialog.reject()


def test_download_dialog_cancel(qtbot, make_window, monkeypatch, tmp_path):
    import threading

    import inkpick_desktop.data.download as download

    running = threading.Event()

    def slow(key, dest_root, progress=None, cancel=None):
        running.set()
        while True:
            progress("fetching", -1)
            cancel.raise_if_cancelled("download")
            cancel._event.wait(0.01)

    monkeypatch.setattr(download, "download_dataset", slow)
    window = make_window({"a": FakeService("a", "A")}, autostart=False)
    dialog = DownloadDialog(window, window.tasks, tmp_path)
    qtbot.addWidget(dialog)
    _check(dialog, next(k for k, s in DATASETS.items() if s.download is not None))
    dialog.start.click()
    assert running.wait(5)
    with qtbot.waitSignal(window.tasks.task_failed, timeout=5000) as blocker:
        dialog.progress.cancel.click()
    assert isinstance(blocker.args[2], CancelledError)
    assert "cancelled" in dialog.info.text()
    dialog.reject()
