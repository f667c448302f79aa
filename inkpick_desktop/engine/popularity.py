"""Popularity: the fallback ranking for unknown users and empty histories.

Re-exported by :mod:`inkpick_desktop.engine.factors`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.factor_inputs import (
    FloatArray,
    IntArray,
    StrArray,
    check_k,
    ids_array,
    index_array,
    top_k,
)
from inkpick_desktop.engine.factor_store import read_npz, write_npz
from inkpick_desktop.engine.sparse import CsrMatrix

logger = logging.getLogger(__name__)

#: Version of the ``.npz`` layout written by :meth:`PopularityModel.save`.
FORMAT_VERSION = 1


class PopularityModel:
    """Items ranked by how many distinct users interacted with them.

    The fallback for unknown users, empty histories and items without
    collaborative data.

    Attributes
    ----------
    counts_ : ndarray of int64, shape (n_items,)
        Distinct users per item.
    item_ids_ : ndarray of str, shape (n_items,)
    """

    kind: ClassVar[str] = "popularity"

    def __init__(
        self,
        counts: npt.ArrayLike,
        item_ids: Sequence[str] | npt.ArrayLike | None = None,
    ) -> None:
        c = np.asarray(counts, dtype=np.int64)
        if c.ndim != 1 or (c.size and c.min() < 0):
            raise InvalidInputError("popularity counts must be 1-D and non-negative")
        self.counts_ = c
        self.item_ids_: StrArray = ids_array(item_ids, len(c), "item_ids")

    @property
    def n_items(self) -> int:
        return len(self.counts_)

    @classmethod
    def fit(
        cls,
        matrix: CsrMatrix,
        *,
        item_ids: Sequence[str] | npt.ArrayLike | None = None,
    ) -> PopularityModel:
        """Count distinct users per item (stored entries, whatever their value).

        An empty matrix gives a model whose counts are all zero (and whose
        :meth:`recommend` returns nothing).
        """
        if not isinstance(matrix, CsrMatrix):
            raise InvalidInputError(
                f"PopularityModel.fit needs a CsrMatrix, got {type(matrix).__name__}"
            )
        # CSR rows hold each column at most once, so a column count is the
        # number of distinct users.
        counts = np.bincount(matrix.indices, minlength=matrix.shape[1])
        logger.info(
            "popularity over %d users x %d items, %d interactions",
            matrix.shape[0],
            matrix.shape[1],
            matrix.nnz,
        )
        return cls(counts, item_ids)

    def scores(self) -> FloatArray:
        """Counts divided by the largest count, in [0, 1], float32 ``(n_items,)``."""
        top = int(self.counts_.max()) if self.n_items else 0
        if top == 0:
            return np.zeros(self.n_items, np.float32)
        return (self.counts_ / top).astype(np.float32)

    def recommend(
        self, k: int, exclude: Sequence[int] = ()
    ) -> tuple[IntArray, FloatArray]:
        """The ``k`` most popular items not in ``exclude``.

        Items nobody interacted with are never returned. Ties by index.
        """
        k = check_k(k)
        mask = self.counts_ == 0
        idx = index_array(exclude, self.n_items, "exclude")
        if len(idx):
            mask = mask.copy()
            mask[idx] = True
        return top_k(self.scores(), k, mask)

    def save(self, path: str | Path) -> None:
        """Write to ``path`` (.npz, no pickle), atomically."""
        arrays = {"counts": self.counts_, "item_ids": self.item_ids_}
        write_npz(path, self.kind, FORMAT_VERSION, {}, arrays)

    @classmethod
    def load(cls, path: str | Path) -> PopularityModel:
        """Read a file written by :meth:`save`; bad files raise ModelFormatError."""
        with read_npz(path, cls.kind, FORMAT_VERSION, (cls.kind,)) as f:
            n = f.shape("counts", 1)[0]
            counts = f.array("counts", np.int64, (n,))
            ids = f.array("item_ids", np.str_, (n,))
            f.require(bool(n == 0 or counts.min() >= 0), "negative counts")
            return cls(counts, ids)
