"""MovieLens: the ml-32m catalog plus the ml-latest-small ratings and tags.

Items are the 87,585 movies of ``movielens-32m-movies/movies.csv`` in file order,
followed by every movie of ``movielens-latest-small/movies.csv`` missing from it
(288 in the reference copy), so every small-set rating joins. Without the 32M
folder the small set's 9,742 movies are the catalog (with a warning).
Interactions are the small set's ratings (half stars 0.5-5.0, Unix timestamps):
a rating off that scale (``0``, ``5.5``, ``4.3``) is a bad row. The small set's
tags become a ``tags`` label field.

Ids (``movieId``, ``userId``) are decimal integers written without leading zeros
in every MovieLens file; an id such as ``007`` is a bad row rather than silently
becoming ``7``, so the stored id is always the text of the file.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np

from inkpick_desktop.data.csvio import (
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
from inkpick_desktop.data.titles import parse_title, search_forms

logger = logging.getLogger(__name__)

KEY = "movielens"
SMALL = "movielens-latest-small"
FULL = "movielens-32m-movies"
NO_GENRES = "(no genres listed)"
#: The rating scale of ml-latest-small: half stars from 0.5 to 5.0.
RATING_MIN, RATING_MAX, RATING_STEP = 0.5, 5.0, 0.5


def _read_movies(path: Path) -> tuple[list[str], list[str], list[str], list]:
    """ids, raw titles, genre strings of one movies.csv, plus its warnings."""
    table = read_table(path, required=("movieId", "title", "genres"))
    ids = table.ints("movieId", lo=0, canonical=True)
    titles = table.texts("title", required=True)
    genres = table.texts("genres")
    table.unique("movieId", keys=ids.tolist())
    keep = table.finish()
    return (
        [str(ids[i]) for i in keep],
        [titles[i] for i in keep],
        [genres[i] for i in keep],
        table.warnings,
    )


def _genre_labels(value: str) -> str:
    return "" if value == NO_GENRES else join_labels(value.split(LABEL_SEP))


def _read_tags(path: Path, index_of: dict[str, int]) -> tuple[dict[int, str], list]:
    """Per item, its distinct tags (case-folded), most applied first."""
    table = read_table(path, required=("userId", "movieId", "tag", "timestamp"))
    table.ints("userId", lo=0, canonical=True)
    movies = table.ints("movieId", lo=0, canonical=True)
    tags = table.texts("tag", required=True)
    for i, movie in enumerate(movies.tolist()):
        if i not in table.bad and str(movie) not in index_of:
            table.skip(i, "movieId", f"movie {movie} is not in the catalog")
    keep = table.finish()

    counts: dict[int, Counter[str]] = {}
    forms: dict[str, Counter[str]] = {}
    for i in keep.tolist():
        text = " ".join(tags[i].split()).replace(LABEL_SEP, "/")
        key = text.casefold()
        item = index_of[str(movies[i])]
        counts.setdefault(item, Counter())[key] += 1
        forms.setdefault(key, Counter())[text] += 1
    # Display form of a tag: its most used spelling, the first seen on a tie
    # (Counter.most_common keeps insertion order among equal counts).
    display = {key: c.most_common(1)[0][0] for key, c in forms.items()}
    out = {
        item: LABEL_SEP.join(display[k] for k, _ in c.most_common())
        for item, c in counts.items()
    }
    return out, table.warnings


def _read_ratings(path: Path, index_of: dict[str, int]) -> tuple[Interactions, list]:
    table = read_table(path, required=("userId", "movieId", "rating", "timestamp"))
    users = table.ints("userId", lo=0, canonical=True)
    movies = table.ints("movieId", lo=0, canonical=True)
    ratings = table.floats("rating", lo=RATING_MIN, hi=RATING_MAX)
    off_step = np.flatnonzero(ratings / RATING_STEP != np.round(ratings / RATING_STEP))
    for i in off_step.tolist():
        table.skip(i, "rating", f"expected a rating in half stars, got {ratings[i]:g}")
    stamps = table.ints("timestamp", lo=0)
    items = np.full(len(table), -1, dtype=np.int64)
    for i, movie in enumerate(movies.tolist()):
        j = index_of.get(str(movie))
        if j is None:
            table.skip(i, "movieId", f"movie {movie} is not in the catalog")
        else:
            items[i] = j
    keep = table.finish()

    user_values, user_idx = np.unique(users[keep], return_inverse=True)
    inter = Interactions(
        user_ids=text_array(str(u) for u in user_values.tolist()),
        users=user_idx.astype(np.int32),
        items=items[keep].astype(np.int32),
        values=ratings[keep].astype(np.float32),
        n_items=len(index_of),
        value_kind="rating",
        timestamps=stamps[keep].astype(np.int64),
    )
    return inter, table.warnings


def load(root: Path) -> LoadedDataset:
    """Load MovieLens from ``root`` (see the module docstring)."""
    root = Path(root)
    small = root / SMALL
    full_movies = root / FULL / "movies.csv"
    warnings: list[LoadWarning] = []
    sources: list[Path] = []

    small_movies = require_file(small / "movies.csv")
    s_ids, s_titles, s_genres, w = _read_movies(small_movies)
    warnings += w
    if full_movies.is_file():
        ids, titles, genres, w = _read_movies(full_movies)
        warnings += w
        sources.append(full_movies)
        known = set(ids)
        extra = [k for k, x in enumerate(s_ids) if x not in known]
        ids += [s_ids[k] for k in extra]
        titles += [s_titles[k] for k in extra]
        genres += [s_genres[k] for k in extra]
        logger.info(
            "MovieLens: %d movies of ml-32m + %d only in the small set",
            len(known),
            len(extra),
        )
    else:
        ids, titles, genres = s_ids, s_titles, s_genres
        warnings.append(
            LoadWarning(
                str(root / FULL),
                None,
                None,
                f"ml-32m catalog not found; using the {len(ids)} movies of {SMALL}",
            )
        )
    sources.append(small_movies)

    index_of = {x: i for i, x in enumerate(ids)}
    tags_path = require_file(small / "tags.csv")
    tags, w = _read_tags(tags_path, index_of)
    warnings += w
    ratings_path = require_file(small / "ratings.csv")
    inter, w = _read_ratings(ratings_path, index_of)
    warnings += w
    sources += [tags_path, ratings_path]

    parsed = [parse_title(t) for t in titles]
    catalog = Catalog(
        domain="cinema",
        ids=text_array(ids),
        titles=text_array(p.display for p in parsed),
        years=np.array([p.year for p in parsed], dtype=np.int32),
        fields={
            "genres": text_array(_genre_labels(g) for g in genres),
            "tags": text_array(tags.get(i, "") for i in range(len(ids))),
        },
        label_fields=("genres", "tags"),
        search_titles=text_array(
            LABEL_SEP.join(f.replace(LABEL_SEP, "/") for f in search_forms(p))
            for p in parsed
        ),
    )
    return LoadedDataset(
        key=KEY,
        catalog=catalog,
        interactions=inter,
        sources=tuple(source_name(root, p) for p in sources),
        warnings=tuple(warnings),
    )


SPEC = register(
    LoaderSpec(
        key=KEY,
        domain="cinema",
        label="MovieLens 32M + latest-small",
        folders=(SMALL,),
        load=load,
        optional_folders=(FULL,),
    )
)
