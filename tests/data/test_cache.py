"""Dataset cache: hit, invalidation, corrupt and foreign files, no pickle."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from inkpick_desktop.data import cache as cache_mod
from inkpick_desktop.data.cache import FORMAT_VERSION, cache_path, load_cached
from inkpick_desktop.data.loaders import LOADERS
from inkpick_desktop.engine.errors import DatasetNotFoundError, InvalidInputError

MOVIES = "0000001::A (2001)::Drama\n0000002::B (2002)::Comedy|Drama\n"
RATINGS = "7::0000001::8::100\n3::0000002::10::102\n"


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "data" / "movietweetings-100k"
    folder.mkdir(parents=True)
    (folder / "movies.dat").write_text(MOVIES)
    (folder / "ratings.dat").write_text(RATINGS)
    return tmp_path / "data"


@pytest.fixture
def calls(monkeypatch):
    """Counts real loads of the movietweetings loader."""
    spec = LOADERS["movietweetings"]
    counter = {"n": 0}
    real = spec.load

    def counting(root):
        counter["n"] += 1
        return real(root)

    monkeypatch.setitem(
        LOADERS, "movietweetings", type(spec)(**{**spec.__dict__, "load": counting})
    )
    return counter


def _same(a, b):
    ca, cb = a.catalog, b.catalog
    assert ca.ids.tolist() == cb.ids.tolist()
    assert ca.titles.tolist() == cb.titles.tolist()
    assert ca.years.tolist() == cb.years.tolist()
    assert ca.label_fields == cb.label_fields and ca.domain == cb.domain
    assert {k: v.tolist() for k, v in ca.fields.items()} == {
        k: v.tolist() for k, v in cb.fields.items()
    }
    assert ca.search_titles.tolist() == cb.search_titles.tolist()
    ia, ib = a.interactions, b.interactions
    if ia is None:
        assert ib is None
        return
    assert ia.user_ids.tolist() == ib.user_ids.tolist()
    for name in ("users", "items", "values"):
        assert np.array_equal(getattr(ia, name), getattr(ib, name))
        assert getattr(ia, name).dtype == getattr(ib, name).dtype
    assert (ia.timestamps is None) == (ib.timestamps is None)
    if ia.timestamps is not None:
        assert np.array_equal(ia.timestamps, ib.timestamps)
    assert (ia.value_kind, ia.n_items) == (ib.value_kind, ib.n_items)
    assert tuple(a.sources) == tuple(b.sources)
    assert tuple(a.warnings) == tuple(b.warnings)
    assert a.interactions_note == b.interactions_note


def test_load_cached_second_call_reads_cache(root, tmp_path, calls):
    first = load_cached("movietweetings", root, tmp_path / "cache")
    second = load_cached("movietweetings", root, tmp_path / "cache")
    assert calls["n"] == 1
    _same(first, second)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["movietweetings.npz"]


def test_load_cached_file_opens_without_pickle(root, tmp_path, calls):
    load_cached("movietweetings", root, tmp_path)
    with np.load(cache_path("movietweetings", tmp_path), allow_pickle=False) as npz:
        kinds = {npz[name].dtype.kind for name in npz.files}
        meta = json.loads(str(npz["meta"][()]))
    assert kinds <= {"U", "i", "f"}
    assert meta["version"] == FORMAT_VERSION
    assert meta["sources"] == ["movietweetings-100k/movies.dat",
                               "movietweetings-100k/ratings.dat"]  # fmt: skip


def test_load_cached_changed_source_rebuilds(root, tmp_path, calls):
    load_cached("movietweetings", root, tmp_path)
    (root / "movietweetings-100k" / "ratings.dat").write_text(
        RATINGS + "9::0000001::1::103\n"
    )
    ds = load_cached("movietweetings", root, tmp_path)
    assert calls["n"] == 2
    assert ds.interactions.n_events == 3
    assert load_cached("movietweetings", root, tmp_path).interactions.n_events == 3
    assert calls["n"] == 2


def test_load_cached_corrupt_file_rebuilt(root, tmp_path, calls, caplog):
    path = cache_path("movietweetings", tmp_path)
    load_cached("movietweetings", root, tmp_path)
    path.write_bytes(path.read_bytes()[:100])
    ds = load_cached("movietweetings", root, tmp_path)
    assert calls["n"] == 2
    assert ds.catalog.n_items == 2
    assert "ignoring corrupt dataset cache" in caplog.text
    with zipfile.ZipFile(path) as zf:  # rewritten whole
        assert "meta.npy" in zf.namelist()


def test_load_cached_foreign_npz_ignored(root, tmp_path, calls, caplog):
    path = cache_path("movietweetings", tmp_path)
    np.savez(path, meta=np.array(json.dumps({"format": "other", "version": 1})))
    load_cached("movietweetings", root, tmp_path)
    assert calls["n"] == 1
    assert "not a version" in caplog.text


def test_load_cached_pickled_npz_never_loaded(root, tmp_path, calls, caplog):
    path = cache_path("movietweetings", tmp_path)
    np.savez(path, meta=np.array([{"format": "x"}], dtype=object))
    ds = load_cached("movietweetings", root, tmp_path)
    assert calls["n"] == 1 and ds.catalog.n_items == 2
    assert "Object arrays cannot be loaded" in caplog.text


def test_load_cached_inconsistent_offsets_rebuilt(root, tmp_path, calls):
    path = cache_path("movietweetings", tmp_path)
    load_cached("movietweetings", root, tmp_path)
    with np.load(path, allow_pickle=False) as npz:
        data = {k: npz[k] for k in npz.files}
    data["catalog.titles.ends"] = data["catalog.titles.ends"] + 5
    np.savez(path, **data)
    load_cached("movietweetings", root, tmp_path)
    assert calls["n"] == 2


def test_load_cached_new_optional_folder_rebuilds(tmp_path):
    small = tmp_path / "movielens-latest-small"
    small.mkdir()
    (small / "movies.csv").write_text("movieId,title,genres\n1,A (2001),Drama\n")
    (small / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4,5\n")
    (small / "tags.csv").write_text("userId,movieId,tag,timestamp\n")
    cdir = tmp_path / "cache"
    assert load_cached("movielens", tmp_path, cdir).catalog.n_items == 1
    full = tmp_path / "movielens-32m-movies"
    full.mkdir()
    (full / "movies.csv").write_text("movieId,title,genres\n9,B (1999),Drama\n")
    assert load_cached("movielens", tmp_path, cdir).catalog.ids.tolist() == ["9", "1"]


def test_load_cached_atomic_write_leaves_no_temp(root, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(cache_mod.np, "savez", boom)
    ds = load_cached("movietweetings", root, tmp_path / "c")
    assert ds.catalog.n_items == 2
    assert list((tmp_path / "c").iterdir()) == []


def test_load_cached_progress_reported(root, tmp_path):
    seen = []
    load_cached("movietweetings", root, tmp_path, progress=lambda s, f: seen.append(f))
    assert seen[0] == -1.0 and seen[-1] == 1.0


def test_load_cached_unknown_key_and_missing_folder(tmp_path):
    with pytest.raises(InvalidInputError, match="unknown dataset 'nope'"):
        load_cached("nope", tmp_path, tmp_path)
    with pytest.raises(DatasetNotFoundError, match="movietweetings-100k"):
        load_cached("movietweetings", tmp_path, tmp_path)


@pytest.mark.realdata
@pytest.mark.slow
def test_load_cached_real_round_trip(datasets_root, tmp_path):
    for key in ("courses", "lastfm", "freemusi"):
        first = load_cached(key, datasets_root, tmp_path)
        _same(first, load_cached(key, datasets_root, tmp_path))
