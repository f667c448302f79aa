"""Implicit-feedback ALS (Hu, Koren and Volinsky, ICDM 2008) in plain NumPy.

For a users x items matrix of non-negative values ``r``, preferences are
``p_ui = 1`` where ``r_ui > 0`` and 0 elsewhere, with confidence
``c_ui = 1 + confidence * r_ui``. ALS minimises::

    sum_{u,i} c_ui (p_ui - x_u . y_i)^2 + regularization (|X|^2 + |Y|^2)

by solving for every user with the items fixed, then for every item with the
users fixed. Each row's system is ``(Y^T Y + Y_u^T (C_u - I) Y_u + lambda I) x_u
= Y_u^T c_u``: the dense ``Y^T Y`` is shared and only the row's stored entries
add to it, so no users x items matrix is ever formed.

Two solvers:

* ``cg_steps=k`` (default 3): ``k`` conjugate-gradient steps per row, warm-started
  from the previous factors (Takacs, Pilaszy and Tikk, RecSys 2011). All rows of
  a block are iterated together; every product goes through the block's stored
  entries.
* ``cg_steps=None``: an exact direct solve of every row's system in float64.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.factors import FactorModel, FloatArray
from inkpick_desktop.engine.progress import CancelToken, ProgressCallback
from inkpick_desktop.engine.sparse import CsrMatrix

logger = logging.getLogger(__name__)

#: Standard deviation of the random initial factors.
INIT_SCALE = 0.01
# Stored entries per block: bounds the (entries x factors) temporaries of the CG
# solver to a few tens of MB at 64 factors.
_BLOCK_NNZ = 1 << 16
# Rows per block of the exact solver: bounds the stacked (rows, f, f) systems.
_EXACT_BLOCK_ROWS = 256


@dataclass(frozen=True)
class AlsConfig:
    """Settings of :class:`AlsModel`."""

    #: Number of latent factors f.
    factors: int = 64
    #: lambda, added to every row's system; must be > 0 so it is always solvable.
    regularization: float = 0.05
    #: alpha in c_ui = 1 + alpha * r_ui; 0 gives unweighted least squares.
    confidence: float = 10.0
    #: Alternating sweeps (one user half-step plus one item half-step each).
    iterations: int = 15
    #: CG steps per row and half-step; None solves every row exactly.
    cg_steps: int | None = 3
    #: Seed of the initial factors.
    seed: int = 0

    def __post_init__(self) -> None:
        _positive_int("factors", self.factors)
        _positive_int("iterations", self.iterations)
        if self.cg_steps is not None:
            _positive_int("cg_steps", self.cg_steps)
        if (
            isinstance(self.seed, bool)
            or not isinstance(self.seed, int)
            or self.seed < 0
        ):
            raise InvalidInputError(f"seed must be an int >= 0, got {self.seed!r}")
        if not _finite_number(self.regularization) or self.regularization <= 0:
            raise InvalidInputError(
                "regularization must be a finite number > 0 (0 would leave rows "
                f"without data unsolvable), got {self.regularization!r}"
            )
        if not _finite_number(self.confidence) or self.confidence < 0:
            raise InvalidInputError(
                f"confidence must be a finite number >= 0, got {self.confidence!r}"
            )


def _positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{name} must be a positive int, got {value!r}")


def _finite_number(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


class AlsModel(FactorModel):
    """Implicit ALS factors; see the module docstring and :class:`FactorModel`.

    Fold-in is the exact weighted least-squares user solve against the fixed
    item factors with this model's ``confidence`` and ``regularization``.

    Examples
    --------
    >>> from inkpick_desktop.engine.sparse import CsrMatrix
    >>> m = CsrMatrix.from_dense([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]])
    >>> model = AlsModel.fit(m, AlsConfig(factors=2, iterations=10))
    >>> model.recommend(model.fold_in([0]), 1, seen=[0])[0].tolist()
    [1]
    """

    kind = "als"
    stage = "training ALS"
    _config_type = AlsConfig
    config: AlsConfig

    @classmethod
    def _train(
        cls,
        matrix: CsrMatrix,
        config: AlsConfig,
        progress: ProgressCallback,
        cancel: CancelToken,
    ) -> tuple[FloatArray, FloatArray]:
        rng = np.random.default_rng(config.seed)
        n_users, n_items = matrix.shape
        users = (rng.standard_normal((n_users, config.factors)) * INIT_SCALE).astype(
            np.float32
        )
        items = (rng.standard_normal((n_items, config.factors)) * INIT_SCALE).astype(
            np.float32
        )
        by_item = matrix.transpose()

        progress(cls.stage, 0.0)
        for it in range(config.iterations):
            cancel.raise_if_cancelled(cls.stage)
            users = solve_side(matrix, items, users, config, cancel)
            items = solve_side(by_item, users, items, config, cancel)
            progress(cls.stage, (it + 1) / config.iterations)
            logger.debug("ALS iteration %d of %d", it + 1, config.iterations)
        return users, items

    def _fold_in_confidence(self) -> float:
        return float(self.config.confidence)

    def _fold_in_regularization(self) -> float:
        return float(self.config.regularization)


MODEL_CLASS = AlsModel


def solve_side(
    matrix: CsrMatrix,
    fixed: FloatArray,
    current: FloatArray,
    config: AlsConfig,
    cancel: CancelToken | None = None,
) -> FloatArray:
    """One ALS half-step: new factors for every row of ``matrix``.

    Parameters
    ----------
    matrix
        Rows to solve for x the fixed side, e.g. users x items.
    fixed
        Factors of the columns, float32 ``(n_cols, f)``.
    current
        Present factors of the rows, float32 ``(n_rows, f)`` (the CG warm start).
    config
        Supplies regularization, confidence and cg_steps.

    Returns
    -------
    ndarray of float32, shape (n_rows, f)
    """
    y64 = fixed.astype(np.float64)
    gram = y64.T @ y64
    out = np.array(current, dtype=np.float32, copy=True)
    for start, stop in _blocks(matrix.indptr, config.cg_steps is None):
        if cancel is not None:
            cancel.raise_if_cancelled("training ALS")
        if config.cg_steps is None:
            out[start:stop] = _exact_block(matrix, fixed, gram, start, stop, config)
        else:
            out[start:stop] = _cg_block(
                matrix, fixed, gram.astype(np.float32), out, start, stop, config
            )
    return out


def _blocks(indptr: npt.NDArray[np.int64], exact: bool) -> list[tuple[int, int]]:
    """Consecutive row ranges holding at most about ``_BLOCK_NNZ`` entries."""
    n_rows = len(indptr) - 1
    blocks = []
    start = 0
    while start < n_rows:
        stop = (
            int(np.searchsorted(indptr, indptr[start] + _BLOCK_NNZ, side="right")) - 1
        )
        stop = min(max(stop, start + 1), n_rows)
        if exact:
            stop = min(stop, start + _EXACT_BLOCK_ROWS)
        blocks.append((start, stop))
        start = stop
    return blocks


class _Block:
    """The stored entries of rows ``start:stop`` with their fixed-side factors."""

    def __init__(
        self, matrix: CsrMatrix, fixed: npt.NDArray[np.floating], start: int, stop: int
    ) -> None:
        a, b = int(matrix.indptr[start]), int(matrix.indptr[stop])
        lengths = np.diff(matrix.indptr[start : stop + 1])
        self.n_rows = stop - start
        self.cols = matrix.indices[a:b]
        self.values = matrix.data[a:b].astype(np.float64)
        self.rows = np.repeat(np.arange(self.n_rows), lengths)
        self.nonempty = np.flatnonzero(lengths > 0)
        # CSR: row r's entries start at indptr[r]; reduceat wants those offsets
        # for the rows that have entries.
        self.bounds = (matrix.indptr[start:stop] - a)[self.nonempty]
        self.yg = fixed[self.cols]  # (entries, f)
        # reduceat along the last axis of an (f, entries) array is several times
        # faster than along axis 0 of (entries, f), so keep both layouts.
        self.yg_t = np.ascontiguousarray(self.yg.T)

    def weighted_sums(self, weights: np.ndarray) -> np.ndarray:
        """``sum_e weights[e] * y_e`` within each row -> (n_rows, f)."""
        f = self.yg.shape[1]
        out = np.zeros((self.n_rows, f), self.yg.dtype)
        if len(self.nonempty):
            scaled = self.yg_t * weights.astype(self.yg.dtype)[None, :]
            out[self.nonempty] = np.add.reduceat(scaled, self.bounds, axis=1).T
        return out


def _cg_block(
    matrix: CsrMatrix,
    fixed: FloatArray,
    gram: FloatArray,
    current: FloatArray,
    start: int,
    stop: int,
    config: AlsConfig,
) -> FloatArray:
    blk = _Block(matrix, fixed, start, stop)
    extra = (config.confidence * blk.values).astype(np.float32)  # c - 1
    reg = np.float32(config.regularization)

    def apply(p: FloatArray) -> FloatArray:
        # (Y^T C_u Y + lambda I) p = Y^T Y p + lambda p + Y_u^T (C_u - I) Y_u p
        along = np.einsum("ef,ef->e", blk.yg, p[blk.rows])
        out: FloatArray = p @ gram + reg * p + blk.weighted_sums(extra * along)
        return out

    x = current[start:stop].copy()
    x[np.diff(matrix.indptr[start : stop + 1]) == 0] = 0.0
    rhs = blk.weighted_sums(1.0 + extra)
    r = rhs - apply(x)
    p = r.copy()
    rs = np.einsum("rf,rf->r", r, r, dtype=np.float64)
    assert config.cg_steps is not None
    for _ in range(config.cg_steps):
        ap = apply(p)
        pap = np.einsum("rf,rf->r", p, ap, dtype=np.float64)
        step = np.divide(rs, pap, out=np.zeros_like(rs), where=pap > 0)
        x += step.astype(np.float32)[:, None] * p
        r -= step.astype(np.float32)[:, None] * ap
        rs_new = np.einsum("rf,rf->r", r, r, dtype=np.float64)
        beta = np.divide(rs_new, rs, out=np.zeros_like(rs), where=rs > 0)
        p = r + beta.astype(np.float32)[:, None] * p
        rs = rs_new
    solved: FloatArray = x
    return solved


def _exact_block(
    matrix: CsrMatrix,
    fixed: FloatArray,
    gram: npt.NDArray[np.float64],
    start: int,
    stop: int,
    config: AlsConfig,
) -> FloatArray:
    blk = _Block(matrix, fixed.astype(np.float64), start, stop)
    f = fixed.shape[1]
    yg = blk.yg
    extra = config.confidence * blk.values
    systems = np.broadcast_to(
        gram + config.regularization * np.eye(f), (blk.n_rows, f, f)
    )
    systems = systems.copy()
    ends = np.r_[blk.bounds[1:], len(blk.cols)]
    # One small BLAS product per row with entries: Y_u^T (C_u - I) Y_u.
    rows_ab = zip(
        blk.nonempty.tolist(), blk.bounds.tolist(), ends.tolist(), strict=True
    )
    for row, a, b in rows_ab:
        yu = yg[a:b]
        systems[row] += yu.T @ (extra[a:b, None] * yu)
    rhs = blk.weighted_sums(1.0 + extra)
    return np.linalg.solve(systems, rhs[:, :, None])[:, :, 0].astype(np.float32)


def als_objective(
    matrix: CsrMatrix,
    user_factors: FloatArray,
    item_factors: FloatArray,
    config: AlsConfig,
) -> float:
    """The weighted loss ALS minimises, computed without a dense matrix.

    ``sum_{u,i} (x_u . y_i)^2`` over all pairs is ``trace(X^T X Y^T Y)``; the
    stored entries then correct their terms to ``c (1 - s)^2``.
    """
    x = user_factors.astype(np.float64)
    y = item_factors.astype(np.float64)
    everything = float(np.sum((x.T @ x) * (y.T @ y)))
    s = np.einsum("ef,ef->e", x[matrix.row_of_entry], y[matrix.indices])
    c = 1.0 + config.confidence * matrix.data.astype(np.float64)
    stored = float(np.sum(c * (1.0 - s) ** 2 - s**2))
    penalty = config.regularization * float(np.sum(x * x) + np.sum(y * y))
    return everything + stored + penalty
