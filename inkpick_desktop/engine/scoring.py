"""Block scoring for offline evaluation: components, the product's blend, ranks.

Evaluation scores many users at once. A *block* is a few dozen users scored
against the whole catalog as dense ``(rows, n_items)`` float32 arrays, the row
count chosen by :func:`block_rows` so that a block stays near
:data:`BLOCK_CELLS` cells whatever the catalog size; the full users x items
matrix is never formed.

The hybrid ranking reproduces :class:`~.recommender.Recommender` at diversity
1.0 exactly: candidates are each available component's top
``candidate_size(k)`` items (seen items removed; the collaborative side only
items with training data), both components are rescaled over the candidates by
:func:`~.hybrid.rescale_rows` and mixed by :func:`~.hybrid.blend`'s rule, and
the candidates with some evidence (:func:`~.hybrid.mode_relevance`) are ranked
by the blend, ties by item index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inkpick_desktop.data.model import Interactions
from inkpick_desktop.engine.hybrid import rescale_rows
from inkpick_desktop.engine.metrics import top_k_rows
from inkpick_desktop.engine.sparse import CsrMatrix

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]

#: Target cells (rows x items) of one dense scoring block.
BLOCK_CELLS = 1 << 22
#: Largest block, in rows.
MAX_BLOCK_ROWS = 512


def block_rows(n_items: int) -> int:
    """Rows per block for a catalog of ``n_items`` (1 .. MAX_BLOCK_ROWS)."""
    return int(min(MAX_BLOCK_ROWS, max(1, BLOCK_CELLS // max(n_items, 1))))


def blocks(n: int, size: int) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` covering ``range(n)`` in steps of ``size``."""
    return [(a, min(a + size, n)) for a in range(0, n, size)]


@dataclass(frozen=True, eq=False)
class Profiles:
    """What the product's ``recommend_user`` sees of every training user.

    ``items``/``weights`` follow ``QueryParts.user_profile``: distinct items,
    for ratings only those rated at least the user's mean (weighted by the
    rating, all 1 when every kept rating is 0), for play counts
    ``log1p(count)``, otherwise 1. ``history_size`` is the number of those
    items, the size auto α is looked up with.
    """

    items: list[IntArray]
    weights: list[npt.NDArray[np.float64]]

    @property
    def history_size(self) -> IntArray:
        return np.array([len(x) for x in self.items], np.int32)


def user_profiles(train: Interactions) -> Profiles:
    """The content profile of every user of ``train`` (see :class:`Profiles`)."""
    n_items = max(train.n_items, 1)
    keys = train.users.astype(np.int64) * n_items + train.items
    # Source order of first appearance, as the product builds its dict.
    uniq, first = np.unique(keys, return_index=True)
    inverse = np.searchsorted(uniq, keys)
    best = np.full(len(uniq), -np.inf)
    np.maximum.at(best, inverse, train.values.astype(np.float64))
    order = np.argsort(first, kind="stable")
    uniq, best = uniq[order], best[order]
    pair_user = uniq // n_items
    pair_item = (uniq - pair_user * n_items).astype(np.int32)
    by_user = np.argsort(pair_user, kind="stable")
    counts = np.bincount(pair_user, minlength=train.n_users)
    bounds = np.r_[0, np.cumsum(counts)]
    items_out: list[IntArray] = []
    weights_out: list[npt.NDArray[np.float64]] = []
    for u in range(train.n_users):
        sel = by_user[bounds[u] : bounds[u + 1]]
        items, vals = pair_item[sel], best[sel]
        if train.value_kind == "rating" and len(vals):
            keep = vals >= vals.mean() - 1e-9
            items, vals = items[keep], vals[keep]
            if not np.any(vals > 0):
                vals = np.ones(len(items))
        elif train.value_kind == "playcount":
            vals = np.log1p(np.clip(vals, 0.0, None))
        else:
            vals = np.ones(len(items))
        items_out.append(items)
        weights_out.append(vals)
    return Profiles(items_out, weights_out)


def seen_mask(seen: CsrMatrix, rows: npt.ArrayLike) -> BoolArray:
    """Dense bool ``(len(rows), n_items)``: the rows' stored entries."""
    sub = seen.take_rows(rows)
    out = np.zeros(sub.shape, bool)
    out[sub.row_of_entry, sub.indices] = True
    return out


def content_block(
    content: object,
    picks: Sequence[npt.ArrayLike],
    weights: Sequence[npt.ArrayLike] | None,
) -> tuple[FloatArray, BoolArray]:
    """Raw TF-IDF cosine of each row's picks to every item, and which rows have any.

    Uses the index's own ``item_scores`` / ``profile_scores`` exactly as the
    facade does (one pick: its row; several: their weighted profile). A row
    whose picks have no terms scores 0 everywhere and is flagged False.
    """
    n_items = int(content.n_items)  # type: ignore[attr-defined]
    out = np.zeros((len(picks), n_items), np.float32)
    ok = np.zeros(len(picks), bool)
    for r, items in enumerate(picks):
        idx = [int(i) for i in np.asarray(items).tolist()]
        usable = [i for i in idx if not content.is_empty(i)]  # type: ignore[attr-defined]
        if not usable:
            continue
        ok[r] = True
        if len(idx) == 1:
            out[r] = content.item_scores(idx[0])  # type: ignore[attr-defined]
        else:
            w = None if weights is None else weights[r]
            out[r] = content.profile_scores(idx, w)  # type: ignore[attr-defined]
    return out, ok


def factor_block(
    user_factors: npt.ArrayLike, item_factors: npt.ArrayLike, has_data: BoolArray
) -> FloatArray:
    """``X @ Y^T`` for a block of user vectors, ``-inf`` where items lack data."""
    x = np.asarray(user_factors, np.float32)
    y = np.asarray(item_factors, np.float32)
    cols = np.flatnonzero(has_data)
    scores = np.full((x.shape[0], y.shape[0]), -np.inf, np.float32)
    scores[:, cols] = x @ y[cols].T
    return scores


def fold_in_vectors(
    model: object, picks: Sequence[npt.ArrayLike]
) -> tuple[FloatArray, BoolArray]:
    """Fold-in vector of each row's picks that have data, and which rows have any."""
    has = model.item_has_data_  # type: ignore[attr-defined]
    f = int(model.n_factors)  # type: ignore[attr-defined]
    out = np.zeros((len(picks), f), np.float32)
    ok = np.zeros(len(picks), bool)
    for r, items in enumerate(picks):
        idx = np.asarray(items, np.int64)
        with_data = idx[has[idx]] if len(idx) else idx
        if len(with_data):
            out[r] = model.fold_in(with_data.tolist())  # type: ignore[attr-defined]
            ok[r] = True
    return out, ok


def rank_excluding(
    scores: FloatArray,
    exclude: BoolArray,
    k: int,
    columns: IntArray | None = None,
) -> IntArray:
    """Top ``k`` of every row with ``exclude`` cells removed (``-1`` padding).

    ``columns`` restricts the ranking to those items (e.g. the items with
    collaborative data; all others are unrankable anyway), which is much
    cheaper on a large catalog.
    """
    if columns is None:
        return top_k_rows(np.where(exclude, np.float32(-np.inf), scores), k)
    sub = np.where(exclude[:, columns], np.float32(-np.inf), scores[:, columns])
    pos = top_k_rows(sub, k)
    return np.where(pos >= 0, columns[np.maximum(pos, 0)], -1).astype(np.int32)


@dataclass(frozen=True, eq=False)
class Candidates:
    """Rescaled components over each row's candidate set, padded.

    ``items`` is int ``(rows, width)``, ascending per row among valid cells,
    ``-1`` in padding; ``content``/``collaborative`` are the rescaled scores
    (float32, 0 in padding); ``has`` marks candidates with collaborative data.
    """

    items: IntArray
    content: FloatArray
    collaborative: FloatArray
    has: BoolArray

    @property
    def valid(self) -> BoolArray:
        return self.items >= 0


def candidates(
    content: FloatArray,
    content_ok: BoolArray,
    collab: FloatArray,
    collab_ok: BoolArray,
    has_data: BoolArray,
    exclude: BoolArray,
    size: int,
) -> Candidates:
    """The facade's candidate set and rescaled components for a block."""
    rows = content.shape[0]
    parts = []
    c = np.where(exclude | ~content_ok[:, None], np.float32(-np.inf), content)
    parts.append(top_k_rows(c, size))
    cols = np.flatnonzero(has_data).astype(np.int32)
    off = exclude | ~collab_ok[:, None]
    parts.append(rank_excluding(collab, off, size, cols))
    items = np.sort(np.concatenate(parts, axis=1), axis=1)
    dup = np.zeros(items.shape, bool)
    dup[:, 1:] = items[:, 1:] == items[:, :-1]
    items[dup] = -1
    valid = items >= 0
    safe = np.where(valid, items, 0)
    r = np.arange(rows)[:, None]
    has = valid & has_data[safe] & collab_ok[:, None]
    cs = rescale_rows(content[r, safe], valid)
    fs = rescale_rows(collab[r, safe], has)
    return Candidates(items.astype(np.int32), cs, fs, has)


def blend_rank(cands: Candidates, alpha: float | npt.ArrayLike, k: int) -> IntArray:
    """Top ``k`` candidates of every row by the facade's blend at ``alpha``.

    ``alpha`` is one number or one per row.
    """
    al = np.asarray(alpha, np.float64)
    if al.ndim:
        al = al.reshape(-1, 1)
    a = al.astype(np.float32)
    mixed = a * cands.content + (1.0 - al).astype(np.float32) * np.where(
        cands.has, cands.collaborative, np.float32(0)
    )
    # A row with no collaborative candidate is ranked by content alone.
    none = ~cands.has.any(axis=1)
    mixed[none] = cands.content[none]
    # Only candidates with some evidence are ranked (hybrid.mode_relevance).
    evidence = cands.valid & (
        (cands.content > 0) | (cands.has & (cands.collaborative > 0))
    )
    mixed = np.where(evidence, mixed.astype(np.float32), np.float32(-np.inf))
    pos = top_k_rows(mixed, k)
    r = np.arange(pos.shape[0])[:, None]
    out = np.where(pos >= 0, cands.items[r, np.maximum(pos, 0)], -1)
    return out.astype(np.int32)
