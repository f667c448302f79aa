"""Fuzzy title search: distances against a naive DP, normalisation, real data."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkpick_desktop.data.model import Catalog
from inkpick_desktop.engine.errors import InvalidInputError, ModelFormatError
from inkpick_desktop.engine.fuzzy import (
    SearchResult,
    TitleSearch,
    TitleSearchConfig,
    acceptance_threshold,
    levenshtein,
    query_keys,
)
from inkpick_desktop.engine.ngram import NgramIndex, normalize_key, title_keys


def naive_levenshtein(a: str, b: str) -> int:
    """Textbook Wagner-Fischer dynamic programme, one row at a time."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def make_catalog(
    titles: list[str],
    years: list[int] | None = None,
    genres: list[str] | None = None,
    search_titles: list[str] | None = None,
) -> Catalog:
    n = len(titles)
    fields = {"genres": np.array(genres)} if genres is not None else {}
    return Catalog(
        domain="cinema",
        ids=np.array([str(100 + i) for i in range(n)]),
        titles=np.array(titles),
        years=np.array(years if years is not None else [0] * n, np.int32),
        fields=fields,
        label_fields=("genres",) if genres is not None else (),
        search_titles=None if search_titles is None else np.array(search_titles),
    )


GODFATHER = make_catalog(
    [
        "Godfather, The (1972)",
        "Godfather: Part II, The (1974)",
        "Tokyo Godfathers (2003)",
        "Amélie (2001)",
        "Emma (1996)",
        "Emma (1996)",
        "Blade Runner (1982)",
        "Blade Runner 2049 (2017)",
        "Godzilla (1954)",
        "Godzilla 2000 (1999)",
        "千と千尋の神隠し (2001)",
        "Straße (1990)",
        "Vitelloni, I (1953)",
    ],
    years=[
        1972,
        1974,
        2003,
        2001,
        1996,
        1996,
        1982,
        2017,
        1954,
        1999,
        2001,
        1990,
        1953,
    ],
    genres=[
        "Crime|Drama",
        "Crime|Drama",
        "Animation",
        "Comedy|Romance",
        "Comedy|Drama|Romance",
        "Romance",
        "Sci-Fi",
        "Sci-Fi",
        "Horror",
        "Action",
        "Animation",
        "Drama",
        "Drama",
    ],
    search_titles=[
        "",
        "",
        "",
        "Fabuleux destin d'Amélie Poulain, Le",
        "",
        "",
        "",
        "",
        "",
        "",
        "Spirited Away",
        "",
        "",
    ],
)


@pytest.fixture(scope="module")
def godfather() -> TitleSearch:
    return TitleSearch.build(GODFATHER)


def expected_keys(catalog: Catalog, i: int) -> set[str]:
    forms = [str(catalog.titles[i])]
    if catalog.search_titles is not None and catalog.search_titles[i]:
        forms += str(catalog.search_titles[i]).split("|")
    return {k for f in forms for k in title_keys(f)}


# -- the distance function -------------------------------------------------------

short_text = st.text(alphabet="abcé ", max_size=8)


@settings(deadline=None, max_examples=300)
@given(short_text, short_text)
def test_levenshtein_equals_naive_dp(a: str, b: str) -> None:
    assert levenshtein(a, b) == naive_levenshtein(a, b)


@settings(deadline=None, max_examples=200)
@given(short_text, short_text, short_text)
def test_levenshtein_is_a_metric(a: str, b: str, c: str) -> None:
    assert levenshtein(a, a) == 0
    assert levenshtein(a, b) == levenshtein(b, a)
    assert (levenshtein(a, b) == 0) == (a == b)
    assert levenshtein(a, c) <= levenshtein(a, b) + levenshtein(b, c)


def test_acceptance_threshold_values() -> None:
    assert [acceptance_threshold(n) for n in (0, 1, 3, 5, 8, 10, 20)] == [
        1,
        1,
        1,
        2,
        2,
        3,
        6,
    ]


# -- reported distances against the naive DP -------------------------------------

words = st.sampled_from(["the", "god", "father", "emma", "amélie", "a", "run", "x1"])
titles_st = st.lists(
    st.lists(words, min_size=1, max_size=3).map(" ".join), min_size=1, max_size=12
)
query_st = st.text(alphabet="abdefghmortuél ", min_size=1, max_size=10).filter(
    lambda q: bool(query_keys(q))
)


def naive_prefix_distance(query_key: str, key: str) -> int | None:
    """Smallest DP distance to an eligible word-boundary prefix (None: none).

    Eligible: the first j of the key's m words, 1 <= j < m, with j at least the
    query's word count or at least 60% of the key's characters.
    """
    words = key.split(" ")
    found = []
    for j in range(1, len(words)):
        prefix = " ".join(words[:j])
        if j >= len(query_key.split(" ")) or len(prefix) >= 0.6 * len(key):
            found.append(naive_levenshtein(query_key, prefix))
    return min(found) if found else None


def naive_best(query: str, catalog: Catalog, i: int) -> tuple[int, bool]:
    """(distance, partial) of item i by brute force: whole keys, then prefixes."""
    qkeys = query_keys(query)
    keys = expected_keys(catalog, i)
    full = min(naive_levenshtein(q, k) for q in qkeys for k in keys)
    prefixes = [naive_prefix_distance(q, k) for q in qkeys for k in keys]
    part = min((d for d in prefixes if d is not None), default=None)
    if part is not None and part < full:  # at equal distance the whole title wins
        return part, True
    return full, False


@settings(deadline=None, max_examples=150)
@given(titles_st, query_st, st.sampled_from([None, 3]))
def test_search_distances_equal_naive_dp(
    titles: list[str], query: str, candidates: int | None
) -> None:
    # Since partial matching, an item's distance is the smaller of its whole-key
    # and its prefix distance (naive_best), and `partial` says which was used.
    catalog = make_catalog(titles)
    config = TitleSearchConfig(candidates=candidates, full_scan_below=0)
    ts = TitleSearch.build(catalog, config=config)
    truth = [naive_best(query, catalog, i) for i in range(catalog.n_items)]
    result = ts.search(query, limit=len(titles))
    for m in result.matches:
        assert (m.distance, m.partial) == truth[m.index]
    distances = [m.distance for m in result.matches]
    assert distances == sorted(distances)
    assert result.corrected == (distances[0] > 0 or result.matches[0].partial)
    if candidates is None:  # full scan: every item, the true minimum first
        assert len(result.matches) == len(titles)
        assert result.matches[0].distance == min(d for d, _ in truth)
    else:
        assert result.matches[0].distance >= min(d for d, _ in truth)


@settings(deadline=None, max_examples=100)
@given(titles_st, query_st, st.integers(1, 4))
def test_search_small_limit_is_a_prefix_of_the_full_ranking(
    titles: list[str], query: str, limit: int
) -> None:
    # Prefixes that cannot reach the limit-th best distance are skipped; the
    # top `limit` must still be exactly the head of the complete ranking.
    ts = TitleSearch.build(make_catalog(titles))
    everything = ts.search(query, limit=len(titles)).matches
    assert ts.search(query, limit=limit).matches == everything[:limit]


@settings(deadline=None, max_examples=60)
@given(titles_st)
def test_ngram_candidates_share_a_gram_with_the_query(titles: list[str]) -> None:
    keys = sorted({normalize_key(t) for t in titles} - {""})
    index = NgramIndex.build(keys)
    rows = index.candidates([keys[0]], n=len(keys))
    assert rows[0] == 0  # the key itself misses no gram
    assert sorted(rows.tolist()) == sorted(set(rows.tolist()))


def test_ngram_index_counts_shared_grams() -> None:
    index = NgramIndex.build(["up", "pup", "zz"])
    assert index.key_grams.tolist() == [4, 5, 4]
    dense = index.postings.to_dense()
    assert dense.shape == (len(index.grams), 3)
    # "up" and "pup" share " up"? no: "pup" pads as "  pup  " -> "up " and "p  ".
    assert dense[:, 0] @ dense[:, 1] == 2
    assert dense[:, 0] @ dense[:, 2] == 0


# -- normalisation ---------------------------------------------------------------


def test_title_keys_rotate_and_strip_articles() -> None:
    assert title_keys("Godfather, The (1972)") == ("the godfather", "godfather")
    assert title_keys("Avventura, L' (1960)") == ("l avventura", "avventura")
    assert title_keys("Vitelloni, I (1953)") == ("i vitelloni", "vitelloni")
    assert title_keys("I Am Legend (2007)") == ("i am legend",)
    assert title_keys("Schindler's List (1993)") == ("schindlers list",)
    assert title_keys("Fast & Furious (2009)") == ("fast and furious",)


@pytest.mark.parametrize(
    "query",
    [
        "Godfather, The (1972)",
        "The Godfather",
        "the godfather",
        "GODFATHER",
        "godfather, the",
        "godfather 1972",
        "the godfather (1972)",
        "  gOdFaThEr!  ",
    ],
)
def test_search_normalised_forms_find_the_1972_film(
    godfather: TitleSearch, query: str
) -> None:
    result = godfather.search(query)
    best = result.matches[0]
    assert (best.id, best.distance, best.score) == ("100", 0, 1.0)
    assert result.corrected is False
    assert result.accepted is True


def test_search_year_prefers_matching_film(godfather: TitleSearch) -> None:
    assert godfather.search("godfather part ii 1974").matches[0].id == "101"
    ids = [m.id for m in godfather.search("godfather (1974)", limit=3).matches]
    assert ids[0] == "100"  # distance first: "godfather" is 0 away only from 100
    # Bare numbers stay text too: the title containing them wins.
    assert godfather.search("blade runner 2049").matches[0].id == "107"
    assert godfather.search("blade runner 1982").matches[0].id == "106"
    assert godfather.search("godzilla 2000").matches[0].id == "109"


def test_search_misspelling_is_corrected(godfather: TitleSearch) -> None:
    result = godfather.search("Godfater")
    assert result.matches[0].id == "100"
    assert result.matches[0].distance == 1
    assert result.matches[0].score == pytest.approx(1 - 1 / 9)
    assert (result.corrected, result.accepted) == (True, True)


def test_search_far_query_not_accepted(godfather: TitleSearch) -> None:
    result = godfather.search("qqqqwwwwzzzz")
    assert result.corrected is True
    assert result.accepted is False


def test_search_accents_and_alternative_titles(godfather: TitleSearch) -> None:
    for q in ("Amelie", "AMÉLIE", "amélie (2001)", "fabuleux destin d'amelie poulain"):
        result = godfather.search(q)
        assert (result.matches[0].id, result.matches[0].distance) == ("103", 0), q
        assert result.corrected is False


def test_search_unicode_titles(godfather: TitleSearch) -> None:
    assert godfather.search("千と千尋の神隠し").matches[0].id == "110"
    assert godfather.search("Spirited Away").matches[0].id == "110"
    near = godfather.search("千と千尋の隠し")
    assert (near.matches[0].id, near.matches[0].distance) == ("110", 1)
    assert godfather.search("STRASSE").matches[0].id == "111"
    assert godfather.search("ＧＯＤＦＡＴＨＥＲ").matches[0].id == "100"


def test_search_exact_title_ranks_before_normalised(godfather: TitleSearch) -> None:
    result = godfather.search("Emma (1996)", limit=2)
    assert [m.id for m in result.matches] == ["104", "105"]
    assert result.corrected is False


def test_search_duplicates_are_told_apart(godfather: TitleSearch) -> None:
    matches = godfather.search("emma", limit=2).matches
    assert [m.detail for m in matches] == [
        "Comedy|Drama|Romance · id 104",
        "Romance · id 105",
    ]
    assert godfather.search("godfather").matches[0].detail == ""


def test_search_prior_breaks_ties() -> None:
    prior = np.zeros(GODFATHER.n_items)
    prior[5] = 10.0
    ts = TitleSearch.build(GODFATHER, prior=prior)
    assert [m.id for m in ts.search("emma", limit=2).matches] == ["105", "104"]
    # The prior never beats distance.
    prior[1] = 1e9
    ts = TitleSearch.build(GODFATHER, prior=prior)
    assert ts.search("godfather").matches[0].id == "100"


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_search_empty_query_rejected(godfather: TitleSearch, query: str) -> None:
    with pytest.raises(InvalidInputError, match="empty"):
        godfather.search(query)


@pytest.mark.parametrize("query", ["!!!", "...", " - "])
def test_search_garbage_query_rejected(godfather: TitleSearch, query: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(repr(query))):
        godfather.search(query)


@pytest.mark.parametrize("limit", [0, -1, 2.5, True, "3"])
def test_search_bad_limit_rejected(godfather: TitleSearch, limit: object) -> None:
    with pytest.raises(InvalidInputError, match="limit"):
        godfather.search("emma", limit=limit)  # type: ignore[arg-type]


def test_search_limit_and_result_type(godfather: TitleSearch) -> None:
    result = godfather.search("godfather", limit=3)
    assert isinstance(result, SearchResult)
    assert len(result.matches) == 3
    assert result.best is result.matches[0]
    assert result.query == "godfather"


# -- partial (prefix) matches ------------------------------------------------------

PARTIAL = make_catalog(
    [
        "Star Wars: Episode IV - A New Hope (1977)",
        "Star Maps (1997)",
        "Star Wars: Episode V - The Empire Strikes Back (1980)",
        "Shawshank Redemption, The (1994)",
        "Sea Hawk, The (1940)",
        "Godfather, The (1972)",
        "Godfather: Part II, The (1974)",
        "Up (2009)",
        "Up in the Air (2009)",
        "It (2017)",
        "It Follows (2014)",
        "M (1931)",
        "Mad Max (1979)",
        "Matrix Reloaded Revisited (2004)",
    ]
)
# Every prefix match is given more weight than its whole-title rival, so that
# the prior alone would put the wrong film first.
PARTIAL_PRIOR = np.array([90, 1, 80, 50, 60, 10, 70, 1, 99, 1, 99, 1, 99, 5], float)


@pytest.fixture(scope="module")
def partial() -> TitleSearch:
    return TitleSearch.build(PARTIAL, prior=PARTIAL_PRIOR)


def test_search_partial_title_matches_its_start(partial: TitleSearch) -> None:
    result = partial.search("star wars", limit=3)
    assert [(m.id, m.distance, m.partial) for m in result.matches] == [
        ("100", 0, True),  # more popular than Episode V, both start "star wars"
        ("102", 0, True),
        ("101", 2, False),  # "star maps" as a whole title
    ]
    # Scored on the prefix, then scaled by the share of the key it covers.
    key = "star wars episode iv a new hope"
    assert result.matches[0].score == pytest.approx((1 + 9 / len(key)) / 2)
    assert (result.corrected, result.accepted) == (True, True)
    best = partial.search("shawshank").matches[0]
    assert (best.id, best.distance, best.partial) == ("103", 0, True)


def test_search_full_match_beats_prefix_at_equal_distance(
    partial: TitleSearch,
) -> None:
    ids = [m.id for m in partial.search("godfater", limit=2).matches]
    assert ids == ["105", "106"]  # Part II only starts with "godfather"
    matches = partial.search("godfater", limit=2).matches
    assert [(m.distance, m.partial) for m in matches] == [(1, False), (1, True)]
    # A closer prefix still wins over a farther whole title.
    best = partial.search("godfather part").matches[0]
    assert (best.id, best.distance, best.partial) == ("106", 0, True)


@pytest.mark.parametrize(
    ("query", "whole", "starts_with"),
    [("up", "107", "108"), ("It", "109", "110"), ("m", "111", None)],
)
def test_search_short_query_exact_title_wins(
    partial: TitleSearch, query: str, whole: str, starts_with: str | None
) -> None:
    result = partial.search(query, limit=3)
    best = result.matches[0]
    assert (best.id, best.distance, best.partial) == (whole, 0, False)
    assert (result.corrected, result.accepted) == (False, True)
    if starts_with is not None:
        second = result.matches[1]
        assert (second.id, second.distance, second.partial) == (starts_with, 0, True)


def test_search_prefix_needs_the_query_word_count(partial: TitleSearch) -> None:
    # "mad" alone is a one-word prefix of "mad max"; a two-word query may not
    # use it: "mad men" is compared with "mad max" (2) and nothing shorter.
    by_id = {m.id: m for m in partial.search("mad men", limit=20).matches}
    assert (by_id["112"].distance, by_id["112"].partial) == (2, False)
    one_word = {m.id: m for m in partial.search("mad", limit=20).matches}
    assert (one_word["112"].distance, one_word["112"].partial) == (0, True)


def test_search_prefix_covering_most_of_the_title_counts(
    partial: TitleSearch,
) -> None:
    # Three words typed, a two-word prefix: allowed since it covers 15 of the
    # 25 characters (60%); one inserted space away.
    best = partial.search("matrix re loaded").matches[0]
    assert (best.id, best.distance, best.partial) == ("113", 1, True)


def test_search_partial_typo_accepted_and_corrected(partial: TitleSearch) -> None:
    result = partial.search("shawshenk")
    best = result.matches[0]
    assert (best.id, best.distance, best.partial) == ("103", 1, True)
    assert (result.corrected, result.accepted) == (True, True)
    far = partial.search("shxqzzk")  # 7 letters: threshold 2
    assert far.accepted is False


def test_search_prefix_candidates_reach_long_titles() -> None:
    # 60 short "star ..." titles fill a tiny whole-title candidate list; only
    # the prefix list reaches the long title that starts with the query.
    titles = [f"Star Wa{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(60)]
    titles.append("Star Wars: Episode IV - A New Hope (1977)")
    catalog = make_catalog(titles)
    on = TitleSearchConfig(candidates=5, prefix_candidates=5, full_scan_below=0)
    best = TitleSearch.build(catalog, config=on).search("star wars").matches[0]
    assert (best.index, best.distance, best.partial) == (60, 0, True)
    off = TitleSearchConfig(candidates=5, prefix_candidates=0, full_scan_below=0)
    best = TitleSearch.build(catalog, config=off).search("star wars").matches[0]
    assert best.index != 60 and best.distance > 0


def test_search_prefix_candidate_ties_go_to_popular_keys() -> None:
    # All 21 keys start with "star wars"; a list of one must keep the famous one.
    titles = [f"Star Wars Fan Film {chr(97 + i)}" for i in range(20)]
    titles.append("Star Wars: Episode IV - A New Hope (1977)")
    prior = np.zeros(21)
    prior[20] = 100.0
    config = TitleSearchConfig(candidates=1, prefix_candidates=1, full_scan_below=0)
    ts = TitleSearch.build(make_catalog(titles), prior=prior, config=config)
    assert ts.search("star wars").matches[0].index == 20


# -- suggest ---------------------------------------------------------------------


def test_suggest_prefix_then_word_prefix(godfather: TitleSearch) -> None:
    assert [m.id for m in godfather.suggest("godf", limit=2)] == ["100", "101"]
    assert godfather.suggest("the godf")[0].id == "100"
    ids = [m.id for m in godfather.suggest("runner")]
    assert ids[:2] == ["106", "107"]  # word starts, shorter key first
    assert godfather.suggest("part")[0].id == "101"
    assert godfather.suggest("   ") == []


def test_suggest_orders_by_prior_after_match_quality() -> None:
    catalog = make_catalog(["Godson, The (1998)", "Godfather, The (1972)", "Go (1999)"])
    ts = TitleSearch.build(catalog, prior=np.array([1.0, 500.0, 900.0]))
    # Both keys start with "the god": the popular one first; "Go" only after,
    # from the fuzzy fallback, however popular.
    assert [m.id for m in ts.suggest("the god")] == ["101", "100", "102"]
    # Without a prior the shorter key comes first.
    plain = TitleSearch.build(catalog)
    assert [m.id for m in plain.suggest("the god", limit=2)] == ["100", "101"]


def test_suggest_falls_back_to_fuzzy(godfather: TitleSearch) -> None:
    # No key or word starts with "godfater"; the misspelling still suggests.
    assert godfather.suggest("godfater", limit=1)[0].id == "100"


def test_suggest_odd_prefixes(godfather: TitleSearch) -> None:
    assert godfather.suggest("!!!") == []
    assert godfather.suggest("(1999)") == []  # a year alone is nothing to search


def test_search_exact_title_found_in_candidate_mode() -> None:
    # Near-identical titles and a candidate cut of one: the exact title still wins.
    titles = [f"Emma {i} (2000)" for i in range(50)] + ["Emma (1996)"]
    config = TitleSearchConfig(candidates=1, full_scan_below=0)
    ts = TitleSearch.build(make_catalog(titles), config=config)
    result = ts.search("Emma (1996)")
    assert (result.matches[0].index, result.matches[0].distance) == (50, 0)
    assert result.corrected is False


def test_suggest_distance_is_levenshtein(godfather: TitleSearch) -> None:
    for m in godfather.suggest("god", limit=5):
        keys = expected_keys(GODFATHER, m.index)
        assert m.distance == min(naive_levenshtein("god", k) for k in keys)


# -- configuration, prior, persistence -------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"candidates": 0},
        {"candidates": 2.0},
        {"prefix_candidates": -1},
        {"prefix_candidates": True},
        {"full_scan_below": -1},
        {"max_relative_distance": 1.5},
    ],
)
def test_config_rejects_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError, match=next(iter(kwargs))):
        TitleSearchConfig(**kwargs)  # type: ignore[arg-type]


def test_build_rejects_bad_prior() -> None:
    with pytest.raises(InvalidInputError, match="shape"):
        TitleSearch.build(GODFATHER, prior=np.ones(3))
    with pytest.raises(InvalidInputError, match="finite"):
        TitleSearch.build(GODFATHER, prior=np.full(GODFATHER.n_items, np.nan))


def test_arrays_round_trip(tmp_path: Path) -> None:
    prior = np.arange(GODFATHER.n_items, dtype=float)
    config = TitleSearchConfig(candidates=4, full_scan_below=0)
    ts = TitleSearch.build(GODFATHER, prior=prior, config=config)
    path = tmp_path / "fuzzy.npz"
    np.savez(path, **ts.to_arrays())
    with np.load(path, allow_pickle=False) as data:
        loaded = TitleSearch.from_arrays(dict(data), GODFATHER)
    assert loaded.config == config
    for q in ("Godfater", "emma", "amelie", "blade runner 2049"):
        assert loaded.search(q) == ts.search(q)
    assert loaded.suggest("go") == ts.suggest("go")


def test_from_arrays_rejects_other_catalog_and_damage() -> None:
    arrays = TitleSearch.build(GODFATHER).to_arrays()
    other = make_catalog(["Something Else (2000)"])
    with pytest.raises(ModelFormatError, match="another catalog"):
        TitleSearch.from_arrays(arrays, other)
    broken = dict(arrays)
    del broken["fuzzy_grams"]
    with pytest.raises(ModelFormatError, match="unreadable"):
        TitleSearch.from_arrays(broken, GODFATHER)
    broken = dict(arrays)
    broken["fuzzy_key_grams"] = broken["fuzzy_key_grams"][:-1]
    with pytest.raises(ModelFormatError, match="sizes"):
        TitleSearch.from_arrays(broken, GODFATHER)


assert GODFATHER.search_titles is not None
ROUND_TRIP = make_catalog(
    [str(t) for t in GODFATHER.titles] + [str(t) for t in PARTIAL.titles],
    [int(y) for y in GODFATHER.years] + [int(y) for y in PARTIAL.years],
    search_titles=[str(t) for t in GODFATHER.search_titles] + [""] * PARTIAL.n_items,
)
ROUND_TRIP_PRIOR = np.r_[np.arange(GODFATHER.n_items, dtype=float), PARTIAL_PRIOR]
# (query, best title, distance, corrected, partial): one of each lookup level.
ROUND_TRIP_QUERIES = [
    ("Emma (1996)", "Emma (1996)", 0, False, False),  # exact display title
    ("Spirited Away", "千と千尋の神隠し (2001)", 0, False, False),  # exact form
    ("the godfather 1972", "Godfather, The (1972)", 0, False, False),  # normalised
    ("AMELIE", "Amélie (2001)", 0, False, False),  # normalised
    ("Godfater", "Godfather, The (1972)", 1, True, False),  # fuzzy
    ("blade runer 2049", "Blade Runner 2049 (2017)", 1, True, False),  # fuzzy
    ("star wars", "Star Wars: Episode IV - A New Hope (1977)", 0, True, True),
    ("shawshnk", "Shawshank Redemption, The (1994)", 1, True, True),  # partial
]


@pytest.mark.parametrize(
    "config",
    [TitleSearchConfig(), TitleSearchConfig(candidates=5, full_scan_below=0)],
)
def test_from_arrays_answers_like_the_built_index(
    tmp_path: Path, config: TitleSearchConfig
) -> None:
    built = TitleSearch.build(ROUND_TRIP, prior=ROUND_TRIP_PRIOR, config=config)
    path = tmp_path / "titles.npz"
    np.savez(path, **built.to_arrays())
    with np.load(path, allow_pickle=False) as data:
        loaded = TitleSearch.from_arrays(data, ROUND_TRIP)
    for query, title, distance, corrected, partial in ROUND_TRIP_QUERIES:
        result = loaded.search(query, limit=30)
        assert result == built.search(query, limit=30), query
        best = result.matches[0]
        assert (best.title, best.distance) == (title, distance), query
        assert (result.corrected, best.partial) == (corrected, partial), query
    emmas = loaded.search("emma").matches[:2]  # a duplicated title: told apart
    assert [m.detail for m in emmas] == ["id 105", "id 104"]
    for prefix in ("go", "st", "up", "amel", "spirited", "godfater", "m"):
        assert loaded.suggest(prefix, 20) == built.suggest(prefix, 20), prefix
    for i in range(ROUND_TRIP.n_items):
        assert loaded.keys_of(i) == built.keys_of(i)


def _swap_first_rows(a: np.ndarray) -> np.ndarray:
    out = a.copy()
    out[[0, 1]] = out[[1, 0]]
    return out


def _bump_last(a: np.ndarray) -> np.ndarray:
    out = a.copy()
    out[-1] += 1
    return out


def _reverse_text(a: np.ndarray) -> np.ndarray:
    text = a.tobytes().decode("utf-8")[::-1]  # same length, other forms
    return np.frombuffer(text.encode("utf-8"), np.uint8)


def _first_item_out_of_range(a: np.ndarray) -> np.ndarray:
    out = a.copy()
    out[0] = ROUND_TRIP.n_items
    return out


TAMPERING = {
    "unsorted rows": ("fuzzy_sorted_rows", _swap_first_rows, "do not sort"),
    "repeated row": ("fuzzy_sorted_rows", lambda a: np.r_[a[:-1], a[:1]], "permut"),
    "int64 rows": ("fuzzy_sorted_rows", lambda a: a.astype(np.int64), "int32"),
    "short duplicated": ("fuzzy_duplicated", lambda a: a[:-1], "duplicated titles"),
    "int duplicated": ("fuzzy_duplicated", lambda a: a.astype(np.int8), "bool"),
    "form offset": ("fuzzy_exact_ptr", _bump_last, "span"),
    "item pointer": ("fuzzy_exact_item_ptr", lambda a: a[:-1], "shapes"),
    "item range": ("fuzzy_exact_items", _first_item_out_of_range, "outside"),
    "reversed text": ("fuzzy_exact_text", _reverse_text, "not sorted"),
    "bad utf-8": (
        "fuzzy_exact_text",
        lambda a: np.r_[a[:-1], np.uint8(0xFF)],
        "unreadable",
    ),
    "missing": ("fuzzy_exact_items", None, "unreadable"),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_from_arrays_refuses_tampered_derived_arrays(case: str) -> None:
    name, change, message = TAMPERING[case]
    arrays = TitleSearch.build(ROUND_TRIP).to_arrays()
    assert TitleSearch.from_arrays(arrays, ROUND_TRIP).search("emma").matches
    if change is None:
        del arrays[name]
    else:
        arrays[name] = change(arrays[name])
    with pytest.raises(ModelFormatError, match=message):
        TitleSearch.from_arrays(arrays, ROUND_TRIP)


def test_from_arrays_refuses_an_older_format() -> None:
    arrays = TitleSearch.build(GODFATHER).to_arrays()
    meta = json.loads(str(arrays["fuzzy_meta"]))
    arrays["fuzzy_meta"] = np.asarray(json.dumps({**meta, "version": 2}))
    with pytest.raises(ModelFormatError, match="format 2, expected 3"):
        TitleSearch.from_arrays(arrays, GODFATHER)


# -- real data -------------------------------------------------------------------


def _movielens_catalog(root: Path) -> tuple[Catalog, np.ndarray | None]:
    try:
        from inkpick_desktop.data.loaders import movielens
    except ImportError:  # loader not written yet: read the catalog here
        movielens = None
    if movielens is not None and hasattr(movielens, "load"):
        ds = movielens.load(root)
        prior = None
        if ds.interactions is not None:
            prior = np.bincount(ds.interactions.items, minlength=ds.catalog.n_items)
        return ds.catalog, prior
    ids, titles, years = [], [], []
    path = root / "movielens-32m-movies" / "movies.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        next(rows)
        for movie_id, title, _genres in rows:
            m = re.search(r"\((\d{4})\)\s*$", title)
            ids.append(movie_id)
            titles.append(title.strip())
            years.append(int(m.group(1)) if m else 0)
    catalog = make_catalog(titles, years)
    return Catalog("cinema", np.array(ids), catalog.titles, catalog.years), None


@pytest.fixture(scope="module")
def movielens_search(datasets_root: Path) -> TitleSearch:
    catalog, prior = _movielens_catalog(datasets_root)
    return TitleSearch.build(catalog, prior=prior)


@pytest.mark.realdata
@pytest.mark.slow
def test_movielens_godfather_queries(movielens_search: TitleSearch) -> None:
    assert movielens_search.catalog.n_items >= 87585
    result = movielens_search.search("Godfater")
    assert result.matches[0].id == "858"
    assert (result.corrected, result.accepted) == (True, True)
    for q in ("godfather, the", "The Godfather (1972)", "godfather 1972"):
        result = movielens_search.search(q)
        assert (result.matches[0].id, result.corrected) == ("858", False), q
    assert movielens_search.search("godfather part ii").matches[0].id == "1221"
    assert movielens_search.search("Amelie").matches[0].id == "4973"
    assert movielens_search.search("shawshank redemtion").matches[0].id == "318"


@pytest.mark.realdata
@pytest.mark.slow
def test_movielens_partial_titles(movielens_search: TitleSearch) -> None:
    def best(q: str) -> tuple[str, str, int, bool]:
        m = movielens_search.search(q).matches[0]
        return m.id, m.title, m.distance, m.partial

    assert best("star wars")[0] == "260"  # Episode IV, the most rated
    assert best("star wars")[2:] == (0, True)
    assert best("shawshank")[0] == "318"
    # "The Lord of the Rings" (1978) equals the query as a whole title, so it
    # ranks before the films that only start with it.
    assert best("lord of the rings")[0] in {"2116", "4993", "5952", "7153"}
    lotr = [m.id for m in movielens_search.search("lord of the rings", 4).matches]
    assert "4993" in lotr
    assert best("godfater")[0] == "858"  # whole title beats Part II's prefix
    assert best("the matrx")[0] == "2571"
    assert best("toy stroy")[0] == "1"
    assert best("harry potter")[1].startswith("Harry Potter and the ")
    assert best("amelie")[0] == "4973"
    assert best("Up")[1:] == ("Up (2009)", 0, False)
    title = best("It")[1]
    assert re.fullmatch(r"It \(\d{4}\)", title), title
    for q in ("star wars", "shawshank", "harry potter"):
        result = movielens_search.search(q)
        assert (result.corrected, result.accepted) == (True, True), q


@pytest.mark.realdata
@pytest.mark.slow
def test_courses_misspelt_partial_title(datasets_root: Path) -> None:
    from inkpick_desktop.data.loaders import LOADERS

    loaded = LOADERS["courses"].load(datasets_root)
    result = TitleSearch.build(loaded.catalog).search("machne learning")
    assert "machine learning" in result.matches[0].title.casefold()
    assert result.matches[0].distance == 1
    assert result.accepted is True


@pytest.mark.realdata
def test_lastfm_artist_misspelling(datasets_root: Path) -> None:
    ids, names = [], []
    path = datasets_root / "hetrec2011-lastfm-2k" / "artists.dat"
    with path.open(encoding="utf-8") as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split("\t")
            ids.append(parts[0])
            names.append(parts[1])
    catalog = Catalog(
        "music", np.array(ids), np.array(names), np.zeros(len(ids), np.int32)
    )
    search = TitleSearch.build(catalog)
    result = search.search("radiohed")
    assert (result.matches[0].id, result.matches[0].title) == ("154", "Radiohead")
    assert (result.corrected, result.accepted) == (True, True)
    best = search.search("metalica").matches[0]
    assert (best.title, best.distance, best.partial) == ("Metallica", 1, False)
