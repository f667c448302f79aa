"""Maximal Marginal Relevance re-ranking for diverse result lists.

Greedy MMR (Carbonell & Goldstein, 1998): repeatedly pick the candidate ``i``
maximising ``lam * rel(i) - (1 - lam) * max_{j in S} sim(i, j)`` where ``S`` holds
the items already picked. ``lam = 1`` is the plain relevance ranking, ``lam = 0``
picks the most relevant item first and then always the item least similar to
what is already picked. Ties go to the lower item index.

Only the top ``pool_size(k)`` candidates by relevance are considered, so the
similarity matrix stays at most a few hundred items square whatever the catalog.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.hybrid import check_unit, top_n

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]

#: MMR pool size rule: ``max(POOL_MIN, POOL_PER_K * k)``.
POOL_MIN = 50
POOL_PER_K = 5

#: Given the pool's item indices (shape ``(m,)``), their similarity matrix ``(m, m)``.
SimilarityFn = Callable[[IntArray], npt.ArrayLike]


def pool_size(k: int, minimum: int = POOL_MIN, per_k: int = POOL_PER_K) -> int:
    """How many top-relevance candidates MMR looks at for ``k`` results."""
    return max(minimum, per_k * k)


def mmr(
    candidates: npt.ArrayLike,
    relevance: npt.ArrayLike,
    similarity: SimilarityFn | npt.ArrayLike,
    k: int,
    lam: float,
    pool: int | None = None,
) -> IntArray:
    """Order candidates by greedy Maximal Marginal Relevance.

    Parameters
    ----------
    candidates
        Internal item indices, shape ``(m,)``, unique.
    relevance
        Relevance per candidate, aligned with ``candidates``, shape ``(m,)``.
    similarity
        Either a callable taking the pool's item indices (int32, shape ``(p,)``)
        and returning their ``(p, p)`` similarity matrix, or a precomputed
        ``(m, m)`` matrix aligned with ``candidates``.
    k
        Number of items to return.
    lam
        λ in [0, 1]: 1 = relevance only, 0 = novelty only after the first pick.
    pool
        Candidates considered (the top ``pool`` by relevance); default
        :func:`pool_size` of ``k``.

    Returns
    -------
    numpy.ndarray
        Positions into ``candidates`` (int32), in picking order, length
        ``min(k, m)``.

    Examples
    --------
    >>> sim = np.array([[1, .9, 0], [.9, 1, 0], [0, 0, 1]], np.float32)
    >>> mmr([0, 1, 2], [1.0, 0.9, 0.5], sim, k=3, lam=1.0).tolist()
    [0, 1, 2]
    >>> mmr([0, 1, 2], [1.0, 0.9, 0.5], sim, k=3, lam=0.5).tolist()
    [0, 2, 1]
    """
    lam = check_unit("diversity", lam)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
        raise InvalidInputError(f"k must be a positive int, got {k!r}")
    cands = np.asarray(candidates, dtype=np.int32)
    rel = np.asarray(relevance, dtype=np.float64)
    if cands.shape != rel.shape or cands.ndim != 1:
        raise InvalidInputError(
            f"candidates and relevance must be aligned 1-d arrays, got shapes "
            f"{cands.shape} and {rel.shape}"
        )

    # top_n ranks by relevance, ties by position; candidates are usually sorted
    # by item index so position order is index order. Enforce it regardless:
    by_index = np.argsort(cands, kind="stable")
    size = pool_size(int(k)) if pool is None else max(int(pool), int(k))
    if lam == 1.0:
        return by_index[top_n(rel[by_index], int(k))].astype(np.int32)
    chosen_pool = by_index[top_n(rel[by_index], size)]
    m = len(chosen_pool)
    if m == 0:
        return np.zeros(0, np.int32)

    if callable(similarity):
        sim = np.asarray(similarity(cands[chosen_pool]), dtype=np.float64)
    else:
        full = np.asarray(similarity, dtype=np.float64)
        if full.shape != (len(cands), len(cands)):
            raise InvalidInputError(
                f"similarity matrix must be {len(cands)}x{len(cands)}, got {full.shape}"
            )
        sim = full[np.ix_(chosen_pool, chosen_pool)]
    if sim.shape != (m, m):
        raise InvalidInputError(
            f"similarity_fn returned {sim.shape}, expected {(m, m)}"
        )
    sim = np.nan_to_num(sim, nan=0.0)

    # The first pick is the most relevant item whatever λ (at λ = 0 every gain
    # would be 0); ties of the objective go to the lower item index.
    pool_items = cands[chosen_pool].astype(np.int64)
    pool_rel = rel[chosen_pool]
    picked: list[int] = []
    max_sim = np.full(m, -np.inf)
    free = np.ones(m, bool)
    for _ in range(min(int(k), m)):
        if picked:
            gain = lam * pool_rel - (1.0 - lam) * max_sim
        else:
            gain = pool_rel.copy()
        gain[~free] = -np.inf
        best_val = gain.max()
        ties = np.flatnonzero(gain == best_val)
        j = int(ties[np.argmin(pool_items[ties])])
        picked.append(j)
        free[j] = False
        max_sim = np.maximum(max_sim, sim[:, j])
    return chosen_pool[np.asarray(picked, dtype=np.int64)].astype(np.int32)


def mode_similarity(
    mode: str,
    content: Any,
    collaborative: Any | None,
    has_data: npt.NDArray[np.bool_] | None,
    alpha: float,
) -> SimilarityFn:
    """The similarity MMR uses in a mode.

    ``"content"``: TF-IDF cosine (``content.pairwise``); ``"collaborative"``:
    factor cosine (``collaborative.pairwise``); ``"hybrid"``: ``alpha *
    content + (1 - alpha) * factor`` for pairs where both items have
    collaborative data, content cosine for the other pairs (and everywhere when
    there is no collaborative model).
    """
    mode = str(getattr(mode, "value", mode))

    def content_sim(items: IntArray) -> FloatArray:
        return np.asarray(content.pairwise(items), np.float32)

    if mode == "content" or collaborative is None:
        return content_sim

    def factor_sim(items: IntArray) -> FloatArray:
        return np.asarray(collaborative.pairwise(items), np.float32)

    if mode == "collaborative":
        return factor_sim

    def hybrid_sim(items: IntArray) -> FloatArray:
        sc = content_sim(items)
        has = np.ones(len(items), bool) if has_data is None else has_data[items]
        both = has[:, None] & has[None, :]
        mixed = np.float32(alpha) * sc + np.float32(1.0 - alpha) * factor_sim(items)
        return np.where(both, mixed, sc).astype(np.float32)

    return hybrid_sim
