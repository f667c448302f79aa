"""MovieLens loader: real-file figures and small synthetic folders."""

from __future__ import annotations

import pytest

from inkpick_desktop.data.loaders import LOADERS
from inkpick_desktop.data.loaders.movielens import load
from inkpick_desktop.engine.errors import DataFormatError, DatasetNotFoundError


@pytest.fixture(scope="module")
def movielens(datasets_root):
    return load(datasets_root)


@pytest.mark.realdata
def test_movielens_real_counts(movielens):
    cat, inter = movielens.catalog, movielens.interactions
    assert cat.n_items == 87_585 + 288
    assert cat.domain == "cinema"
    assert (inter.n_users, inter.n_events) == (610, 100_836)
    assert inter.value_kind == "rating"
    assert (float(inter.values.min()), float(inter.values.max())) == (0.5, 5.0)
    assert (int(inter.timestamps.min()), int(inter.timestamps.max())) == (
        828124615,
        1537799250,
    )
    # the 288 movies missing from ml-32m carry 586 ratings, all joined
    assert int((inter.items >= 87_585).sum()) == 586
    assert movielens.warnings == ()


@pytest.mark.realdata
def test_movielens_real_godfather(movielens):
    cat = movielens.catalog
    i = cat.lookup("858")
    assert cat.titles[i] == "The Godfather (1972)"
    assert cat.years[i] == 1972
    assert cat.labels("genres", i) == ["Crime", "Drama"]
    assert "Godfather, The (1972)" in cat.search_titles[i].split("|")


@pytest.mark.realdata
def test_movielens_real_alt_title_and_tags(movielens):
    cat = movielens.catalog
    i = cat.lookup("29")  # City of Lost Children, The (Cité des enfants perdus, La)
    assert cat.titles[i] == "The City of Lost Children (1995)"
    assert "La Cité des enfants perdus" in cat.search_titles[i].split("|")
    toy = cat.lookup("1")
    assert cat.labels("tags", toy) == ["Pixar", "fun"]
    assert sum(1 for t in cat.fields["tags"] if t) == 1572
    assert cat.fields["genres"][cat.lookup("193609")] == "Comedy"


@pytest.mark.realdata
def test_movielens_real_no_genres_listed_is_empty(movielens):
    genres = movielens.catalog.fields["genres"]
    assert "(no genres listed)" not in set(genres.tolist())
    assert sum(1 for g in genres if not g) >= 7080


@pytest.mark.realdata
def test_movielens_real_sources(movielens):
    assert tuple(movielens.sources) == (
        "movielens-32m-movies/movies.csv",
        "movielens-latest-small/movies.csv",
        "movielens-latest-small/tags.csv",
        "movielens-latest-small/ratings.csv",
    )


# --- synthetic folders -----------------------------------------------------


def _small(root, movies=None, ratings=None, tags=None):
    folder = root / "movielens-latest-small"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "movies.csv").write_text(
        movies
        or 'movieId,title,genres\r\n1,"Godfather, The (1972)",Crime|Drama\r\n'
        "2,Heat (1995),(no genres listed)\r\n"
    )
    (folder / "ratings.csv").write_text(
        ratings or "userId,movieId,rating,timestamp\n10,1,4.5,100\n9,2,3.0,200\n"
    )
    (folder / "tags.csv").write_text(
        tags
        or "userId,movieId,tag,timestamp\n9,1,Mafia,1\n10,1,mafia,2\n10,1,mafia,3\n"
        "9,1,classic,4\n9,2,heist,5\n"
    )
    return root


def test_movielens_small_only_falls_back_with_warning(tmp_path):
    ds = load(_small(tmp_path))
    cat = ds.catalog
    assert cat.ids.tolist() == ["1", "2"]
    assert cat.titles.tolist() == ["The Godfather (1972)", "Heat (1995)"]
    assert cat.fields["genres"].tolist() == ["Crime|Drama", ""]
    # "mafia" applied 3 times (twice lower case): most used spelling, first
    assert cat.fields["tags"].tolist() == ["mafia|classic", "heist"]
    assert ds.interactions.user_ids.tolist() == ["9", "10"]
    assert ds.interactions.users.tolist() == [1, 0]
    assert ds.interactions.values.tolist() == [4.5, 3.0]
    assert [w.message for w in ds.warnings] == [
        "ml-32m catalog not found; using the 2 movies of movielens-latest-small"
    ]
    assert "movielens-32m-movies" not in " ".join(ds.sources)


def test_movielens_full_catalog_plus_small_extras(tmp_path):
    _small(tmp_path)
    full = tmp_path / "movielens-32m-movies"
    full.mkdir()
    (full / "movies.csv").write_text(
        'movieId,title,genres\n5,Alien (1979),Horror\n1,"Godfather, The (1972)",Crime\n'
    )
    cat = load(tmp_path).catalog
    assert cat.ids.tolist() == ["5", "1", "2"]
    assert cat.fields["genres"].tolist() == ["Horror", "Crime", ""]


def test_movielens_bad_rating_row_skipped(tmp_path):
    rows = "".join(f"1,{1 + i % 2},4.0,{i}\n" for i in range(40))
    _small(tmp_path, ratings="userId,movieId,rating,timestamp\n" + rows + "1,1,NaN,5\n")
    ds = load(tmp_path)
    assert ds.interactions.n_events == 40
    (w,) = [w for w in ds.warnings if w.field == "rating"]
    assert w.line == 42 and "finite" in w.message


def test_movielens_rating_of_unknown_movie_skipped(tmp_path):
    rows = "".join(f"1,1,4.0,{i}\n" for i in range(40))
    _small(tmp_path, ratings="userId,movieId,rating,timestamp\n" + rows + "1,77,4,1\n")
    ds = load(tmp_path)
    assert ds.interactions.n_events == 40
    assert any("movie 77 is not in the catalog" in w.message for w in ds.warnings)


def test_movielens_missing_column_refused(tmp_path):
    _small(tmp_path, ratings="userId,movieId,timestamp\n1,1,5\n")
    with pytest.raises(DataFormatError, match="'rating' is missing"):
        load(tmp_path)


def test_movielens_missing_folder_not_found(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="movies.csv"):
        load(tmp_path)


def test_movielens_spec_registered():
    spec = LOADERS["movielens"]
    assert spec.folders == ("movielens-latest-small",)
    assert spec.optional_folders == ("movielens-32m-movies",)
    assert spec.domain == "cinema"


# --- rating scale, canonical ids, BOM ----------------------------------------


@pytest.mark.parametrize("bad", ["0", "0.0", "5.5", "4.3", "-1", "1e39"])
def test_movielens_rating_off_scale_skipped(tmp_path, bad):
    rows = "".join(f"1,{1 + i % 2},{0.5 + (i % 10) / 2},{i}\n" for i in range(40))
    _small(
        tmp_path, ratings="userId,movieId,rating,timestamp\n" + rows + f"1,1,{bad},5\n"
    )
    ds = load(tmp_path)
    inter = ds.interactions
    assert inter.n_events == 40
    assert sorted(set(inter.values.tolist())) == [0.5 * k for k in range(1, 11)]
    (w,) = [w for w in ds.warnings if w.field == "rating"]
    assert w.line == 42 and w.path.endswith("ratings.csv")
    assert w.message.endswith("; row skipped")


def test_movielens_rating_zero_message_names_range(tmp_path):
    rows = "".join(f"1,1,4.0,{i}\n" for i in range(40))
    _small(tmp_path, ratings="userId,movieId,rating,timestamp\n" + rows + "1,2,0,5\n")
    (w,) = [w for w in load(tmp_path).warnings if w.field == "rating"]
    assert w.message == "expected a number in [0.5, 5.0], got 0.0; row skipped"


def test_movielens_rating_between_half_stars_message(tmp_path):
    rows = "".join(f"1,1,4.0,{i}\n" for i in range(40))
    _small(tmp_path, ratings="userId,movieId,rating,timestamp\n" + rows + "1,2,4.3,5\n")
    (w,) = [w for w in load(tmp_path).warnings if w.field == "rating"]
    assert w.message == "expected a rating in half stars, got 4.3; row skipped"


def test_movielens_leading_zero_ids_refused_not_renamed(tmp_path):
    movies = "movieId,title,genres\n" + "".join(
        f"{i},Movie {i} (2000),Drama\n" for i in range(1, 41)
    )
    movies += "007,Bond (1962),Action\n"
    ratings = "userId,movieId,rating,timestamp\n" + "".join(
        f"1,{1 + i % 40},4.0,{i}\n" for i in range(40)
    )
    ratings += "1,007,5.0,99\n01,2,3.0,100\n"
    _small(tmp_path, movies=movies, ratings=ratings)
    ds = load(tmp_path)
    assert "7" in ds.catalog.ids.tolist()  # the canonical movie 7 ...
    assert ds.catalog.titles[ds.catalog.lookup("7")] == "Movie 7 (2000)"
    assert "007" not in ds.catalog.ids.tolist()  # ... and no renamed 007
    assert ds.interactions.n_events == 40
    assert ds.interactions.user_ids.tolist() == ["1"]
    found = {(w.path.rsplit("/", 1)[-1], w.line, w.field) for w in ds.warnings}
    assert {
        ("movies.csv", 42, "movieId"),
        ("ratings.csv", 42, "movieId"),
        ("ratings.csv", 43, "userId"),
    } <= found
    assert any(
        "expected an integer without leading zeros, got '007'" in w.message
        for w in ds.warnings
    )


def test_movielens_utf8_bom_accepted(tmp_path):
    _small(tmp_path)
    folder = tmp_path / "movielens-latest-small"
    for name in ("movies.csv", "ratings.csv"):
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(b"\xef\xbb\xbf" + data)
    ds = load(tmp_path)
    assert ds.catalog.ids.tolist() == ["1", "2"]
    assert ds.interactions.values.tolist() == [4.5, 3.0]
    assert len(ds.warnings) == 1  # only the "ml-32m not found" note
