"""Ranking metrics: hand-computed cases, ties, padding and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.metrics import (
    intra_list_diversity,
    summarize,
    top_k_rows,
    user_metrics,
)

LOG3 = math.log2(3)


def test_user_metrics_hand_computed_two_hits():
    """ranked [3, 1, 2], relevant {1, 2}: hits at ranks 2 and 3."""
    m = user_metrics([[3, 1, 2]], [[1, 2]], 3)
    assert m["precision"][0] == pytest.approx(2 / 3)
    assert m["recall"][0] == pytest.approx(1.0)
    dcg = 1 / LOG3 + 1 / 2
    assert m["ndcg"][0] == pytest.approx(dcg / (1 + 1 / LOG3))
    assert m["map"][0] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert m["hit_rate"][0] == 1.0


def test_user_metrics_fewer_relevant_than_k():
    """One relevant item at the top is a perfect list: ideal DCG over 1 item."""
    m = user_metrics([[0, 5, 6, 7, 8]], [[0]], 5)
    assert m["precision"][0] == pytest.approx(0.2)
    assert m["recall"][0] == 1.0
    assert m["ndcg"][0] == pytest.approx(1.0)
    assert m["map"][0] == pytest.approx(1.0)


def test_user_metrics_more_relevant_than_k():
    m = user_metrics([[4, 9]], [[1, 4, 7, 9, 11]], 2)
    assert m["precision"][0] == 1.0
    assert m["recall"][0] == pytest.approx(2 / 5)
    assert m["ndcg"][0] == pytest.approx(1.0)
    assert m["map"][0] == pytest.approx(1.0)


def test_user_metrics_miss_scores_zero():
    m = user_metrics([[5, 6]], [[1]], 2)
    assert [float(m[n][0]) for n in m] == [0.0] * 5


def test_user_metrics_only_first_k_columns_count():
    m = user_metrics([[5, 1]], [[1]], 1)
    assert m["hit_rate"][0] == 0.0


def test_summarize_skips_and_counts_users_without_test_items():
    s = summarize([[0, 1], [2, 3], [1, 0]], [[1], [], [1]], 2, 10)
    assert s.n_users == 2 and s.n_skipped == 1
    # User 0: hit at rank 2 (NDCG 1/log2(3)); user 2: hit at rank 1.
    assert s.ndcg == pytest.approx((1 / LOG3 + 1.0) / 2)
    assert s.precision == pytest.approx(0.5)
    assert s.hit_rate == 1.0
    # Coverage counts the evaluated users' lists only: items {0, 1} of 10.
    assert s.coverage == pytest.approx(0.2)


def test_summarize_no_user_with_test_items_gives_nan():
    s = summarize([[0, 1]], [[]], 2, 3)
    assert s.n_users == 0 and s.n_skipped == 1
    assert math.isnan(s.ndcg) and math.isnan(s.precision)


def test_summarize_k_larger_than_catalog_pads_with_misses():
    ranked = top_k_rows([[0.1, 0.9, 0.5]], 5)
    assert ranked.tolist() == [[1, 2, 0, -1, -1]]
    s = summarize(ranked, [[2]], 5, 3)
    assert s.precision == pytest.approx(1 / 5)
    assert s.recall == 1.0
    assert s.ndcg == pytest.approx(1 / LOG3)
    assert s.map == pytest.approx(1 / 2)
    assert s.coverage == 1.0


def test_summarize_popularity_and_diversity():
    pop = np.array([1.0, 0.5, 0.0, 0.25])
    sim = np.array(
        [
            [1.0, 0.2, 0.0, 0.0],
            [0.2, 1.0, 0.6, 0.0],
            [0.0, 0.6, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )

    def pairwise(items):
        return sim[np.ix_(items, items)]

    s = summarize([[0, 1], [1, 2]], [[0], [3]], 2, 4, popularity=pop, pairwise=pairwise)
    assert s.popularity == pytest.approx((0.75 + 0.25) / 2)
    assert s.diversity == pytest.approx(((1 - 0.2) + (1 - 0.6)) / 2)


def test_intra_list_diversity_ignores_short_lists():
    assert math.isnan(intra_list_diversity([[3, -1]], lambda i: np.eye(len(i))))


def test_top_k_rows_ties_by_index_ascending():
    scores = [[0.5, 0.5, 0.9, 0.5], [0.0, 0.0, 0.0, 0.0]]
    assert top_k_rows(scores, 3).tolist() == [[2, 0, 1], [0, 1, 2]]


def test_top_k_rows_never_ranks_minus_inf_or_nan():
    scores = [[-np.inf, np.nan, 0.1, -5.0]]
    assert top_k_rows(scores, 4).tolist() == [[2, 3, -1, -1]]


def test_top_k_rows_rejects_bad_k_and_shape():
    with pytest.raises(InvalidInputError, match="k must be a positive int, got 0"):
        top_k_rows([[1.0]], 0)
    with pytest.raises(InvalidInputError, match="2-D"):
        top_k_rows([1.0, 2.0], 1)


def test_summarize_rejects_misaligned_relevant():
    with pytest.raises(InvalidInputError, match="one relevant set per ranked row"):
        summarize([[0, 1]], [[0], [1]], 2, 3)


@settings(deadline=None, max_examples=60)
@given(
    st.lists(st.floats(-3, 3, allow_nan=False), min_size=1, max_size=30),
    st.integers(1, 12),
)
def test_top_k_rows_matches_stable_sort(values, k):
    s = np.array([values], np.float32)
    expected = np.argsort(-s[0], kind="stable")[:k].tolist()
    got = top_k_rows(s, k)[0].tolist()
    assert [g for g in got if g >= 0] == expected


@st.composite
def _ranking_case(draw):
    n_items = draw(st.integers(1, 25))
    k = draw(st.integers(1, 15))
    n_users = draw(st.integers(1, 6))
    ranked, relevant = [], []
    for _ in range(n_users):
        perm = draw(st.permutations(range(n_items)))
        row = list(perm[:k]) + [-1] * max(0, k - n_items)
        ranked.append(row)
        rel = draw(st.lists(st.integers(0, n_items - 1), max_size=n_items, unique=True))
        relevant.append(rel)
    return np.array(ranked), relevant, k, n_items


@settings(deadline=None, max_examples=80)
@given(_ranking_case())
def test_metrics_stay_in_unit_interval(case):
    ranked, relevant, k, n_items = case
    s = summarize(ranked, relevant, k, n_items, popularity=np.full(n_items, 0.3))
    for value in (s.precision, s.recall, s.ndcg, s.map, s.hit_rate, s.coverage):
        assert math.isnan(value) or 0.0 <= value <= 1.0 + 1e-12


@settings(deadline=None, max_examples=80)
@given(_ranking_case())
def test_perfect_ranking_scores_one(case):
    _, relevant, k, n_items = case
    for rel in relevant:
        if not rel:
            continue
        others = [i for i in range(n_items) if i not in rel]
        row = (rel + others)[:k]
        row += [-1] * (k - len(row))
        m = user_metrics([row], [rel], k)
        assert m["ndcg"][0] == pytest.approx(1.0)
        assert m["map"][0] == pytest.approx(1.0)
        assert m["hit_rate"][0] == 1.0
        if len(rel) >= k:
            assert m["precision"][0] == pytest.approx(1.0)
        if len(rel) <= k:
            assert m["recall"][0] == pytest.approx(1.0)
