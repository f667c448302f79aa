"""MovieTweetings loader: real figures and synthetic bad input."""

from __future__ import annotations

import pytest

from inkpick_desktop.data.loaders.movietweetings import load
from inkpick_desktop.engine.errors import DataFormatError


@pytest.fixture(scope="module")
def tweetings(datasets_root):
    return load(datasets_root)


@pytest.mark.realdata
def test_movietweetings_real_counts_and_adult_dropped(tweetings):
    cat, inter = tweetings.catalog, tweetings.interactions
    assert cat.n_items == 10_506 - 2
    assert (inter.n_users, inter.n_events) == (16_554, 100_000 - 3)
    assert (float(inter.values.min()), float(inter.values.max())) == (0.0, 10.0)
    assert inter.value_kind == "rating" and inter.timestamps is not None
    assert not any("Adult" in g.split("|") for g in cat.fields["genres"])
    (w,) = tweetings.warnings
    assert w.message == "dropped 2 movies with the Adult genre and their 3 ratings"


@pytest.mark.realdata
def test_movietweetings_real_godfather_keeps_leading_zeros(tweetings):
    cat = tweetings.catalog
    i = cat.lookup("0068646")
    assert cat.titles[i] == "The Godfather (1972)"
    assert cat.years[i] == 1972
    assert cat.labels("genres", i) == ["Crime", "Drama"]
    assert sum(1 for g in cat.fields["genres"] if not g) == 66
    assert cat.titles[cat.lookup("0002844")] == (
        "Fantômas - À l'ombre de la guillotine (1913)"
    )


def _folder(root, movies, ratings):
    folder = root / "movietweetings-100k"
    folder.mkdir()
    (folder / "movies.dat").write_text(movies, encoding="utf-8")
    (folder / "ratings.dat").write_text(ratings, encoding="utf-8")
    return root


def test_movietweetings_synthetic_adult_and_ids(tmp_path):
    movies = (
        "0000001::The Pizza, Part 1 (2001)::Comedy\n"
        "0000002::Blue (1999)::Adult|Drama\n"
        "0000003::Untitled::\n"
    )
    ratings = "7::0000001::8::100\n7::0000002::5::101\n3::0000003::10::102\n"
    ds = load(_folder(tmp_path, movies, ratings))
    cat = ds.catalog
    assert cat.ids.tolist() == ["0000001", "0000003"]
    assert cat.titles.tolist() == ["The Pizza, Part 1 (2001)", "Untitled"]
    assert cat.years.tolist() == [2001, 0]
    assert ds.interactions.user_ids.tolist() == ["3", "7"]
    assert ds.interactions.items.tolist() == [0, 1]
    assert ds.interactions.values.tolist() == [8.0, 10.0]


def test_movietweetings_rating_out_of_range_skipped(tmp_path):
    ratings = (
        "".join(f"{u}::0000001::7::{u}\n" for u in range(40)) + "1::0000001::11::5\n"
    )
    ds = load(_folder(tmp_path, "0000001::A (2001)::Drama\n", ratings))
    assert ds.interactions.n_events == 40
    (w,) = ds.warnings
    assert (w.line, w.field) == (41, "rating")


def test_movietweetings_non_numeric_id_refused_when_most_rows_bad(tmp_path):
    with pytest.raises(DataFormatError, match="movie_id"):
        load(_folder(tmp_path, "tt01::A (2001)::Drama\n", "1::tt01::7::5\n"))
