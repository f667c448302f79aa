"""Fixtures of the desktop tests: settings, picks and caches in tmp folders."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from inkpick_desktop.ui.mainwindow import MainWindow
from inkpick_desktop.ui.picks import PicksStore
from inkpick_desktop.ui.settings import AppSettings

#: How long a test waits for a model build from a cold cache (ms).
BUILD_TIMEOUT_MS = 600_000
QUERY_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def session_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One model cache per test session, so each domain trains once."""
    path = tmp_path_factory.mktemp("inkpick-cache")
    old = os.environ.get("INKPICK_CACHE_DIR")
    os.environ["INKPICK_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("INKPICK_CACHE_DIR", None)
    else:
        os.environ["INKPICK_CACHE_DIR"] = old


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    return tmp_path / "settings.ini"


@pytest.fixture
def app_settings(settings_file: Path) -> AppSettings:
    return AppSettings(QSettings(str(settings_file), QSettings.Format.IniFormat))


@pytest.fixture
def picks_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "picks.json"


@pytest.fixture
def make_window(
    qtbot, settings_file: Path, picks_path: Path
) -> Callable[..., MainWindow]:
    """Build a window on tmp settings and picks; closed at teardown."""
    made: list[MainWindow] = []

    def make(services, **kwargs) -> MainWindow:
        settings = AppSettings(
            QSettings(str(settings_file), QSettings.Format.IniFormat)
        )
        kwargs.setdefault("settings", settings)
        kwargs.setdefault("picks", PicksStore(picks_path))
        window = MainWindow(services, **kwargs)
        qtbot.addWidget(window)
        made.append(window)
        return window

    yield make
    for window in made:
        window.shutdown()
