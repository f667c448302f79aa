"""Inputs of the collaborative models: the interaction matrix, checks, top-k.

Re-exported by :mod:`inkpick_desktop.engine.factors`, which is where callers
import them from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from inkpick_desktop.data.model import Interactions
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.sparse import CsrMatrix

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

#: Value transforms accepted by :func:`interactions_to_matrix` by name.
TRANSFORMS = ("none", "log1p", "binary")

Transform = str | tuple[str, float] | Callable[[npt.NDArray[np.float64]], Any]


def interactions_to_matrix(
    interactions: Interactions, transform: Transform = "none"
) -> CsrMatrix:
    """The users x items matrix of an :class:`Interactions`, one transform applied.

    Parameters
    ----------
    interactions
        Events over dense user and item indices.
    transform
        How raw event values become matrix values:

        ``"none"``
            duplicate ``(user, item)`` events summed, values kept.
        ``"log1p"``
            duplicates summed, then ``log(1 + x)`` (play counts); negative
            values are refused.
        ``"binary"``
            1 for every pair with at least one event, whatever its value.
        ``("rating_threshold", t)``
            1 for every pair with at least one event whose value is ``>= t``;
            other events are dropped (ratings as "liked").
        a callable
            applied to the summed values (float64 array); must return an array
            of the same shape with finite values.

        Entries that end up 0 are not stored.

    Returns
    -------
    CsrMatrix
        Shape ``(n_users, n_items)``, float32 data.
    """
    shape = (interactions.n_users, interactions.n_items)
    users, items = interactions.users, interactions.items
    values = np.asarray(interactions.values, dtype=np.float64)

    if isinstance(transform, tuple):
        if len(transform) != 2 or transform[0] != "rating_threshold":
            raise InvalidInputError(
                f"transform tuple must be ('rating_threshold', t), got {transform!r}"
            )
        t = float(transform[1])
        if not np.isfinite(t):
            raise InvalidInputError(f"rating threshold must be finite, got {t!r}")
        keep = values >= t
        matrix = CsrMatrix.from_triplets(
            users[keep], items[keep], np.ones(int(keep.sum())), shape
        )
        return _clip_to_one(matrix)
    if transform == "binary":
        matrix = CsrMatrix.from_triplets(users, items, np.ones(len(users)), shape)
        return _clip_to_one(matrix)
    if isinstance(transform, str) and transform not in ("none", "log1p"):
        raise InvalidInputError(
            f"transform must be one of {TRANSFORMS}, ('rating_threshold', t) or a "
            f"callable, got {transform!r}"
        )

    matrix = CsrMatrix.from_triplets(users, items, values, shape)
    if transform == "none":
        return matrix
    if transform == "log1p":
        if matrix.nnz and matrix.data.min() < 0:
            raise InvalidInputError(
                "transform 'log1p' needs non-negative values, got a summed value of "
                f"{float(matrix.data.min())!r}"
            )
        return matrix.map_data(np.log1p)
    if not callable(transform):
        raise InvalidInputError(
            f"transform must be a str, tuple or callable, got {transform!r}"
        )
    out = np.asarray(transform(matrix.data.astype(np.float64)), dtype=np.float64)
    if out.shape != matrix.data.shape or not np.all(np.isfinite(out)):
        raise InvalidInputError(
            f"transform {transform!r} must return {matrix.data.shape[0]} finite "
            f"values, got shape {out.shape}"
        )
    return CsrMatrix.from_triplets(matrix.row_of_entry, matrix.indices, out, shape)


def check_k(k: int) -> int:
    """``k`` as an int, refusing anything but a positive integer."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InvalidInputError(f"k must be a positive int, got {k!r}")
    return int(k)


def top_k(
    scores: FloatArray, k: int, exclude: BoolArray | None = None
) -> tuple[IntArray, FloatArray]:
    """The ``k`` best entries of ``scores``, ties broken by index ascending.

    Entries where ``exclude`` is True are skipped; fewer than ``k`` come back
    when fewer remain.
    """
    candidates = np.arange(len(scores)) if exclude is None else np.flatnonzero(~exclude)
    values = scores[candidates]
    if len(candidates) > k:
        # Everything tied with the k-th best value stays in, so the final sort
        # can break ties by index.
        kth = np.partition(values, len(values) - k)[len(values) - k]
        keep = values >= kth
        candidates, values = candidates[keep], values[keep]
    order = np.lexsort((candidates, -values.astype(np.float64)))[:k]
    return candidates[order].astype(np.int32), values[order].astype(np.float32)


def _clip_to_one(matrix: CsrMatrix) -> CsrMatrix:
    data = np.ones(matrix.nnz, np.float32)
    return CsrMatrix(data, matrix.indices, matrix.indptr, matrix.shape)


def check_training_matrix(matrix: CsrMatrix, what: str) -> None:
    """Refuse a matrix no collaborative model can be trained on."""
    if not isinstance(matrix, CsrMatrix):
        raise InvalidInputError(
            f"{what} needs a CsrMatrix of users x items, got {type(matrix).__name__}"
        )
    n_users, n_items = matrix.shape
    if n_users == 0 or n_items == 0 or matrix.nnz == 0:
        raise InvalidInputError(
            f"{what} needs at least one interaction, got a {n_users} x {n_items} "
            f"matrix with {matrix.nnz} entries (use PopularityModel or content "
            "recommendations instead)"
        )
    if not np.all(np.isfinite(matrix.data)):
        raise InvalidInputError(f"{what}: matrix values must be finite")
    if matrix.data.min() < 0:
        raise InvalidInputError(
            f"{what} needs non-negative interaction values, got "
            f"{float(matrix.data.min())!r} (apply a transform such as 'binary')"
        )


def ids_array(ids: Sequence[str] | npt.ArrayLike | None, n: int, what: str) -> StrArray:
    if ids is None:
        return np.arange(n).astype(str)
    out = np.asarray([str(x) for x in np.asarray(ids).tolist()], dtype=np.str_)
    if out.shape != (n,):
        raise InvalidInputError(f"{what} must have {n} entries, got {len(out)}")
    return out


def index_array(items: Sequence[int] | npt.ArrayLike, n: int, what: str) -> IntArray:
    arr = np.asarray(items)
    if arr.size == 0:
        return np.zeros(0, np.int32)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise InvalidInputError(f"{what} must be a 1-D sequence of ints, got {items!r}")
    if arr.min() < 0 or arr.max() >= n:
        bad = arr[(arr < 0) | (arr >= n)][0]
        raise InvalidInputError(f"{what}: item index {int(bad)} outside 0..{n - 1}")
    return arr.astype(np.int32)
