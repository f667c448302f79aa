"""Greedy Maximal Marginal Relevance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.mmr import mmr, mode_similarity, pool_size

SIM = np.array(
    [
        [1.0, 0.9, 0.1, 0.0],
        [0.9, 1.0, 0.2, 0.1],
        [0.1, 0.2, 1.0, 0.3],
        [0.0, 0.1, 0.3, 1.0],
    ],
    np.float32,
)


def _plain(cands: np.ndarray, rel: np.ndarray, k: int) -> list[int]:
    order = sorted(range(len(cands)), key=lambda p: (-rel[p], cands[p]))
    return order[:k]


@settings(deadline=None, max_examples=100)
@given(
    st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), min_size=1, max_size=40),
    st.integers(1, 15),
    st.randoms(use_true_random=False),
)
def test_mmr_lambda_one_equals_plain_ranking(rel: list[float], k: int, rnd) -> None:
    cands = np.array(rnd.sample(range(1000), len(rel)), np.int32)
    r = np.array(rel, np.float32)
    sim = np.ones((len(rel), len(rel)), np.float32)  # would change any λ < 1
    out = mmr(cands, r, sim, k, 1.0)
    assert out.tolist() == _plain(cands, r, k)


def test_mmr_lambda_zero_picks_least_similar_after_first() -> None:
    rel = np.array([1.0, 0.95, 0.5, 0.4], np.float32)
    out = mmr([0, 1, 2, 3], rel, SIM, k=4, lam=0.0)
    # first: most relevant 0; then the least similar to {0}: 3 (0.0);
    # then max-sim to {0, 3}: item 1 -> 0.9, item 2 -> 0.3: pick 2; then 1
    assert out.tolist() == [0, 3, 2, 1]


def test_mmr_hand_case_lambda_half() -> None:
    rel = np.array([1.0, 0.95, 0.5, 0.3], np.float32)
    out = mmr([0, 1, 2, 3], rel, SIM, k=4, lam=0.5)
    # step 2 gains: 1: .475-.45=.025, 2: .25-.05=.2, 3: .15-0=.15 -> 2
    # step 3 gains: 1: .475-.45=.025, 3: .15-.15=0 -> 1; then 3
    assert out.tolist() == [0, 2, 1, 3]


def test_mmr_callable_equals_matrix() -> None:
    rel = np.array([0.3, 1.0, 0.6, 0.6], np.float32)
    cands = np.array([10, 11, 12, 13], np.int32)
    lookup = {int(c): i for i, c in enumerate(cands)}

    def fn(items: np.ndarray) -> np.ndarray:
        idx = [lookup[int(i)] for i in items]
        return SIM[np.ix_(idx, idx)]

    for lam in (0.0, 0.3, 0.7):
        assert (
            mmr(cands, rel, fn, 4, lam).tolist()
            == mmr(cands, rel, SIM, 4, lam).tolist()
        )


def test_mmr_ties_by_item_index_not_position() -> None:
    rel = np.array([0.5, 0.5, 0.5], np.float32)
    out = mmr([7, 3, 5], rel, np.eye(3), k=3, lam=0.5)
    assert out.tolist() == [1, 2, 0]  # items 3, 5, 7


def test_mmr_only_looks_at_the_pool() -> None:
    rel = np.linspace(1.0, 0.0, 100).astype(np.float32)
    seen: list[int] = []

    def fn(items: np.ndarray) -> np.ndarray:
        seen.append(len(items))
        return np.eye(len(items), dtype=np.float32)

    out = mmr(np.arange(100), rel, fn, 5, 0.5)
    assert seen == [pool_size(5)] == [50]
    assert out.tolist() == [0, 1, 2, 3, 4]  # identity similarity: relevance order


def test_mmr_k_larger_than_candidates_and_empty() -> None:
    assert mmr([4, 2], [0.1, 0.2], np.eye(2), 5, 0.5).tolist() == [1, 0]
    assert mmr([], [], np.zeros((0, 0)), 3, 0.5).tolist() == []


@pytest.mark.parametrize(
    ("k", "lam", "match"),
    [
        (0, 0.5, "k must"),
        (2, 1.5, "1.5"),
        (2, float("nan"), "nan"),
        (True, 0.5, "True"),
    ],
)
def test_mmr_bad_arguments_raise(k: object, lam: float, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        mmr([0, 1], [1.0, 0.5], np.eye(2), k, lam)  # type: ignore[arg-type]


def test_mmr_bad_matrix_shape_raises() -> None:
    with pytest.raises(InvalidInputError, match="2x2"):
        mmr([0, 1], [1.0, 0.5], np.eye(3), 2, 0.5)


class _Pairwise:
    def __init__(self, m: np.ndarray) -> None:
        self.m = m

    def pairwise(self, items: np.ndarray) -> np.ndarray:
        return self.m[np.ix_(items, items)]


def test_mode_similarity_hybrid_mixes_only_pairs_with_data() -> None:
    content = _Pairwise(
        np.array([[1, 0.2, 0.4], [0.2, 1, 0.6], [0.4, 0.6, 1]], np.float32)
    )
    factors = _Pairwise(np.array([[1, 0.8, 0], [0.8, 1, 0], [0, 0, 0]], np.float32))
    has = np.array([True, True, False])
    sim = mode_similarity("hybrid", content, factors, has, 0.25)(np.array([0, 1, 2]))
    assert sim[0, 1] == pytest.approx(0.25 * 0.2 + 0.75 * 0.8)
    assert sim[0, 2] == pytest.approx(0.4)  # item 2 has no data: content only
    np.testing.assert_allclose(
        mode_similarity("content", content, factors, has, 0.25)(np.array([1, 2])),
        [[1, 0.6], [0.6, 1]],
    )
    np.testing.assert_allclose(
        mode_similarity("collaborative", content, factors, has, 0.25)(np.array([0, 1])),
        [[1, 0.8], [0.8, 1]],
    )
    # without a model every mode falls back to content similarity
    out = mode_similarity("hybrid", content, None, None, 0.5)(np.array([0, 1]))
    np.testing.assert_allclose(out, [[1, 0.2], [0.2, 1]])
