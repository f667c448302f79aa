"""TF-IDF content model over several weighted text fields.

Every item becomes one sparse row over a vocabulary of namespaced terms
(``"title:godfather"``, ``"genres:crime"``): free-text fields are split by
:func:`~inkpick_desktop.engine.text.tokenize`, label fields (genres, tags) give
one term per whole label. A term's weight is

    tf x idf x field weight,      then every row is scaled to unit L2 length,

with ``tf`` the raw count (or ``1 + ln tf`` when sublinear) and ``idf`` either
``ln((1 + n) / (1 + df)) + 1`` (smooth) or ``ln(n / df) + 1``; ``n`` counts every
item, empty ones included. With one field this is exactly scikit-learn's
``TfidfVectorizer(norm="l2")`` with the same analyzer.

Cosine scores go through the inverted index (terms x items): a query touches
only the posting lists of its own terms, never the whole matrix. An item whose
row is empty (no text, or every term filtered out by ``min_df``/``max_df``)
scores 0 against every item, itself included.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine._tfidf_build import (
    STAGE,
    TERM_SEP,
    check_arrays,
    count_terms,
    weigh,
)
from inkpick_desktop.engine.errors import InvalidInputError, ModelFormatError
from inkpick_desktop.engine.progress import CancelToken, ProgressCallback, no_progress
from inkpick_desktop.engine.sparse import CsrMatrix, FloatArray, IntArray

if TYPE_CHECKING:
    from inkpick_desktop.data.model import Catalog

__all__ = ["TfidfConfig", "TfidfIndex"]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1


@dataclass(frozen=True)
class TfidfConfig:
    """How items are turned into TF-IDF vectors.

    Attributes
    ----------
    field_weights
        Field name -> weight (> 0, finite) multiplying that field's terms before
        the row is normalised, e.g. ``{"title": 1.0, "genres": 2.0}``. Only these
        fields are indexed. Names must be non-empty and contain no ``":"``.
    label_fields
        Fields (among ``field_weights``) holding ``"|"``-joined labels; each label
        is one term (``"Science Fiction"`` -> ``"genres:science fiction"``).
    sublinear_tf
        Use ``1 + ln(tf)`` instead of the raw count.
    smooth_idf
        ``ln((1 + n) / (1 + df)) + 1`` when true, else ``ln(n / df) + 1``.
    min_df
        Drop terms found in fewer than this many items (int >= 1).
    max_df
        Drop terms found in more than ``max_df * n_items`` items (0 < max_df <= 1).
    stop_words
        Leave :data:`~inkpick_desktop.engine.text.ENGLISH_STOP_WORDS` out of the
        free-text fields (label fields are never filtered).
    """

    field_weights: Mapping[str, float]
    label_fields: tuple[str, ...] = ()
    sublinear_tf: bool = False
    smooth_idf: bool = True
    min_df: int = 1
    max_df: float = 1.0
    stop_words: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.field_weights, Mapping) or not self.field_weights:
            raise InvalidInputError(
                "field_weights must be a non-empty mapping of field name to weight, "
                f"got {self.field_weights!r}"
            )
        weights: dict[str, float] = {}
        for name, weight in self.field_weights.items():
            if not isinstance(name, str) or not name or TERM_SEP in name:
                raise InvalidInputError(
                    f"field names must be non-empty str without {TERM_SEP!r}, "
                    f"got {name!r}"
                )
            ok = isinstance(weight, (int, float)) and not isinstance(weight, bool)
            if not ok or not math.isfinite(weight) or weight <= 0:
                raise InvalidInputError(
                    f"weight of field {name!r} must be a finite number > 0, "
                    f"got {weight!r}"
                )
            weights[name] = float(weight)
        object.__setattr__(self, "field_weights", MappingProxyType(weights))
        labels = tuple(self.label_fields)
        unknown = [f for f in labels if f not in weights]
        if unknown:
            raise InvalidInputError(
                f"label field {unknown[0]!r} is not in field_weights "
                f"({', '.join(weights)})"
            )
        object.__setattr__(self, "label_fields", labels)
        for flag in ("sublinear_tf", "smooth_idf", "stop_words"):
            if not isinstance(getattr(self, flag), bool):
                raise InvalidInputError(
                    f"{flag} must be a bool, got {getattr(self, flag)!r}"
                )
        if (
            not isinstance(self.min_df, (int, np.integer))
            or isinstance(self.min_df, bool)
            or self.min_df < 1
        ):
            raise InvalidInputError(f"min_df must be an int >= 1, got {self.min_df!r}")
        ok = isinstance(self.max_df, (int, float)) and not isinstance(self.max_df, bool)
        if not ok or not (0 < self.max_df <= 1):
            raise InvalidInputError(
                f"max_df must be a number in (0, 1], got {self.max_df!r}"
            )

    def __hash__(self) -> int:
        return hash(
            (
                tuple(sorted(self.field_weights.items())),
                self.label_fields,
                self.sublinear_tf,
                self.smooth_idf,
                self.min_df,
                self.max_df,
                self.stop_words,
            )
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form; :meth:`from_dict` reads it back."""
        return {
            "field_weights": dict(self.field_weights),
            "label_fields": list(self.label_fields),
            "sublinear_tf": self.sublinear_tf,
            "smooth_idf": self.smooth_idf,
            "min_df": int(self.min_df),
            "max_df": float(self.max_df),
            "stop_words": self.stop_words,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TfidfConfig:
        known = set(cls.__dataclass_fields__)
        extra = sorted(set(data) - known)
        if extra:
            raise InvalidInputError(f"unknown TfidfConfig fields: {', '.join(extra)}")
        values = dict(data)
        if "label_fields" in values:
            values["label_fields"] = tuple(values["label_fields"])
        return cls(**values)


def _item_index(value: object, n_items: int, what: str = "item") -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        if 0 <= int(value) < n_items:
            return int(value)
    shown = repr(value.item() if isinstance(value, np.generic) else value)
    raise InvalidInputError(
        f"{what} must be an int in 0..{n_items - 1}, got {shown}"
        if n_items
        else f"{what} {shown} given, but the index has no items"
    )


def _item_indices(values: Iterable[int], n_items: int, what: str) -> IntArray:
    """Validated item indices from a sequence, set or 1-D integer array."""
    if (
        isinstance(values, np.ndarray)
        and values.ndim == 1
        and values.dtype.kind in "iu"
    ):
        if len(values) == 0 or (values.min() >= 0 and values.max() < n_items):
            return values.astype(np.int32)
    elif isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise InvalidInputError(f"{what} must be a sequence of ints, got {values!r}")
    # Slow path: find the first bad value and name it.
    return np.asarray([_item_index(v, n_items, what) for v in values], np.int32)


def _top_k(scores: npt.NDArray[np.float32], k: int) -> IntArray:
    """Indices of the ``k`` highest positive scores; ties by index ascending."""
    cand = np.flatnonzero(scores > 0)
    vals = scores[cand]
    if len(cand) > k:
        # Everything above the k-th best value, then the lowest indices among
        # those tied with it (cand is ascending), so at most k are sorted below.
        kth = np.partition(vals, len(vals) - k)[len(vals) - k]
        above = vals > kth
        tied = np.flatnonzero(vals == kth)[: k - int(above.sum())]
        keep = np.union1d(np.flatnonzero(above), tied)
        cand, vals = cand[keep], vals[keep]
    order = np.lexsort((cand, -vals))[:k]
    return cand[order].astype(np.int32)


def _ranked(values: npt.NDArray[Any], keys: npt.NDArray[Any], n: int) -> IntArray:
    """Positions of the ``n`` largest positive ``values``; ties by ``keys``."""
    order = np.lexsort((keys, -values))
    order = order[values[order] > 0]
    return order[:n].astype(np.int32)


def _check_count(n: object, what: str, *, minimum: int) -> int:
    if isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_)):
        if int(n) >= minimum:
            return int(n)
    raise InvalidInputError(f"{what} must be an int >= {minimum}, got {n!r}")


class TfidfIndex:
    """Unit-length TF-IDF rows of a catalog and the inverted index over them.

    Build with :meth:`build` or :meth:`from_catalog`; restore with
    :meth:`from_arrays`.

    Attributes
    ----------
    matrix_ : CsrMatrix
        Items x terms, float32; every non-empty row has unit L2 norm, empty rows
        are all zero.
    inverted_ : CsrMatrix
        Terms x items, the transpose of ``matrix_`` (posting lists).
    terms_ : ndarray of str, shape (n_terms,)
        Sorted term strings ``"field:token"``.
    labels_ : ndarray of str, shape (n_terms,)
        Readable form of each term (``"genre Crime"``, ``"title godfather"``).
    idf_ : ndarray of float32, shape (n_terms,)
        Inverse document frequency of each term (without the field weight).
    config : TfidfConfig
    """

    def __init__(
        self,
        matrix: CsrMatrix,
        terms: npt.NDArray[np.str_],
        labels: npt.NDArray[np.str_],
        idf: FloatArray,
        config: TfidfConfig,
    ) -> None:
        n_terms = matrix.shape[1]
        if not (len(terms) == len(labels) == len(idf) == n_terms):
            raise InvalidInputError(
                f"terms ({len(terms)}), labels ({len(labels)}), idf ({len(idf)}) "
                f"and matrix columns ({n_terms}) must agree"
            )
        self.matrix_ = matrix
        self.inverted_ = matrix.transpose()
        self.terms_ = terms
        self.labels_ = labels
        self.idf_ = idf
        self.config = config

    @property
    def n_items(self) -> int:
        return self.matrix_.shape[0]

    @property
    def n_terms(self) -> int:
        return self.matrix_.shape[1]

    def __repr__(self) -> str:
        return (
            f"TfidfIndex(n_items={self.n_items}, n_terms={self.n_terms}, "
            f"nnz={self.matrix_.nnz})"
        )

    # -- building ---------------------------------------------------------------

    @classmethod
    def build(
        cls,
        fields: Mapping[str, Sequence[str]],
        config: TfidfConfig,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> TfidfIndex:
        """Index the items described by ``fields``.

        Parameters
        ----------
        fields
            Field name -> one string per item (all of the same length). Label
            fields hold labels joined by ``"|"``; ``""`` is an empty field. Every
            field of ``config.field_weights`` must be present; others are ignored.
        config
            Weights and filters.
        progress, cancel
            Progress callback (stage ``"building TF-IDF index"``) and cancel token.

        Returns
        -------
        TfidfIndex

        Raises
        ------
        InvalidInputError
            A field is missing, fields differ in length, or a value is not a str.
        CancelledError
            ``cancel`` was set.
        """
        report = progress or no_progress
        start = time.perf_counter()
        counts, keys, displays = count_terms(fields, config, report, cancel)
        matrix, keep, idf = weigh(counts, keys, config)
        terms = np.asarray([keys[j] for j in keep], dtype=np.str_).reshape(-1)
        labels = np.asarray([displays[j] for j in keep], dtype=np.str_).reshape(-1)
        index = cls(matrix, terms, labels, idf, config)
        report(STAGE, 1.0)
        logger.info(
            "TF-IDF index built: n_items=%d n_terms=%d nnz=%d in %.3f s",
            index.n_items,
            index.n_terms,
            matrix.nnz,
            time.perf_counter() - start,
        )
        return index

    @classmethod
    def from_catalog(
        cls,
        catalog: Catalog,
        config: TfidfConfig,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> TfidfIndex:
        """Index a catalog's text fields plus its titles as field ``"title"``.

        A ``"title"`` in ``catalog.fields`` wins over ``catalog.titles``. From the
        display titles a trailing ``" (YYYY)"`` equal to the item's year is cut,
        so that the year does not make every film of 1995 similar.
        """
        fields: dict[str, Any] = {}
        for name in config.field_weights:
            if name in catalog.fields:
                fields[name] = catalog.fields[name]
            elif name == "title":
                fields[name] = _titles_without_year(catalog)
            else:
                raise InvalidInputError(
                    f"field {name!r} of the TF-IDF config is not in the "
                    f"{catalog.domain} catalog (fields: title, "
                    f"{', '.join(catalog.fields) or 'none other'})"
                )
        return cls.build(fields, config, progress=progress, cancel=cancel)

    # -- queries ----------------------------------------------------------------

    def is_empty(self, item: int) -> bool:
        """Whether the item has no terms (and so scores 0 against everything)."""
        i = _item_index(item, self.n_items)
        return bool(self.matrix_.indptr[i + 1] == self.matrix_.indptr[i])

    def item_scores(self, item: int) -> FloatArray:
        """Cosine of one item to every item, via the inverted index.

        Returns
        -------
        ndarray of float32, shape (n_items,)
            Values in [0, 1]. Items sharing no term with ``item`` score 0. The
            item itself scores 1 unless its row is empty: an empty item scores 0
            against every item, itself included.
        """
        i = _item_index(item, self.n_items)
        cols, vals = self.matrix_.row(i)
        return self._scores(cols, vals)

    def profile_scores(
        self, items: Sequence[int], weights: Sequence[float] | None = None
    ) -> FloatArray:
        """Cosine of the normalised (weighted) mean of some items to every item.

        Parameters
        ----------
        items
            Item indices (at least one; repeats add up).
        weights
            One finite weight >= 0 per item; ``None`` weighs all alike.

        Returns
        -------
        ndarray of float32, shape (n_items,)
            Values in [0, 1]; all 0 when every given item is empty or weighs 0.
        """
        cols, vals = self._profile(items, weights)
        return self._scores(cols, vals)

    def similar_items(
        self, item: int, k: int, *, exclude: Sequence[int] = ()
    ) -> tuple[IntArray, FloatArray]:
        """The ``k`` items most similar to ``item``.

        Only items with a positive cosine (sharing a term) are returned, so fewer
        than ``k`` may come back; none for an empty item. The item itself and
        ``exclude`` are left out; ties are broken by item index ascending.

        Returns
        -------
        indices : ndarray of int32, shape (m,), m <= k
        scores : ndarray of float32, shape (m,), descending
        """
        k = _check_count(k, "k", minimum=1)
        scores = self.item_scores(item)
        scores[int(item)] = 0.0
        drop = _item_indices(exclude, self.n_items, "exclude")
        scores[drop] = 0.0
        top = _top_k(scores, k)
        return top, scores[top]

    def pairwise(self, items: Sequence[int]) -> FloatArray:
        """Cosine among the given items (for diversity re-ranking).

        Returns
        -------
        ndarray of float32, shape (m, m)
            Symmetric, values in [0, 1]; diagonal 1 for non-empty items, and every
            entry of an empty item's row and column 0.
        """
        idx = _item_indices(items, self.n_items, "items")
        m = len(idx)
        sub = self.matrix_.take_rows(idx)
        if sub.nnz == 0:
            return np.zeros((m, m), np.float32)
        # Sparse Gram matrix without BLAS: group the entries by term, pair every
        # entry with each entry of its group and add the products per (i, j).
        order = np.argsort(sub.indices, kind="stable")
        cols = sub.indices[order]
        rows = sub.row_of_entry[order]
        vals = sub.data[order].astype(np.float64)
        starts = np.flatnonzero(np.r_[True, cols[1:] != cols[:-1]])
        sizes = np.diff(np.r_[starts, len(cols)]).astype(np.int64)
        group_size = np.repeat(sizes, sizes)  # per entry, the size of its group
        left = np.repeat(np.arange(len(cols)), group_size)
        first = np.repeat(np.repeat(starts, sizes), group_size)
        offset = np.arange(len(left)) - np.repeat(
            np.cumsum(group_size) - group_size, group_size
        )
        right = first + offset
        gram = np.bincount(
            rows[left] * m + rows[right],
            weights=vals[left] * vals[right],
            minlength=m * m,
        ).reshape(m, m)
        out: FloatArray = np.clip(gram, 0.0, 1.0).astype(np.float32)
        return out

    def top_terms(self, item: int, n: int = 5, *, readable: bool = True) -> list[str]:
        """The item's ``n`` heaviest terms, heaviest first (ties by term order).

        ``readable`` gives labels such as ``"genre Crime"``; otherwise the raw
        ``"genres:crime"`` term strings.
        """
        n = _check_count(n, "n", minimum=0)
        cols, vals = self.matrix_.row(_item_index(item, self.n_items))
        pos = _ranked(vals, cols, n)
        return self._term_names(cols[pos], readable)

    def shared_terms(
        self,
        source: int | Sequence[int],
        target: int,
        n: int = 3,
        *,
        readable: bool = True,
    ) -> list[str]:
        """Terms contributing most to the cosine of ``source`` and ``target``.

        ``source`` is one item or several (their normalised mean profile, as in
        :meth:`profile_scores`). A term's contribution is the product of its two
        weights; only terms in both are listed, largest contribution first.
        """
        n = _check_count(n, "n", minimum=0)
        if isinstance(source, (int, np.integer)):
            q_cols, q_vals = self.matrix_.row(_item_index(source, self.n_items))
        else:
            q_cols, q_vals = self._profile(source, None)
        t_cols, t_vals = self.matrix_.row(_item_index(target, self.n_items, "target"))
        common, qi, ti = np.intersect1d(
            q_cols, t_cols, assume_unique=True, return_indices=True
        )
        contrib = q_vals[qi].astype(np.float64) * t_vals[ti]
        pos = _ranked(contrib, common, n)
        return self._term_names(common[pos], readable)

    def _term_names(self, cols: npt.NDArray[Any], readable: bool) -> list[str]:
        names = self.labels_ if readable else self.terms_
        return [str(names[j]) for j in cols]

    def _scores(self, cols: IntArray, vals: FloatArray) -> FloatArray:
        if len(cols) == 0:
            return np.zeros(self.n_items, np.float32)
        # Exact cosine: rows are unit length, so the dot product over the query's
        # posting lists is the cosine; float rounding may overshoot 1 by an ulp.
        scores = self.inverted_.weighted_row_sum(cols, vals)
        return np.clip(scores, 0.0, 1.0, out=scores)

    def _profile(
        self, items: Sequence[int], weights: Sequence[float] | None
    ) -> tuple[IntArray, FloatArray]:
        """Sparse unit-length weighted mean of some rows: (term indices, values)."""
        idx = _item_indices(items, self.n_items, "items")
        if len(idx) == 0:
            raise InvalidInputError("items must name at least one item, got none")
        if weights is None:
            w = np.ones(len(idx), np.float64)
        else:
            w = np.asarray(weights, dtype=np.float64).reshape(-1)
            if w.shape != idx.shape:
                raise InvalidInputError(
                    f"need one weight per item ({len(idx)}), got {w.shape[0]}"
                )
            if not np.all(np.isfinite(w)) or np.any(w < 0):
                raise InvalidInputError(
                    f"weights must be finite and >= 0, got {w.tolist()!r}"
                )
        sub = self.matrix_.take_rows(idx)
        cols, inverse = np.unique(sub.indices, return_inverse=True)
        contrib = sub.data.astype(np.float64) * w[sub.row_of_entry]
        summed = np.bincount(inverse.reshape(-1), weights=contrib, minlength=len(cols))
        norm = float(np.sqrt(np.dot(summed, summed)))
        if norm == 0.0:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        keep = summed > 0
        return cols[keep].astype(np.int32), (summed[keep] / norm).astype(np.float32)

    # -- persistence ------------------------------------------------------------

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Arrays for ``np.savez`` (no pickle); all keys start with ``"tfidf_"``."""
        arrays = self.matrix_.to_arrays("tfidf_matrix")
        arrays["tfidf_version"] = np.asarray(FORMAT_VERSION, np.int64)
        arrays["tfidf_config"] = np.asarray(json.dumps(self.config.to_dict()))
        arrays["tfidf_terms"] = self.terms_
        arrays["tfidf_labels"] = self.labels_
        arrays["tfidf_idf"] = self.idf_
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> TfidfIndex:
        """Restore an index saved with :meth:`to_arrays`.

        Raises
        ------
        ModelFormatError
            A key is missing, the version differs, or the arrays are inconsistent.
        """
        try:
            version = int(np.asarray(arrays["tfidf_version"]))
            if version != FORMAT_VERSION:
                raise ModelFormatError(
                    f"TF-IDF index format {version} is not the supported "
                    f"{FORMAT_VERSION}; rebuild the index"
                )
            config = TfidfConfig.from_dict(json.loads(str(arrays["tfidf_config"])))
            matrix = CsrMatrix.from_arrays(arrays, "tfidf_matrix")
            terms = np.asarray(arrays["tfidf_terms"])
            labels = np.asarray(arrays["tfidf_labels"])
            idf = np.asarray(arrays["tfidf_idf"])
            check_arrays(matrix, terms, labels, idf)
            return cls(matrix, terms, labels, idf, config)
        except KeyError as exc:
            raise ModelFormatError(f"TF-IDF arrays lack {exc.args[0]!r}") from None
        except (InvalidInputError, ValueError, TypeError) as exc:
            if isinstance(exc, ModelFormatError):
                raise
            raise ModelFormatError(f"TF-IDF arrays are invalid: {exc}") from None


def _titles_without_year(catalog: Catalog) -> list[str]:
    out = []
    years = catalog.years.tolist()
    for title, year in zip(catalog.titles.tolist(), years, strict=True):
        text = str(title).strip()
        suffix = f"({int(year)})"
        if year > 0 and text.endswith(suffix):
            text = text[: -len(suffix)].rstrip()
        out.append(text)
    return out
