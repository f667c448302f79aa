"""Dataset registry: facts per folder, consistency, and a check against real data."""

from __future__ import annotations

import pytest

from inkpick_desktop.data import registry
from inkpick_desktop.data.download import check_folder
from inkpick_desktop.data.registry import (
    DATASETS,
    DatasetFile,
    DatasetSpec,
    DownloadSource,
    DownloadSpec,
    FileFormat,
)
from inkpick_desktop.engine.errors import InvalidInputError

FOLDERS = {
    "movielens-32m-movies",
    "movielens-latest-small",
    "movietweetings-100k",
    "hetrec2011-lastfm-2k",
    "freemusi-cc",
    "coursera-courses-imuhammad",
    "mooc-catalogs-kaggle",
    "ibm-skillsnetwork-courses",
    "ibm-skillsnetwork-rs-content-test",
    "oulad-registrations",
    "free-programming-books-courses",
}


def test_registry_covers_every_folder():
    assert set(DATASETS) == FOLDERS
    assert [s.domain for s in DATASETS.values()] == sorted(
        (s.domain for s in DATASETS.values()), key=["cinema", "music", "courses"].index
    )


def test_registry_rows_as_documented():
    assert registry.get("movielens-latest-small").file("ratings.csv").rows == 100836
    assert registry.get("movielens-32m-movies").file("movies.csv").rows == 87585
    assert (
        registry.get("hetrec2011-lastfm-2k").file("user_taggedartists.dat").rows
        == 186479
    )
    assert registry.get("oulad-registrations").file("studentInfo.csv").rows == 32593
    assert (
        registry.get("hetrec2011-lastfm-2k").file("tags.dat").format.encoding
        == "latin-1"
    )


def test_registry_redistributable_are_the_four_open_sets():
    assert {k for k, s in DATASETS.items() if s.redistributable} == {
        "movietweetings-100k",
        "freemusi-cc",
        "free-programming-books-courses",
        "oulad-registrations",
    }


def test_registry_download_or_manual():
    manual = {k for k, s in DATASETS.items() if s.download is None}
    assert manual == {"coursera-courses-imuhammad", "mooc-catalogs-kaggle"}
    for key in manual:
        assert "Kaggle" in DATASETS[key].manual
    ml = registry.get("movielens-latest-small").download
    assert ml is not None
    (source,) = ml.sources
    assert (
        source.url
        == "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip"
    )
    assert ("ml-latest-small/movies.csv", "movies.csv") in source.members
    big = registry.get("movielens-32m-movies").download
    assert big is not None and big.sources[0].members == (
        ("ml-32m/movies.csv", "movies.csv"),
    )
    assert "240 MB" in big.note


def test_registry_every_spec_has_licence_and_attribution():
    for spec in DATASETS.values():
        assert spec.licence and spec.attribution
        assert spec.licence_url.startswith("https://")
        assert spec.licence_line.startswith(spec.title + ": ")
        for f in spec.files:
            assert len(f.sha256) == 64


def test_registry_get_unknown_names_known_keys():
    with pytest.raises(
        InvalidInputError, match="unknown dataset 'nope'; known: movielens"
    ):
        registry.get("nope")


def test_dataset_spec_validation():
    fmt = FileFormat(header=("a",))
    with pytest.raises(InvalidInputError, match="not among its files"):
        DatasetSpec(
            "k",
            "cinema",
            "K",
            (DatasetFile("a.csv", 1, "", format=fmt),),
            "L",
            "https://l",
            "A",
            False,
            "https://h",
            download=DownloadSpec((DownloadSource("https://x/b.csv", file="b.csv"),)),
        )
    with pytest.raises(InvalidInputError, match="needs download or manual"):
        DatasetSpec("k", "cinema", "K", (), "L", "https://l", "A", False, "https://h")
    with pytest.raises(InvalidInputError, match="either file= .* or members="):
        DownloadSource("https://x/a.zip")
    with pytest.raises(InvalidInputError, match="must be http"):
        DownloadSource("ftp://x/a.csv", file="a.csv")
    with pytest.raises(InvalidInputError, match="plain name"):
        DatasetFile("../a.csv", 1, "")
    with pytest.raises(InvalidInputError, match="kind must be one of"):
        FileFormat(kind="xml", header=("a",))


@pytest.mark.realdata
def test_registry_matches_real_datasets(datasets_root):
    """Every header, column count and row count in the registry holds on the data."""
    for key, spec in DATASETS.items():
        rows = check_folder(datasets_root / key, spec)
        assert rows == {f.name: f.rows for f in spec.files}, key
