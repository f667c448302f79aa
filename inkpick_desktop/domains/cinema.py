"""Cinema: films from MovieLens (default) or MovieTweetings.

Content: the title (weight 1.0, English stop words dropped), the genres (labels, 1.5: the strongest signal
MovieLens has for every film) and the user tags of MovieLens latest-small
(labels, 1.0; only about 1,600 films carry any). Fields a dataset lacks (no tags
in MovieTweetings) are simply left out.

Collaborative: implicit ALS over "liked" events. A rating at or above the
threshold counts as a positive (1), lower ratings are dropped: 3.5 of 5 stars for
MovieLens, 7 of 10 for MovieTweetings (its ratings are on the IMDb scale), 3.5
for the starter data (1-5 stars).

Measured on MovieLens latest-small (one held-out film rated >= 4 per user with
>= 5 ratings, 609 users, ALS 64 factors x 15 iterations, hit rate @ 10 over
the 87,873-film catalog, seen films excluded): threshold 3.5 -> 0.259,
threshold 4 -> 0.251, every rating as 1 ("binary") -> 0.235, every rating with
value rating/5 -> 0.266, raw ratings -> 0.217; popularity -> 0.108. The
rating/5 weighting is within noise of the threshold (about +-0.018 at 609
users), so the simpler, serialisable threshold is used.
"""

from __future__ import annotations

from inkpick_desktop.domains.base import DomainService
from inkpick_desktop.engine.als import AlsConfig
from inkpick_desktop.engine.tfidf import TfidfConfig

SERVICE = DomainService(
    key="cinema",
    label="Cinema",
    datasets=("movielens", "movietweetings"),
    tfidf=TfidfConfig(
        field_weights={"title": 1.0, "genres": 1.5, "tags": 1.0},
        label_fields=("genres", "tags"),
        # "the", "of", "and" in titles tie unrelated films together.
        stop_words=True,
    ),
    value_transform={
        "movielens": ("rating_threshold", 3.5),
        "movietweetings": ("rating_threshold", 7.0),
        "starter": ("rating_threshold", 3.5),
    },
    collaborative="als",
    als=AlsConfig(factors=64, iterations=15),
    example_query="Godfater",
    item_noun="movie",
    order=10,
    description="Films, from MovieLens or MovieTweetings ratings.",
)
