"""Model cache: round trips, corrupted/foreign/stale files ignored and rebuilt."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest

from inkpick_desktop.data.model import Catalog, Interactions, LoadedDataset
from inkpick_desktop.domains.modelcache import (
    META_KEY,
    ModelCache,
    cache_key,
    dataset_digest,
)
from inkpick_desktop.engine.errors import InvalidInputError, ModelFormatError


def _arrays() -> dict[str, np.ndarray]:
    return {
        "a": np.arange(6, dtype=np.float32).reshape(2, 3),
        "names": np.asarray(["x", "yz"], dtype=np.str_),
        "config": np.asarray(json.dumps({"w": 1.5})),
    }


def _decode(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return arrays


def _dataset(values=(1.0, 2.0, 3.0), titles=("A", "B")) -> LoadedDataset:
    catalog = Catalog(
        domain="books",
        ids=np.asarray(["b1", "b2"]),
        titles=np.asarray(list(titles)),
        years=np.asarray([2000, 0], np.int32),
        fields={"genres": np.asarray(["x|y", ""])},
        label_fields=("genres",),
    )
    inter = Interactions(
        user_ids=np.asarray(["u1", "u2"]),
        users=np.asarray([0, 1, 1], np.int32),
        items=np.asarray([0, 0, 1], np.int32),
        values=np.asarray(values, np.float32),
        n_items=2,
    )
    return LoadedDataset("books", catalog, inter, sources=())


def test_modelcache_arrays_round_trip(tmp_path: Path) -> None:
    cache = ModelCache(tmp_path, "books", "shelf")
    path = cache.save_arrays("content", "k" * 64, _arrays())

    got = cache.load_arrays("content", "k" * 64, _decode)

    assert path == tmp_path / "models" / f"books-shelf-content-{'k' * 16}.npz"
    assert got is not None and set(got) == {"a", "names", "config"}
    np.testing.assert_array_equal(got["a"], _arrays()["a"])
    assert got["names"].tolist() == ["x", "yz"]
    assert json.loads(str(got["config"])) == {"w": 1.5}
    assert [p.name for p in (tmp_path / "models").iterdir()] == [path.name]


def test_modelcache_missing_file_returns_none(tmp_path: Path) -> None:
    assert (
        ModelCache(tmp_path, "books", "shelf").load_arrays("c", "0" * 64, _decode)
        is None
    )


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b"not a zip at all"),
        lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
        lambda p: p.write_bytes(b""),
    ],
    ids=["garbage", "truncated", "empty"],
)
def test_modelcache_corrupted_file_ignored_with_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage
) -> None:
    cache = ModelCache(tmp_path, "books", "shelf")
    path = cache.save_arrays("content", "a" * 64, _arrays())
    damage(path)

    with caplog.at_level(logging.WARNING):
        got = cache.load_arrays("content", "a" * 64, _decode)

    assert got is None
    assert any(
        r.levelno == logging.WARNING and str(path) in r.getMessage()
        for r in caplog.records
    )
    # Rebuilding overwrites the damaged file with a good one.
    cache.save_arrays("content", "a" * 64, _arrays())
    assert cache.load_arrays("content", "a" * 64, _decode) is not None


def test_modelcache_foreign_file_ignored(tmp_path: Path, caplog) -> None:
    cache = ModelCache(tmp_path, "books", "shelf")
    path = cache.path("content", "b" * 64)
    path.parent.mkdir(parents=True)
    np.savez(path, a=np.zeros(3))  # a plain npz, no metadata
    other = ModelCache(tmp_path, "books", "shelf")
    meta = json.dumps(
        {
            "format": 1,
            "domain": "films",
            "dataset": "shelf",
            "part": "content",
            "key": "b" * 64,
        }
    )
    np.savez(other.path("titles", "b" * 64), **{META_KEY: np.asarray(meta)})

    with caplog.at_level(logging.WARNING):
        assert cache.load_arrays("content", "b" * 64, _decode) is None
        assert cache.load_arrays("titles", "b" * 64, _decode) is None

    assert sum(r.levelno == logging.WARNING for r in caplog.records) == 2


def test_modelcache_pickled_object_array_refused(tmp_path: Path) -> None:
    cache = ModelCache(tmp_path, "books", "shelf")
    path = cache.save_arrays("content", "c" * 64, _arrays())
    meta = json.dumps(cache._meta("content", "c" * 64))
    # An object array can only be stored with pickle; loading must refuse it.
    np.savez(path, **{META_KEY: np.asarray(meta), "evil": np.array([{}], dtype=object)})

    assert cache.load_arrays("content", "c" * 64, _decode) is None


def test_modelcache_decoder_rejection_means_rebuild(tmp_path: Path) -> None:
    cache = ModelCache(tmp_path, "books", "shelf")
    cache.save_arrays("content", "d" * 64, _arrays())

    def reject(arrays):
        raise ModelFormatError("wrong shape")

    assert cache.load_arrays("content", "d" * 64, reject) is None


def test_modelcache_new_key_reports_and_removes_stale(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = ModelCache(tmp_path, "books", "shelf")
    old = cache.save_arrays("content", cache_key(part="content", w=1.0), _arrays())
    new_key = cache_key(part="content", w=2.0)

    with caplog.at_level(logging.WARNING):
        assert cache.load_arrays("content", new_key, _decode) is None
    new = cache.save_arrays("content", new_key, _arrays())

    assert any(
        "stale" in r.getMessage() and str(old) in r.getMessage() for r in caplog.records
    )
    assert not old.exists() and new.exists()
    # Other parts and other datasets are not touched.
    keep = ModelCache(tmp_path, "books", "other").save_arrays("content", "e" * 64, {})
    cache.save_arrays("content", cache_key(part="content", w=3.0), _arrays())
    assert keep.exists()


def test_modelcache_file_part_round_trip_and_validation(tmp_path: Path) -> None:
    cache = ModelCache(tmp_path, "books", "shelf")

    def save(path: Path) -> None:
        np.savez(path, x=np.arange(4))

    def load(path: Path) -> np.ndarray:
        with np.load(path, allow_pickle=False) as npz:
            return npz["x"]

    def validate(x: np.ndarray) -> None:
        if len(x) != 4:
            raise ModelFormatError("length")

    path = cache.save_file("als", "f" * 64, save)
    assert path.name == f"books-shelf-als-{'f' * 16}.npz"
    np.testing.assert_array_equal(
        cache.load_file("als", "f" * 64, load, validate), np.arange(4)
    )
    assert cache.load_file("als", "f" * 64, load, lambda x: validate(x[:2])) is None
    path.write_bytes(b"junk")
    assert cache.load_file("als", "f" * 64, load) is None


def test_modelcache_failed_save_leaves_no_temporary(tmp_path: Path) -> None:
    cache = ModelCache(tmp_path, "books", "shelf")

    def broken(path: Path) -> None:
        path.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        cache.save_file("als", "g" * 64, broken)
    assert os.listdir(tmp_path / "models") == []


def test_modelcache_rejects_bad_names(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="'Books'"):
        ModelCache(tmp_path, "Books", "x")
    with pytest.raises(InvalidInputError, match="'a-b'"):
        ModelCache(tmp_path, "books", "x").path("a-b", "0" * 64)
    with pytest.raises(InvalidInputError, match="reserved"):
        ModelCache(tmp_path, "books", "x").save_arrays("c", "0" * 64, {META_KEY: 1})


def test_cache_key_depends_on_every_part() -> None:
    base = cache_key(part="content", data="d1", config={"w": 1.0, "f": ("a", "b")})

    assert base == cache_key(
        part="content", data="d1", config={"f": ["a", "b"], "w": 1.0}
    )
    assert base != cache_key(
        part="content", data="d2", config={"w": 1.0, "f": ("a", "b")}
    )
    assert base != cache_key(
        part="content", data="d1", config={"w": 1.5, "f": ("a", "b")}
    )
    assert len(base) == 64 and int(base, 16) >= 0


def test_dataset_digest_tracks_content_and_order() -> None:
    ref = dataset_digest(_dataset())

    assert ref == dataset_digest(_dataset())
    assert ref != dataset_digest(_dataset(values=(1.0, 2.0, 4.0)))
    assert ref != dataset_digest(_dataset(titles=("B", "A")))
    no_inter = LoadedDataset("books", _dataset().catalog, None, sources=())
    assert ref != dataset_digest(no_inter)
