"""Datasets folder discovery, saved setting, cache folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inkpick_desktop.data import locate
from inkpick_desktop.data.locate import (
    find_datasets_root,
    load_saved_root,
    save_root,
    user_cache_dir,
)
from inkpick_desktop.data.registry import DATASETS
from inkpick_desktop.engine.errors import DatasetNotFoundError


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No environment override, user folders under tmp_path, no checkout."""
    monkeypatch.delenv(locate.ENV_DATASETS, raising=False)
    monkeypatch.delenv(locate.ENV_CACHE, raising=False)
    for var, sub in (
        ("XDG_DATA_HOME", "xdg-data"),
        ("XDG_CONFIG_HOME", "xdg-config"),
        ("XDG_CACHE_HOME", "xdg-cache"),
    ):
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.setattr(locate, "checkout_datasets_dir", lambda: None)
    return tmp_path


def _make_dataset(root: Path, key: str = "movielens-latest-small") -> Path:
    folder = root / key
    folder.mkdir(parents=True)
    for f in DATASETS[key].files:
        (folder / f.name).write_text("x\n")
    return root


def test_find_datasets_root_explicit_wins(isolated, monkeypatch):
    a = _make_dataset(isolated / "a")
    b = _make_dataset(isolated / "b")
    monkeypatch.setenv(locate.ENV_DATASETS, str(b))
    loc = find_datasets_root(a, settings_value=b)
    assert (loc.root, loc.source) == (a, "explicit")
    assert loc.present == ("movielens-latest-small",)
    assert len(loc.missing) == len(DATASETS) - 1 and loc.found


def test_find_datasets_root_explicit_empty_folder_is_taken(isolated):
    empty = isolated / "empty"
    empty.mkdir()
    loc = find_datasets_root(empty)
    assert loc.root == empty and loc.present == () and not loc.found
    assert loc.missing == tuple(DATASETS)


def test_find_datasets_root_explicit_missing_raises(isolated):
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        find_datasets_root(isolated / "nowhere")


def test_find_datasets_root_environment_then_saved(isolated, monkeypatch):
    env = _make_dataset(isolated / "env")
    saved = _make_dataset(isolated / "saved", "freemusi-cc")
    monkeypatch.setenv(locate.ENV_DATASETS, str(env))
    assert find_datasets_root(settings_value=saved).source == "environment"
    monkeypatch.setenv(locate.ENV_DATASETS, str(isolated / "gone"))
    loc = find_datasets_root(settings_value=saved)
    assert (loc.root, loc.source) == (saved, "saved setting")
    assert loc.present == ("freemusi-cc",)
    assert [s for s, _ in loc.searched] == ["environment", "saved setting"]


def test_find_datasets_root_incomplete_folder_not_present(isolated):
    root = isolated / "r"
    (root / "movielens-latest-small").mkdir(parents=True)
    (root / "movielens-latest-small" / "movies.csv").write_text("x")
    loc = find_datasets_root(root)
    assert "movielens-latest-small" in loc.missing


def test_find_datasets_root_user_data_folder(isolated):
    _make_dataset(locate.user_datasets_dir())
    loc = find_datasets_root(settings_value=isolated / "saved-but-missing")
    assert loc.source == "user data folder"
    assert loc.root == isolated / "xdg-data" / "Inkpick" / "datasets"


def test_find_datasets_root_nothing_found_explains(isolated):
    loc = find_datasets_root()
    assert loc.root is None and loc.source == "none" and not loc.found
    assert "no datasets folder found" in loc.reason and "user data folder" in loc.reason
    with pytest.raises(DatasetNotFoundError, match="no datasets folder found"):
        locate.require_root(loc)


def test_checkout_datasets_dir_is_relative_to_package(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    repo = Path(locate.__file__).resolve().parents[2]
    assert locate.checkout_datasets_dir() == repo.parent / "shared" / "datasets"


def test_save_root_roundtrip_atomic_and_keeps_other_keys(isolated):
    path = locate.config_file()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"theme": "dark"}))
    target = isolated / "data"
    assert save_root(target) == path
    assert load_saved_root() == target.resolve()
    assert json.loads(path.read_text())["theme"] == "dark"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp left


def test_load_saved_root_missing_or_corrupt(isolated, caplog):
    assert load_saved_root() is None
    path = locate.config_file()
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert load_saved_root() is None
    assert "unreadable settings file" in caplog.text


def test_user_cache_dir_env_override(isolated, monkeypatch):
    assert user_cache_dir() == isolated / "xdg-cache" / "Inkpick"
    monkeypatch.setenv(locate.ENV_CACHE, str(isolated / "c"))
    assert user_cache_dir() == isolated / "c"


@pytest.mark.realdata
def test_find_datasets_root_real_checkout(datasets_root, monkeypatch):
    monkeypatch.delenv(locate.ENV_DATASETS, raising=False)
    loc = find_datasets_root(datasets_root)
    assert loc.present == tuple(DATASETS) and loc.missing == ()
