"""BPR: sampling, determinism, fold-in optimum, robustness, real data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkpick_desktop.engine import bpr
from inkpick_desktop.engine.bpr import BprConfig, BprModel
from inkpick_desktop.engine.errors import CancelledError, InvalidInputError
from inkpick_desktop.engine.progress import CancelToken
from inkpick_desktop.engine.sparse import CsrMatrix


def _random_matrix(seed: int, n_users: int = 30, n_items: int = 40) -> CsrMatrix:
    gen = np.random.default_rng(seed)
    return CsrMatrix.from_dense(
        (gen.random((n_users, n_items)) < 0.2).astype(np.float32)
    )


def test_bpr_negatives_are_never_positives(rng):
    m = _random_matrix(3)
    keys = m.row_of_entry * m.shape[1] + m.indices
    users = m.row_of_entry[rng.integers(0, m.nnz, 2000)]
    j = bpr._draw_negatives(rng, users, m.shape[1], keys)
    dense = m.to_dense()
    found = j >= 0
    assert found.mean() > 0.99
    assert not dense[users[found], j[found]].any()


def test_bpr_negatives_missing_for_user_with_everything(rng):
    m = CsrMatrix.from_dense(np.ones((1, 3), np.float32))
    keys = m.row_of_entry * 3 + m.indices
    j = bpr._draw_negatives(rng, np.zeros(5, np.int64), 3, keys)
    assert j.tolist() == [-1] * 5


def test_bpr_sgd_step_matches_hand_gradient():
    users = np.array([[1.0, 0.0]], np.float32)
    items = np.array([[0.5, 1.0], [0.0, -1.0]], np.float32)
    bpr._sgd_step(
        users,
        items,
        np.array([0]),
        np.array([0]),
        np.array([1]),
        np.float32(0.1),
        np.float32(0.01),
    )
    g = 1 / (1 + np.exp(0.5))  # sigmoid(-x) with x = (1, 0) . (0.5, 2) = 0.5
    np.testing.assert_allclose(
        users, [[1 + 0.1 * (g * 0.5 - 0.01), 0.1 * g * 2.0]], rtol=1e-6
    )
    np.testing.assert_allclose(
        items,
        [[0.5 + 0.1 * (g - 0.005), 1.0 - 0.001], [-0.1 * g, -1.0 + 0.001]],
        rtol=1e-6,
    )


def test_bpr_training_ranks_positives_above_negatives():
    m = _random_matrix(5)
    model = BprModel.fit(m, BprConfig(factors=8, epochs=40, learning_rate=0.1))
    dense = m.to_dense()
    auc = []
    for u in range(m.shape[0]):
        s = model.user_scores(u)
        pos, neg = s[dense[u] > 0], s[(dense[u] == 0) & model.item_has_data_]
        auc.append((pos[:, None] > neg[None, :]).mean())
    assert np.mean(auc) > 0.9


def test_bpr_same_seed_same_factors_bit_for_bit():
    m = _random_matrix(1)
    a = BprModel.fit(m, BprConfig(factors=5, epochs=3, seed=11))
    b = BprModel.fit(m, BprConfig(factors=5, epochs=3, seed=11))
    assert a.user_factors_.tobytes() == b.user_factors_.tobytes()
    assert a.item_factors_.tobytes() == b.item_factors_.tobytes()
    c = BprModel.fit(m, BprConfig(factors=5, epochs=3, seed=12))
    assert c.item_factors_.tobytes() != a.item_factors_.tobytes()


def test_bpr_fold_in_is_the_objective_optimum():
    model = BprModel.fit(_random_matrix(2), BprConfig(factors=4, epochs=10))
    picks = [0, 3, 7]
    st_ = model._fold_in_state(picks, None)
    best = st_.objective(st_.x)
    gen = np.random.default_rng(0)
    for _ in range(20):  # concave: every nearby point is worse
        assert st_.objective(st_.x + 0.05 * gen.standard_normal(4)) < best
    np.testing.assert_array_equal(model.fold_in(picks), model.fold_in(picks))


def test_bpr_progress_and_cancel():
    calls: list[float] = []
    token = CancelToken()

    def progress(stage: str, frac: float) -> None:
        assert stage == "training BPR"
        calls.append(frac)
        if frac >= 0.5:
            token.cancel()

    with pytest.raises(CancelledError, match="training BPR cancelled"):
        BprModel.fit(
            _random_matrix(0),
            BprConfig(factors=2, epochs=4),
            progress=progress,
            cancel=token,
        )
    assert calls == [0.0, 0.25, 0.5]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("regularization", 0.0),
        ("learning_rate", -0.1),
        ("epochs", 0),
        ("factors", True),
        ("learning_rate", float("inf")),
    ],
)
def test_bpr_config_invalid_refused(field, value):
    with pytest.raises(InvalidInputError, match=field):
        BprConfig(**{field: value})


def test_bpr_empty_matrix_refused():
    with pytest.raises(InvalidInputError, match="at least one interaction"):
        BprModel.fit(CsrMatrix.empty((3, 3)))


def test_bpr_user_with_every_item_stays_finite():
    m = CsrMatrix.from_dense(np.ones((1, 3), np.float32))
    model = BprModel.fit(m, BprConfig(factors=8, epochs=2))
    assert np.all(np.isfinite(model.user_factors_))
    assert model.fold_in([0, 1, 2]).tolist() == [0.0] * 8  # nothing to rank below


@settings(deadline=None, max_examples=30)
@given(st.integers(1, 7), st.integers(1, 7), st.integers(1, 12), st.integers(0, 2**16))
def test_bpr_random_matrices_stay_finite(n_users, n_items, factors, seed):
    gen = np.random.default_rng(seed)
    dense = gen.random((n_users, n_items)) < 0.4
    dense[gen.integers(0, n_users), gen.integers(0, n_items)] = True
    m = CsrMatrix.from_dense(dense.astype(np.float32))
    model = BprModel.fit(m, BprConfig(factors=factors, epochs=5, seed=seed))
    assert np.all(np.isfinite(model.user_factors_))
    assert np.all(np.isfinite(model.item_factors_))
    assert not model.item_factors_[~model.item_has_data_].any()
    item = int(np.flatnonzero(model.item_has_data_)[0])
    vec = model.fold_in([item])
    assert np.all(np.isfinite(vec))
    assert np.all(np.isfinite(model.contributions([item], item)))
    for u in range(n_users):
        assert np.all(np.isfinite(model.recommend(u, n_items)[1]))


def _random_item_model(n_items: int, f: int = 16) -> BprModel:
    gen = np.random.default_rng(4)
    items = gen.standard_normal((n_items, f)).astype(np.float32)
    seen = CsrMatrix.from_dense(np.ones((1, n_items), np.float32))
    return BprModel(
        BprConfig(factors=f), np.zeros((1, f), np.float32), items, seen=seen
    )


def test_bpr_fold_in_negatives_bounded():
    model = _random_item_model(5000)
    state = model._fold_in_state(list(range(10)), None)
    assert len(state.negatives) == bpr.FOLD_IN_NEGATIVES
    assert len(np.unique(state.negatives)) == bpr.FOLD_IN_NEGATIVES
    assert not set(state.negatives.tolist()) & set(range(10))


def test_bpr_fold_in_sampled_close_to_exact(monkeypatch):
    model = _random_item_model(5000)
    picks = [5, 17, 99, 400, 1234, 2000, 2500, 3100, 4000, 4999]
    sampled = model.fold_in(picks)
    monkeypatch.setattr(bpr, "FOLD_IN_NEGATIVES", 10**9)
    exact = model.fold_in(picks)
    assert len(model._fold_in_state(picks, None).negatives) == 4990
    cosine = sampled @ exact / (np.linalg.norm(sampled) * np.linalg.norm(exact))
    assert cosine > 0.98
    top_s = set(model.recommend(sampled, 20, seen=picks)[0].tolist())
    top_e = set(model.recommend(exact, 20, seen=picks)[0].tolist())
    assert len(top_s & top_e) >= 14
