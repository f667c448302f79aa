"""Top-K ranking metrics for offline evaluation.

Every function works on a block of ranked lists: ``ranked`` is an int array of
shape ``(n_users, K)`` holding internal item indices best first, padded with
``-1`` where fewer than ``K`` items could be ranked (a catalog smaller than
``K``, a user who has seen nearly everything). ``relevant`` holds each row's
held-out items. Definitions, for one user with relevant set ``R`` and hits
``h_i`` (1 when the item at rank ``i`` is in ``R``):

* Precision@K ``= sum h_i / K`` (padding counts as a miss);
* Recall@K ``= sum h_i / |R|``;
* NDCG@K: binary gain, ``DCG = sum h_i / log2(i + 1)`` over the ideal DCG of
  ``min(|R|, K)`` hits at the top;
* AP@K ``= sum_i h_i * Precision@i / min(|R|, K)``; MAP@K is its mean;
* hit rate: 1 when any of the first ``K`` items is relevant.

Users whose ``R`` is empty are skipped and counted (``n_skipped``); every metric
is averaged over the same remaining users. List-level metrics over those users:
catalog coverage (distinct recommended items / catalog size), intra-list
diversity (mean of ``1 - similarity`` over the pairs of a list, lists of at least
two items) and the mean popularity of recommended items.

Ties in the scores that produce a ranking are broken by item index ascending
(:func:`top_k_rows`), a rule that never looks at the answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.sparse import CsrMatrix

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]

#: Given item indices ``(m,)``, their ``(m, m)`` similarity matrix in [0, 1].
PairwiseFn = Callable[[IntArray], npt.ArrayLike]

#: Names of the per-user accuracy metrics, in report order.
ACCURACY = ("precision", "recall", "ndcg", "map", "hit_rate")


def top_k_rows(scores: npt.ArrayLike, k: int) -> IntArray:
    """The ``k`` best columns of every row, ties by column index ascending.

    Parameters
    ----------
    scores
        float array ``(n_rows, n_items)``; ``-inf`` and NaN mark items that may
        not be ranked (seen items, items a model cannot score).
    k
        List length (>= 1); may exceed ``n_items``.

    Returns
    -------
    numpy.ndarray
        int32 ``(n_rows, k)``, best first, ``-1`` where a row has fewer than
        ``k`` rankable items.

    Examples
    --------
    >>> top_k_rows([[0.5, 0.9, 0.5, -np.inf]], 4).tolist()
    [[1, 0, 2, -1]]
    """
    s = np.asarray(scores)
    if s.dtype not in (np.float32, np.float64):
        s = s.astype(np.float64)
    if s.ndim != 2:
        raise InvalidInputError(f"scores must be 2-D (rows, items), got {s.shape}")
    k = check_k(k)
    n_rows, n_items = s.shape
    out = np.full((n_rows, k), -1, np.int32)
    if n_rows == 0 or n_items == 0:
        return out
    nan = np.isnan(s)
    if nan.any():
        s = np.where(nan, -np.inf, s)
    if k < n_items:
        # Everything tied with the k-th best value stays in, so that the exact
        # index tie-break below decides among them.
        # (Selecting near the front of the negated row is several times faster
        # than near the back of the row when many values are equal.)
        kth = -np.partition(-s, k - 1, axis=1)[:, k - 1]
        keep = s >= kth[:, None]
        keep &= s > -np.inf
    else:
        keep = s > -np.inf
    rows, cols = np.nonzero(keep)  # row-major: columns ascending within a row
    order = np.lexsort((cols, -s[rows, cols], rows))
    rows, cols = rows[order], cols[order]
    starts = np.searchsorted(rows, np.arange(n_rows))
    rank = np.arange(len(rows)) - starts[rows]
    take = rank < k
    out[rows[take], rank[take]] = cols[take]
    return out


def check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or int(k) < 1:
        raise InvalidInputError(f"k must be a positive int, got {k!r}")
    return int(k)


def relevant_rows(matrix: CsrMatrix, rows: npt.ArrayLike) -> list[IntArray]:
    """The stored column indices of some rows of a (test) matrix, as a list."""
    idx = np.asarray(rows, dtype=np.int64).ravel()
    return [
        matrix.indices[matrix.indptr[r] : matrix.indptr[r + 1]].astype(np.int32)
        for r in idx.tolist()
    ]


def hits(ranked: npt.ArrayLike, relevant: Sequence[npt.ArrayLike]) -> npt.NDArray:
    """bool ``(n_users, K)``: whether ``ranked[u, i]`` is one of ``relevant[u]``."""
    r = _ranked(ranked)
    if len(relevant) != r.shape[0]:
        raise InvalidInputError(
            f"need one relevant set per ranked row ({r.shape[0]}), got {len(relevant)}"
        )
    if r.size == 0:
        return np.zeros(r.shape, bool)
    # One vectorised membership test on (row, item) keys.
    width = int(
        max(r.max(), max((int(np.max(x)) for x in relevant if len(x)), default=0))
    )
    width += 2
    rel_keys = np.concatenate(
        [u * width + np.unique(np.asarray(x, np.int64)) for u, x in enumerate(relevant)]
        + [np.zeros(0, np.int64)]
    )
    keys = np.arange(r.shape[0], dtype=np.int64)[:, None] * width + r
    return np.isin(keys, rel_keys) & (r >= 0)


def user_metrics(
    ranked: npt.ArrayLike, relevant: Sequence[npt.ArrayLike], k: int
) -> dict[str, FloatArray]:
    """Per-user Precision, Recall, NDCG, AP and hit at ``k``.

    Rows whose relevant set is empty get NaN (they are to be skipped).
    Only the first ``k`` columns of ``ranked`` are read.

    Returns
    -------
    dict
        ``{"precision", "recall", "ndcg", "map", "hit_rate"}`` -> float64
        ``(n_users,)``.
    """
    k = check_k(k)
    r = _ranked(ranked)[:, :k]
    if r.shape[1] < k:
        r = np.pad(r, ((0, 0), (0, k - r.shape[1])), constant_values=-1)
    h = hits(r, relevant).astype(np.float64)
    n_rel = np.array([len(np.unique(np.asarray(x))) for x in relevant], np.float64)
    empty = n_rel == 0
    safe = np.where(empty, 1.0, n_rel)
    n_hit = h.sum(axis=1)
    discounts = 1.0 / np.log2(np.arange(2, k + 2, dtype=np.float64))
    ideal = np.cumsum(discounts)[np.minimum(safe, k).astype(np.int64) - 1]
    precision_at_i = np.cumsum(h, axis=1) / np.arange(1, k + 1)
    out = {
        "precision": n_hit / k,
        "recall": n_hit / safe,
        "ndcg": (h @ discounts) / ideal,
        "map": (precision_at_i * h).sum(axis=1) / np.minimum(safe, k),
        "hit_rate": (n_hit > 0).astype(np.float64),
    }
    for values in out.values():
        values[empty] = np.nan
    return out


@dataclass(frozen=True)
class MetricSummary:
    """Metrics averaged over the users that have held-out items.

    Attributes
    ----------
    k
        List length.
    n_users
        Users evaluated (with at least one relevant item).
    n_skipped
        Users skipped because they had no relevant item.
    precision, recall, ndcg, map, hit_rate
        Means over the ``n_users`` users (NaN when there are none).
    coverage
        Distinct recommended items over the evaluated users / catalog size.
    diversity
        Mean intra-list diversity, ``None`` when no similarity was given.
    popularity
        Mean popularity of recommended items, ``None`` when none was given.
    """

    k: int
    n_users: int
    n_skipped: int
    precision: float
    recall: float
    ndcg: float
    map: float
    hit_rate: float
    coverage: float
    diversity: float | None = None
    popularity: float | None = None

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def summarize(
    ranked: npt.ArrayLike,
    relevant: Sequence[npt.ArrayLike],
    k: int,
    n_items: int,
    *,
    popularity: npt.ArrayLike | None = None,
    pairwise: PairwiseFn | None = None,
) -> MetricSummary:
    """All metrics of a block of ranked lists.

    Parameters
    ----------
    ranked
        int ``(n_users, >= k)`` item indices, best first, ``-1`` padding.
    relevant
        One array of relevant item indices per row.
    k
        Cut-off.
    n_items
        Catalog size (the coverage denominator).
    popularity
        Per-item popularity in [0, 1], ``(n_items,)`` (e.g. the share of
        training users who interacted with the item).
    pairwise
        Item-item similarity in [0, 1] for intra-list diversity.
    """
    k = check_k(k)
    if isinstance(n_items, bool) or not isinstance(n_items, (int, np.integer)):
        raise InvalidInputError(f"n_items must be a positive int, got {n_items!r}")
    if n_items < 1:
        raise InvalidInputError(f"n_items must be a positive int, got {n_items!r}")
    r = _ranked(ranked)[:, :k]
    per_user = user_metrics(r, relevant, k)
    keep = ~np.isnan(per_user["ndcg"])
    n_users = int(keep.sum())
    means = {
        name: float(per_user[name][keep].mean()) if n_users else math.nan
        for name in ACCURACY
    }
    lists = r[keep]
    shown = lists[lists >= 0]
    coverage = len(np.unique(shown)) / int(n_items)
    pop = None
    if popularity is not None:
        p = np.asarray(popularity, np.float64)
        if p.shape != (n_items,):
            raise InvalidInputError(
                f"popularity must have {n_items} entries, got shape {p.shape}"
            )
        per_list = [p[row[row >= 0]].mean() for row in lists if (row >= 0).any()]
        pop = float(np.mean(per_list)) if per_list else math.nan
    div = None
    if pairwise is not None:
        div = intra_list_diversity(lists, pairwise)
    return MetricSummary(
        k=k,
        n_users=n_users,
        n_skipped=int((~keep).sum()),
        coverage=float(coverage),
        diversity=div,
        popularity=pop,
        **means,
    )


def intra_list_diversity(ranked: npt.ArrayLike, pairwise: PairwiseFn) -> float:
    """Mean over lists (of >= 2 items) of ``1 - mean pairwise similarity``.

    NaN when no list has two items.
    """
    values = []
    for row in _ranked(ranked):
        items = row[row >= 0]
        m = len(items)
        if m < 2:
            continue
        sim = np.clip(np.asarray(pairwise(items), np.float64), 0.0, 1.0)
        off = (sim.sum() - np.trace(sim)) / (m * (m - 1))
        values.append(1.0 - off)
    return float(np.mean(values)) if values else math.nan


def _ranked(ranked: npt.ArrayLike) -> npt.NDArray[np.int64]:
    r = np.asarray(ranked)
    if r.ndim != 2 or (r.size and not np.issubdtype(r.dtype, np.integer)):
        raise InvalidInputError(
            f"ranked lists must be a 2-D int array (users, K), got shape {r.shape} "
            f"and dtype {r.dtype}"
        )
    return r.astype(np.int64, copy=False)
