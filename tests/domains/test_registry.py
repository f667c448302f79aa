"""The domain registry: discovery order, lookup errors, adding a domain as a file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import inkpick_desktop.domains as domains_package
from inkpick_desktop import cli
from inkpick_desktop.data.loaders import LOADERS
from inkpick_desktop.domains import registry
from inkpick_desktop.domains.base import DomainService
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.tfidf import TfidfConfig

# A complete fourth domain in one module: its loader, registered in LOADERS, and
# its SERVICE. Nothing else in the code base knows about it.
BOOKS_MODULE = '''
"""Books: a fourth domain added by dropping this one file into the package."""

import csv
from pathlib import Path

import numpy as np

from inkpick_desktop.data.loaders import LoaderSpec, register
from inkpick_desktop.data.model import Catalog, Interactions, LoadedDataset
from inkpick_desktop.domains.base import DomainService
from inkpick_desktop.engine.als import AlsConfig
from inkpick_desktop.engine.tfidf import TfidfConfig

FOLDER = "books-demo"


def load(root: Path) -> LoadedDataset:
    folder = Path(root) / FOLDER
    with open(folder / "books.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    catalog = Catalog(
        domain="books",
        ids=np.asarray([r["id"] for r in rows]),
        titles=np.asarray([r["title"] for r in rows]),
        years=np.zeros(len(rows), np.int32),
        fields={"genres": np.asarray([r["genres"] for r in rows])},
        label_fields=("genres",),
    )
    with open(folder / "reads.csv", newline="", encoding="utf-8") as fh:
        reads = list(csv.DictReader(fh))
    users = sorted({r["user"] for r in reads})
    interactions = Interactions(
        user_ids=np.asarray(users),
        users=np.asarray([users.index(r["user"]) for r in reads], np.int32),
        items=np.asarray([catalog.index_of[r["item"]] for r in reads], np.int32),
        values=np.ones(len(reads), np.float32),
        n_items=catalog.n_items,
    )
    sources = (str(folder / "books.csv"), str(folder / "reads.csv"))
    return LoadedDataset("books", catalog, interactions, sources=sources)


register(LoaderSpec(key="books", domain="books", label="Books demo",
                    folders=(FOLDER,), load=load))

SERVICE = DomainService(
    key="books",
    label="Books",
    datasets=("books",),
    tfidf=TfidfConfig(field_weights={"title": 1.0, "genres": 2.0},
                      label_fields=("genres",)),
    value_transform="binary",
    als=AlsConfig(factors=2, iterations=10),
    example_query="Foundaton",
    item_noun="book",
    order=40,
)
'''

BOOKS = [
    ("b1", "Dune", "Science Fiction|Adventure"),
    ("b2", "Foundation", "Science Fiction"),
    ("b3", "Neuromancer", "Science Fiction|Cyberpunk"),
    ("b4", "Hyperion", "Science Fiction"),
    ("b5", "Pride and Prejudice", "Romance|Classic"),
    ("b6", "Jane Eyre", "Romance|Classic"),
    ("b7", "Emma", "Romance|Classic"),
    ("b8", "Persuasion", "Romance"),
]
READS = {
    "u1": ["b1", "b2", "b3"],
    "u2": ["b1", "b2", "b4"],
    "u3": ["b2", "b3", "b4"],
    "u4": ["b5", "b6", "b7"],
    "u5": ["b5", "b6", "b8"],
    "u6": ["b5", "b7", "b8"],
}


def _write_books_data(root: Path) -> Path:
    folder = root / "books-demo"
    folder.mkdir(parents=True)
    lines = ["id,title,genres"] + [",".join(b) for b in BOOKS]
    (folder / "books.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    reads = ["user,item"] + [f"{u},{b}" for u, bs in READS.items() for b in bs]
    (folder / "reads.csv").write_text("\n".join(reads) + "\n", encoding="utf-8")
    return root


@pytest.fixture
def books_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``books.py`` in a second folder of the domains package's search path."""
    plugin_dir = tmp_path / "plugin"
    plugin_dir.mkdir()
    (plugin_dir / "books.py").write_text(BOOKS_MODULE, encoding="utf-8")
    monkeypatch.setattr(
        domains_package, "__path__", [*domains_package.__path__, str(plugin_dir)]
    )
    yield plugin_dir
    sys.modules.pop("inkpick_desktop.domains.books", None)
    LOADERS.pop("books", None)


def _service(key: str, order: int = 100) -> DomainService:
    return DomainService(
        key=key,
        label=key.title(),
        datasets=("movielens",),
        tfidf=TfidfConfig(field_weights={"title": 1.0}),
        order=order,
    )


def test_services_order_is_cinema_music_courses() -> None:
    found = registry.services()

    assert list(found)[:3] == ["cinema", "music", "courses"]
    assert all(found[k].key == k for k in found)
    assert [s.label for s in found.values()][:3] == ["Cinema", "Music", "Courses"]


def test_services_datasets_are_known_loaders() -> None:
    found = registry.services()

    assert found["cinema"].datasets == ("movielens", "movietweetings")
    assert found["music"].datasets == ("lastfm", "freemusi")
    assert found["courses"].datasets == ("courses", "oulad")


def test_get_unknown_domain_lists_the_known_ones() -> None:
    with pytest.raises(InvalidInputError) as info:
        registry.get("films")

    assert str(info.value) == (
        "unknown domain 'films'; known domains: cinema, music, courses"
    )


def test_get_is_case_and_space_tolerant() -> None:
    assert registry.get(" Music ").key == "music"


def test_registry_file_plugin_appears_last(books_plugin) -> None:
    found = registry.services()

    assert list(found) == ["cinema", "music", "courses", "books"]
    assert found["books"].item_noun == "book"
    assert registry.get("books") is found["books"]


def test_registry_file_plugin_recommends(books_plugin, tmp_path: Path) -> None:
    data = _write_books_data(tmp_path / "data")
    service = registry.get("books")

    rec = service.build(data, cache_dir=tmp_path / "cache")
    result = rec.recommend_title(service.example_query, alpha=0.5, k=3)

    assert result.query.id == "b2" and result.query.corrected
    assert {r.id for r in result.rows} == {"b1", "b3", "b4"}
    assert all(r.collaborative is not None for r in result.rows)


def test_registry_file_plugin_reaches_the_cli(
    books_plugin, tmp_path: Path, monkeypatch, capsys
) -> None:
    data = _write_books_data(tmp_path / "data")
    monkeypatch.setenv("INKPICK_CACHE_DIR", str(tmp_path / "cache"))

    code = cli.main(
        [
            "--datasets",
            str(data),
            "recommend",
            "books",
            "Emma",
            "--json",
            "--top-k",
            "3",
        ]
    )

    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["domain"] == "books" and out["query"]["resolved_id"] == "b7"
    assert {r["id"] for r in out["results"]} == {"b5", "b6", "b8"}


def test_register_hook_adds_and_replaces(monkeypatch) -> None:
    monkeypatch.setattr(registry, "_registered", {})
    extra = _service("zines", order=5)

    registry.register(extra)
    first = list(registry.services())
    registry.unregister("zines")

    assert first == ["zines", "cinema", "music", "courses"]
    assert "zines" not in registry.services()
    with pytest.raises(InvalidInputError, match="DomainService"):
        registry.register("not a service")  # type: ignore[arg-type]


def test_registry_module_without_service_is_skipped(tmp_path, monkeypatch) -> None:
    plugin_dir = tmp_path / "plugin"
    plugin_dir.mkdir()
    (plugin_dir / "helpers_only.py").write_text("VALUE = 1\n", encoding="utf-8")
    (plugin_dir / "_private.py").write_text("raise RuntimeError('never')\n")
    monkeypatch.setattr(
        domains_package, "__path__", [*domains_package.__path__, str(plugin_dir)]
    )
    try:
        assert list(registry.services()) == ["cinema", "music", "courses"]
    finally:
        sys.modules.pop("inkpick_desktop.domains.helpers_only", None)


def test_registry_bad_service_object_is_reported(tmp_path, monkeypatch) -> None:
    plugin_dir = tmp_path / "plugin"
    plugin_dir.mkdir()
    (plugin_dir / "broken.py").write_text("SERVICE = {'key': 'x'}\n")
    monkeypatch.setattr(
        domains_package, "__path__", [*domains_package.__path__, str(plugin_dir)]
    )
    try:
        with pytest.raises(InvalidInputError, match=r"domains\.broken\.SERVICE.*dict"):
            registry.services()
    finally:
        sys.modules.pop("inkpick_desktop.domains.broken", None)


def test_registry_source_has_no_domain_list() -> None:
    """Adding a domain must not need an edit here: no domain key is hard-coded."""
    source = Path(registry.__file__).read_text(encoding="utf-8")

    for key in ("cinema", "music", "courses"):
        assert f'"{key}"' not in source and f"'{key}'" not in source
