"""Tests of the plain-NumPy CSR matrix (SciPy is the test-only oracle)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from inkpick_desktop.engine import sparse as sparse_module
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.sparse import CsrMatrix

SHAPES = [(0, 0), (0, 4), (3, 0), (1, 1), (5, 7), (40, 13)]


def _random(rng: np.random.Generator, shape: tuple[int, int], density: float = 0.3):
    """A CsrMatrix and its SciPy twin, with empty rows and duplicate triplets."""
    n_rows, n_cols = shape
    n = int(density * n_rows * n_cols) if n_rows and n_cols else 0
    rows = rng.integers(0, max(n_rows, 1), n)
    cols = rng.integers(0, max(n_cols, 1), n)
    vals = rng.normal(size=n)
    ours = CsrMatrix.from_triplets(rows, cols, vals, shape)
    oracle = sp.coo_matrix((vals, (rows, cols)), shape=shape).tocsr()
    oracle.sum_duplicates()
    oracle.eliminate_zeros()
    return ours, oracle


def _assert_same(ours: CsrMatrix, oracle: sp.csr_matrix) -> None:
    """Same shape, same canonical structure, values equal to 1e-6."""
    oracle = oracle.tocsr().copy()
    oracle.sum_duplicates()
    oracle.eliminate_zeros()
    oracle.sort_indices()
    assert ours.shape == oracle.shape
    np.testing.assert_array_equal(ours.indptr, oracle.indptr)
    np.testing.assert_array_equal(ours.indices, oracle.indices)
    np.testing.assert_allclose(ours.data, oracle.data, rtol=1e-6, atol=1e-6)
    assert ours.data.dtype == np.float32
    assert ours.indices.dtype == np.int32
    assert ours.indptr.dtype == np.int64


# -- construction -----------------------------------------------------------------


def test_from_triplets_small_case_by_hand() -> None:
    m = CsrMatrix.from_triplets(
        rows=[2, 0, 0, 2, 0],
        cols=[1, 2, 0, 1, 2],
        values=[1.0, 2.0, 3.0, 4.0, 5.0],
        shape=(3, 3),
    )
    # (0,2) twice -> 7, (2,1) twice -> 5, row 1 empty
    assert m.indptr.tolist() == [0, 2, 2, 3]
    assert m.indices.tolist() == [0, 2, 1]
    assert m.data.tolist() == [3.0, 7.0, 5.0]
    assert m.to_dense().tolist() == [[3, 0, 7], [0, 0, 0], [0, 5, 0]]


def test_from_triplets_drops_explicit_and_cancelling_zeros() -> None:
    m = CsrMatrix.from_triplets(
        [0, 0, 1, 1], [0, 1, 1, 1], [0.0, 2.0, 3.0, -3.0], (2, 2)
    )
    assert m.nnz == 1
    assert m.indices.tolist() == [1] and m.data.tolist() == [2.0]
    assert m.row_lengths.tolist() == [1, 0]


@pytest.mark.parametrize("shape", SHAPES)
def test_from_triplets_equals_scipy(
    rng: np.random.Generator, shape: tuple[int, int]
) -> None:
    ours, oracle = _random(rng, shape, density=0.8)  # many duplicates
    _assert_same(ours, oracle)


@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (3, 0), (2, 2)])
def test_empty_has_no_entries(shape: tuple[int, int]) -> None:
    m = CsrMatrix.empty(shape)
    assert m.shape == shape and m.nnz == 0
    assert m.to_dense().shape == shape
    _assert_same(m, sp.csr_matrix(shape))


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([0, 1], [0], [1.0, 2.0], (2, 2)), "differ in length: 2, 1, 2"),
        (([2], [0], [1.0], (2, 2)), r"row index outside 0\.\.1"),
        (([-1], [0], [1.0], (2, 2)), "row index outside"),
        (([0], [5], [1.0], (2, 2)), r"column index outside 0\.\.1"),
        (([0], [0], [np.nan], (2, 2)), "finite"),
        (([0], [0], [np.inf], (2, 2)), "finite"),
    ],
)
def test_from_triplets_bad_input_raises(args: tuple, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        CsrMatrix.from_triplets(*args)


def test_constructor_rejects_inconsistent_arrays() -> None:
    ok = dict(
        data=np.ones(2, np.float32),
        indices=np.array([0, 1], np.int32),
        indptr=np.array([0, 1, 2], np.int64),
        shape=(2, 2),
    )
    CsrMatrix(**ok)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="indptr must have 3 entries"):
        CsrMatrix(**{**ok, "indptr": np.array([0, 2], np.int64)})  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="float32"):
        CsrMatrix(**{**ok, "data": np.ones(2)})  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="int64"):
        CsrMatrix(**{**ok, "indptr": np.array([0, 1, 2], np.int32)})  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="disagree on nnz"):
        CsrMatrix(**{**ok, "indices": np.array([0], np.int32)})  # type: ignore[arg-type]


def test_from_dense_to_dense_round_trip_hand_case() -> None:
    dense = np.array([[0, 1.5, 0], [0, 0, 0], [-2, 0, 3]])
    m = CsrMatrix.from_dense(dense)
    assert m.indptr.tolist() == [0, 1, 1, 3]
    assert m.indices.tolist() == [1, 0, 2]
    np.testing.assert_array_equal(m.to_dense(), dense.astype(np.float32))
    with pytest.raises(InvalidInputError, match="2-D array, got 1-D"):
        CsrMatrix.from_dense(np.ones(3))


# -- transforms -------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_transpose_equals_scipy(
    rng: np.random.Generator, shape: tuple[int, int]
) -> None:
    ours, oracle = _random(rng, shape)
    _assert_same(ours.transpose(), oracle.T)


@pytest.mark.parametrize("shape", SHAPES)
def test_normalize_rows_equals_scipy(
    rng: np.random.Generator, shape: tuple[int, int]
) -> None:
    ours, oracle = _random(rng, shape)
    norms = np.sqrt(np.asarray(oracle.multiply(oracle).sum(axis=1)).ravel())
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    _assert_same(ours.normalize_rows(), sp.diags(inv) @ oracle)
    got = ours.normalize_rows().row_norms()
    np.testing.assert_allclose(got, (norms > 0).astype(np.float32), atol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
def test_row_norms_equal_scipy(
    rng: np.random.Generator, shape: tuple[int, int]
) -> None:
    ours, oracle = _random(rng, shape)
    expected = np.sqrt(np.asarray(oracle.multiply(oracle).sum(axis=1)).ravel())
    got = ours.row_norms()
    assert got.shape == (shape[0],) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_normalize_rows_hand_case_keeps_empty_row_zero() -> None:
    m = CsrMatrix.from_dense([[3.0, 4.0], [0.0, 0.0], [0.0, -2.0]]).normalize_rows()
    np.testing.assert_allclose(m.to_dense(), [[0.6, 0.8], [0, 0], [0, -1]], atol=1e-7)
    assert not np.any(np.isnan(m.data))


def test_scale_rows_columns_and_map_data_equal_scipy(rng: np.random.Generator) -> None:
    ours, oracle = _random(rng, (6, 5))
    r, c = rng.normal(size=6), rng.normal(size=5)
    _assert_same(ours.scale_rows(r), sp.diags(r) @ oracle)
    _assert_same(ours.scale_columns(c), oracle @ sp.diags(c))
    _assert_same(ours.map_data(np.abs), abs(oracle))
    with pytest.raises(InvalidInputError, match="need 6 row factors, got"):
        ours.scale_rows(np.ones(5))
    with pytest.raises(InvalidInputError, match="need 5 column factors, got"):
        ours.scale_columns(np.ones(6))


@pytest.mark.parametrize("shape", SHAPES)
def test_take_rows_equals_scipy(
    rng: np.random.Generator, shape: tuple[int, int]
) -> None:
    ours, oracle = _random(rng, shape)
    picks = rng.integers(0, shape[0], 9) if shape[0] else np.zeros(0, np.int64)
    picks = np.r_[picks, picks[:2]]  # repeats
    _assert_same(ours.take_rows(picks), oracle[picks])
    assert ours.take_rows([]).shape == (0, shape[1])


def test_take_rows_out_of_range_raises() -> None:
    m = CsrMatrix.from_dense(np.eye(3))
    with pytest.raises(InvalidInputError, match=r"row index outside 0\.\.2"):
        m.take_rows([0, 3])


# -- products ---------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_dot_vector_equals_scipy(
    rng: np.random.Generator, shape: tuple[int, int]
) -> None:
    ours, oracle = _random(rng, shape)
    x = rng.normal(size=shape[1])
    got = ours.dot(x)
    assert got.shape == (shape[0],) and got.dtype == np.float32
    np.testing.assert_allclose(got, oracle @ x, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("width", [0, 1, 4])
def test_dot_dense_equals_scipy(
    rng: np.random.Generator, shape: tuple[int, int], width: int
) -> None:
    ours, oracle = _random(rng, shape)
    x = rng.normal(size=(shape[1], width))
    got = ours.dot(x)
    assert got.shape == (shape[0], width) and got.dtype == np.float32
    np.testing.assert_allclose(got, oracle @ x, rtol=1e-5, atol=1e-5)


def test_dot_dense_rows_split_across_blocks_equal_scipy(
    rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, oracle = _random(rng, (30, 20), density=0.5)
    monkeypatch.setattr(sparse_module, "_DENSE_BLOCK_NNZ", 7)  # rows straddle blocks
    x = rng.normal(size=(20, 3))
    np.testing.assert_allclose(ours.dot(x), oracle @ x, rtol=1e-5, atol=1e-5)


def test_dot_hand_case() -> None:
    m = CsrMatrix.from_dense([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [0.0, 3.0, 0.0]])
    assert m.dot([1.0, 10.0, 100.0]).tolist() == [201.0, 0.0, 30.0]
    assert m.dot(np.eye(3)).tolist() == m.to_dense().tolist()


@pytest.mark.parametrize("x_shape", [(2,), (4,), (2, 2), (3, 1, 1), ()])
def test_dot_wrong_shape_raises(x_shape: tuple[int, ...]) -> None:
    m = CsrMatrix.from_dense(np.ones((2, 3)))
    with pytest.raises(InvalidInputError, match=r"cannot multiply a \(2, 3\) matrix"):
        m.dot(np.ones(x_shape))


@pytest.mark.parametrize("shape", SHAPES)
def test_weighted_row_sum_equals_scipy(
    rng: np.random.Generator, shape: tuple[int, int]
) -> None:
    ours, oracle = _random(rng, shape)
    rows = rng.integers(0, shape[0], 6) if shape[0] else np.zeros(0, np.int64)
    w = rng.normal(size=len(rows))
    got = ours.weighted_row_sum(rows, w)
    assert got.shape == (shape[1],) and got.dtype == np.float32
    np.testing.assert_allclose(got, w @ oracle[rows].toarray(), rtol=1e-5, atol=1e-6)
    unweighted = np.asarray(oracle[rows].sum(axis=0)).ravel()
    np.testing.assert_allclose(
        ours.weighted_row_sum(rows), unweighted, rtol=1e-5, atol=1e-6
    )


def test_weighted_row_sum_bad_input_raises() -> None:
    m = CsrMatrix.from_dense(np.eye(3))
    with pytest.raises(InvalidInputError, match="differ in length"):
        m.weighted_row_sum([0, 1], [1.0])
    with pytest.raises(InvalidInputError, match=r"row index outside 0\.\.2"):
        m.weighted_row_sum([3])


# -- persistence ------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_to_arrays_round_trip_through_npz(
    rng: np.random.Generator, shape: tuple[int, int], tmp_path: Path
) -> None:
    ours, oracle = _random(rng, shape)
    path = tmp_path / "m.npz"
    np.savez(path, **ours.to_arrays("m"))
    with np.load(path, allow_pickle=False) as arrays:
        back = CsrMatrix.from_arrays(arrays, "m")
    _assert_same(back, oracle)


def _corrupt(m: CsrMatrix, key: str, value: np.ndarray) -> dict[str, np.ndarray]:
    arrays = m.to_arrays("m")
    arrays[f"m_{key}"] = value
    return arrays


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("shape", np.array([3], np.int64), "not 2-D"),
        ("indices", np.array([0, 9, 1], np.int32), "column index out of range"),
        ("indices", np.array([0, -1, 1], np.int32), "column index out of range"),
        ("indptr", np.array([0, 2, 1, 3], np.int64), "not non-decreasing"),
        ("indptr", np.array([1, 1, 2, 3], np.int64), "must start at 0"),
        ("indices", np.array([1, 0, 1], np.int32), "not strictly increasing"),
        ("indices", np.array([0, 0, 1], np.int32), "not strictly increasing"),
        ("data", np.ones(3), "float32"),
    ],
)
def test_from_arrays_corrupted_raises(key: str, value: np.ndarray, match: str) -> None:
    m = CsrMatrix.from_dense([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert m.indices.tolist() == [0, 1, 1] and m.indptr.tolist() == [0, 2, 2, 3]
    with pytest.raises(InvalidInputError, match=match):
        CsrMatrix.from_arrays(_corrupt(m, key, value), "m")


# -- properties -------------------------------------------------------------------

DENSE = hnp.arrays(
    np.float64,
    st.tuples(st.integers(0, 6), st.integers(0, 6)),
    elements=st.sampled_from([0.0, 0.0, 0.0, 1.0, -2.5, 0.125, 3.0]),
)


@settings(max_examples=200, deadline=None)
@given(DENSE)
def test_csr_dense_csr_round_trip_is_identity(dense: np.ndarray) -> None:
    m = CsrMatrix.from_dense(dense)
    np.testing.assert_array_equal(m.to_dense(), dense.astype(np.float32))
    again = CsrMatrix.from_dense(m.to_dense())
    np.testing.assert_array_equal(again.data, m.data)
    np.testing.assert_array_equal(again.indices, m.indices)
    np.testing.assert_array_equal(again.indptr, m.indptr)
    assert again.shape == m.shape == dense.shape


@settings(max_examples=200, deadline=None)
@given(DENSE)
def test_transpose_twice_is_identity(dense: np.ndarray) -> None:
    m = CsrMatrix.from_dense(dense)
    t = m.transpose()
    np.testing.assert_array_equal(t.to_dense(), m.to_dense().T)
    tt = t.transpose()
    np.testing.assert_array_equal(tt.data, m.data)
    np.testing.assert_array_equal(tt.indices, m.indices)
    np.testing.assert_array_equal(tt.indptr, m.indptr)
    assert tt.shape == m.shape


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 5),
    st.integers(1, 5),
    st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(-3, 3)), max_size=25
    ),
)
def test_from_triplets_sums_duplicates_like_dense(
    n_rows: int, n_cols: int, triplets: list[tuple[int, int, int]]
) -> None:
    kept = [(r, c, v) for r, c, v in triplets if r < n_rows and c < n_cols]
    expected = np.zeros((n_rows, n_cols))
    for r, c, v in kept:
        expected[r, c] += v
    rows, cols, vals = (
        (list(x) for x in zip(*kept, strict=True)) if kept else ([], [], [])
    )
    m = CsrMatrix.from_triplets(rows, cols, vals, (n_rows, n_cols))
    np.testing.assert_array_equal(m.to_dense(), expected)
    assert np.all(m.data != 0)
    for i in range(n_rows):
        assert np.all(np.diff(m.row(i)[0]) > 0)
