"""One-line explanations of recommended items.

* content: the top terms the target shares with the query item or the picks
  (``"shares: genre Crime, tag mafia, title godfather"``), from
  ``TfidfIndex.shared_terms``; one- or two-letter title words ("title re" from
  "We're") are left out when the items share any better term;
* collaborative, item query, when some users liked both items: ``"people who
  liked X also liked this (12 in common, similarity 0.83)"`` - those users and
  the factor cosine;
* collaborative, item query, when nobody liked both (or the counts are not
  known): ``"similar rating patterns to X (factor similarity 0.21)"`` - only
  the factors link the two ("listening" for play counts, "interaction" for
  other kinds of data), so no claim about people is made;
* collaborative, profile or user query: the picks that contributed most to the
  target's score (``"liked together with: Goodfellas (1990), Scarface (1983)"``),
  from ``FactorModel.contributions``;
* hybrid: both parts, the shorter first, joined by ``"; "``.

Explanations are computed only for the rows returned, never for the whole
candidate set.

"Liked" for co-occurrence counts: for ``value_kind == "rating"`` an event whose
rating is at least that user's mean rating; for any other kind every event.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from inkpick_desktop.data.model import Catalog, Interactions

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int32]

#: Terms shown in a content explanation.
N_TERMS = 3
#: Picks named in a collaborative explanation.
N_PICKS = 2
#: Shared terms looked at, so that short title words can give way to better ones.
N_TERMS_SCANNED = 3 * N_TERMS
#: Title words this short are stop-word-like ("re", "s", "la") in explanations.
SHORT_WORD = 2
#: What the factors were trained on, by ``Interactions.value_kind``.
PATTERN_NOUNS = {"rating": "rating", "playcount": "listening"}


class CoOccurrence:
    """Which users liked each item, to count users who liked two items.

    Parameters
    ----------
    interactions
        Events over a catalog's item indices.

    Notes
    -----
    Stored as an item-major CSR: item ``i``'s users are the sorted unique
    ``users_[indptr_[i]:indptr_[i + 1]]``. Read-only after construction.
    """

    def __init__(self, interactions: Interactions) -> None:
        self.value_kind = str(interactions.value_kind)
        users = interactions.users.astype(np.int64)
        items = interactions.items.astype(np.int64)
        liked = np.ones(len(users), bool)
        if interactions.value_kind == "rating" and len(users):
            values = interactions.values.astype(np.float64)
            n_users = interactions.n_users
            sums = np.bincount(users, weights=values, minlength=n_users)
            counts = np.bincount(users, minlength=n_users)
            means = sums / np.maximum(counts, 1)
            liked = values >= means[users] - 1e-9
        key = np.unique(items[liked] * max(interactions.n_users, 1) + users[liked])
        n_u = max(interactions.n_users, 1)
        item_of = key // n_u
        self.users_ = (key % n_u).astype(np.int32)
        self.indptr_ = np.zeros(interactions.n_items + 1, np.int64)
        np.cumsum(
            np.bincount(item_of, minlength=interactions.n_items), out=self.indptr_[1:]
        )

    def users_of(self, item: int) -> IntArray:
        """Sorted users who liked ``item``."""
        return self.users_[self.indptr_[item] : self.indptr_[item + 1]]

    def common(self, a: int, b: int) -> int:
        """Number of users who liked both ``a`` and ``b``."""
        ua, ub = self.users_of(a), self.users_of(b)
        if len(ua) == 0 or len(ub) == 0:
            return 0
        return int(len(np.intersect1d(ua, ub, assume_unique=True)))


def combine(parts: Sequence[str]) -> str:
    """Join non-empty explanation parts, shortest first (stable for equal length)."""
    kept = sorted((p for p in parts if p), key=len)
    return "; ".join(kept)


def content_part(content: Any, sources: Sequence[int], target: int) -> str:
    """``"shares: ..."`` from the content index, or ``""`` when nothing is shared.

    Up to :data:`N_TERMS` terms, best first; short title words (see
    :func:`is_short_title_word`) are shown only when nothing better is shared.
    """
    if not sources:
        return ""
    source: int | Sequence[int] = (
        int(sources[0]) if len(sources) == 1 else list(sources)
    )
    found = content.shared_terms(source, int(target), n=N_TERMS_SCANNED)
    terms = [str(t) for t in found]
    better = [t for t in terms if not is_short_title_word(t)]
    shown = (better or terms)[:N_TERMS]
    return "shares: " + ", ".join(shown) if shown else ""


def is_short_title_word(label: str) -> bool:
    """True for a readable title term of one or two letters (``"title re"``)."""
    field, _, token = label.partition(" ")
    return field == "title" and token.isalpha() and len(token) <= SHORT_WORD


def neighbour_part(
    catalog: Catalog,
    source: int,
    target: int,
    similarity: float,
    cooccurrence: CoOccurrence | None,
) -> str:
    """The collaborative part of an item query's explanation.

    ``"people who liked X also liked this (n in common, similarity s)"`` when
    ``n > 0`` users liked both; otherwise (nobody did, or ``cooccurrence`` is
    ``None`` and it is not known) ``"similar rating patterns to X (factor
    similarity s)"``, with the noun of :data:`PATTERN_NOUNS`.
    """
    title = catalog.titles[source]
    common = 0 if cooccurrence is None else cooccurrence.common(source, target)
    if common > 0:
        return (
            f"people who liked {title} also liked this "
            f"({common} in common, similarity {similarity:.2f})"
        )
    kind = "" if cooccurrence is None else cooccurrence.value_kind
    noun = PATTERN_NOUNS.get(kind, "interaction")
    return f"similar {noun} patterns to {title} (factor similarity {similarity:.2f})"


def picks_part(
    catalog: Catalog, collaborative: Any, picks: Sequence[int], target: int
) -> str:
    """``"liked together with: A, B"``: the picks contributing most to ``target``.

    Only picks with a positive contribution are named; ties go to the lower
    item index.
    """
    if not picks:
        return ""
    picks_arr = np.asarray(picks, dtype=np.int32)
    contrib = np.asarray(collaborative.contributions(picks_arr, int(target)), float)
    order = np.lexsort((picks_arr, -contrib))
    names = [
        str(catalog.titles[picks_arr[i]]) for i in order[:N_PICKS] if contrib[i] > 0
    ]
    return "liked together with: " + ", ".join(names) if names else ""


class Explainer:
    """Builds the ``why`` of result rows for one recommender.

    Parameters
    ----------
    catalog
        Titles for the collaborative parts.
    content
        The TF-IDF index (``shared_terms``).
    collaborative
        The factor model (``contributions``) or ``None``.
    cooccurrence
        Liked-together counts for item queries, or ``None``.
    """

    def __init__(
        self,
        catalog: Catalog,
        content: Any,
        collaborative: Any | None,
        cooccurrence: CoOccurrence | None,
    ) -> None:
        self.catalog = catalog
        self.content = content
        self.collaborative = collaborative
        self.cooccurrence = cooccurrence

    def why(
        self,
        kind: str,
        target: int,
        *,
        content_sources: Sequence[int] = (),
        collab_sources: Sequence[int] = (),
        similarity: float | None = None,
        cache: dict[tuple[str, int], str] | None = None,
    ) -> str:
        """One line for ``target``.

        Parameters
        ----------
        kind
            ``"item"`` (one query item) or ``"profile"``/``"user"`` (several).
        target
            The recommended item.
        content_sources
            Items whose shared terms are listed; empty leaves the part out.
        collab_sources
            Items with collaborative data behind the collaborative part; empty
            leaves it out.
        similarity
            For an item query, the factor cosine of source and target.
        cache
            Parts already computed for this query, keyed by (part, target);
            filled as a side effect.
        """
        cache = {} if cache is None else cache
        parts = []
        if content_sources:
            key = ("content", int(target))
            if key not in cache:
                cache[key] = content_part(self.content, content_sources, target)
            parts.append(cache[key])
        if collab_sources and self.collaborative is not None:
            key = ("collaborative", int(target))
            if key not in cache:
                if kind == "item" and (similarity is None or similarity <= 0):
                    cache[key] = ""  # no positive link: nothing to say
                elif kind == "item":
                    cache[key] = neighbour_part(
                        self.catalog,
                        int(collab_sources[0]),
                        target,
                        0.0 if similarity is None else float(similarity),
                        self.cooccurrence,
                    )
                else:
                    cache[key] = picks_part(
                        self.catalog, self.collaborative, collab_sources, target
                    )
            parts.append(cache[key])
        return combine(parts)
