"""Domain services: configuration, the build pipeline, the model cache in use."""

from __future__ import annotations

import csv
import dataclasses
import logging
from pathlib import Path

import numpy as np
import pytest

from inkpick_desktop.data.loaders import LOADERS, LoaderSpec
from inkpick_desktop.data.model import Catalog, Interactions, LoadedDataset
from inkpick_desktop.domains import base as base_module
from inkpick_desktop.domains.base import STARTER, DomainService
from inkpick_desktop.domains.registry import get
from inkpick_desktop.engine.als import AlsConfig, AlsModel
from inkpick_desktop.engine.errors import (
    CancelledError,
    DatasetNotFoundError,
    InvalidInputError,
    ModelFormatError,
)
from inkpick_desktop.engine.hybrid import CONTENT_ONLY
from inkpick_desktop.engine.progress import CancelToken
from inkpick_desktop.engine.results import Mode
from inkpick_desktop.engine.tfidf import TfidfConfig, TfidfIndex

BOOKS = [
    ("b1", "Dune", 1965, "Science Fiction|Adventure"),
    ("b2", "Foundation", 1951, "Science Fiction"),
    ("b3", "Neuromancer", 1984, "Science Fiction|Cyberpunk"),
    ("b4", "Hyperion", 1989, "Science Fiction"),
    ("b5", "Pride and Prejudice", 1813, "Romance|Classic"),
    ("b6", "Jane Eyre", 1847, "Romance|Classic"),
    ("b7", "Emma", 1815, "Romance|Classic"),
    ("b8", "Persuasion", 1817, "Romance"),
]
# Two taste groups: u1-u3 read science fiction, u4-u6 romance.
READS = {
    "u1": ["b1", "b2", "b3"],
    "u2": ["b1", "b2", "b4"],
    "u3": ["b1", "b3", "b4"],
    "u4": ["b5", "b6", "b7"],
    "u5": ["b5", "b6", "b8"],
    "u6": ["b5", "b7", "b8"],
}
FOLDER = "shelf-demo"


def write_books(root: Path) -> Path:
    folder = root / FOLDER
    folder.mkdir(parents=True)
    with open(folder / "books.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "title", "year", "genres"])
        w.writerows(BOOKS)
    with open(folder / "reads.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["user", "item"])
        w.writerows((u, b) for u, books in READS.items() for b in books)
    return root


def load_books(root: Path) -> LoadedDataset:
    folder = Path(root) / FOLDER
    with open(folder / "books.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    catalog = Catalog(
        domain="shelf",
        ids=np.asarray([r["id"] for r in rows]),
        titles=np.asarray([f"{r['title']} ({r['year']})" for r in rows]),
        years=np.asarray([int(r["year"]) for r in rows], np.int32),
        fields={"genres": np.asarray([r["genres"] for r in rows])},
        label_fields=("genres",),
    )
    with open(folder / "reads.csv", newline="", encoding="utf-8") as fh:
        reads = list(csv.DictReader(fh))
    users = sorted({r["user"] for r in reads})
    inter = Interactions(
        user_ids=np.asarray(users),
        users=np.asarray([users.index(r["user"]) for r in reads], np.int32),
        items=np.asarray([catalog.index_of[r["item"]] for r in reads], np.int32),
        values=np.ones(len(reads), np.float32),
        n_items=catalog.n_items,
    )
    sources = (str(folder / "books.csv"), str(folder / "reads.csv"))
    return LoadedDataset("shelf", catalog, inter, sources=sources)


@pytest.fixture
def shelf_loader():
    spec = LoaderSpec(
        key="shelf",
        domain="shelf",
        label="Shelf demo",
        folders=(FOLDER,),
        load=load_books,
    )
    LOADERS["shelf"] = spec
    yield spec
    LOADERS.pop("shelf", None)


@pytest.fixture
def service(shelf_loader) -> DomainService:
    return DomainService(
        key="shelf",
        label="Shelf",
        datasets=("shelf",),
        tfidf=TfidfConfig(
            field_weights={"title": 1.0, "genres": 2.0, "blurb": 1.0},
            label_fields=("genres",),
        ),
        value_transform="binary",
        als=AlsConfig(factors=2, iterations=10),
        example_query="Dunee",
        item_noun="book",
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return write_books(tmp_path / "data")


def _count_calls(monkeypatch, owner, name: str) -> list[int]:
    calls: list[int] = []
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


def _forbid(monkeypatch, owner, name: str) -> None:
    def fail(*args, **kwargs):
        raise AssertionError(f"{name} must not run: the model cache should be used")

    monkeypatch.setattr(owner, name, fail)


# -- configuration ----------------------------------------------------------------


def test_service_rejects_bad_definitions(shelf_loader) -> None:
    cfg = TfidfConfig(field_weights={"title": 1.0})
    with pytest.raises(InvalidInputError, match="'Shelf'"):
        DomainService(key="Shelf", label="S", datasets=("shelf",), tfidf=cfg)
    with pytest.raises(InvalidInputError, match="non-empty tuple"):
        DomainService(key="shelf", label="S", datasets=(), tfidf=cfg)
    with pytest.raises(InvalidInputError, match="'knn'"):
        DomainService(
            key="shelf", label="S", datasets=("shelf",), tfidf=cfg, collaborative="knn"
        )
    with pytest.raises(InvalidInputError, match=r"\['other'\]"):
        DomainService(
            key="shelf",
            label="S",
            datasets=("shelf",),
            tfidf=cfg,
            value_transform={"other": "binary"},
        )
    with pytest.raises(InvalidInputError, match="reserved"):
        DomainService(key="shelf", label="S", datasets=(STARTER,), tfidf=cfg)


def test_service_dataset_choice_and_transforms() -> None:
    cinema = get("cinema")

    assert cinema.resolve_dataset(None) == "movielens"
    assert cinema.resolve_dataset("movietweetings") == "movietweetings"
    with pytest.raises(InvalidInputError, match="'imdb'.*movielens, movietweetings"):
        cinema.resolve_dataset("imdb")
    assert cinema.transform_for("movielens") == ("rating_threshold", 3.5)
    assert cinema.transform_for("movietweetings") == ("rating_threshold", 7.0)
    assert get("music").transform_for("lastfm") == "log1p"
    assert get("courses").transform_for("courses") == "binary"
    assert cinema.with_model("bpr").collaborative == "bpr"
    assert cinema.collaborative == "als"
    with pytest.raises(InvalidInputError, match="'svd'"):
        cinema.with_model("svd")


def test_service_tfidf_drops_fields_the_catalog_lacks(root, service) -> None:
    catalog = load_books(root).catalog

    cfg = service.tfidf_for("shelf", catalog)

    assert dict(cfg.field_weights) == {"title": 1.0, "genres": 2.0}
    assert cfg.label_fields == ("genres",)
    music = get("music")
    # Last.fm tags are absent from this catalog: only the title is left.
    assert dict(music.tfidf_for("lastfm", catalog).field_weights) == {"title": 1.0}
    assert music.tfidf_for("lastfm", catalog).label_fields == ()
    # freemusi has its own config; of it, this catalog only has genres.
    free = music.tfidf_for("freemusi", catalog)
    assert dict(free.field_weights) == {"title": 1.0, "genres": 2.0}
    assert free.sublinear_tf is True


def test_service_example_queries_and_nouns() -> None:
    got = {
        k: (get(k).example_query, get(k).item_noun)
        for k in ("cinema", "music", "courses")
    }

    assert got == {
        "cinema": ("Godfater", "movie"),
        "music": ("radiohed", "artist"),
        "courses": ("machne learning", "course"),
    }


# -- the pipeline -----------------------------------------------------------------


def test_build_reports_stages_in_order(root, service, tmp_path) -> None:
    seen: list[tuple[str, float]] = []

    rec = service.build(
        root, cache_dir=tmp_path / "cache", progress=lambda s, f: seen.append((s, f))
    )

    stages = list(dict.fromkeys(s for s, _ in seen))
    assert stages == ["loading", "indexing text", "indexing titles", "training ALS"]
    for stage in stages:
        fractions = [f for s, f in seen if s == stage]
        assert fractions[0] == 0.0 and fractions[-1] == 1.0
        assert all(0.0 <= f <= 1.0 or f == -1 for f in fractions)
    assert rec.domain == "shelf" and rec.has_collaborative
    assert rec.dataset_label == "Shelf demo"


def test_build_recommends_within_taste_group(root, service, tmp_path) -> None:
    rec = service.build(root, cache_dir=tmp_path / "cache")

    result = rec.recommend_title("Dunee", mode=Mode.HYBRID, alpha=0.5, k=3)

    assert result.query is not None and result.query.id == "b1"
    assert result.query.corrected is True
    assert {r.id for r in result.rows} == {"b2", "b3", "b4"}
    assert all(r.collaborative is not None for r in result.rows)
    collab = rec.recommend_title("Emma", mode=Mode.COLLABORATIVE, k=3)
    assert {r.id for r in collab.rows} == {"b5", "b6", "b8"}


def test_build_second_time_comes_from_the_cache(
    root, service, tmp_path, monkeypatch
) -> None:
    cache = tmp_path / "cache"
    first = service.build(root, cache_dir=cache).recommend_title("Dune", alpha=0.5)
    files = sorted(p.name for p in (cache / "models").iterdir())
    _forbid(monkeypatch, AlsModel, "fit")
    _forbid(monkeypatch, TfidfIndex, "from_catalog")
    _forbid(monkeypatch, base_module.TitleSearch, "build")

    again = service.build(root, cache_dir=cache).recommend_title("Dune", alpha=0.5)

    assert [r.id for r in again.rows] == [r.id for r in first.rows]
    assert [r.score for r in again.rows] == [r.score for r in first.rows]
    assert [f.split("-")[2] for f in files] == ["als", "content", "titles"]


def test_build_config_change_rebuilds_only_that_part(
    root, service, tmp_path, monkeypatch
) -> None:
    cache = tmp_path / "cache"
    service.build(root, cache_dir=cache)
    _forbid(monkeypatch, AlsModel, "fit")
    built = _count_calls(monkeypatch, TfidfIndex, "from_catalog")
    heavier = dataclasses.replace(
        service,
        tfidf=TfidfConfig(
            field_weights={"title": 1.0, "genres": 5.0}, label_fields=("genres",)
        ),
    )

    heavier.build(root, cache_dir=cache)

    assert len(built) == 1
    content = sorted((cache / "models").glob("shelf-shelf-content-*.npz"))
    assert len(content) == 1  # the stale index was replaced, not kept beside


def test_build_model_config_change_retrains(
    root, service, tmp_path, monkeypatch
) -> None:
    cache = tmp_path / "cache"
    service.build(root, cache_dir=cache)
    fits = _count_calls(monkeypatch, AlsModel, "fit")
    _forbid(monkeypatch, TfidfIndex, "from_catalog")

    dataclasses.replace(service, als=AlsConfig(factors=3, iterations=8)).build(
        root, cache_dir=cache
    )

    assert len(fits) == 1


def test_build_corrupted_cache_is_rebuilt_with_warning(
    root, service, tmp_path, monkeypatch, caplog
) -> None:
    cache = tmp_path / "cache"
    service.build(root, cache_dir=cache)
    for path in (cache / "models").glob("*.npz"):
        path.write_bytes(b"PK\x03\x04 broken")
    fits = _count_calls(monkeypatch, AlsModel, "fit")

    with caplog.at_level(logging.WARNING):
        rec = service.build(root, cache_dir=cache)

    assert len(fits) == 1
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("ignoring unreadable model cache" in m for m in warned) == 3
    assert rec.recommend_title("Dune", k=3).rows


def test_build_retrain_ignores_the_cache(root, service, tmp_path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    service.build(root, cache_dir=cache)
    fits = _count_calls(monkeypatch, AlsModel, "fit")
    indexed = _count_calls(monkeypatch, TfidfIndex, "from_catalog")

    service.build(root, cache_dir=cache, retrain=True)

    assert (len(fits), len(indexed)) == (1, 1)


def test_build_cancelled_before_start(root, service, tmp_path) -> None:
    token = CancelToken()
    token.cancel()

    with pytest.raises(CancelledError):
        service.build(root, cache_dir=tmp_path / "cache", cancel=token)


def test_build_cancelled_inside_training(root, service, tmp_path) -> None:
    token = CancelToken()

    def progress(stage: str, fraction: float) -> None:
        if stage == "training ALS" and 0.0 < fraction < 1.0:
            token.cancel()

    with pytest.raises(CancelledError, match="training ALS"):
        service.build(
            root, cache_dir=tmp_path / "cache", progress=progress, cancel=token
        )
    assert not list((tmp_path / "cache" / "models").glob("*-als-*.npz"))


def test_build_uses_explicit_model_file(root, service, tmp_path) -> None:
    cache = tmp_path / "cache"
    parts = service.build_parts(root, cache_dir=cache)
    model_path = tmp_path / "shelf-model.npz"
    parts.collaborative.save(model_path)

    rec = service.build(root, cache_dir=cache, model_file=model_path)

    np.testing.assert_array_equal(
        rec.recommend_title("Dune", mode="collaborative").rows[0].id,
        parts.recommender(service)
        .recommend_title("Dune", mode="collaborative")
        .rows[0]
        .id,
    )
    model_path.write_bytes(b"junk")
    with pytest.raises(ModelFormatError):
        service.build(root, cache_dir=cache, model_file=model_path)


def test_build_explicit_model_of_other_data_refused(root, service, tmp_path) -> None:
    other = AlsModel.fit(
        _tiny_matrix(), AlsConfig(factors=2), item_ids=["x1", "x2", "x3"]
    )
    path = tmp_path / "other.npz"
    other.save(path)

    with pytest.raises(ModelFormatError, match="item ids"):
        service.build(root, cache_dir=tmp_path / "cache", model_file=path)


def _tiny_matrix():
    from inkpick_desktop.engine.sparse import CsrMatrix

    return CsrMatrix.from_dense([[1, 0, 1], [0, 1, 0]])


def test_build_missing_folders_without_starter_says_why(service, tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()

    with pytest.raises(DatasetNotFoundError, match="Shelf demo was not found") as info:
        service.build(empty, cache_dir=tmp_path / "cache")
    assert "starter catalog for shelf" in str(info.value)


def test_build_unknown_loader_is_reported(tmp_path) -> None:
    svc = DomainService(
        key="ghost",
        label="Ghost",
        datasets=("nowhere",),
        tfidf=TfidfConfig(field_weights={"title": 1.0}),
    )

    with pytest.raises(DatasetNotFoundError, match="'nowhere'"):
        svc.build(tmp_path, cache_dir=tmp_path / "cache")


# -- real data ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def real_cache(tmp_path_factory) -> Path:
    # Shared with tests/test_cli_recommend.py: models train once per session.
    path = tmp_path_factory.getbasetemp() / "real-model-cache"
    path.mkdir(exist_ok=True)
    return path


@pytest.mark.realdata
@pytest.mark.slow
def test_real_movietweetings_has_no_tags_field(datasets_root, real_cache) -> None:
    cinema = get("cinema")

    rec = cinema.build(datasets_root, dataset="movietweetings", cache_dir=real_cache)
    result = rec.recommend_title("Godfater", k=10)

    assert "tags" not in rec.catalog.fields
    assert result.query.id == "0068646" and result.query.corrected
    assert rec.has_collaborative and len(result.rows) == 10
    assert result.rows[0].collaborative is not None


@pytest.mark.realdata
def test_real_freemusi_is_content_only(datasets_root, real_cache) -> None:
    music = get("music")

    rec = music.build(datasets_root, dataset="freemusi", cache_dir=real_cache)
    first = rec.catalog.titles[0]
    result = rec.recommend_item(0, k=5)

    from inkpick_desktop.data.cache import load_cached

    note = load_cached("freemusi", datasets_root, real_cache).interactions_note
    assert not rec.has_collaborative and rec.interactions is None
    assert note and rec.notes[0] == note  # the loader's explanation reaches the user
    assert len(result.rows) == 5 and all(r.collaborative is None for r in result.rows)
    assert rec.resolve(str(first)).index == 0


# -- ratings that never reach the positive threshold -----------------------------

LOW_FOLDER = "low-ratings"


def load_low_ratings(root: Path) -> LoadedDataset:
    folder = Path(root) / LOW_FOLDER
    with open(folder / "ratings.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    catalog = load_books(root).catalog
    users = sorted({r["user"] for r in rows})
    inter = Interactions(
        user_ids=np.asarray(users),
        users=np.asarray([users.index(r["user"]) for r in rows], np.int32),
        items=np.asarray([catalog.index_of[r["item"]] for r in rows], np.int32),
        values=np.asarray([float(r["rating"]) for r in rows], np.float32),
        n_items=catalog.n_items,
        value_kind="rating",
    )
    return LoadedDataset("lowrate", catalog, inter, sources=(str(folder),))


@pytest.fixture
def low_service(tmp_path: Path):
    root = write_books(tmp_path / "data")
    folder = root / LOW_FOLDER
    folder.mkdir()
    with open(folder / "ratings.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["user", "item", "rating"])
        # every rating is below 3.5: nothing counts as "liked"
        w.writerows(
            (u, b, 1.0 + (i % 5) * 0.5)
            for i, (u, b) in enumerate(
                (u, b) for u, books in READS.items() for b in books
            )
        )
    LOADERS["lowrate"] = LoaderSpec(
        key="lowrate",
        domain="shelf",
        label="Low ratings demo",
        folders=(FOLDER, LOW_FOLDER),
        load=load_low_ratings,
    )
    svc = DomainService(
        key="shelf",
        label="Shelf",
        datasets=("lowrate",),
        tfidf=TfidfConfig(
            field_weights={"title": 1.0, "genres": 2.0}, label_fields=("genres",)
        ),
        value_transform=("rating_threshold", 3.5),
        als=AlsConfig(factors=2, iterations=3),
        item_noun="book",
    )
    yield svc, root
    LOADERS.pop("lowrate", None)


def test_build_no_rating_at_threshold_falls_back_to_content(
    low_service, tmp_path, monkeypatch
) -> None:
    svc, root = low_service
    _forbid(monkeypatch, AlsModel, "fit")
    seen: list[str] = []

    rec = svc.build(
        root, cache_dir=tmp_path / "cache", progress=lambda s, f: seen.append(s)
    )

    note = "no rating reaches the 3.5 threshold: collaborative mode unavailable"
    assert not rec.has_collaborative and rec.interactions is None
    assert rec.notes == (note,)
    assert "training ALS" not in seen
    result = rec.recommend_title("Dune", k=3)
    # content only: the three other science-fiction books, by genre
    assert {r.id for r in result.rows} == {"b2", "b3", "b4"}
    assert all(r.collaborative is None for r in result.rows)
    assert all(r.fallback == CONTENT_ONLY for r in result.rows)
    assert note in result.notes
    with pytest.raises(InvalidInputError, match="no interaction data for shelf"):
        rec.recommend_title("Dune", mode=Mode.COLLABORATIVE)
    with pytest.raises(InvalidInputError, match="no users"):
        rec.recommend_user("u1")


def test_build_no_rating_at_threshold_refuses_a_model_file(
    low_service, tmp_path
) -> None:
    svc, root = low_service
    path = tmp_path / "model.npz"
    AlsModel.fit(_tiny_matrix(), AlsConfig(factors=2)).save(path)

    with pytest.raises(InvalidInputError, match="no interactions to train on"):
        svc.build(root, cache_dir=tmp_path / "cache", model_file=path)


def test_without_interactions_note_for_other_transforms() -> None:
    loaded = LoadedDataset("x", _books_catalog(), None, ())
    choice = base_module.DatasetChoice("x", "x", loaded, "X data")

    out = base_module._without_interactions(choice, "binary")

    assert out.notes == (
        "no interaction has a positive value after the 'binary' transform: "
        "collaborative mode unavailable",
    )
    assert out.loaded.interactions is None
    assert out.loaded.interactions_note == out.notes[0]


def _books_catalog() -> Catalog:
    return Catalog(
        "shelf", np.array(["b1"]), np.array(["Dune (1965)"]), np.array([1965], np.int32)
    )
