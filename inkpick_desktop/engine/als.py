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

from inkpick_desktop.engine.als_solver import (
    RowLayout,
    cg_half_step,
    exact_half_step,
    gram,
)
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.factors import FactorModel, FloatArray
from inkpick_desktop.engine.progress import CancelToken, ProgressCallback
from inkpick_desktop.engine.sparse import CsrMatrix

logger = logging.getLogger(__name__)

#: Standard deviation of the random initial factors.
INIT_SCALE = 0.01


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
        by_user, by_item = RowLayout(matrix), RowLayout(matrix.transpose())
        # After their first solve, rows without entries are exactly 0 and drop
        # out of Y^T Y; before it they hold their random start, as in the paper.
        item_rows: npt.NDArray[np.int64] | None = None

        progress(cls.stage, 0.0)
        for it in range(config.iterations):
            cancel.raise_if_cancelled(cls.stage)
            users = _half_step(by_user, items, users, config, item_rows)
            cancel.raise_if_cancelled(cls.stage)
            items = _half_step(by_item, users, items, config, by_user.rows)
            item_rows = by_item.rows
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
        Rows of ``matrix`` without entries get 0.
    """
    if cancel is not None:
        cancel.raise_if_cancelled(AlsModel.stage)
    return _half_step(RowLayout(matrix), fixed, current, config, None)


def _half_step(
    layout: RowLayout,
    fixed: FloatArray,
    current: FloatArray,
    config: AlsConfig,
    fixed_rows: npt.NDArray[np.int64] | None,
) -> FloatArray:
    """A half-step on a prepared layout; ``fixed_rows`` are the only non-zero
    rows of ``fixed`` (None: any may be), so ``Y^T Y`` sums over them alone."""
    if config.cg_steps is None:
        sub = fixed if fixed_rows is None else fixed[fixed_rows]
        y64 = sub.astype(np.float64)
        return exact_half_step(
            layout, fixed, y64.T @ y64, config.regularization, config.confidence
        )
    return cg_half_step(
        layout,
        fixed,
        current,
        gram(fixed, fixed_rows),
        config.regularization,
        config.confidence,
        config.cg_steps,
    )


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
