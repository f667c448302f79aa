"""Compressed sparse row matrices in plain NumPy.

Just the operations the engines need, so the installer carries no SciPy:
building from triplets, transposing (an inverted index is the transpose of the
item x term matrix), row normalisation, products with dense vectors and matrices,
weighted sums of rows and row slicing.

Layout: row ``i`` holds ``data[indptr[i]:indptr[i+1]]`` at columns
``indices[indptr[i]:indptr[i+1]]``; within a row the columns are strictly
increasing (no duplicates). ``data`` is float32, ``indices`` int32, ``indptr``
int64. Sums are accumulated in float64 and returned as float32.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.errors import InvalidInputError

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]

# Rows per block when multiplying by a dense matrix: bounds the temporary
# (block nnz x n_cols_of_dense) buffer to a few MB.
_DENSE_BLOCK_NNZ = 1 << 18


@dataclass(frozen=True, eq=False)
class CsrMatrix:
    """An immutable CSR matrix.

    Use :meth:`from_triplets` or :meth:`from_dense` rather than the constructor,
    which checks the arrays but does not sort or merge them.
    """

    data: FloatArray
    indices: IntArray
    indptr: npt.NDArray[np.int64]
    shape: tuple[int, int]

    def __post_init__(self) -> None:
        n_rows, n_cols = self.shape
        if n_rows < 0 or n_cols < 0:
            raise InvalidInputError(f"shape must be non-negative, got {self.shape}")
        if self.indptr.shape != (n_rows + 1,):
            raise InvalidInputError(
                f"indptr must have {n_rows + 1} entries, got {self.indptr.shape}"
            )
        if len(self.data) != len(self.indices) or self.indptr[-1] != len(self.data):
            raise InvalidInputError("data, indices and indptr[-1] disagree on nnz")
        if self.data.dtype != np.float32 or self.indices.dtype != np.int32:
            raise InvalidInputError("data must be float32 and indices int32")
        if self.indptr.dtype != np.int64:
            raise InvalidInputError("indptr must be int64")

    # -- construction -----------------------------------------------------------

    @classmethod
    def empty(cls, shape: tuple[int, int]) -> CsrMatrix:
        return cls(
            np.zeros(0, np.float32),
            np.zeros(0, np.int32),
            np.zeros(shape[0] + 1, np.int64),
            (int(shape[0]), int(shape[1])),
        )

    @classmethod
    def from_triplets(
        cls,
        rows: npt.ArrayLike,
        cols: npt.ArrayLike,
        values: npt.ArrayLike,
        shape: tuple[int, int],
    ) -> CsrMatrix:
        """Build from coordinates; duplicate ``(row, col)`` entries are summed.

        Explicit zeros (also those produced by summing) are kept out.
        """
        r = np.asarray(rows, dtype=np.int64).ravel()
        c = np.asarray(cols, dtype=np.int64).ravel()
        v = np.asarray(values, dtype=np.float64).ravel()
        n_rows, n_cols = int(shape[0]), int(shape[1])
        if not (len(r) == len(c) == len(v)):
            raise InvalidInputError(
                f"rows, cols and values differ in length: {len(r)}, {len(c)}, {len(v)}"
            )
        if len(r) and (r.min() < 0 or r.max() >= n_rows):
            raise InvalidInputError(f"row index outside 0..{n_rows - 1}")
        if len(c) and (c.min() < 0 or c.max() >= n_cols):
            raise InvalidInputError(f"column index outside 0..{n_cols - 1}")
        if not np.all(np.isfinite(v)):
            raise InvalidInputError("values must be finite")

        key = r * max(n_cols, 1) + c
        order = np.argsort(key, kind="stable")
        key = key[order]
        v = v[order]
        if len(key):
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            v = np.add.reduceat(v, starts)
            key = key[starts]
        keep = v != 0
        key, v = key[keep], v[keep]
        r_sorted = key // max(n_cols, 1)
        c_sorted = key - r_sorted * max(n_cols, 1)
        indptr = np.zeros(n_rows + 1, np.int64)
        np.cumsum(np.bincount(r_sorted, minlength=n_rows), out=indptr[1:])
        return cls(
            v.astype(np.float32), c_sorted.astype(np.int32), indptr, (n_rows, n_cols)
        )

    @classmethod
    def from_dense(cls, dense: npt.ArrayLike) -> CsrMatrix:
        a = np.asarray(dense, dtype=np.float64)
        if a.ndim != 2:
            raise InvalidInputError(f"expected a 2-D array, got {a.ndim}-D")
        r, c = np.nonzero(a)
        return cls.from_triplets(r, c, a[r, c], a.shape)

    # -- inspection -------------------------------------------------------------

    @property
    def nnz(self) -> int:
        return len(self.data)

    @cached_property
    def row_of_entry(self) -> npt.NDArray[np.int64]:
        """Row index of every stored entry (the COO row array), computed once."""
        return np.repeat(np.arange(self.shape[0], dtype=np.int64), self.row_lengths)

    @property
    def row_lengths(self) -> npt.NDArray[np.int64]:
        return np.diff(self.indptr)

    def row(self, i: int) -> tuple[IntArray, FloatArray]:
        """Column indices and values of row ``i`` (views, do not modify)."""
        a, b = self.indptr[i], self.indptr[i + 1]
        return self.indices[a:b], self.data[a:b]

    def to_dense(self) -> FloatArray:
        out = np.zeros(self.shape, np.float32)
        out[self.row_of_entry, self.indices] = self.data
        return out

    def row_norms(self) -> FloatArray:
        sq = np.bincount(
            self.row_of_entry,
            weights=self.data.astype(np.float64) ** 2,
            minlength=self.shape[0],
        )
        return np.sqrt(sq).astype(np.float32)

    # -- transforms -------------------------------------------------------------

    def transpose(self) -> CsrMatrix:
        """The transpose, also in CSR (columns become rows)."""
        n_rows, n_cols = self.shape
        # Rows are visited in order, so a stable sort by column keeps each new
        # row's columns (the old row numbers) increasing.
        order = np.argsort(self.indices, kind="stable")
        indptr = np.zeros(n_cols + 1, np.int64)
        np.cumsum(np.bincount(self.indices, minlength=n_cols), out=indptr[1:])
        return CsrMatrix(
            self.data[order],
            self.row_of_entry[order].astype(np.int32),
            indptr,
            (n_cols, n_rows),
        )

    def normalize_rows(self) -> CsrMatrix:
        """Rows scaled to unit L2 norm; all-zero rows stay all-zero."""
        norms = self.row_norms().astype(np.float64)
        inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        return self.scale_rows(inv)

    def scale_rows(self, factors: npt.ArrayLike) -> CsrMatrix:
        f = np.asarray(factors, dtype=np.float64)
        if f.shape != (self.shape[0],):
            raise InvalidInputError(f"need {self.shape[0]} row factors, got {f.shape}")
        data = (self.data * f[self.row_of_entry]).astype(np.float32)
        return CsrMatrix(data, self.indices, self.indptr, self.shape)

    def scale_columns(self, factors: npt.ArrayLike) -> CsrMatrix:
        f = np.asarray(factors, dtype=np.float64)
        if f.shape != (self.shape[1],):
            raise InvalidInputError(
                f"need {self.shape[1]} column factors, got {f.shape}"
            )
        data = (self.data * f[self.indices]).astype(np.float32)
        return CsrMatrix(data, self.indices, self.indptr, self.shape)

    def map_data(self, func: np.ufunc) -> CsrMatrix:
        """Apply an elementwise function to the stored values (e.g. ``np.log1p``)."""
        data = np.asarray(func(self.data), dtype=np.float32)
        return CsrMatrix(data, self.indices, self.indptr, self.shape)

    def take_rows(self, rows: npt.ArrayLike) -> CsrMatrix:
        """A new matrix made of the given rows, in the given order."""
        idx = np.asarray(rows, dtype=np.int64).ravel()
        if len(idx) and (idx.min() < 0 or idx.max() >= self.shape[0]):
            raise InvalidInputError(f"row index outside 0..{self.shape[0] - 1}")
        positions, lengths = self._gather(idx)
        indptr = np.zeros(len(idx) + 1, np.int64)
        np.cumsum(lengths, out=indptr[1:])
        return CsrMatrix(
            self.data[positions],
            self.indices[positions],
            indptr,
            (len(idx), self.shape[1]),
        )

    # -- products ---------------------------------------------------------------

    def dot(self, x: npt.ArrayLike) -> FloatArray:
        """``self @ x`` for a dense vector ``(n_cols,)`` or matrix ``(n_cols, d)``."""
        x = np.asarray(x)
        if x.shape[:1] != (self.shape[1],) or x.ndim > 2:
            raise InvalidInputError(
                f"cannot multiply a {self.shape} matrix by an array of shape {x.shape}"
            )
        if x.ndim == 1:
            prod = self.data.astype(np.float64) * x[self.indices]
            out = np.bincount(self.row_of_entry, weights=prod, minlength=self.shape[0])
            return out.astype(np.float32)
        return self._dot_dense(x.astype(np.float32, copy=False))

    def _dot_dense(self, x: FloatArray) -> FloatArray:
        n_rows = self.shape[0]
        out = np.zeros((n_rows, x.shape[1]), np.float32)
        if self.nnz == 0 or x.shape[1] == 0:
            return out
        rows = self.row_of_entry
        start = 0
        while start < self.nnz:
            stop = min(self.nnz, start + _DENSE_BLOCK_NNZ)
            contrib = self.data[start:stop, None] * x[self.indices[start:stop]]
            # reduceat over the run boundaries of the (sorted) row array is much
            # faster than np.add.at.
            r = rows[start:stop]
            bounds = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
            out[r[bounds]] += np.add.reduceat(contrib, bounds, axis=0)
            start = stop
        return out

    def weighted_row_sum(
        self, rows: npt.ArrayLike, weights: npt.ArrayLike | None = None
    ) -> FloatArray:
        """``sum_k weights[k] * self[rows[k], :]`` as a dense ``(n_cols,)`` vector.

        On an inverted index (terms x items) this scores every item against a
        sparse query touching only the query terms' posting lists.
        """
        idx = np.asarray(rows, dtype=np.int64).ravel()
        w = np.ones(len(idx)) if weights is None else np.asarray(weights, np.float64)
        if w.shape != idx.shape:
            raise InvalidInputError("rows and weights differ in length")
        if len(idx) and (idx.min() < 0 or idx.max() >= self.shape[0]):
            raise InvalidInputError(f"row index outside 0..{self.shape[0] - 1}")
        positions, lengths = self._gather(idx)
        contrib = self.data[positions] * np.repeat(w, lengths)
        out = np.bincount(
            self.indices[positions], weights=contrib, minlength=self.shape[1]
        )
        return out.astype(np.float32)

    def _gather(
        self, rows: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Positions in ``data`` of the entries of ``rows`` and each row's length."""
        starts = self.indptr[rows]
        lengths = self.indptr[rows + 1] - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(0, np.int64), lengths
        offsets = np.cumsum(lengths) - lengths
        positions = np.arange(total, dtype=np.int64) + np.repeat(
            starts - offsets, lengths
        )
        return positions, lengths

    # -- persistence ------------------------------------------------------------

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """Arrays for ``np.savez`` under ``prefix``; see :meth:`from_arrays`."""
        return {
            f"{prefix}_data": self.data,
            f"{prefix}_indices": self.indices,
            f"{prefix}_indptr": self.indptr,
            f"{prefix}_shape": np.asarray(self.shape, np.int64),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> CsrMatrix:
        shape = tuple(int(s) for s in arrays[f"{prefix}_shape"])
        if len(shape) != 2:
            raise InvalidInputError(f"{prefix}: stored shape is not 2-D")
        m = cls(
            np.asarray(arrays[f"{prefix}_data"]),
            np.asarray(arrays[f"{prefix}_indices"]),
            np.asarray(arrays[f"{prefix}_indptr"]),
            (shape[0], shape[1]),
        )
        if m.nnz and (m.indices.min() < 0 or m.indices.max() >= m.shape[1]):
            raise InvalidInputError(f"{prefix}: column index out of range")
        if m.indptr[0] != 0:
            raise InvalidInputError(f"{prefix}: indptr must start at 0")
        if np.any(np.diff(m.indptr) < 0):
            raise InvalidInputError(f"{prefix}: indptr is not non-decreasing")
        # Within a row the columns rise strictly; a drop is allowed only where a
        # new row starts.
        falls = np.flatnonzero(np.diff(m.indices.astype(np.int64)) <= 0) + 1
        if len(np.setdiff1d(falls, m.indptr)):
            raise InvalidInputError(
                f"{prefix}: column indices within a row are not strictly increasing"
            )
        return m
