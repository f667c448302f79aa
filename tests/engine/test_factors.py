"""Shared factor-model behaviour: matrix building, top-k, queries, persistence."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from inkpick_desktop.data.model import Interactions
from inkpick_desktop.engine.als import AlsConfig, AlsModel
from inkpick_desktop.engine.bpr import BprConfig, BprModel
from inkpick_desktop.engine.errors import InvalidInputError, ModelFormatError
from inkpick_desktop.engine.factors import (
    FactorModel,
    PopularityModel,
    interactions_to_matrix,
    top_k,
)
from inkpick_desktop.engine.sparse import CsrMatrix


def _interactions(users, items, values, n_users, n_items) -> Interactions:
    return Interactions(
        user_ids=np.array([f"u{i}" for i in range(n_users)]),
        users=np.asarray(users, np.int32),
        items=np.asarray(items, np.int32),
        values=np.asarray(values, np.float32),
        n_items=n_items,
    )


@pytest.fixture
def events() -> Interactions:
    # user 0 rated item 1 twice (2 + 3); user 1 has 4.0 on item 0, 1.0 on item 2
    return _interactions([0, 0, 1, 1], [1, 1, 0, 2], [2.0, 3.0, 4.0, 1.0], 3, 3)


def test_interactions_to_matrix_none_sums_duplicates(events):
    m = interactions_to_matrix(events)
    assert m.to_dense().tolist() == [[0, 5, 0], [4, 0, 1], [0, 0, 0]]


def test_interactions_to_matrix_log1p(events):
    m = interactions_to_matrix(events, "log1p")
    np.testing.assert_allclose(
        m.to_dense(), np.log1p([[0, 5, 0], [4, 0, 1], [0, 0, 0]]), rtol=1e-6
    )


def test_interactions_to_matrix_binary(events):
    m = interactions_to_matrix(events, "binary")
    assert m.to_dense().tolist() == [[0, 1, 0], [1, 0, 1], [0, 0, 0]]


def test_interactions_to_matrix_threshold_drops_low_events(events):
    m = interactions_to_matrix(events, ("rating_threshold", 3.0))
    assert m.to_dense().tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]


def test_interactions_to_matrix_callable_drops_zeros(events):
    m = interactions_to_matrix(events, lambda v: np.where(v > 2, v - 2, 0.0))
    assert m.to_dense().tolist() == [[0, 3, 0], [2, 0, 0], [0, 0, 0]]
    assert m.nnz == 2


@pytest.mark.parametrize(
    "transform", ["sqrt", ("threshold", 3), ("rating_threshold", float("nan")), 3]
)
def test_interactions_to_matrix_unknown_transform_refused(events, transform):
    with pytest.raises(InvalidInputError, match="transform|threshold"):
        interactions_to_matrix(events, transform)


def test_interactions_to_matrix_log1p_negative_refused():
    ev = _interactions([0], [0], [-3.0], 1, 1)
    with pytest.raises(InvalidInputError, match="non-negative.*-3.0"):
        interactions_to_matrix(ev, "log1p")


def test_top_k_ties_broken_by_index():
    scores = np.array([0.5, 0.9, 0.5, 0.9, 0.1, 0.5], np.float32)
    idx, val = top_k(scores, 4)
    assert idx.tolist() == [1, 3, 0, 2]
    assert val.tolist() == [pytest.approx(0.9)] * 2 + [0.5, 0.5]


def test_top_k_exclusion_and_short_result():
    scores = np.array([3.0, 2.0, 1.0], np.float32)
    idx, _ = top_k(scores, 5, np.array([True, False, False]))
    assert idx.tolist() == [1, 2]


def test_popularity_counts_distinct_users():
    m = CsrMatrix.from_dense([[5, 0, 1, 0], [2, 0, 0, 0], [1, 0, 3, 0]])
    pop = PopularityModel.fit(m)
    assert pop.counts_.tolist() == [3, 0, 2, 0]
    np.testing.assert_allclose(pop.scores(), [1.0, 0.0, 2 / 3, 0.0], rtol=1e-6)
    idx, val = pop.recommend(3)
    assert idx.tolist() == [0, 2]  # items nobody had are never returned
    idx, _ = pop.recommend(3, exclude=[0])
    assert idx.tolist() == [2]


def test_popularity_empty_matrix_recommends_nothing():
    pop = PopularityModel.fit(CsrMatrix.empty((0, 4)))
    assert pop.scores().tolist() == [0.0] * 4
    assert pop.recommend(2)[0].tolist() == []


def test_popularity_save_load_round_trip(tmp_path: Path):
    m = CsrMatrix.from_dense([[5, 0, 1], [2, 0, 0]])
    pop = PopularityModel.fit(m, item_ids=["a", "b", "c"])
    path = tmp_path / "pop.npz"
    pop.save(path)
    back = PopularityModel.load(path)
    assert back.counts_.tolist() == [2, 0, 1]
    assert back.item_ids_.tolist() == ["a", "b", "c"]


@pytest.fixture(params=["als", "bpr"])
def fitted(request, checkerboard) -> FactorModel:
    if request.param == "als":
        return AlsModel.fit(checkerboard, AlsConfig(factors=4, iterations=8))
    return BprModel.fit(checkerboard, BprConfig(factors=4, epochs=60))


@pytest.fixture
def checkerboard() -> CsrMatrix:
    """Users 0-3 like items 0-4, users 4-7 like items 5-9; user 8 and item 10
    have no data; each user misses one item of their group."""
    dense = np.zeros((9, 11), np.float32)
    for u in range(4):
        dense[u, :5] = 1
        dense[u, u] = 0
        dense[u + 4, 5:10] = 1
        dense[u + 4, 5 + u] = 0
    return CsrMatrix.from_dense(dense)


def test_model_recommend_stays_in_group(fitted):
    for user in range(4):
        idx, _ = fitted.recommend(user, 1)
        assert idx.tolist() == [user]  # the one group-A item the user misses
        idx, _ = fitted.recommend(user + 4, 1)
        assert idx.tolist() == [5 + user]


def test_model_recommend_excludes_seen_by_default(fitted):
    idx, _ = fitted.recommend(0, 20)
    assert not set(idx.tolist()) & {1, 2, 3, 4}
    assert 10 not in idx.tolist()  # no data, never ranked
    idx, _ = fitted.recommend(0, 20, exclude_seen=False)
    assert set(idx.tolist()[:5]) == {0, 1, 2, 3, 4}


def test_model_fold_in_group_a_gives_group_a(fitted):
    vec = fitted.fold_in([0, 1])
    assert vec.dtype == np.float32 and vec.shape == (4,)
    idx, scores = fitted.recommend(vec, 3, seen=[0, 1])
    assert set(idx.tolist()) == {2, 3, 4}
    assert np.all(np.diff(scores) <= 0)


def test_model_fold_in_empty_refused(fitted):
    with pytest.raises(InvalidInputError, match="at least one item.*Popularity"):
        fitted.fold_in([])


def test_model_fold_in_only_items_without_data_refused(fitted):
    with pytest.raises(InvalidInputError, match="collaborative data"):
        fitted.fold_in([10])


def test_model_fold_in_bad_index_refused(fitted):
    with pytest.raises(InvalidInputError, match="item index 11 outside 0..10"):
        fitted.fold_in([0, 11])


def test_model_contributions_sum_to_score(fitted):
    picks = [0, 1, 6]
    total = fitted.vector_scores(fitted.fold_in(picks))[2]
    parts = fitted.contributions(picks, 2)
    assert parts.shape == (3,)
    assert float(parts.sum()) == pytest.approx(float(total), abs=1e-4)
    # the group-B pick explains less of a group-A target than the group-A picks
    assert parts[2] < min(parts[0], parts[1])


def test_model_item_scores_and_similar_items(fitted):
    scores = fitted.item_scores(0)
    assert scores[0] == pytest.approx(1.0, abs=1e-5)
    assert scores[10] == 0.0 and not fitted.item_has_data_[10]
    idx, _ = fitted.similar_items(0, 4)
    assert set(idx.tolist()) == {1, 2, 3, 4}
    assert fitted.similar_items(10, 3)[0].tolist() == []


def test_model_pairwise_matches_item_scores(fitted):
    pair = fitted.pairwise([0, 5, 10])
    assert pair.shape == (3, 3)
    np.testing.assert_allclose(pair[0], fitted.item_scores(0)[[0, 5, 10]], atol=1e-6)
    np.testing.assert_allclose(pair, pair.T, atol=1e-6)
    assert pair[2].tolist() == [0.0, 0.0, 0.0]


def test_model_bad_queries_refused(fitted):
    with pytest.raises(InvalidInputError, match="k must be a positive int"):
        fitted.recommend(0, 0)
    with pytest.raises(InvalidInputError, match="user index"):
        fitted.recommend(99, 3)
    with pytest.raises(InvalidInputError, match="4 finite floats"):
        fitted.recommend(np.zeros(3), 3)


def test_model_save_load_round_trip(fitted, tmp_path: Path):
    path = tmp_path / "model.npz"
    fitted.save(path)
    for loader in (type(fitted), FactorModel):
        back = loader.load(path)
        assert type(back) is type(fitted)
        assert back.config == fitted.config
        np.testing.assert_array_equal(back.user_factors_, fitted.user_factors_)
        np.testing.assert_array_equal(back.item_factors_, fitted.item_factors_)
        np.testing.assert_array_equal(back.item_has_data_, fitted.item_has_data_)
        assert back.user_ids_.tolist() == fitted.user_ids_.tolist()
        assert back.recommend(0, 5)[0].tolist() == fitted.recommend(0, 5)[0].tolist()
    assert not [p for p in tmp_path.iterdir() if p.name != "model.npz"]


def test_model_load_wrong_kind_refused(fitted, tmp_path: Path):
    path = tmp_path / "model.npz"
    fitted.save(path)
    other = BprModel if isinstance(fitted, AlsModel) else AlsModel
    with pytest.raises(ModelFormatError, match=rf"model.npz.*expected '{other.kind}'"):
        other.load(path)
    with pytest.raises(ModelFormatError, match="expected 'popularity'"):
        PopularityModel.load(path)


def test_load_truncated_file_refused(tmp_path: Path, checkerboard):
    path = tmp_path / "m.npz"
    AlsModel.fit(checkerboard, AlsConfig(factors=2, iterations=1)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFormatError, match="m.npz"):
        AlsModel.load(path)


def test_load_garbage_and_missing_refused(tmp_path: Path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"\x80\x04not a model at all")
    with pytest.raises(ModelFormatError, match="junk.npz: not a readable"):
        FactorModel.load(path)
    with pytest.raises(ModelFormatError, match="not found"):
        FactorModel.load(tmp_path / "absent.npz")


def test_load_foreign_npz_refused(tmp_path: Path):
    path = tmp_path / "foreign.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(ModelFormatError, match="foreign.npz: not an Inkpick model"):
        AlsModel.load(path)


def test_load_pickled_member_refused(tmp_path: Path, checkerboard):
    path = tmp_path / "evil.npz"
    AlsModel.fit(checkerboard, AlsConfig(factors=2, iterations=1)).save(path)
    with np.load(path) as f:
        arrays = dict(f)
    arrays["user_ids"] = np.array([object()] * 9, dtype=object)
    np.savez(path, **arrays)
    with pytest.raises(ModelFormatError, match="evil.npz.*'user_ids'"):
        AlsModel.load(path)


def test_load_tampered_arrays_refused(tmp_path: Path, checkerboard):
    path = tmp_path / "bad.npz"
    AlsModel.fit(checkerboard, AlsConfig(factors=2, iterations=1)).save(path)
    with np.load(path) as f:
        arrays = dict(f)
    cases = {
        "item_factors": (np.zeros((11, 3), np.float32), "3 wide, config says 2"),
        "user_factors": (np.full((9, 2), np.nan, np.float32), "non-finite"),
        "__version__": (np.asarray(99), "format version 99"),
        "__config__": (np.asarray('{"factors": 0}'), "config is invalid.*factors"),
        "seen_indptr": (np.zeros(5, np.int64), "'seen_indptr' has shape"),
        "seen_indices": (
            np.full(int(arrays["seen_indptr"][-1]), 99, np.int32),
            "inconsistent arrays",
        ),
        "item_ids": (np.arange(11), "'item_ids' has dtype"),
        "__kind__": (np.asarray("svd"), "unknown model kind 'svd'"),
    }
    for name, (value, reason) in cases.items():
        broken = dict(arrays, **{name: value})
        np.savez(path, **broken)
        loader = FactorModel if name == "__kind__" else AlsModel
        with pytest.raises(ModelFormatError, match=f"bad.npz: .*{reason}"):
            loader.load(path)
    assert zipfile.is_zipfile(path)


def test_scores_skip_zero_rows_but_equal_the_full_product(rng) -> None:
    """Zero-factor items score exactly 0; every other item as the dense product."""

    v = rng.standard_normal((50, 6)).astype(np.float32)
    v[rng.random(50) < 0.7] = 0.0  # most items have no factors
    v[3] = 0.5  # a live item even though flagged as having no data below
    u = rng.standard_normal((4, 6)).astype(np.float32)
    has = np.any(v != 0, axis=1)
    has[3] = False
    model = AlsModel(AlsConfig(factors=6), u, v, item_has_data=has)

    x = rng.standard_normal(6).astype(np.float32)
    np.testing.assert_allclose(model.vector_scores(x), v @ x, rtol=1e-5, atol=1e-6)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    unit = np.divide(v, norms, out=np.zeros_like(v), where=norms > 0)
    for item in (3, int(np.flatnonzero(~np.any(v != 0, axis=1))[0])):
        expected = unit @ unit[item]
        np.testing.assert_allclose(model.item_scores(item), expected, atol=1e-6)
