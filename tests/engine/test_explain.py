"""Explanations: shared terms, contributing picks, co-occurrence."""

from __future__ import annotations

import numpy as np

from inkpick_desktop.data.model import Catalog, Interactions
from inkpick_desktop.engine.explain import (
    CoOccurrence,
    Explainer,
    combine,
    content_part,
    is_short_title_word,
    neighbour_part,
    picks_part,
)


def _catalog() -> Catalog:
    return Catalog(
        "cinema",
        np.array(["858", "1213", "1245", "9"]),
        np.array(["The Godfather (1972)", "Goodfellas (1990)", "Scarface (1983)", "X"]),
        np.array([1972, 1990, 1983, 0], np.int32),
    )


class _Terms:
    def __init__(self) -> None:
        self.calls: list[tuple[object, int]] = []

    def shared_terms(self, source, target, n=3):
        self.calls.append((source, target))
        return (
            ["genre Crime", "tag mafia", "title godfather", "extra"][:n]
            if target
            else []
        )


class _Contrib:
    def contributions(self, picks, target):
        table = {0: 0.1, 1: 0.5, 2: 0.5, 3: -0.2}
        return np.array([table[int(p)] for p in picks], np.float32)


def test_combine_shortest_first_skips_empty() -> None:
    assert combine(["shares: a, b", "", "liked: x"]) == "liked: x; shares: a, b"
    assert combine(["", ""]) == ""


def test_content_part_single_and_profile_sources() -> None:
    terms = _Terms()
    assert (
        content_part(terms, [0], 1) == "shares: genre Crime, tag mafia, title godfather"
    )
    assert content_part(terms, [0, 2], 1).startswith("shares: ")
    assert terms.calls == [(0, 1), ([0, 2], 1)]  # one item as int, several as list
    assert content_part(terms, [0], 0) == ""
    assert content_part(terms, [], 1) == ""


def test_picks_part_top_two_positive_ties_by_index() -> None:
    cat = _catalog()
    out = picks_part(cat, _Contrib(), [3, 2, 0, 1], target=0)
    assert out == "liked together with: Goodfellas (1990), Scarface (1983)"
    assert picks_part(cat, _Contrib(), [3], target=0) == ""


def test_cooccurrence_counts_liked_by_user_mean() -> None:
    # u0 rates 0:5, 1:4, 2:1 (mean 3.33: likes 0 and 1); u1 rates 0:2, 1:2 (mean 2:
    # likes both); u2 rates 1:5, 2:5 (likes both)
    inter = Interactions(
        np.array(["u0", "u1", "u2"]),
        np.array([0, 0, 0, 1, 1, 2, 2], np.int32),
        np.array([0, 1, 2, 0, 1, 1, 2], np.int32),
        np.array([5, 4, 1, 2, 2, 5, 5], np.float32),
        4,
        value_kind="rating",
    )
    co = CoOccurrence(inter)
    assert co.users_of(0).tolist() == [0, 1]
    assert co.users_of(2).tolist() == [2]
    assert co.common(0, 1) == 2
    assert co.common(1, 2) == 1
    assert co.common(0, 2) == 0
    assert co.common(3, 0) == 0


def test_neighbour_part_names_people_only_when_some_liked_both() -> None:
    cat = _catalog()
    inter = Interactions(
        np.array(["a", "b"]),
        np.array([0, 0, 1, 1], np.int32),
        np.array([0, 1, 0, 1], np.int32),
        np.ones(4, np.float32),
        4,
    )
    co = CoOccurrence(inter)
    out = neighbour_part(cat, 0, 1, 0.834, co)
    assert out == (
        "people who liked The Godfather (1972) also liked this "
        "(2 in common, similarity 0.83)"
    )
    # nobody touched item 2: only the factors link it, and the text says so
    assert neighbour_part(cat, 0, 2, 0.214, co) == (
        "similar interaction patterns to The Godfather (1972) (factor similarity 0.21)"
    )
    # without counts nothing is claimed about people either
    assert neighbour_part(cat, 0, 1, 0.5, None) == (
        "similar interaction patterns to The Godfather (1972) (factor similarity 0.50)"
    )


def test_neighbour_part_zero_in_common_names_the_kind_of_data() -> None:
    cat = _catalog()
    # u0 likes 0 (rating 5 >= mean 3) but not 1 (1 < 3): 0 liked both
    ratings = Interactions(
        np.array(["u0"]),
        np.array([0, 0], np.int32),
        np.array([0, 1], np.int32),
        np.array([5, 1], np.float32),
        4,
        value_kind="rating",
    )
    out = neighbour_part(cat, 0, 1, 0.21, CoOccurrence(ratings))
    assert (
        out
        == "similar rating patterns to The Godfather (1972) (factor similarity 0.21)"
    )
    assert "0 in common" not in out and "people" not in out
    plays = Interactions(
        np.array(["u0", "u1"]),
        np.array([0, 1], np.int32),
        np.array([0, 1], np.int32),
        np.array([40, 3], np.float32),
        4,
        value_kind="playcount",
    )
    out = neighbour_part(cat, 0, 1, 0.3, CoOccurrence(plays))
    assert out.startswith("similar listening patterns to The Godfather (1972)")


class _ShortTerms:
    def __init__(self, terms: list[str]) -> None:
        self.terms = terms
        self.asked: list[int] = []

    def shared_terms(self, source, target, n=3):
        self.asked.append(n)
        return self.terms[:n]


def test_content_part_drops_short_title_words_when_better_exist() -> None:
    fake = _ShortTerms(
        ["title re", "genre Drama", "title s", "title ii", "title 2", "tag heist"]
    )
    # "re", "s", "ii" are one or two letters: skipped; "2" is not a word
    assert content_part(fake, [0], 1) == "shares: genre Drama, title 2, tag heist"
    assert fake.asked == [9]  # looks past the first three terms
    assert content_part(_ShortTerms(["title re", "title we"]), [0], 1) == (
        "shares: title re, title we"  # nothing better is shared: keep them
    )
    assert content_part(_ShortTerms(["tag re", "title red"]), [0], 1) == (
        "shares: tag re, title red"  # only title words are filtered
    )
    assert is_short_title_word("title la") and not is_short_title_word("title law")


def test_explainer_caches_and_omits_non_positive_links() -> None:
    cat = _catalog()
    terms = _Terms()
    ex = Explainer(cat, terms, _Contrib(), None)
    cache: dict = {}
    first = ex.why(
        "item", 1, content_sources=[0], collab_sources=[0], similarity=0.9, cache=cache
    )
    assert first == (
        "shares: genre Crime, tag mafia, title godfather; "
        "similar interaction patterns to The Godfather (1972) (factor similarity 0.90)"
    )
    ex.why(
        "item", 1, content_sources=[0], collab_sources=[0], similarity=0.9, cache=cache
    )
    assert len(terms.calls) == 1  # second call served from the cache
    neg = ex.why("item", 2, collab_sources=[0], similarity=-0.1)
    assert neg == ""
    prof = ex.why("profile", 0, collab_sources=[1, 2])
    assert prof == "liked together with: Goodfellas (1990), Scarface (1983)"


def test_content_part_with_real_tfidf() -> None:
    from inkpick_desktop.engine.tfidf import TfidfConfig, TfidfIndex

    cat = Catalog(
        "cinema",
        np.array(["1", "2", "3"]),
        np.array(["The Godfather (1972)", "Godfather Returns (1980)", "Heat (1995)"]),
        np.array([1972, 1980, 1995], np.int32),
        {"genres": np.array(["Crime|Drama", "Crime", "Action"])},
        ("genres",),
    )
    index = TfidfIndex.from_catalog(
        cat,
        TfidfConfig(
            field_weights={"title": 1.0, "genres": 1.0}, label_fields=("genres",)
        ),
    )
    out = content_part(index, [0], 1)
    assert out.startswith("shares: ")
    assert "godfather" in out and "Crime" in out
    assert content_part(index, [0], 2) == ""


def test_content_part_real_tfidf_skips_title_re_from_we_re() -> None:
    from inkpick_desktop.engine.tfidf import TfidfConfig, TfidfIndex

    cat = Catalog(
        "cinema",
        np.array(["1", "2"]),
        np.array(["We're Back! (1993)", "We're No Angels (1989)"]),
        np.array([1993, 1989], np.int32),
        {"genres": np.array(["Comedy|Animation", "Comedy|Crime"])},
        ("genres",),
    )
    index = TfidfIndex.from_catalog(
        cat,
        TfidfConfig(
            field_weights={"title": 1.0, "genres": 1.0}, label_fields=("genres",)
        ),
    )
    raw = index.shared_terms(0, 1, n=9)
    assert "title re" in raw  # the index does share the fragment
    out = content_part(index, [0], 1)
    assert "title re" not in out and "genre Comedy" in out
