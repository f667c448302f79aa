"""The row solves of implicit ALS: padded row layout, CG and exact half-steps.

Every row ``u`` of a half-step solves ``(G + Y_u^T (C_u - I) Y_u + lambda I) x_u =
Y_u^T c_u`` with ``G = Y^T Y`` shared. The stored entries are laid out once per
training run (:class:`RowLayout`): rows with entries sorted by length and cut
into groups of similar length, each padded to a dense ``(rows, length)`` block
of column indices. Per half-step the fixed factors are gathered into
``(rows, length, f)`` arrays, and every product with ``Y_u`` is an ``einsum``
over one group: no segment sums (``np.add.reduceat`` is slow on short rows) and
no Python loop over rows. Padding entries carry weight 0. Rows without entries
are never visited; their solution is 0.

BLAS threads: on a loaded machine a threaded OpenBLAS call was measured 10-40x
slower than the same call on one thread (18-40 ms against 1.3 ms for a
17,632 x 64 by 64 x 64 product). OpenBLAS runs a GEMM whose ``m * n * k`` is at
most 262,144 on the calling thread, so the dense products here go through
:func:`small_gemm` and :func:`gram`, which cut them into stacks of 64-row
products (``64 * 64 * 64 = 262,144`` at 64 factors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.sparse import CsrMatrix

FloatArray = npt.NDArray[np.float32]

# Padded entries per group and per solved block: bounds the gathered
# (rows, length, f) arrays to a few MB (group) and ~64 MB (block) at 64 factors.
_GROUP_ENTRIES = 1 << 14
_BLOCK_ENTRIES = 1 << 18
# A group's rows are at least this fraction of its longest row: <= 1/0.77 padding.
_MIN_FILL = 0.77
# Rows per stacked product: keeps m * n * k <= 262,144 at f <= 64 (see above).
_GEMM_ROWS = 64
# Rows per exact solve: bounds the stacked (rows, f, f) float64 systems.
_EXACT_ROWS = 256


@dataclass(frozen=True)
class _Group:
    """Rows of similar length, padded: ``cols``/``values`` are ``(rows, length)``."""

    cols: npt.NDArray[np.int32]
    values: FloatArray  # 0 in padding
    mask: npt.NDArray[np.bool_]


class RowLayout:
    """The stored entries of a matrix's non-empty rows in padded groups.

    Attributes
    ----------
    rows : ndarray of int64
        The non-empty rows in group order (longest first); solutions come back
        in this order.
    blocks : list of (start, stop, groups)
        Consecutive slices of ``rows`` solved together, each with its groups.
    """

    def __init__(self, matrix: CsrMatrix) -> None:
        lengths = matrix.row_lengths
        nonempty = np.flatnonzero(lengths > 0)
        order = nonempty[np.argsort(-lengths[nonempty], kind="stable")]
        self.rows: npt.NDArray[np.int64] = order.astype(np.int64)
        self.n_rows = matrix.shape[0]
        self.buffer: FloatArray | None = None
        sizes = lengths[order]
        self.blocks: list[tuple[int, int, list[_Group]]] = []
        groups: list[_Group] = []
        block_start, block_entries, i = 0, 0, 0
        while i < len(order):
            longest = int(sizes[i])
            cap = min(len(order), i + max(1, _GROUP_ENTRIES // longest))
            # sizes fall, so the rows still filled enough are a prefix of i:cap
            stop = i + int(
                np.searchsorted(-sizes[i:cap], -_MIN_FILL * longest, "right")
            )
            stop = max(stop, i + 1)
            if groups and block_entries + (stop - i) * longest > _BLOCK_ENTRIES:
                self.blocks.append((block_start, i, groups))
                groups, block_start, block_entries = [], i, 0
            groups.append(_pad(matrix, order[i:stop], longest))
            block_entries += (stop - i) * longest
            i = stop
        if groups:
            self.blocks.append((block_start, len(order), groups))


def _pad(matrix: CsrMatrix, rows: npt.NDArray[np.int64], longest: int) -> _Group:
    starts = matrix.indptr[rows]
    lengths = matrix.indptr[rows + 1] - starts
    offsets = np.arange(longest)
    mask = offsets[None, :] < lengths[:, None]
    # CSR: row r's entries are data[indptr[r]:indptr[r+1]]; padding points at 0.
    pos = np.where(mask, starts[:, None] + offsets[None, :], 0)
    values = np.where(mask, matrix.data[pos], np.float32(0)).astype(np.float32)
    return _Group(matrix.indices[pos], values, mask)


def small_gemm(a: FloatArray, b: FloatArray) -> FloatArray:
    """``a @ b`` for tall ``a`` as a stack of single-threaded 64-row products."""
    n, k = a.shape
    out = np.empty((n, b.shape[1]), np.float32)
    full = n - n % _GEMM_ROWS
    if full:
        stack = a[:full].reshape(-1, _GEMM_ROWS, k)
        np.matmul(stack, b, out=out[:full].reshape(-1, _GEMM_ROWS, b.shape[1]))
    if full < n:
        out[full:] = a[full:] @ b
    return out


def gram(
    y: FloatArray,
    rows: npt.NDArray[np.int64] | None = None,
    weights: npt.NDArray[np.floating] | None = None,
) -> FloatArray:
    """``Y^T W Y`` (over ``rows`` of ``y`` only, if given) as float32 ``(f, f)``.

    ``W`` is ``diag(weights)``, default the identity. 64-row products in
    float32, summed in float64.
    """
    sub = y if rows is None else y[rows]
    n, f = sub.shape
    left = sub if weights is None else sub * weights.astype(np.float32)[:, None]
    total = np.zeros((f, f))
    full = n - n % _GEMM_ROWS
    if full:
        stack = sub[:full].reshape(-1, _GEMM_ROWS, f)
        stack_t = np.ascontiguousarray(
            left[:full].reshape(-1, _GEMM_ROWS, f).transpose(0, 2, 1)
        )
        total += np.matmul(stack_t, stack).sum(axis=0, dtype=np.float64)
    if full < n:
        total += left[full:].T.astype(np.float64) @ sub[full:].astype(np.float64)
    return total.astype(np.float32)


def _gathered(
    layout: RowLayout, groups: list[_Group], fixed: FloatArray
) -> Iterator[tuple[FloatArray, _Group]]:
    """Each group's fixed factors ``(rows, length, f)``, in a buffer kept on the
    layout: refilling it every half-step saves the page faults of a fresh one."""
    f = fixed.shape[1]
    need = max(sum(g.cols.size for g in b[2]) for b in layout.blocks) * f
    if layout.buffer is None or layout.buffer.size < need:
        layout.buffer = np.empty(need, np.float32)
    offset = 0
    for g in groups:
        n = g.cols.size * f
        view = layout.buffer[offset : offset + n].reshape(*g.cols.shape, f)
        np.take(fixed, g.cols, axis=0, out=view)
        offset += n
        yield view, g


def cg_half_step(
    layout: RowLayout,
    fixed: FloatArray,
    current: FloatArray,
    fixed_gram: FloatArray,
    regularization: float,
    confidence: float,
    steps: int,
) -> FloatArray:
    """``steps`` CG steps per non-empty row, warm-started from ``current``.

    Returns new float32 ``(n_rows, f)`` factors; rows without entries are 0.
    """
    f = fixed.shape[1]
    out = np.zeros((layout.n_rows, f), np.float32)
    reg = np.float32(regularization)
    conf = np.float32(confidence)
    for start, stop, groups in layout.blocks:
        ys = list(_gathered(layout, groups, fixed))
        extra = [conf * g.values for _, g in ys]  # c - 1, 0 in padding
        bounds = np.cumsum([0] + [len(g.cols) for g in groups])

        apply = partial(
            _apply, ys=ys, extra=extra, bounds=bounds, g=fixed_gram, reg=reg
        )
        rhs = np.empty((stop - start, f), np.float32)
        for (y, g), w, a, b in zip(ys, extra, bounds[:-1], bounds[1:], strict=True):
            rhs[a:b] = np.einsum("blf,bl->bf", y, np.where(g.mask, 1 + w, 0))
        x = current[layout.rows[start:stop]]
        out[layout.rows[start:stop]] = _cg(apply, x, rhs, steps)
    return out


def _apply(
    p: FloatArray,
    *,
    ys: list[tuple[FloatArray, _Group]],
    extra: list[FloatArray],
    bounds: npt.NDArray[np.int64],
    g: FloatArray,
    reg: np.float32,
) -> FloatArray:
    """``(G + lambda I) p + Y_u^T (C_u - I) Y_u p`` for every row, group by group."""
    res = small_gemm(p, g)
    res += reg * p
    for (y, _), w, a, b in zip(ys, extra, bounds[:-1], bounds[1:], strict=True):
        along = np.einsum("blf,bf->bl", y, p[a:b])
        res[a:b] += np.einsum("blf,bl->bf", y, w * along)
    return res


def _cg(
    apply: Callable[[FloatArray], FloatArray],
    x: FloatArray,
    rhs: FloatArray,
    steps: int,
) -> FloatArray:
    """Conjugate gradients on every row at once (one system per row)."""
    r = rhs - apply(x)
    p = r.copy()
    rs = np.einsum("rf,rf->r", r, r, dtype=np.float64)
    for _ in range(steps):
        ap = apply(p)
        pap = np.einsum("rf,rf->r", p, ap, dtype=np.float64)
        step = np.divide(rs, pap, out=np.zeros_like(rs), where=pap > 0)
        x += step.astype(np.float32)[:, None] * p
        r -= step.astype(np.float32)[:, None] * ap
        rs_new = np.einsum("rf,rf->r", r, r, dtype=np.float64)
        beta = np.divide(rs_new, rs, out=np.zeros_like(rs), where=rs > 0)
        p = r + beta.astype(np.float32)[:, None] * p
        rs = rs_new
    return x


def exact_half_step(
    layout: RowLayout,
    fixed: FloatArray,
    fixed_gram: npt.NDArray[np.float64],
    regularization: float,
    confidence: float,
) -> FloatArray:
    """Every non-empty row's system solved directly in float64; others are 0."""
    f = fixed.shape[1]
    out = np.zeros((layout.n_rows, f), np.float32)
    base = fixed_gram + regularization * np.eye(f)
    fixed64 = fixed.astype(np.float64)
    for start, _stop, groups in layout.blocks:
        first = start
        for g in groups:
            for a in range(0, len(g.cols), _EXACT_ROWS):
                cols, vals = g.cols[a : a + _EXACT_ROWS], g.values[a : a + _EXACT_ROWS]
                mask = g.mask[a : a + _EXACT_ROWS]
                y = fixed64[cols]  # (rows, length, f)
                extra = confidence * vals.astype(np.float64)
                systems = base + np.matmul(y.transpose(0, 2, 1), extra[:, :, None] * y)
                rhs = np.einsum("blf,bl->bf", y, np.where(mask, 1.0 + extra, 0.0))
                solved = np.linalg.solve(systems, rhs[:, :, None])[:, :, 0]
                out[layout.rows[first + a : first + a + len(cols)]] = solved
            first += len(g.cols)
    return out
