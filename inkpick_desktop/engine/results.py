"""Result types shared by the recommender facade, the CLI and the desktop app.

These are the contract between the engine and its front ends: a front end never
looks at engine internals, only at these immutable values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
import numpy.typing as npt


class Mode(str, Enum):
    CONTENT = "content"
    COLLABORATIVE = "collaborative"
    HYBRID = "hybrid"


@dataclass(frozen=True)
class TitleMatch:
    """One candidate of a fuzzy title search.

    ``distance`` is the Levenshtein distance between the normalised query and the
    closest normalised form of the title (0 for an exact or normalised match), or,
    when ``partial`` is True, between the query and the word-boundary *start* of
    that form it matched ("star wars" is 0 from "Star Wars: Episode IV - ...").
    """

    index: int
    id: str
    title: str
    year: int
    distance: int
    score: float
    detail: str = ""  # what tells duplicates apart: "Drama|Romance", provider, id
    partial: bool = False  # matched the start of the title only ("starts with")


@dataclass(frozen=True)
class Resolution:
    """How a typed title was resolved to one item."""

    text: str
    index: int
    id: str
    title: str
    corrected: bool  # True when the match is not exact/normalised ("did you mean")
    distance: int
    candidates: tuple[TitleMatch, ...] = ()
    partial: bool = False  # the typed text matched the start of the title


@dataclass(frozen=True)
class ResultRow:
    rank: int
    index: int
    id: str
    title: str
    year: int
    labels: str  # genres / tags / provider for display, "|"-joined
    score: float  # blended score in [0, 1]
    content: float | None  # rescaled component score in [0, 1], None if not used
    collaborative: float | None
    why: str  # one-line explanation
    fallback: str = ""  # "" or what was used instead ("content only: no ratings")

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "id": self.id,
            "title": self.title,
            "year": self.year or None,
            "labels": self.labels,
            "score": round(float(self.score), 6),
            "content": None if self.content is None else round(float(self.content), 6),
            "collaborative": None
            if self.collaborative is None
            else round(float(self.collaborative), 6),
            "why": self.why,
            "fallback": self.fallback or None,
        }


@dataclass(frozen=True, eq=False)
class ComponentScores:
    """Both components over one candidate set, kept so α can be re-blended.

    Arrays are aligned with ``candidates`` (internal item indices). ``content``
    and ``collaborative`` are already rescaled to [0, 1]; ``has_collaborative``
    is False where an item has no collaborative data (it then falls back to
    content).
    """

    candidates: npt.NDArray[np.int32]
    content: npt.NDArray[np.float32]
    collaborative: npt.NDArray[np.float32]
    has_collaborative: npt.NDArray[np.bool_]
    history_size: int  # picks or user history length, drives auto α
    source_items: tuple[int, ...] = ()  # the query item or the picks
    extras: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Recommendation:
    domain: str
    mode: Mode
    alpha: float  # the α actually used (after auto)
    auto_alpha: bool
    diversity: float  # MMR λ; 1.0 = pure relevance
    k: int
    rows: tuple[ResultRow, ...]
    latency_ms: Mapping[str, float]  # "total" plus stages
    query: Resolution | None = None  # set for a typed title
    picks: tuple[str, ...] = ()  # external ids of a profile query
    user: str | None = None  # external user id of a user query
    notes: tuple[str, ...] = ()  # e.g. "popularity fallback: unknown user"
    components: ComponentScores | None = None

    def to_json(self) -> dict[str, Any]:
        query: dict[str, Any] | None = None
        if self.query is not None:
            query = {
                "text": self.query.text,
                "resolved_id": self.query.id,
                "resolved_title": self.query.title,
                "corrected": self.query.corrected,
                "partial": self.query.partial,
                "distance": self.query.distance,
            }
        return {
            "domain": self.domain,
            "mode": self.mode.value,
            "alpha": round(self.alpha, 6),
            "auto_alpha": self.auto_alpha,
            "diversity": self.diversity,
            "k": self.k,
            "query": query,
            "picks": list(self.picks),
            "user": self.user,
            "notes": list(self.notes),
            "results": [r.to_json() for r in self.rows],
            "latency_ms": {k: round(v, 3) for k, v in self.latency_ms.items()},
        }
