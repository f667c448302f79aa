"""Model fitting for the evaluation harness, and the optional implicit reference.

Collaborative models are fitted on the columns that have training data only
and expanded back to the catalog (:func:`fit_compact`): an item with no
training entry has zero factors either way and is never ranked by a
collaborative model, so the fitting time does not grow with the ~78k
never-rated films of the cinema catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.als import AlsConfig, AlsModel
from inkpick_desktop.engine.bpr import BprConfig, BprModel
from inkpick_desktop.engine.factors import FactorModel
from inkpick_desktop.engine.progress import CancelToken, ProgressCallback
from inkpick_desktop.engine.sparse import CsrMatrix

IntArray = npt.NDArray[np.int32]

#: Reference trainers: name -> fit(matrix, config) -> (user factors, item factors).
ReferenceFit = Callable[[CsrMatrix, Any], tuple[np.ndarray, np.ndarray]]


# -- training ---------------------------------------------------------------------


def fit_compact(
    kind: str,
    matrix: CsrMatrix,
    config: AlsConfig | BprConfig,
    *,
    user_ids: Any = None,
    item_ids: Any = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> FactorModel:
    """Fit ALS/BPR on the columns with data, expanded back to every column."""
    cls: type[FactorModel] = AlsModel if kind == "als" else BprModel
    cols, compact = compact_columns(matrix)
    fitted = cls.fit(compact, config, progress=progress, cancel=cancel)
    return expand_factors(
        cls,
        fitted.config,
        fitted.user_factors_,
        fitted.item_factors_,
        cols,
        matrix,
        user_ids,
        item_ids,
    )


def compact_columns(matrix: CsrMatrix) -> tuple[IntArray, CsrMatrix]:
    cols = np.unique(matrix.indices).astype(np.int32)
    # The map is monotone, so each row's columns stay strictly increasing.
    indices = np.searchsorted(cols, matrix.indices).astype(np.int32)
    return cols, CsrMatrix(
        matrix.data, indices, matrix.indptr, (matrix.shape[0], len(cols))
    )


def expand_factors(
    cls: type[FactorModel],
    config: Any,
    user_f: np.ndarray,
    item_f: np.ndarray,
    cols: IntArray,
    matrix: CsrMatrix,
    user_ids: Any,
    item_ids: Any,
) -> FactorModel:
    full = np.zeros((matrix.shape[1], item_f.shape[1]), np.float32)
    full[cols] = item_f
    has = np.zeros(matrix.shape[1], bool)
    has[cols] = True
    seen = CsrMatrix(
        np.ones(matrix.nnz, np.float32), matrix.indices, matrix.indptr, matrix.shape
    )
    users = np.asarray(user_f, np.float32).copy()
    users[matrix.row_lengths == 0] = 0.0
    return cls(
        config,
        users,
        full,
        user_ids=user_ids,
        item_ids=item_ids,
        seen=seen,
        item_has_data=has,
    )


def implicit_references() -> tuple[dict[str, ReferenceFit], str]:
    """Fitters for the ``implicit`` library's ALS and BPR, or a note why none.

    Reference only: ``implicit`` (and the SciPy it brings) is never needed at
    run time; without it the rows are skipped with this note.
    """
    try:
        import implicit  # noqa: F401
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.cpu.bpr import BayesianPersonalizedRanking
        from scipy.sparse import csr_matrix
    except ImportError as exc:
        return {}, f"implicit reference skipped: the library is not installed ({exc})"

    def as_scipy(m: CsrMatrix) -> Any:
        return csr_matrix((m.data, m.indices, m.indptr), shape=m.shape)

    def fit_als(m: CsrMatrix, cfg: AlsConfig) -> tuple[np.ndarray, np.ndarray]:
        model = AlternatingLeastSquares(
            factors=cfg.factors,
            regularization=cfg.regularization,
            alpha=cfg.confidence,
            iterations=cfg.iterations,
            use_cg=cfg.cg_steps is not None,
            random_state=cfg.seed,
            calculate_training_loss=False,
        )
        if cfg.cg_steps is not None:
            model.cg_steps = cfg.cg_steps
        model.fit(as_scipy(m), show_progress=False)
        return np.asarray(model.user_factors), np.asarray(model.item_factors)

    def fit_bpr(m: CsrMatrix, cfg: BprConfig) -> tuple[np.ndarray, np.ndarray]:
        model = BayesianPersonalizedRanking(
            factors=cfg.factors,
            learning_rate=cfg.learning_rate,
            regularization=cfg.regularization,
            iterations=cfg.epochs,
            random_state=cfg.seed,
        )
        model.fit(as_scipy(m), show_progress=False)
        return np.asarray(model.user_factors), np.asarray(model.item_factors)

    return {"implicit ALS": fit_als, "implicit BPR": fit_bpr}, ""
