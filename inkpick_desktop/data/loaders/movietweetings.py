"""MovieTweetings 100K: IMDb-rated movies from tweets, ratings 0-10.

``movies.dat`` is ``movie_id::Title (Year)::Genre|Genre``, ``ratings.dat`` is
``user_id::movie_id::rating::timestamp``; ``::``-separated, no header, UTF-8.
Movie ids keep their leading zeros (``"0068646"``). Titles are stored as
written (no article rotation). Movies with the ``Adult`` genre and their ratings
are dropped, counted in one warning.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inkpick_desktop.data.csvio import (
    TextFormat,
    join_labels,
    read_table,
    require_file,
    source_name,
    text_array,
)
from inkpick_desktop.data.loaders import LoaderSpec, register
from inkpick_desktop.data.model import (
    LABEL_SEP,
    Catalog,
    Interactions,
    LoadedDataset,
    LoadWarning,
)
from inkpick_desktop.data.titles import parse_title

KEY = "movietweetings"
FOLDER = "movietweetings-100k"
DROPPED_GENRE = "Adult"

MOVIES_FORMAT = TextFormat(
    delimiter="::", quoting=False, header=False, names=("movie_id", "title", "genres")
)
RATINGS_FORMAT = TextFormat(
    delimiter="::",
    quoting=False,
    header=False,
    names=("user_id", "movie_id", "rating", "rating_timestamp"),
)


def load(root: Path) -> LoadedDataset:
    """Load MovieTweetings 100K from ``root / "movietweetings-100k"``."""
    root = Path(root)
    folder = root / FOLDER
    movies_path = require_file(folder / "movies.dat")
    ratings_path = require_file(folder / "ratings.dat")
    warnings: list[LoadWarning] = []

    movies = read_table(movies_path, MOVIES_FORMAT)
    ids = movies.texts("movie_id", required=True)
    for i, x in enumerate(ids):
        if x and not (x.isascii() and x.isdigit()):
            movies.skip(i, "movie_id", f"expected a numeric IMDb id, got {x!r}")
    titles = movies.texts("title", required=True)
    genres = movies.texts("genres")
    movies.unique("movie_id", keys=ids)
    keep = movies.finish()
    warnings += movies.warnings

    adult = [i for i in keep.tolist() if DROPPED_GENRE in genres[i].split(LABEL_SEP)]
    adult_ids = {ids[i] for i in adult}
    keep = np.array([i for i in keep.tolist() if ids[i] not in adult_ids], np.intp)
    index_of = {ids[i]: k for k, i in enumerate(keep.tolist())}

    ratings = read_table(ratings_path, RATINGS_FORMAT)
    users = ratings.ints("user_id", lo=0)
    values = ratings.floats("rating", lo=0.0, hi=10.0)
    stamps = ratings.ints("rating_timestamp", lo=0)
    rated = ratings.texts("movie_id", required=True)
    items = np.full(len(ratings), -1, dtype=np.int64)
    n_adult_ratings = 0
    for i, movie in enumerate(rated):
        j = index_of.get(movie)
        if j is not None:
            items[i] = j
        elif movie in adult_ids:
            ratings.drop(i)
            n_adult_ratings += 1
        elif i not in ratings.bad:
            ratings.skip(i, "movie_id", f"movie {movie!r} is not in movies.dat")
    rkeep = ratings.finish()
    warnings += ratings.warnings
    if adult:
        warnings.append(
            LoadWarning(
                str(movies_path),
                None,
                "genres",
                f"dropped {len(adult)} movies with the {DROPPED_GENRE} genre and their "
                f"{n_adult_ratings} ratings",
            )
        )

    parsed = [parse_title(titles[i], rotate=False, split_alt=False) for i in keep]
    catalog = Catalog(
        domain="cinema",
        ids=text_array(ids[i] for i in keep),
        titles=text_array(p.display for p in parsed),
        years=np.array([p.year for p in parsed], dtype=np.int32),
        fields={
            "genres": text_array(join_labels(genres[i].split(LABEL_SEP)) for i in keep)
        },
        label_fields=("genres",),
        search_titles=text_array("" for _ in parsed),
    )
    user_values, user_idx = np.unique(users[rkeep], return_inverse=True)
    inter = Interactions(
        user_ids=text_array(str(u) for u in user_values.tolist()),
        users=user_idx.astype(np.int32),
        items=items[rkeep].astype(np.int32),
        values=values[rkeep].astype(np.float32),
        n_items=catalog.n_items,
        value_kind="rating",
        timestamps=stamps[rkeep].astype(np.int64),
    )
    return LoadedDataset(
        key=KEY,
        catalog=catalog,
        interactions=inter,
        sources=(source_name(root, movies_path), source_name(root, ratings_path)),
        warnings=tuple(warnings),
    )


SPEC = register(
    LoaderSpec(
        key=KEY,
        domain="cinema",
        label="MovieTweetings 100K",
        folders=(FOLDER,),
        load=load,
    )
)
