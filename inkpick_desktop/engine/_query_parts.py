"""Scoring and row-building parts of the Recommender facade (private).

:class:`QueryParts` holds the components of one domain and computes the raw
component scores, the ranked rows of a blended candidate set, the popularity
fallback and user histories. The facade in :mod:`.recommender` validates input,
times the stages and assembles the :class:`~.results.Recommendation`. Read-only
after construction.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from inkpick_desktop.data.model import LABEL_SEP, Catalog, Interactions
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.explain import CoOccurrence, Explainer
from inkpick_desktop.engine.hybrid import CONTENT_ONLY, mode_relevance, top_n
from inkpick_desktop.engine.mmr import mmr, mode_similarity
from inkpick_desktop.engine.results import ComponentScores, Mode, ResultRow

IntArray = npt.NDArray[np.int32]

#: ``ResultRow.fallback`` of rows ranked by popularity.
POPULARITY = "popularity"
#: Labels shown per row at most.
MAX_LABELS = 8


class QueryParts:
    """The components of one domain and the work done on them per query."""

    def __init__(
        self,
        domain: str,
        catalog: Catalog,
        content: Any,
        collaborative: Any | None,
        popularity: Any | None,
        interactions: Interactions | None,
    ) -> None:
        n = catalog.n_items
        self.domain = domain
        self.catalog = catalog
        self.interactions = interactions
        self._content = content
        self.collaborative = collaborative
        self.has_data = (
            np.zeros(n, bool)
            if collaborative is None
            else np.asarray(collaborative.item_has_data_, bool)
        )
        self._model_users: dict[str, int] = {}
        if collaborative is not None:
            ids = np.asarray(collaborative.user_ids_).tolist()
            self._model_users = {str(u): i for i, u in enumerate(ids)}
        cooc = None
        if collaborative is not None and interactions is not None:
            cooc = CoOccurrence(interactions)
        self._explainer = Explainer(catalog, content, collaborative, cooc)
        self._popularity = _popularity_scores(popularity, interactions, n)
        self._popularity_order = (
            None
            if self._popularity is None
            else top_n(self._popularity, n, self._popularity > 0)
        )
        self._popularity_counts: npt.NDArray[np.int64] | None = None
        if popularity is not None and hasattr(popularity, "counts_"):
            self._popularity_counts = np.asarray(popularity.counts_, np.int64)
        elif popularity is None and interactions is not None:
            self._popularity_counts = _distinct_users(interactions)
        self._user_rows = _user_event_index(interactions)

    def events(self, user: int) -> tuple[IntArray, npt.NDArray[np.float32]]:
        inter = self.interactions
        assert inter is not None and self._user_rows is not None
        order, indptr = self._user_rows
        rows = order[indptr[user] : indptr[user + 1]]
        return inter.items[rows], inter.values[rows]

    def user_profile(self, user: int) -> tuple[list[int], list[float]]:
        """A user's distinct items (first-seen order) and their content weights.

        Ratings: only items rated at least the user's mean, weighted by rating
        (all weights 1 when they are all 0). Play counts: ``log1p(count)``.
        Other kinds: 1 each. A repeated item keeps its largest value.
        """
        inter = self.interactions
        assert inter is not None
        items, values = self.events(user)
        best: dict[int, float] = {}
        for i, v in zip(items.tolist(), values.tolist(), strict=True):
            best[i] = max(v, best.get(i, -np.inf))
        if not best:
            return [], []
        keys = list(best)
        vals = np.array([best[i] for i in keys], np.float64)
        if inter.value_kind == "rating":
            keep = vals >= vals.mean() - 1e-9
            keys = [i for i, kept in zip(keys, keep.tolist(), strict=True) if kept]
            vals = vals[keep]
            if not np.any(vals > 0):
                vals = np.ones(len(keys))
        elif inter.value_kind == "playcount":
            vals = np.log1p(np.clip(vals, 0.0, None))
        else:
            vals = np.ones(len(keys))
        return keys, vals.tolist()

    def seen(self, user_id: str | None) -> list[int]:
        inter = self.interactions
        if user_id is None or inter is None or user_id not in inter.user_index_of:
            return []
        items, _ = self.events(inter.user_index_of[user_id])
        return np.unique(items).tolist()

    def content_scores(
        self, sources: Sequence[int], weights: Sequence[float] | None
    ) -> npt.NDArray[np.float32] | None:
        """Raw cosine to every item, or ``None`` when the sources have no terms."""
        usable = [i for i in sources if not self._content.is_empty(i)]
        if not usable:
            return None
        if len(sources) == 1:
            return np.asarray(self._content.item_scores(sources[0]), np.float32)
        scores = self._content.profile_scores(sources, weights)
        return np.asarray(scores, np.float32)

    def collab_scores(
        self, kind: str, sources: list[int], user_id: str | None
    ) -> npt.NDArray[np.float32] | None:
        """Raw factor scores, or ``None`` without a model or data for the sources."""
        model = self.collaborative
        with_data = [i for i in sources if self.has_data[i]]
        if model is None or not with_data:
            return None
        if kind == "item":
            return np.asarray(model.item_scores(sources[0]), np.float32)
        if kind == "user" and user_id in self._model_users:
            return np.asarray(model.user_scores(self._model_users[user_id]), np.float32)
        vector = model.fold_in(with_data)
        return np.asarray(model.vector_scores(vector), np.float32)

    def missing_notes(
        self, sources: list[int], content_ok: bool, collab_ok: bool
    ) -> list[str]:
        if not sources:
            return []
        what = (
            str(self.catalog.titles[sources[0]]) if len(sources) == 1 else "the picks"
        )
        notes = []
        if not content_ok:
            notes.append(f"no content terms for {what}")
        if self.collaborative is not None and not collab_ok:
            notes.append(f"no interaction data for {what}")
        return notes

    def ranked_rows(
        self,
        comp: ComponentScores,
        mode: Mode,
        alpha: float,
        lam: float,
        k: int,
        pool: int,
        timings: dict[str, float],
        t: float,
    ) -> list[ResultRow]:
        ex = comp.extras
        valid, rel = mode_relevance(
            mode.value, comp.content, comp.collaborative, comp.has_collaborative, alpha
        )
        positions = np.flatnonzero(valid)
        timings["blend"] = timings.get("blend", 0.0) + (time.perf_counter() - t) * 1e3

        t = time.perf_counter()
        sim = mode_similarity(
            mode.value, self._content, self.collaborative, self.has_data, alpha
        )
        order = mmr(comp.candidates[positions], rel[positions], sim, k, lam, pool)
        chosen = positions[order]
        timings["diversity"] = (time.perf_counter() - t) * 1000.0

        t = time.perf_counter()
        kind = ex["kind"]
        sources = list(comp.source_items)
        use_content = mode != Mode.COLLABORATIVE and ex["content_ok"]
        use_collab = mode != Mode.CONTENT and ex["collab_ok"]
        content_sources = sources if use_content else []
        collab_sources = [i for i in sources if self.has_data[i]] if use_collab else []
        rows = []
        for rank_, p in enumerate(chosen.tolist(), start=1):
            item = int(comp.candidates[p])
            has = bool(comp.has_collaborative[p])
            collab_raw = ex["collab_raw"]
            why = self._explainer.why(
                kind,
                item,
                content_sources=content_sources,
                collab_sources=collab_sources if has else [],
                similarity=None if collab_raw is None else float(collab_raw[p]),
                cache=ex["why_cache"],
            )
            rows.append(
                self.row(
                    rank_,
                    item,
                    float(rel[p]),
                    float(comp.content[p]) if mode != Mode.COLLABORATIVE else None,
                    float(comp.collaborative[p]) if use_collab and has else None,
                    why or ("no shared terms" if mode == Mode.CONTENT else ""),
                    CONTENT_ONLY if mode == Mode.HYBRID and not has else "",
                )
            )
        timings["explain"] = (time.perf_counter() - t) * 1000.0
        return rows

    def popularity_rows(
        self, exclude: npt.NDArray[np.int64], k: int, reason: str
    ) -> list[ResultRow]:
        if self._popularity is None or self._popularity_order is None:
            raise InvalidInputError(
                f"{reason}, but {self.domain} has no interaction data to rank by "
                "popularity: pick an item with content terms"
            )
        order = self._popularity_order
        head = order[: k + len(exclude)]
        head = head[~np.isin(head, exclude)][:k]
        counts = self._popularity_counts
        rows = []
        for rank_, item in enumerate(head.tolist(), start=1):
            why = "popular" if counts is None else f"popular: {int(counts[item])} users"
            rows.append(
                self.row(
                    rank_,
                    item,
                    float(self._popularity[item]),
                    None,
                    None,
                    why,
                    POPULARITY,
                )
            )
        return rows

    def row(
        self,
        rank_: int,
        item: int,
        score: float,
        content: float | None,
        collaborative: float | None,
        why: str,
        fallback: str,
    ) -> ResultRow:
        cat = self.catalog
        labels: list[str] = []
        for name in cat.label_fields:
            labels.extend(cat.labels(name, item))
        return ResultRow(
            rank=rank_,
            index=item,
            id=str(cat.ids[item]),
            title=str(cat.titles[item]),
            year=int(cat.years[item]),
            labels=LABEL_SEP.join(labels[:MAX_LABELS]),
            score=score,
            content=content,
            collaborative=collaborative,
            why=why,
            fallback=fallback,
        )

    def history_rows(self, user: int) -> list[ResultRow]:
        inter = self.interactions
        assert inter is not None
        items, values = self.events(user)
        best: dict[int, float] = {}
        for i, v in zip(items.tolist(), values.tolist(), strict=True):
            best[i] = max(v, best.get(i, -np.inf))
        keys = np.array(list(best), np.int64)
        vals = np.array([best[i] for i in keys.tolist()], np.float64)
        order = np.lexsort((keys, -vals))
        top = float(vals.max()) if len(vals) and vals.max() > 0 else 1.0
        word = {"rating": "rated", "playcount": "played", "grade": "grade"}.get(
            inter.value_kind, ""
        )
        rows = []
        for rank_, j in enumerate(order.tolist(), start=1):
            v = float(vals[j])
            why = f"{word} {v:g}" if word else "in history"
            score = min(max(v / top, 0.0), 1.0)
            rows.append(self.row(rank_, int(keys[j]), score, None, None, why, ""))
        return rows


def _popularity_scores(
    popularity: Any | None, interactions: Interactions | None, n: int
) -> npt.NDArray[np.float32] | None:
    """Popularity in [0, 1] from the model, else distinct users per item."""
    if popularity is not None:
        scores = np.asarray(popularity.scores(), np.float32)
        if scores.shape != (n,):
            raise InvalidInputError(
                f"popularity model has {scores.shape[0]} items, catalog {n}"
            )
        return scores
    if interactions is None or interactions.n_events == 0:
        return None
    counts = _distinct_users(interactions)
    top = counts.max()
    return (counts / top).astype(np.float32) if top > 0 else None


def _distinct_users(interactions: Interactions) -> npt.NDArray[np.int64]:
    pairs = np.unique(
        interactions.items.astype(np.int64) * max(interactions.n_users, 1)
        + interactions.users
    )
    return np.bincount(
        pairs // max(interactions.n_users, 1), minlength=interactions.n_items
    )


def _user_event_index(
    interactions: Interactions | None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """Events grouped by user (stable): ``order[indptr[u]:indptr[u + 1]]``."""
    if interactions is None:
        return None
    order = np.argsort(interactions.users, kind="stable").astype(np.int64)
    indptr = np.zeros(interactions.n_users + 1, np.int64)
    counts = np.bincount(interactions.users, minlength=interactions.n_users)
    np.cumsum(counts, out=indptr[1:])
    return order, indptr
