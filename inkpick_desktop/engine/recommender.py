"""The Recommender facade: one per loaded domain, used by the CLI and the app.

A query runs in stages, each timed into ``Recommendation.latency_ms``:

``resolve``       typed title -> item (title queries only)
``content``       TF-IDF cosine of the query item / the picks' profile
``collaborative`` factor scores (item cosine, fold-in of the picks, user factors)
``blend``         candidate set, rescaling, the blend (see :mod:`.hybrid`)
``diversity``     MMR re-ranking (see :mod:`.mmr`)
``explain``       one-line explanations of the returned rows (see :mod:`.explain`)

The rescaled components over the candidate set are kept in
``Recommendation.components``; :meth:`Recommender.reblend` re-runs only
``blend``, ``diversity`` and ``explain`` on them.

``k`` is capped at the catalog size: a larger ``k`` returns every rankable
item. Lists hold only items with some evidence in the query's mode (see
:func:`.hybrid.mode_relevance`), so a query may return fewer than ``k`` rows;
a note then says how many items had evidence.

Thread safety: the facade is read-only after construction, so a worker thread
may query while the GUI thread reads attributes or queries too. The only state
written later is the explanation cache inside a Recommendation's components
(a dict whose entries are only ever added, with the same value whichever thread
adds them).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from inkpick_desktop.data.model import Catalog, Interactions
from inkpick_desktop.engine._query_parts import POPULARITY, QueryParts
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.hybrid import (
    CANDIDATE_MIN,
    CANDIDATE_PER_K,
    CONTENT_ONLY,
    DEFAULT_ALPHA,
    AlphaSchedule,
    candidate_size,
    check_int,
    check_mode,
    check_unit,
    rescale,
    select_candidates,
)
from inkpick_desktop.engine.mmr import pool_size
from inkpick_desktop.engine.results import (
    ComponentScores,
    Mode,
    Recommendation,
    Resolution,
    ResultRow,
    TitleMatch,
)

logger = logging.getLogger(__name__)

AlphaArg = float | Literal["auto"] | None
IntArray = npt.NDArray[np.int32]


class _Request(NamedTuple):
    """What a query is about: its kind and source items (the picks, the query
    item, a user's liked items), their content weights and the history size."""

    kind: str  # "item", "profile" or "user"
    sources: tuple[int, ...]
    weights: tuple[float, ...] | None
    history_size: int
    empty_reason: str = ""  # popularity-fallback note when there are no sources
    user_id: str | None = None


class _Options(NamedTuple):
    """Validated query options."""

    mode: Mode
    alpha: AlphaArg
    diversity: float
    k: int
    exclude_seen: bool


@dataclass(frozen=True)
class RecommenderConfig:
    """Defaults of the facade; a domain service sets its own.

    Attributes
    ----------
    default_alpha
        α used when ``alpha_schedule`` is ``None`` and the caller gives none.
    alpha_schedule
        History size -> α for ``alpha=None`` ("auto α"); ``None`` turns auto α
        off and uses ``default_alpha``.
    k
        Results per query.
    diversity
        MMR λ; 1.0 = pure relevance.
    candidate_min, candidate_per_k
        Candidate-set rule: each component's top ``max(candidate_min,
        candidate_per_k * k)`` items.
    pool_min, pool_per_k
        MMR pool rule: the top ``max(pool_min, pool_per_k * k)`` by relevance.
    exclude_seen
        Leave out the picks / the user's seen items by default.
    """

    default_alpha: float = DEFAULT_ALPHA
    alpha_schedule: AlphaSchedule | None = AlphaSchedule()
    k: int = 10
    diversity: float = 1.0
    candidate_min: int = CANDIDATE_MIN
    candidate_per_k: int = CANDIDATE_PER_K
    pool_min: int = 50
    pool_per_k: int = 5
    exclude_seen: bool = True

    def __post_init__(self) -> None:
        check_unit("default_alpha", self.default_alpha)
        check_unit("diversity", self.diversity)
        if self.alpha_schedule is not None and not isinstance(
            self.alpha_schedule, AlphaSchedule
        ):
            raise InvalidInputError(
                f"alpha_schedule must be an AlphaSchedule or None, got "
                f"{self.alpha_schedule!r}"
            )
        for name in ("k", "candidate_min", "candidate_per_k", "pool_min", "pool_per_k"):
            check_int(name, getattr(self, name))
        if not isinstance(self.exclude_seen, bool):
            raise InvalidInputError(
                f"exclude_seen must be a bool, got {self.exclude_seen!r}"
            )


class Recommender:
    """Search, resolve and recommend within one domain.

    Parameters
    ----------
    domain
        Domain key.
    catalog
        The items; every component is indexed over it.
    content
        TF-IDF index of the catalog.
    search
        Title search over the catalog.
    collaborative
        Latent-factor model, or ``None`` when the domain has no interactions.
    popularity
        Fallback ranking; when ``None`` it is counted from ``interactions``.
    interactions
        The user data the models were trained on, or ``None``.
    config
        Defaults (α, auto-α schedule, k, λ, candidate sizes).
    dataset_label
        Which dataset(s) are loaded, for display.
    notes
        Dataset-level notes copied into every Recommendation.

    Attributes
    ----------
    domain, catalog, interactions, dataset_label, notes, config
    has_collaborative : bool
    """

    def __init__(
        self,
        domain: str,
        catalog: Catalog,
        *,
        content: Any,
        search: Any,
        collaborative: Any | None = None,
        popularity: Any | None = None,
        interactions: Interactions | None = None,
        config: RecommenderConfig = RecommenderConfig(),
        dataset_label: str = "",
        notes: Sequence[str] = (),
    ) -> None:
        n = catalog.n_items
        if content.n_items != n:
            raise InvalidInputError(
                f"content index has {content.n_items} items, catalog {n}"
            )
        if collaborative is not None and len(collaborative.item_has_data_) != n:
            raise InvalidInputError(
                f"collaborative model has {len(collaborative.item_has_data_)} "
                f"items, catalog {n}"
            )
        if interactions is not None and interactions.n_items != n:
            raise InvalidInputError(
                f"interactions cover {interactions.n_items} items, catalog {n}"
            )
        self.domain = domain
        self.catalog = catalog
        self.interactions = interactions
        self.config = config
        self.dataset_label = dataset_label
        self.notes = tuple(notes)
        self._search = search
        self._parts = QueryParts(
            domain, catalog, content, collaborative, popularity, interactions
        )

    @property
    def has_collaborative(self) -> bool:
        return self._parts.collaborative is not None

    # -- titles -------------------------------------------------------------------

    def search(self, text: str, limit: int = 10) -> list[TitleMatch]:
        """Fuzzy title search, best first."""
        text = _check_text("search text", text)
        limit = check_int("limit", limit)
        return list(self._search.search(text, limit).matches)

    def suggest(self, prefix: str, limit: int = 10) -> list[TitleMatch]:
        """Completions of a typed prefix (empty list for a blank prefix)."""
        limit = check_int("limit", limit)
        if not isinstance(prefix, str) or not prefix.strip():
            return []
        return list(self._search.suggest(prefix, limit))

    def resolve(self, text: str) -> Resolution:
        """The one item a typed title stands for.

        Raises
        ------
        InvalidInputError
            No title matches, or the best match is too far to accept (the
            message lists the closest titles).
        """
        text = _check_text("title", text)
        result = self._search.search(text, 5)
        matches = tuple(result.matches)
        if not matches or not result.accepted:
            hint = ""
            if matches:
                hint = "; did you mean " + ", ".join(m.title for m in matches[:3]) + "?"
            raise InvalidInputError(f"no title matches {text!r} in {self.domain}{hint}")
        best = matches[0]
        return Resolution(
            text=text,
            index=int(best.index),
            id=str(best.id),
            title=str(best.title),
            corrected=bool(result.corrected),
            distance=int(best.distance),
            candidates=matches,
            partial=bool(getattr(best, "partial", False)),
        )

    # -- recommendations ----------------------------------------------------------

    def recommend_item(
        self,
        item: int,
        *,
        mode: Mode | str = Mode.HYBRID,
        alpha: AlphaArg = None,
        diversity: float | None = None,
        k: int | None = None,
        exclude_seen: bool | None = None,
    ) -> Recommendation:
        """Items like one item (history size 1 for auto α).

        ``alpha=None`` (or ``"auto"``) uses the auto-α schedule; ``diversity``,
        ``k`` and ``exclude_seen`` default to the config; ``k`` above the
        catalog size is capped to it (every rankable item is returned). Items
        without evidence are never listed, so fewer than ``k`` rows may come
        back. The item itself is never recommended.
        """
        started = time.perf_counter()
        opts = self._options(mode, alpha, diversity, k, exclude_seen)
        item = self._check_item(item)
        return self._run(started, 0.0, _Request("item", (item,), None, 1), opts)

    def recommend_title(
        self,
        text: str,
        *,
        mode: Mode | str = Mode.HYBRID,
        alpha: AlphaArg = None,
        diversity: float | None = None,
        k: int | None = None,
        exclude_seen: bool | None = None,
    ) -> Recommendation:
        """:meth:`resolve` then :meth:`recommend_item`; ``query`` is set."""
        started = time.perf_counter()
        opts = self._options(mode, alpha, diversity, k, exclude_seen)
        res = self.resolve(text)
        resolve_ms = (time.perf_counter() - started) * 1000.0
        request = _Request("item", (res.index,), None, 1)
        return replace(self._run(started, resolve_ms, request, opts), query=res)

    def recommend_profile(
        self,
        items: Sequence[int],
        *,
        mode: Mode | str = Mode.HYBRID,
        alpha: AlphaArg = None,
        diversity: float | None = None,
        k: int | None = None,
        exclude_seen: bool | None = None,
    ) -> Recommendation:
        """Items for a set of picks: content profile plus fold-in of the picks.

        Repeated picks count once. No picks gives the popularity fallback.
        """
        started = time.perf_counter()
        opts = self._options(mode, alpha, diversity, k, exclude_seen)
        if isinstance(items, (str, bytes)) or not isinstance(
            items, (Sequence, np.ndarray)
        ):
            raise InvalidInputError(f"items must be a sequence of ints, got {items!r}")
        picks = tuple(dict.fromkeys(self._check_item(i) for i in items))
        request = _Request(
            "profile", picks, None, len(picks), "popularity fallback: no picks"
        )
        rec = self._run(started, 0.0, request, opts)
        return replace(rec, picks=tuple(str(self.catalog.ids[i]) for i in picks))

    def recommend_user(
        self,
        user_id: str,
        *,
        mode: Mode | str = Mode.HYBRID,
        alpha: AlphaArg = None,
        diversity: float | None = None,
        k: int | None = None,
        exclude_seen: bool | None = None,
    ) -> Recommendation:
        """Items for a known user; seen items are left out unless switched off.

        Collaborative scores use the trained user factors (fold-in if the user
        is not in the model). An unknown user or an empty history gives the
        labelled popularity fallback. The content side is the profile of the
        user's liked items (see ``QueryParts.user_profile``).
        """
        started = time.perf_counter()
        opts = self._options(mode, alpha, diversity, k, exclude_seen)
        inter = self.interactions
        if inter is None:
            raise InvalidInputError(f"no interaction data for {self.domain}: no users")
        if not isinstance(user_id, (str, int)) or not str(user_id).strip():
            raise InvalidInputError(
                f"user id must be a non-empty string, got {user_id!r}"
            )
        uid = str(user_id).strip()
        user = inter.user_index_of.get(uid)
        items: list[int] = []
        weights: list[float] = []
        reason = f"popularity fallback: unknown user {uid!r}"
        if user is not None:
            items, weights = self._parts.user_profile(user)
            reason = f"popularity fallback: user {uid!r} has no history"
        request = _Request(
            "user", tuple(items), tuple(weights), len(items), reason, uid
        )
        return replace(self._run(started, 0.0, request, opts), user=uid)

    def reblend(
        self,
        rec: Recommendation,
        *,
        alpha: AlphaArg = None,
        diversity: float | None = None,
        k: int | None = None,
        mode: Mode | str | None = None,
    ) -> Recommendation:
        """Re-rank a Recommendation at a new α, λ, k or mode without recomputing.

        ``None`` keeps the previous value; ``alpha="auto"`` asks for auto α (and
        ``alpha=None`` when switching into hybrid from another mode means auto
        too). Only the blend, MMR and the new rows' explanations run, unless
        ``k`` grows past what the candidate set was built for: then the whole
        query is recomputed so the answer equals a fresh query.
        """
        started = time.perf_counter()
        comp = rec.components
        if comp is None or "request" not in comp.extras:
            raise InvalidInputError("this recommendation carries no component scores")
        new_mode = rec.mode if mode is None else check_mode(mode)
        new_k = rec.k if k is None else self._cap_k(check_int("k", k))
        lam = rec.diversity if diversity is None else check_unit("diversity", diversity)
        if alpha is None and new_mode == Mode.HYBRID:
            alpha = (
                rec.alpha if rec.mode == Mode.HYBRID and not rec.auto_alpha else "auto"
            )
        if self._candidates_for(new_k) > comp.extras["candidate_size"]:
            opts = _Options(new_mode, alpha, lam, new_k, comp.extras["exclude_seen"])
            fresh = self._run(started, 0.0, comp.extras["request"], opts)
            return replace(fresh, query=rec.query, picks=rec.picks, user=rec.user)
        timings = {"resolve": 0.0, "content": 0.0, "collaborative": 0.0}
        out = self._finish(started, timings, comp, new_mode, alpha, lam, new_k)
        return replace(out, query=rec.query, picks=rec.picks, user=rec.user)

    def auto_alpha(self, history_size: int) -> float:
        """α the schedule gives for a history size (``default_alpha`` without one)."""
        schedule = self.config.alpha_schedule
        if schedule is None:
            check_int("history_size", history_size, minimum=0)
            return self.config.default_alpha
        return schedule(history_size)

    def user_history(self, user_id: str) -> list[ResultRow]:
        """A user's items, highest value first (ties by index); score = value / max."""
        inter = self.interactions
        if inter is None:
            raise InvalidInputError(f"no interaction data for {self.domain}: no users")
        user = inter.lookup_user(str(user_id))
        return self._parts.history_rows(user)

    # -- internals: components ------------------------------------------------------

    def _cap_k(self, k: int) -> int:
        """``k`` capped at the catalog size: more rows than items cannot exist."""
        return max(1, min(k, self.catalog.n_items))

    def _candidates_for(self, k: int) -> int:
        return candidate_size(k, self.config.candidate_min, self.config.candidate_per_k)

    def _check_item(self, item: object) -> int:
        n = self.catalog.n_items
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
            raise InvalidInputError(f"item must be an int index, got {item!r}")
        if not 0 <= int(item) < n:
            raise InvalidInputError(
                f"item index must be in 0..{n - 1} for {self.domain}, got {item!r}"
            )
        return int(item)

    def _options(
        self,
        mode: Mode | str,
        alpha: AlphaArg,
        diversity: float | None,
        k: int | None,
        exclude_seen: bool | None,
    ) -> _Options:
        """Validate the query options and fill the config defaults."""
        cfg = self.config
        mode = check_mode(mode)
        k = self._cap_k(cfg.k if k is None else check_int("k", k))
        lam = cfg.diversity if diversity is None else check_unit("diversity", diversity)
        if alpha is not None and alpha != "auto":
            alpha = check_unit("alpha", alpha)
        if exclude_seen is None:
            exclude_seen = cfg.exclude_seen
        elif not isinstance(exclude_seen, bool):
            raise InvalidInputError(
                f"exclude_seen must be a bool, got {exclude_seen!r}"
            )
        if mode == Mode.COLLABORATIVE and self._parts.collaborative is None:
            raise InvalidInputError(
                f"no interaction data for {self.domain}: use content"
            )
        return _Options(mode, alpha, lam, k, exclude_seen)

    def _run(
        self, started: float, resolve_ms: float, req: _Request, opts: _Options
    ) -> Recommendation:
        """Compute both components over the candidate set, then :meth:`_finish`."""
        kind, sources, weights = req.kind, list(req.sources), req.weights
        user_id, exclude_seen, k = req.user_id, opts.exclude_seen, opts.k
        timings = {"resolve": resolve_ms}
        t = time.perf_counter()
        content_raw = self._parts.content_scores(sources, weights) if sources else None
        timings["content"] = (time.perf_counter() - t) * 1000.0
        t = time.perf_counter()
        collab_raw = (
            self._parts.collab_scores(kind, sources, user_id) if sources else None
        )
        timings["collaborative"] = (time.perf_counter() - t) * 1000.0

        t = time.perf_counter()
        if kind == "item":
            exclude = sources
        elif kind == "user":
            exclude = self._parts.seen(user_id) if exclude_seen else []
        else:
            exclude = sources if exclude_seen else []
        parts: list[tuple[npt.NDArray[Any], npt.NDArray[np.bool_] | None]] = []
        if content_raw is not None:
            parts.append((content_raw, None))
        if collab_raw is not None:
            parts.append((collab_raw, self._parts.has_data))
        size = self._candidates_for(k)
        cands = select_candidates(parts, size, exclude)
        content = np.zeros(len(cands), np.float32)
        if content_raw is not None:
            content = rescale(content_raw[cands])
        collab = np.zeros(len(cands), np.float32)
        has = np.zeros(len(cands), bool)
        if collab_raw is not None:
            has = self._parts.has_data[cands]
            collab[has] = rescale(collab_raw[cands[has]])
        timings["blend"] = (time.perf_counter() - t) * 1000.0

        extras: dict[str, Any] = {
            "kind": kind,
            "content_ok": content_raw is not None,
            "collab_ok": collab_raw is not None,
            "collab_raw": None if collab_raw is None else collab_raw[cands],
            "exclude": np.asarray(exclude, np.int64),
            "exclude_seen": exclude_seen,
            "candidate_size": size,
            "fallback_reason": "" if sources else req.empty_reason,
            "notes": self._parts.missing_notes(
                sources, content_raw is not None, collab_raw is not None
            ),
            "request": req,
            "why_cache": {},
        }
        comp = ComponentScores(
            candidates=cands,
            content=content,
            collaborative=collab,
            has_collaborative=has,
            history_size=req.history_size,
            source_items=req.sources,
            extras=extras,
        )
        return self._finish(
            started, timings, comp, opts.mode, opts.alpha, opts.diversity, k
        )

    # -- internals: ranking -----------------------------------------------------------

    def _finish(
        self,
        started: float,
        timings: dict[str, float],
        comp: ComponentScores,
        mode: Mode,
        alpha: AlphaArg,
        lam: float,
        k: int,
    ) -> Recommendation:
        """Blend, diversify and explain the components; build the answer."""
        ex = comp.extras
        if mode == Mode.COLLABORATIVE and self._parts.collaborative is None:
            raise InvalidInputError(
                f"no interaction data for {self.domain}: use content"
            )
        if mode == Mode.CONTENT:
            used_alpha, auto = 1.0, False
        elif mode == Mode.COLLABORATIVE:
            used_alpha, auto = 0.0, False
        elif alpha is None or alpha == "auto":
            used_alpha = self.auto_alpha(comp.history_size)
            auto = self.config.alpha_schedule is not None
        else:
            used_alpha, auto = float(alpha), False
        notes = list(ex["notes"])
        reason = ex["fallback_reason"]
        if not reason:
            usable = {
                Mode.CONTENT: ex["content_ok"],
                Mode.COLLABORATIVE: ex["collab_ok"],
                Mode.HYBRID: ex["content_ok"] or ex["collab_ok"],
            }[mode]
            if not usable:
                reason = "popularity fallback: " + "; ".join(notes)
                notes = []

        t = time.perf_counter()
        if reason:
            rows = self._parts.popularity_rows(ex["exclude"], k, reason)
            notes.append(reason)
            timings["blend"] = (
                timings.get("blend", 0.0) + (time.perf_counter() - t) * 1e3
            )
            timings["diversity"] = 0.0
            timings["explain"] = 0.0
        else:
            pool = pool_size(k, self.config.pool_min, self.config.pool_per_k)
            rows = self._parts.ranked_rows(
                comp, mode, used_alpha, lam, k, pool, timings, t
            )
            if len(rows) < k:
                notes.append(_few_rows_note(len(rows), mode))
        timings["total"] = (time.perf_counter() - started) * 1000.0
        return Recommendation(
            domain=self.domain,
            mode=mode,
            alpha=used_alpha,
            auto_alpha=auto,
            diversity=lam,
            k=k,
            rows=tuple(rows),
            latency_ms=timings,
            notes=self.notes + tuple(notes),
            components=comp,
        )


def _few_rows_note(n: int, mode: Mode) -> str:
    """Why a list is shorter than ``k``: only ``n`` items had any evidence."""
    what = {
        Mode.CONTENT: "content",
        Mode.COLLABORATIVE: "collaborative",
        Mode.HYBRID: "content or collaborative",
    }[mode]
    if n == 0:
        return f"no item has {what} evidence for this query"
    items = "1 item has" if n == 1 else f"{n} items have"
    return f"only {items} {what} evidence for this query"


def _check_text(what: str, text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError(f"{what} must be a non-empty string, got {text!r}")
    return text.strip()


__all__ = ["CONTENT_ONLY", "POPULARITY", "Recommender", "RecommenderConfig"]
