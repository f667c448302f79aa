"""``inkpick recommend|search|train``: output, errors as one line, real data."""

from __future__ import annotations

import csv
import json
import logging
import re
from pathlib import Path

import numpy as np
import pytest

from inkpick_desktop.cli import main
from inkpick_desktop.data.loaders import LOADERS, LoaderSpec
from inkpick_desktop.data.model import Catalog, Interactions, LoadedDataset
from inkpick_desktop.domains import registry
from inkpick_desktop.domains.base import DomainService
from inkpick_desktop.engine.als import AlsConfig
from inkpick_desktop.engine.bpr import BprConfig
from inkpick_desktop.engine.tfidf import TfidfConfig

FOLDER = "shelf-cli"
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
    "u3": ["b1", "b3", "b4"],
    "u4": ["b5", "b6", "b7"],
    "u5": ["b5", "b6", "b8"],
    "u6": ["b5", "b7", "b8"],
}


def _load(root: Path) -> LoadedDataset:
    folder = Path(root) / FOLDER
    with open(folder / "books.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    catalog = Catalog(
        domain="shelf",
        ids=np.asarray([r[0] for r in rows]),
        titles=np.asarray([r[1] for r in rows]),
        years=np.zeros(len(rows), np.int32),
        fields={"genres": np.asarray([r[2] for r in rows])},
        label_fields=("genres",),
    )
    with open(folder / "reads.csv", newline="", encoding="utf-8") as fh:
        reads = list(csv.reader(fh))
    users = sorted({u for u, _ in reads})
    inter = Interactions(
        user_ids=np.asarray(users),
        users=np.asarray([users.index(u) for u, _ in reads], np.int32),
        items=np.asarray([catalog.index_of[b] for _, b in reads], np.int32),
        values=np.ones(len(reads), np.float32),
        n_items=catalog.n_items,
    )
    sources = (str(folder / "books.csv"), str(folder / "reads.csv"))
    return LoadedDataset("shelf", catalog, inter, sources=sources)


@pytest.fixture
def shelf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A registered test domain over a tiny dataset; returns its datasets root."""
    folder = tmp_path / "data" / FOLDER
    folder.mkdir(parents=True)
    with open(folder / "books.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(BOOKS)
    with open(folder / "reads.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows((u, b) for u, bs in READS.items() for b in bs)
    LOADERS["shelf"] = LoaderSpec("shelf", "shelf", "Shelf demo", (FOLDER,), _load)
    service = DomainService(
        key="shelf",
        label="Shelf",
        datasets=("shelf",),
        tfidf=TfidfConfig(
            field_weights={"title": 1.0, "genres": 2.0}, label_fields=("genres",)
        ),
        value_transform="binary",
        als=AlsConfig(factors=2, iterations=10),
        bpr=BprConfig(factors=2, epochs=20),
        item_noun="book",
    )
    monkeypatch.setattr(registry, "_registered", {"shelf": service})
    monkeypatch.setenv("INKPICK_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path / "data"
    LOADERS.pop("shelf", None)


def run(root: Path, *args: str) -> int:
    return main(["--datasets", str(root), *args])


def one_line_error(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("inkpick: ") and "Traceback" not in captured.err
    assert captured.out == ""
    return lines[0]


# -- recommend --------------------------------------------------------------------


def test_recommend_text_table(shelf, capsys) -> None:
    code = run(shelf, "recommend", "shelf", "Dunee", "--alpha", "0.5", "--top-k", "3")

    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == "Shelf · Shelf demo · hybrid, α 0.50, λ 1.00, top 3"
    assert out[1] == "did you mean: Dune [b1]? (typed 'Dunee', distance 1)"
    assert out[2].split() == ["#", "score", "content", "collab", "title", "why"]
    ranks = [line.split()[0] for line in out[3:6]]
    titles = {re.split(r"\s{2,}", line.strip())[4] for line in out[3:6]}
    assert ranks == ["1", "2", "3"]
    assert titles == {"Foundation", "Neuromancer", "Hyperion"}
    assert out[6].startswith("latency: ") and "resolve" in out[6]
    assert len(out) == 7


def test_recommend_json_contract(shelf, capsys) -> None:
    code = run(
        shelf,
        "recommend",
        "shelf",
        "Emma",
        "--json",
        "--top-k",
        "3",
        "--mode",
        "collaborative",
    )

    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["domain"] == "shelf" and data["mode"] == "collaborative"
    assert data["query"] == {
        "text": "Emma",
        "resolved_id": "b7",
        "resolved_title": "Emma",
        "corrected": False,
        "partial": False,
        "distance": 0,
    }
    assert {r["id"] for r in data["results"]} == {"b5", "b6", "b8"}
    assert all(r["collaborative"] is not None for r in data["results"])
    assert [r["rank"] for r in data["results"]] == [1, 2, 3]
    assert set(data["latency_ms"]) >= {"total", "resolve", "content", "blend"}
    assert data["k"] == 3 and data["dataset"] == "Shelf demo"


def test_recommend_auto_alpha_and_diversity(shelf, capsys) -> None:
    code = run(
        shelf,
        "recommend",
        "shelf",
        "Dune",
        "--auto-alpha",
        "--diversity",
        "0.3",
        "--json",
    )

    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["auto_alpha"] is True and data["diversity"] == 0.3
    assert 0.0 <= data["alpha"] <= 1.0


def test_recommend_picks_profile(shelf, capsys) -> None:
    code = run(
        shelf, "recommend", "shelf", "--picks", "b5, b6", "--json", "--top-k", "2"
    )

    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["picks"] == ["b5", "b6"]
    assert {r["id"] for r in data["results"]} == {"b7", "b8"}


def test_recommend_user(shelf, capsys) -> None:
    code = run(
        shelf,
        "recommend",
        "shelf",
        "--user",
        "u1",
        "--json",
        "--top-k",
        "1",
        "--mode",
        "collaborative",
    )

    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["user"] == "u1"
    assert [r["id"] for r in data["results"]] == ["b4"]  # the unread sci-fi book


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["recommend", "films", "Dune"], "unknown domain 'films'; known domains: "),
        (["recommend", "shelf", ""], "the title is empty"),
        (["recommend", "shelf", "   "], "the title is empty"),
        (["recommend", "shelf", "Dune", "--top-k", "0"], "--top-k must be a positive"),
        (["recommend", "shelf", "Dune", "--top-k", "-3"], "got -3"),
        (["recommend", "shelf", "Dune", "--top-k", "ten"], "got 'ten'"),
        (["recommend", "shelf", "Dune", "--alpha", "1.5"], "--alpha must be a number"),
        (["recommend", "shelf", "Dune", "--alpha", "nan"], "got 'nan'"),
        (["recommend", "shelf", "Dune", "--diversity", "-0.1"], "--diversity must"),
        (["recommend", "shelf", "Dune", "--alpha", "0.2", "--auto-alpha"], "not both"),
        (["recommend", "shelf", "Dune", "--mode", "fast"], "mode must be one of"),
        (["recommend", "shelf"], "exactly one of TITLE"),
        (["recommend", "shelf", "Dune", "--picks", "b1"], "exactly one of TITLE"),
        (["recommend", "shelf", "--picks", " , "], "--picks holds no ids"),
        (["recommend", "shelf", "--picks", "b1,zz"], "no item with id 'zz'"),
        (["recommend", "shelf", "--user", "nobody"], "no user with id 'nobody'"),
        (["recommend", "shelf", "Dune", "--dataset", "imdb"], "unknown dataset 'imdb'"),
        (["recommend", "shelf", "Dune", "--model", "svd"], "got 'svd'"),
        (["recommend", "shelf", "Xqzwv"], "no title matches 'Xqzwv'"),
        (["search", "shelf", " "], "the search text is empty"),
        (["search", "shelf", "Dune", "--limit", "0"], "--limit must be a positive"),
        (["train", "nothing"], "unknown domain 'nothing'"),
        (["train", "shelf", "--output", "model.bin"], "--output must end with .npz"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(shelf, capsys, args, expected) -> None:
    code = run(shelf, *args)

    line = one_line_error(capsys)
    assert code == 2
    assert expected in line


def test_recommend_corrupted_cache_rebuilds_with_warning(shelf, capsys, caplog) -> None:
    assert run(shelf, "recommend", "shelf", "Dune", "--json") == 0
    first = json.loads(capsys.readouterr().out)["results"]
    models = Path(shelf).parent / "cache" / "models"
    damaged = sorted(models.glob("shelf-shelf-*.npz"))
    for path in damaged:
        path.write_bytes(b"\x00" * 64)

    with caplog.at_level(logging.WARNING):
        code = run(shelf, "recommend", "shelf", "Dune", "--json")

    again = json.loads(capsys.readouterr().out)["results"]
    assert code == 0
    assert len(damaged) == 3
    warned = {
        r.getMessage().split(" (")[0]
        for r in caplog.records
        if r.levelno == logging.WARNING
    }
    assert warned == {f"ignoring unreadable model cache {p}" for p in damaged}
    assert [r["id"] for r in again] == [r["id"] for r in first]


def test_recommend_explicit_corrupted_model_file_is_an_error(shelf, tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")

    code = run(shelf, "recommend", "shelf", "Dune", "--model-file", str(bad))

    assert code == 2
    assert str(bad) in one_line_error(capsys)


# -- train --------------------------------------------------------------------------


def test_train_refreshes_and_exports(shelf, tmp_path, capsys) -> None:
    out_file = tmp_path / "shelf-als.npz"

    code = run(shelf, "train", "shelf", "--output", str(out_file))

    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.startswith(
        "trained ALS for shelf on Shelf demo: 6 users x 8 books, 18 interactions in "
    )
    # not a terminal: one plain line per stage, no carriage-return updates
    assert "training ALS ...\n" in captured.err and "loading" in captured.err
    assert "\r" not in captured.err
    assert out_file.is_file()
    assert list((tmp_path / "cache" / "models").glob("shelf-shelf-als-*.npz"))

    code = run(
        shelf,
        "recommend",
        "shelf",
        "Emma",
        "--mode",
        "collaborative",
        "--model-file",
        str(out_file),
        "--top-k",
        "3",
        "--json",
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and {r["id"] for r in data["results"]} == {"b5", "b6", "b8"}


def test_train_bpr(shelf, tmp_path, capsys) -> None:
    code = run(shelf, "train", "shelf", "--model", "bpr")

    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.startswith("trained BPR for shelf")
    assert "training BPR" in captured.err
    assert list((tmp_path / "cache" / "models").glob("shelf-shelf-bpr-*.npz"))


# -- search -------------------------------------------------------------------------


def test_search_json_flags_the_correction(shelf, capsys) -> None:
    code = run(shelf, "search", "shelf", "Foundaton", "--json", "--limit", "3")

    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["corrected"] is True and data["accepted"] is True
    assert data["matches"][0]["id"] == "b2"
    assert data["matches"][0]["distance"] == 1
    assert len(data["matches"]) <= 3


def test_search_text(shelf, capsys) -> None:
    code = run(shelf, "search", "shelf", "emma")

    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == "Shelf · Shelf demo · 'emma'"
    assert out[1].split() == ["#", "dist", "score", "id", "title"]
    assert out[2].split()[:4] == ["1", "0", "1.000", "b7"]


# -- starter and real data ------------------------------------------------------------


def test_recommend_without_datasets_uses_the_starter(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("INKPICK_CACHE_DIR", str(tmp_path / "cache"))

    code = run(empty, "recommend", "cinema", "Godfater", "--json")

    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["query"]["resolved_title"] == "The Godfather (1972)"
    assert data["query"]["corrected"] is True
    assert any(n.startswith("starter catalog: MovieLens") for n in data["notes"])
    assert data["dataset"] == "Inkpick starter catalog (Cinema)"
    assert len(data["results"]) == 10


@pytest.fixture(scope="session")
def real_cache(tmp_path_factory) -> Path:
    # Same folder for every module of the session: models train once.
    path = tmp_path_factory.getbasetemp() / "real-model-cache"
    path.mkdir(exist_ok=True)
    return path


def _real(datasets_root, real_cache, monkeypatch, capsys, *args: str) -> dict:
    monkeypatch.setenv("INKPICK_CACHE_DIR", str(real_cache))
    code = main(["--datasets", str(datasets_root), *args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


@pytest.mark.realdata
@pytest.mark.slow
def test_real_cinema_godfater(datasets_root, real_cache, monkeypatch, capsys) -> None:
    data = _real(
        datasets_root,
        real_cache,
        monkeypatch,
        capsys,
        "recommend",
        "cinema",
        "Godfater",
    )

    assert data["query"]["resolved_id"] == "858"
    assert data["query"]["corrected"] is True
    assert len(data["results"]) == 10
    assert data["results"][0]["id"] == "1221"  # The Godfather: Part II
    assert data["results"][0]["collaborative"] is not None

    collab = _real(
        datasets_root,
        real_cache,
        monkeypatch,
        capsys,
        "recommend",
        "cinema",
        "Godfater",
        "--mode",
        "collaborative",
    )
    assert len(collab["results"]) == 10
    assert all(0.0 <= r["collaborative"] <= 1.0 for r in collab["results"])
    assert "1221" in {r["id"] for r in collab["results"]}


@pytest.mark.realdata
@pytest.mark.slow
def test_real_music_radiohed(datasets_root, real_cache, monkeypatch, capsys) -> None:
    data = _real(
        datasets_root, real_cache, monkeypatch, capsys, "recommend", "music", "radiohed"
    )

    assert data["query"]["resolved_title"] == "Radiohead"
    assert data["query"]["corrected"] is True
    assert len(data["results"]) == 10
    assert sum(r["collaborative"] is not None for r in data["results"]) == 10


@pytest.mark.realdata
@pytest.mark.slow
def test_real_courses_machne_learning(datasets_root, real_cache, monkeypatch, capsys):
    data = _real(
        datasets_root,
        real_cache,
        monkeypatch,
        capsys,
        "recommend",
        "courses",
        "machne learning",
    )

    assert data["query"]["resolved_title"] == "Machine Learning"
    assert data["query"]["corrected"] is True
    assert len(data["results"]) == 10
    assert all("machine learning" in r["title"].lower() for r in data["results"][:3])

    # The real course interactions (IBM Skills Network) drive --user queries.
    from inkpick_desktop.data.cache import load_cached

    loaded = load_cached("courses", datasets_root, real_cache)
    inter = loaded.interactions
    user = str(inter.user_ids[0])
    mine = _real(
        datasets_root,
        real_cache,
        monkeypatch,
        capsys,
        "recommend",
        "courses",
        "--user",
        user,
        "--mode",
        "collaborative",
    )
    seen = {str(loaded.catalog.ids[i]) for i in inter.items[inter.users == 0]}
    assert len(mine["results"]) == 10 and seen
    assert not seen & {r["id"] for r in mine["results"]}
    assert all(r["collaborative"] is not None for r in mine["results"])
    assert all(r["id"].startswith("ibm:") for r in mine["results"])


@pytest.mark.realdata
def test_real_search_radiohed(datasets_root, real_cache, monkeypatch, capsys) -> None:
    data = _real(
        datasets_root,
        real_cache,
        monkeypatch,
        capsys,
        "search",
        "music",
        "radiohed",
        "--limit",
        "5",
    )

    assert data["corrected"] is True and data["accepted"] is True
    assert data["matches"][0]["title"] == "Radiohead"
    assert data["matches"][0]["distance"] == 1


@pytest.mark.realdata
@pytest.mark.slow
def test_real_cinema_partial_title_says_start_of_title(
    datasets_root, real_cache, monkeypatch, capsys
) -> None:
    data = _real(
        datasets_root, real_cache, monkeypatch, capsys, "recommend", "cinema", "star wars"
    )
    assert data["query"]["resolved_id"] == "260"  # Episode IV, the most rated
    assert data["query"]["partial"] is True and data["query"]["corrected"] is True

    monkeypatch.setenv("INKPICK_CACHE_DIR", str(real_cache))
    code = main(["--datasets", str(datasets_root), "search", "cinema", "star wars"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Star Wars: Episode IV - A New Hope (1977) [260]? (start of the title)" in out
