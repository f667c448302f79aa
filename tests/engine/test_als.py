"""Implicit ALS: equations against a dense reference, solvers, robustness, real data."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkpick_desktop.engine.als import (
    INIT_SCALE,
    AlsConfig,
    AlsModel,
    als_objective,
    solve_side,
)
from inkpick_desktop.engine.errors import CancelledError, InvalidInputError
from inkpick_desktop.engine.factors import PopularityModel
from inkpick_desktop.engine.progress import CancelToken
from inkpick_desktop.engine.sparse import CsrMatrix

TINY = np.array(
    [
        [3.0, 0.0, 1.0, 0.0, 0.0],
        [0.0, 2.0, 0.0, 0.0, 5.0],
        [1.0, 1.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0],  # a user without data
    ],
    np.float32,
)


def _dense_reference(r: np.ndarray, config: AlsConfig) -> tuple[np.ndarray, ...]:
    """Hu-Koren-Volinsky ALS written from the paper with dense matrices.

    Same initial factors as the model (one generator, users then items) and the
    same float32 storage of the factors between half-steps.
    """
    rng = np.random.default_rng(config.seed)
    f = config.factors
    x = (rng.standard_normal((r.shape[0], f)) * INIT_SCALE).astype(np.float32)
    y = (rng.standard_normal((r.shape[1], f)) * INIT_SCALE).astype(np.float32)
    p = (r > 0).astype(np.float64)
    c = 1.0 + config.confidence * r.astype(np.float64)

    def half(fixed: np.ndarray, conf: np.ndarray, pref: np.ndarray) -> np.ndarray:
        fx = fixed.astype(np.float64)
        out = np.zeros((conf.shape[0], f))
        for row in range(conf.shape[0]):
            a = fx.T @ np.diag(conf[row]) @ fx + config.regularization * np.eye(f)
            out[row] = np.linalg.solve(a, fx.T @ (conf[row] * pref[row]))
        return out.astype(np.float32)

    for _ in range(config.iterations):
        x = half(y, c, p)
        y = half(x, c.T, p.T)
    return x, y


def test_als_exact_matches_dense_reference():
    config = AlsConfig(factors=3, iterations=6, cg_steps=None, regularization=0.1)
    model = AlsModel.fit(CsrMatrix.from_dense(TINY), config)
    x, y = _dense_reference(TINY, config)
    y[3] = 0.0  # item 3 has no data: the model zeroes it
    np.testing.assert_allclose(model.user_factors_, x, atol=1e-4)
    np.testing.assert_allclose(model.item_factors_, y, atol=1e-4)
    assert model.user_factors_[3].tolist() == [0.0, 0.0, 0.0]


def test_als_cg_with_many_steps_matches_exact():
    base = AlsConfig(factors=3, iterations=6, regularization=0.1)
    m = CsrMatrix.from_dense(TINY)
    exact = AlsModel.fit(m, AlsConfig(**{**base.__dict__, "cg_steps": None}))
    cg = AlsModel.fit(m, AlsConfig(**{**base.__dict__, "cg_steps": 12}))
    np.testing.assert_allclose(cg.user_factors_, exact.user_factors_, atol=1e-3)
    np.testing.assert_allclose(cg.item_factors_, exact.item_factors_, atol=1e-3)


def test_als_cg_three_steps_close_to_exact_objective(rng):
    dense = (rng.random((40, 60)) < 0.15) * rng.integers(1, 6, (40, 60))
    m = CsrMatrix.from_dense(dense.astype(np.float32))
    losses = {}
    for steps in (None, 3):
        config = AlsConfig(factors=8, iterations=15, cg_steps=steps)
        model = AlsModel.fit(m, config)
        losses[steps] = als_objective(
            m, model.user_factors_, model.item_factors_, config
        )
    start = als_objective(
        m, np.zeros((40, 8), np.float32), np.zeros((60, 8), np.float32), config
    )
    assert losses[None] < 0.5 * start
    assert losses[3] == pytest.approx(losses[None], rel=0.05)


def test_als_objective_matches_dense_formula(rng):
    r = TINY
    x = rng.standard_normal((4, 2)).astype(np.float32)
    y = rng.standard_normal((5, 2)).astype(np.float32)
    config = AlsConfig(factors=2, regularization=0.3, confidence=2.0)
    pred = x.astype(np.float64) @ y.T.astype(np.float64)
    dense = np.sum((1 + 2.0 * r) * ((r > 0) - pred) ** 2) + 0.3 * (
        np.sum(x.astype(np.float64) ** 2) + np.sum(y.astype(np.float64) ** 2)
    )
    got = als_objective(CsrMatrix.from_dense(r), x, y, config)
    assert got == pytest.approx(dense, rel=1e-6)


def test_als_half_step_exact_equals_per_row_solve(rng):
    m = CsrMatrix.from_dense(TINY)
    items = rng.standard_normal((5, 3)).astype(np.float32)
    config = AlsConfig(factors=3, cg_steps=None, regularization=0.2, confidence=4.0)
    got = solve_side(m, items, np.zeros((4, 3), np.float32), config)
    y = items.astype(np.float64)
    for u in range(4):
        c = 1 + 4.0 * TINY[u].astype(np.float64)
        want = np.linalg.solve(
            y.T @ (c[:, None] * y) + 0.2 * np.eye(3), y.T @ (c * (TINY[u] > 0))
        )
        np.testing.assert_allclose(got[u], want, atol=1e-5)


def test_als_fold_in_equals_exact_user_solve():
    model = AlsModel.fit(CsrMatrix.from_dense(TINY), AlsConfig(factors=3, iterations=4))
    y = model.item_factors_.astype(np.float64)
    c = np.zeros(5)
    c[[1, 4]] = 1 + 10.0 * np.array([2.0, 5.0])
    a = y.T @ y + (y[[1, 4]].T * (c[[1, 4]] - 1)) @ y[[1, 4]] + 0.05 * np.eye(3)
    want = np.linalg.solve(a, y[[1, 4]].T @ c[[1, 4]])
    np.testing.assert_allclose(model.fold_in([4, 1], [5.0, 2.0]), want, atol=1e-5)


def test_als_same_seed_same_factors_bit_for_bit(rng):
    dense = (rng.random((30, 50)) < 0.2).astype(np.float32)
    m = CsrMatrix.from_dense(dense)
    for steps in (3, None):
        a = AlsModel.fit(m, AlsConfig(factors=6, iterations=3, cg_steps=steps, seed=7))
        b = AlsModel.fit(m, AlsConfig(factors=6, iterations=3, cg_steps=steps, seed=7))
        assert a.user_factors_.tobytes() == b.user_factors_.tobytes()
        assert a.item_factors_.tobytes() == b.item_factors_.tobytes()
    c = AlsModel.fit(m, AlsConfig(factors=6, iterations=3, seed=8))
    assert c.item_factors_.tobytes() != a.item_factors_.tobytes()


def test_als_progress_reported_every_iteration():
    calls: list[tuple[str, float]] = []
    AlsModel.fit(
        CsrMatrix.from_dense(TINY),
        AlsConfig(factors=2, iterations=4),
        progress=lambda stage, frac: calls.append((stage, frac)),
    )
    assert calls == [("training ALS", f) for f in (0.0, 0.25, 0.5, 0.75, 1.0)]


def test_als_cancel_stops_training():
    token = CancelToken()
    calls: list[float] = []

    def progress(stage: str, frac: float) -> None:
        calls.append(frac)
        if frac >= 0.2:
            token.cancel()

    with pytest.raises(CancelledError, match="training ALS cancelled"):
        AlsModel.fit(
            CsrMatrix.from_dense(TINY),
            AlsConfig(factors=2, iterations=10),
            progress=progress,
            cancel=token,
        )
    assert calls == [0.0, 0.1, 0.2]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("regularization", 0.0, "regularization must be a finite number > 0"),
        ("regularization", -1.0, "regularization"),
        ("regularization", float("nan"), "regularization"),
        ("confidence", -0.5, "confidence must be"),
        ("factors", 0, "factors must be a positive int, got 0"),
        ("iterations", 2.5, "iterations"),
        ("cg_steps", 0, "cg_steps"),
        ("seed", -1, "seed"),
    ],
)
def test_als_config_invalid_refused(field, value, message):
    with pytest.raises(InvalidInputError, match=message):
        AlsConfig(**{field: value})


@pytest.mark.parametrize("shape", [(0, 0), (3, 0), (0, 3), (4, 5)])
def test_als_empty_matrix_refused(shape):
    with pytest.raises(InvalidInputError, match="at least one interaction"):
        AlsModel.fit(CsrMatrix.empty(shape))


def test_als_negative_values_refused():
    with pytest.raises(InvalidInputError, match="non-negative.*-2.0"):
        AlsModel.fit(CsrMatrix.from_dense([[1.0, -2.0]]))


def test_als_single_user_more_factors_than_data():
    model = AlsModel.fit(
        CsrMatrix.from_dense([[1.0, 0.0, 4.0]]), AlsConfig(factors=50, iterations=5)
    )
    assert np.all(np.isfinite(model.user_factors_))
    assert model.recommend(0, 3, exclude_seen=False)[0].tolist()[:2] in ([2, 0], [0, 2])
    assert model.recommend(0, 3)[0].tolist() == []  # item 1 has no data


@settings(deadline=None, max_examples=40)
@given(
    st.integers(1, 7),
    st.integers(1, 7),
    st.integers(1, 9),
    st.sampled_from([None, 1, 3]),
    st.integers(0, 2**16),
)
def test_als_random_matrices_stay_finite(n_users, n_items, factors, steps, seed):
    gen = np.random.default_rng(seed)
    dense = (gen.random((n_users, n_items)) < 0.4) * gen.integers(
        1, 50, (n_users, n_items)
    )
    dense[gen.integers(0, n_users), gen.integers(0, n_items)] = 1  # at least one entry
    m = CsrMatrix.from_dense(dense.astype(np.float32))
    config = AlsConfig(factors=factors, iterations=3, cg_steps=steps, seed=seed)
    model = AlsModel.fit(m, config)
    assert np.all(np.isfinite(model.user_factors_))
    assert np.all(np.isfinite(model.item_factors_))
    empty_rows = m.row_lengths == 0
    assert not model.user_factors_[empty_rows].any()
    assert not model.item_factors_[~model.item_has_data_].any()
    for u in range(n_users):
        assert np.all(np.isfinite(model.recommend(u, n_items, exclude_seen=False)[1]))
    item = int(np.flatnonzero(model.item_has_data_)[0])
    assert np.all(np.isfinite(model.fold_in([item])))
    assert np.all(np.isfinite(model.item_scores(item)))


def _movielens_holdout(root: Path) -> tuple[CsrMatrix, np.ndarray, np.ndarray]:
    """Ratings with each user's latest rating held out (users with >= 5)."""
    with open(root / "movielens-latest-small" / "ratings.csv", newline="") as fh:
        reader = csv.reader(fh)
        assert next(reader) == ["userId", "movieId", "rating", "timestamp"]
        rows = list(reader)
    users = np.unique([r[0] for r in rows], return_inverse=True)[1]
    items = np.unique([r[1] for r in rows], return_inverse=True)[1]
    values = np.array([float(r[2]) for r in rows])
    stamps = np.array([int(r[3]) for r in rows])
    # latest event per user (ties: the later row)
    order = np.lexsort((np.arange(len(rows)), stamps, users))
    last = order[np.r_[users[order][1:] != users[order][:-1], True]]
    keep = np.ones(len(rows), bool)
    keep[last] = False
    shape = (int(users.max()) + 1, int(items.max()) + 1)
    train = CsrMatrix.from_triplets(users[keep], items[keep], values[keep], shape)
    return train, users[last], items[last]


@pytest.mark.realdata
@pytest.mark.slow
def test_als_beats_popularity_on_movielens_holdout(datasets_root):
    train, held_users, held_items = _movielens_holdout(datasets_root)
    assert train.shape == (610, 9724) and len(held_users) == 610
    model = AlsModel.fit(train, AlsConfig(iterations=10))
    pop = PopularityModel.fit(train)
    als_hits = pop_hits = 0
    for u, i in zip(held_users.tolist(), held_items.tolist(), strict=True):
        als_hits += i in model.recommend(u, 10)[0]
        pop_hits += i in pop.recommend(10, exclude=model.seen_items(u))[0]
    assert als_hits > 1.3 * pop_hits
    assert als_hits / 610 > 0.05


def test_als_solver_gram_and_small_gemm_equal_dense(rng):
    from inkpick_desktop.engine.als_solver import gram, small_gemm

    y = rng.standard_normal((130, 5)).astype(np.float32)  # 2 stacks of 64 + 2
    w = rng.random(130)
    y64 = y.astype(np.float64)
    np.testing.assert_allclose(gram(y), y64.T @ y64, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        gram(y, weights=w), (y64.T * w) @ y64, rtol=1e-5, atol=1e-5
    )
    rows = np.array([3, 70, 129])
    np.testing.assert_allclose(gram(y, rows), y64[rows].T @ y64[rows], atol=1e-5)
    b = rng.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(small_gemm(y, b), y64 @ b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("steps", [None, 3])
def test_als_half_step_rows_without_data_get_zero(rng, steps):
    m = CsrMatrix.from_dense(TINY)  # user 3 has no entry
    items = rng.standard_normal((5, 3)).astype(np.float32)
    current = np.ones((4, 3), np.float32)
    config = AlsConfig(factors=3, cg_steps=steps)
    got = solve_side(m, items, current, config)
    assert got[3].tolist() == [0.0, 0.0, 0.0]
    assert np.all(got[:3] != 0)
