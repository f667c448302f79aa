"""Shared latent-factor machinery for the collaborative models.

:class:`FactorModel` is the base of :class:`~inkpick_desktop.engine.als.AlsModel`
and :class:`~inkpick_desktop.engine.bpr.BprModel`: it holds the fitted user and
item factors and answers every query (fold-in of a new user's picks, scores,
top-k with seen items filtered, item-item cosine, explanations) the same way for
both. :class:`PopularityModel` is the fallback for unknown users and empty
histories. Both persist to ``.npz`` without pickle.

Fold-in (both models) is the Hu-Koren-Volinsky weighted least-squares user solve
against the fixed item factors ``Y``::

    (Y^T Y + Y_p^T (C_p - I) Y_p + lambda I) x = Y_p^T c_p,   c = 1 + conf * v

where ``p`` are the picked items and ``v`` their values. Because ``x`` is linear
in the picks' right-hand side, the score ``y_t . x`` of a target splits exactly
into one term per pick (:meth:`FactorModel.contributions`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.factor_inputs import (
    TRANSFORMS,
    BoolArray,
    FloatArray,
    IntArray,
    StrArray,
    Transform,
    check_k,
    check_training_matrix,
    ids_array,
    index_array,
    interactions_to_matrix,
    top_k,
)
from inkpick_desktop.engine.factor_store import read_npz, write_npz
from inkpick_desktop.engine.popularity import PopularityModel
from inkpick_desktop.engine.progress import CancelToken, ProgressCallback
from inkpick_desktop.engine.sparse import CsrMatrix

__all__ = [
    "FORMAT_VERSION",
    "TRANSFORMS",
    "BoolArray",
    "FactorModel",
    "FloatArray",
    "IntArray",
    "PopularityModel",
    "StrArray",
    "Transform",
    "check_k",
    "check_training_matrix",
    "interactions_to_matrix",
    "top_k",
]

logger = logging.getLogger(__name__)


#: Version of the ``.npz`` layout written by :meth:`FactorModel.save`.
FORMAT_VERSION = 1

# Where the subclass of each saved model kind lives, so that FactorModel.load can
# open any saved model without the caller importing als/bpr first.
_KIND_MODULES = {
    "als": "inkpick_desktop.engine.als",
    "bpr": "inkpick_desktop.engine.bpr",
}

M = TypeVar("M", bound="FactorModel")


class FactorModel:
    """Fitted user and item factors plus everything computed from them.

    Build one with :meth:`fit` of a subclass or with :meth:`load`.

    Attributes
    ----------
    user_factors_ : ndarray of float32, shape (n_users, f)
    item_factors_ : ndarray of float32, shape (n_items, f)
        Rows of users and items without any training interaction are zero.
    item_has_data_ : ndarray of bool, shape (n_items,)
        True where the item had at least one interaction in training.
    user_ids_, item_ids_ : ndarray of str
        External ids of the rows of the training matrix and of its columns.
    config
        The subclass's frozen config dataclass.
    """

    #: Model kind stored in saved files ("als", "bpr"); set by subclasses.
    kind: ClassVar[str] = ""
    #: Progress stage label ("training ALS").
    stage: ClassVar[str] = ""
    _config_type: ClassVar[type] = object

    def __init__(
        self,
        config: Any,
        user_factors: FloatArray,
        item_factors: FloatArray,
        *,
        user_ids: Sequence[str] | npt.ArrayLike | None = None,
        item_ids: Sequence[str] | npt.ArrayLike | None = None,
        seen: CsrMatrix | None = None,
        item_has_data: BoolArray | None = None,
    ) -> None:
        u = np.ascontiguousarray(user_factors, dtype=np.float32)
        v = np.ascontiguousarray(item_factors, dtype=np.float32)
        if u.ndim != 2 or v.ndim != 2 or u.shape[1] != v.shape[1]:
            raise InvalidInputError(
                f"factor arrays must be 2-D with equal widths, got {u.shape} and "
                f"{v.shape}"
            )
        n_users, n_items = u.shape[0], v.shape[0]
        if seen is None:
            seen = CsrMatrix.empty((n_users, n_items))
        if seen.shape != (n_users, n_items):
            raise InvalidInputError(
                f"seen matrix has shape {seen.shape}, factors say {(n_users, n_items)}"
            )
        if item_has_data is None:
            item_has_data = np.bincount(seen.indices, minlength=n_items) > 0
        has = np.asarray(item_has_data, dtype=bool)
        if has.shape != (n_items,):
            raise InvalidInputError(f"item_has_data must have {n_items} entries")
        self.config = config
        self.user_factors_: FloatArray = u
        self.item_factors_: FloatArray = v
        self.item_has_data_: BoolArray = has
        self.user_ids_: StrArray = ids_array(user_ids, n_users, "user_ids")
        self.item_ids_: StrArray = ids_array(item_ids, n_items, "item_ids")
        self._seen = seen
        self._gram: npt.NDArray[np.float64] | None = None
        # Unit item factors for cosine queries, computed here (a few ms at fit or
        # load) so that the first item_scores call is as fast as the rest.
        self._unit_items: FloatArray = _unit_rows(v)
        # Rows whose factors are not all zero: items nobody interacted with keep
        # zero factors and score exactly 0, so a catalog where most items have
        # no data (78k of MovieLens's 87k films) scores only the rest.
        self._live_rows = np.flatnonzero(np.any(v != 0, axis=1))
        self._live_items = v[self._live_rows]
        self._live_unit = self._unit_items[self._live_rows]

    # -- training ---------------------------------------------------------------

    @classmethod
    def fit(
        cls: type[M],
        matrix: CsrMatrix,
        config: Any = None,
        *,
        user_ids: Sequence[str] | npt.ArrayLike | None = None,
        item_ids: Sequence[str] | npt.ArrayLike | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> M:
        """Train on a users x items matrix of non-negative values.

        Parameters
        ----------
        matrix
            Users x items, e.g. from :func:`interactions_to_matrix`. Must hold at
            least one entry (an empty matrix raises :class:`InvalidInputError`;
            use :class:`PopularityModel` or content recommendations then).
        config
            The subclass's config; ``None`` means its defaults.
        user_ids, item_ids
            External ids of the rows and columns, kept with the model; default
            ``"0" .. "n-1"``.
        progress
            Called with ``(stage, fraction)`` at the start and after every
            iteration or epoch.
        cancel
            Checked between iterations (and blocks); raises
            :class:`~inkpick_desktop.engine.errors.CancelledError`.

        Returns
        -------
        The fitted model.
        """
        if config is None:
            config = cls._config_type()
        if not isinstance(config, cls._config_type):
            raise InvalidInputError(
                f"{cls.__name__}.fit needs a {cls._config_type.__name__}, got "
                f"{type(config).__name__}"
            )
        check_training_matrix(matrix, cls.__name__)
        u_ids = ids_array(user_ids, matrix.shape[0], "user_ids")
        i_ids = ids_array(item_ids, matrix.shape[1], "item_ids")
        report = progress if progress is not None else _no_progress
        token = cancel if cancel is not None else CancelToken()

        logger.info(
            "%s: %d users x %d items, %d interactions, %d factors",
            cls.stage,
            matrix.shape[0],
            matrix.shape[1],
            matrix.nnz,
            getattr(config, "factors", 0),
        )
        started = time.perf_counter()
        user_f, item_f = cls._train(matrix, config, report, token)
        logger.info("%s done in %.2f s", cls.stage, time.perf_counter() - started)

        seen = CsrMatrix(
            np.ones(matrix.nnz, np.float32), matrix.indices, matrix.indptr, matrix.shape
        )
        has = np.bincount(matrix.indices, minlength=matrix.shape[1]) > 0
        # Rows without data carry no information; zero them so they score 0.
        item_f[~has] = 0.0
        user_f[matrix.row_lengths == 0] = 0.0
        return cls(
            config,
            user_f,
            item_f,
            user_ids=u_ids,
            item_ids=i_ids,
            seen=seen,
            item_has_data=has,
        )

    @classmethod
    def _train(
        cls,
        matrix: CsrMatrix,
        config: Any,
        progress: ProgressCallback,
        cancel: CancelToken,
    ) -> tuple[FloatArray, FloatArray]:
        raise NotImplementedError

    # -- sizes ------------------------------------------------------------------

    @property
    def n_users(self) -> int:
        return int(self.user_factors_.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.item_factors_.shape[0])

    @property
    def n_factors(self) -> int:
        return int(self.item_factors_.shape[1])

    def seen_items(self, user: int) -> IntArray:
        """Internal indices of the items the user had in training."""
        self._check_user(user)
        return self._seen.row(int(user))[0].astype(np.int32)

    # -- fold-in ----------------------------------------------------------------

    def _fold_in_confidence(self) -> float:
        """``conf`` in ``c = 1 + conf * v`` for the fold-in solve."""
        raise NotImplementedError

    def _fold_in_regularization(self) -> float:
        raise NotImplementedError

    def _picks(
        self, items: Sequence[int], values: Sequence[float] | None, what: str
    ) -> tuple[IntArray, npt.NDArray[np.float64]]:
        """Checked unique picks (sorted) and their summed values."""
        idx = index_array(items, self.n_items, what)
        if len(idx) == 0:
            raise InvalidInputError(
                f"{what} needs at least one item; for an empty history use "
                "PopularityModel"
            )
        vals = (
            np.ones(len(idx))
            if values is None
            else np.asarray(values, dtype=np.float64).ravel()
        )
        if vals.shape != idx.shape:
            raise InvalidInputError(
                f"{what} got {len(idx)} items but {vals.shape[0]} values"
            )
        if not np.all(np.isfinite(vals)) or vals.min() < 0:
            raise InvalidInputError(
                f"{what} values must be finite and non-negative, got {vals.tolist()}"
            )
        uniq, inverse = np.unique(idx, return_inverse=True)
        summed = np.bincount(inverse, weights=vals, minlength=len(uniq))
        if not self.item_has_data_[uniq].any():
            raise InvalidInputError(
                f"none of the {what} items has collaborative data "
                f"(items {uniq[:5].tolist()}); use PopularityModel or content scores"
            )
        return uniq.astype(np.int32), summed.astype(np.float64)

    def _fold_in_system(
        self, items: Sequence[int], values: Sequence[float] | None
    ) -> tuple[IntArray, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Unique picks, their confidences and the Cholesky-solvable matrix."""
        uniq, summed = self._picks(items, values, "fold_in")
        conf = 1.0 + self._fold_in_confidence() * summed
        y = self.item_factors_[uniq].astype(np.float64)
        a = self.gram() + (y.T * (conf - 1.0)) @ y
        a[np.diag_indices_from(a)] += self._fold_in_regularization()
        return uniq.astype(np.int32), conf, a

    def gram(self) -> npt.NDArray[np.float64]:
        """``Y^T Y`` of the item factors, float64 ``(f, f)``, computed once."""
        if self._gram is None:
            y = self.item_factors_.astype(np.float64)
            self._gram = y.T @ y
        return self._gram

    def fold_in(
        self, items: Sequence[int], values: Sequence[float] | None = None
    ) -> FloatArray:
        """A user vector for a new history, solved against the fixed item factors.

        Parameters
        ----------
        items
            Internal item indices (duplicates have their values summed).
        values
            One non-negative value per item, on the scale of the training
            matrix; default 1 each.

        Returns
        -------
        ndarray of float32, shape (f,)

        Raises
        ------
        InvalidInputError
            When ``items`` is empty, holds an index out of range, or none of
            its items had training data (fall back to popularity or content).
        """
        uniq, conf, a = self._fold_in_system(items, values)
        rhs = self.item_factors_[uniq].astype(np.float64).T @ conf
        return np.linalg.solve(a, rhs).astype(np.float32)

    def contributions(
        self,
        picks: Sequence[int],
        target: int,
        values: Sequence[float] | None = None,
    ) -> FloatArray:
        """How much each pick adds to ``target``'s fold-in score.

        With ``x = A^{-1} Y_p^T c`` the score is ``y_t . x = sum_p c_p y_t^T
        A^{-1} y_p``; term ``p`` is pick ``p``'s share. The shares sum to
        ``vector_scores(fold_in(picks, values))[target]`` (up to rounding);
        duplicated picks split their share equally.

        Returns
        -------
        ndarray of float32, shape (len(picks),), aligned with ``picks``.
        """
        self._check_item(target)
        uniq, conf, a = self._fold_in_system(picks, values)
        idx = np.asarray(picks, dtype=np.int64)
        w = np.linalg.solve(a, self.item_factors_[int(target)].astype(np.float64))
        share = conf * (self.item_factors_[uniq].astype(np.float64) @ w)
        pos = np.searchsorted(uniq, idx)
        counts = np.bincount(pos, minlength=len(uniq))
        return (share[pos] / counts[pos]).astype(np.float32)

    # -- scores -----------------------------------------------------------------

    def user_scores(self, user: int) -> FloatArray:
        """Predicted preference of a training user for every item, ``(n_items,)``."""
        self._check_user(user)
        return self.vector_scores(self.user_factors_[int(user)])

    def vector_scores(self, vector: npt.ArrayLike) -> FloatArray:
        """Scores of every item for a user vector (e.g. from :meth:`fold_in`)."""
        x = self._check_vector(vector)
        return self._live_scores(self._live_items, x)

    def recommend(
        self,
        user_or_vector: int | npt.ArrayLike,
        k: int,
        *,
        seen: Sequence[int] | None = None,
        exclude_seen: bool = True,
    ) -> tuple[IntArray, FloatArray]:
        """Top-k items for a training user index or a user vector.

        Parameters
        ----------
        user_or_vector
            A training user index (int) or a vector of shape ``(f,)``.
        k
            Number of items wanted; fewer come back when fewer are eligible.
        seen
            Items to leave out. ``None`` means the user's training items for a
            user index and nothing for a vector.
        exclude_seen
            False keeps seen items in the ranking.

        Returns
        -------
        items : ndarray of int32, shape (<= k,)
        scores : ndarray of float32, same shape
            Sorted by score descending, ties by item index ascending. Only
            items with training data are ranked.
        """
        k = check_k(k)
        if isinstance(user_or_vector, (int, np.integer)):
            scores = self.user_scores(int(user_or_vector))
            if seen is None:
                seen = self.seen_items(int(user_or_vector)).tolist()
        else:
            scores = self.vector_scores(user_or_vector)
        exclude = ~self.item_has_data_
        if exclude_seen and seen is not None:
            exclude = exclude.copy()
            exclude[index_array(seen, self.n_items, "seen")] = True
        return top_k(scores, k, exclude)

    def _unit_item_factors(self) -> FloatArray:
        return self._unit_items

    def item_scores(self, item: int) -> FloatArray:
        """Cosine of ``item``'s factors to every item's, ``(n_items,)`` float32.

        Items without training data (and every item, when ``item`` has none)
        score 0; check :attr:`item_has_data_`. The item itself scores 1.
        """
        self._check_item(item)
        return self._live_scores(self._live_unit, self._unit_items[int(item)])

    def _live_scores(self, live: FloatArray, x: FloatArray) -> FloatArray:
        """``factors @ x`` over all items, computed on the non-zero rows only."""
        # einsum, not BLAS: a threaded OpenBLAS gemv on a busy machine was measured
        # 20x slower (20 ms vs 1 ms for 9,724 x 64) than this single-thread loop.
        out = np.zeros(self.item_factors_.shape[0], np.float32)
        out[self._live_rows] = np.einsum("if,f->i", live, x)
        return out

    def similar_items(self, item: int, k: int) -> tuple[IntArray, FloatArray]:
        """The ``k`` items most similar to ``item`` by factor cosine.

        ``item`` itself and items without data are left out; an item without
        data gets empty arrays.
        """
        k = check_k(k)
        scores = self.item_scores(item)
        if not self.item_has_data_[int(item)]:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        exclude = ~self.item_has_data_
        exclude[int(item)] = True
        return top_k(scores, k, exclude)

    def pairwise(self, items: Sequence[int]) -> FloatArray:
        """Cosine among the factors of ``items``, ``(m, m)`` float32 (for MMR).

        Pairs involving an item without data are 0 (its diagonal too).
        """
        idx = index_array(items, self.n_items, "pairwise")
        unit = self._unit_item_factors()[idx]
        pairs: FloatArray = unit @ unit.T
        return pairs

    # -- checks -----------------------------------------------------------------

    def _check_user(self, user: int) -> None:
        if not isinstance(user, (int, np.integer)) or not 0 <= user < self.n_users:
            raise InvalidInputError(
                f"user index must be an int in 0..{self.n_users - 1}, got {user!r}"
            )

    def _check_item(self, item: int) -> None:
        if not isinstance(item, (int, np.integer)) or not 0 <= item < self.n_items:
            raise InvalidInputError(
                f"item index must be an int in 0..{self.n_items - 1}, got {item!r}"
            )

    def _check_vector(self, vector: npt.ArrayLike) -> FloatArray:
        x = np.asarray(vector, dtype=np.float32)
        if x.shape != (self.n_factors,) or not np.all(np.isfinite(x)):
            raise InvalidInputError(
                f"user vector must be {self.n_factors} finite floats, got shape "
                f"{x.shape}"
            )
        return x

    # -- persistence ------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` (.npz, no pickle), atomically."""
        arrays = {
            "user_factors": self.user_factors_,
            "item_factors": self.item_factors_,
            "item_has_data": self.item_has_data_,
            "user_ids": self.user_ids_,
            "item_ids": self.item_ids_,
            "seen_indptr": self._seen.indptr,
            "seen_indices": self._seen.indices,
        }
        write_npz(path, self.kind, FORMAT_VERSION, _config_json(self.config), arrays)
        logger.info("saved %s model to %s", self.kind, path)

    @classmethod
    def load(cls: type[M], path: str | Path) -> M:
        """Read a model written by :meth:`save`.

        ``FactorModel.load`` returns whichever kind the file holds; a subclass's
        ``load`` refuses other kinds. Raises
        :class:`~inkpick_desktop.engine.errors.ModelFormatError` naming the file
        and the problem for a missing, corrupted, foreign or wrong-kind file.
        """
        expected = None if cls is FactorModel else cls.kind
        with read_npz(path, expected, FORMAT_VERSION, tuple(_KIND_MODULES)) as f:
            target = _class_for(f.kind)
            config: Any = f.config(target._config_type)
            n_users = f.shape("user_factors", 2)[0]
            n_items, n_factors = f.shape("item_factors", 2)
            f.require(
                n_factors == config.factors,
                f"factors are {n_factors} wide, config says {config.factors}",
            )
            u = f.array("user_factors", np.float32, (n_users, n_factors))
            v = f.array("item_factors", np.float32, (n_items, n_factors))
            has = f.array("item_has_data", np.bool_, (n_items,))
            u_ids = f.array("user_ids", np.str_, (n_users,))
            i_ids = f.array("item_ids", np.str_, (n_items,))
            indptr = f.array("seen_indptr", np.int64, (n_users + 1,))
            indices = f.array("seen_indices", np.int32, (int(indptr[-1]),))
            seen = f.guard(
                lambda: CsrMatrix.from_arrays(
                    {
                        "s_data": np.ones(len(indices), np.float32),
                        "s_indices": indices,
                        "s_indptr": indptr,
                        "s_shape": np.array([n_users, n_items]),
                    },
                    "s",
                )
            )
            f.require(
                bool(np.all(np.isfinite(u)) and np.all(np.isfinite(v))),
                "factors hold non-finite values",
            )
            model = target(
                config,
                u,
                v,
                user_ids=u_ids,
                item_ids=i_ids,
                seen=seen,
                item_has_data=has,
            )
        return model  # type: ignore[return-value]


def _unit_rows(v: FloatArray) -> FloatArray:
    """Rows scaled to unit length; zero rows stay zero."""
    norms = np.sqrt(np.einsum("if,if->i", v, v, dtype=np.float64))
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    unit: FloatArray = (v * inv[:, None]).astype(np.float32)
    return unit


def _no_progress(stage: str, fraction: float) -> None:
    """Default progress callback."""


def _config_json(config: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(config)


def _class_for(kind: str) -> type[FactorModel]:
    import importlib

    module = importlib.import_module(_KIND_MODULES[kind])
    found: type[FactorModel] = module.MODEL_CLASS
    return found
