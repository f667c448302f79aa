"""Helpers of :mod:`.fuzzy`: partial (prefix) distances, the sort code, ranking.

A key's *word-boundary prefixes* are its first ``j`` words, ``1 <= j < m`` for a
key of ``m`` words (the whole key is the full match, scored apart). The partial
distance of a query key ``q`` to a title key ``k`` is the smallest Levenshtein
distance between ``q`` and an *eligible* prefix of ``k``: one of at least as many
words as ``q``, or one covering at least :data:`PREFIX_MIN_SHARE` of ``k``'s
characters. The word rule keeps a one-word query from matching the first word
of every title ("star wars" never matches the "star" of "Star Maps Revisited");
the share rule still lets a query with an extra or split word match most of a
title ("matrix re loaded" against "matrix reloaded the ...").

Prefixes that cannot beat the same key's full distance are never scored: the
edit distance is at least the difference in length, and at equal distance the
full match ranks first anyway, so the item's best is unchanged.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from inkpick_desktop.data.model import LABEL_SEP, Catalog
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.ngram import QueryKey, expand_ranges

Int64Array = npt.NDArray[np.int64]

#: A prefix of fewer words than the query still counts from this share of the key.
PREFIX_MIN_SHARE = 0.6
#: Distance reported where a key has no eligible prefix (never the minimum).
NO_PREFIX = 1 << 30
# Sort codes pack (distance, partial, level 0-2, no year match, misread year).
CODE_PER_DISTANCE = 24
_LEVELS = 3


def word_breaks(keys: list[str]) -> tuple[Int64Array, Int64Array, Int64Array]:
    """Where each key's word-boundary prefixes end.

    Returns ``(ptr, ends, lengths)``: key ``r``'s prefixes are
    ``keys[r][:e]`` for ``e`` in ``ends[ptr[r]:ptr[r+1]]`` (the positions of its
    spaces, ascending; normalised keys have single spaces and no newline), and
    ``lengths[r] == len(keys[r])``.
    """
    n = len(keys)
    lengths = np.fromiter(map(len, keys), np.int64, count=n)
    if n == 0:
        return np.zeros(1, np.int64), np.zeros(0, np.int64), lengths
    cp = np.frombuffer("\n".join(keys).encode("utf-32-le"), np.uint32)
    starts = np.cumsum(lengths + 1) - (lengths + 1)
    spaces = np.flatnonzero(cp == ord(" "))
    owner = np.searchsorted(starts, spaces, side="right") - 1
    ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(owner, minlength=n), out=ptr[1:])
    return ptr, (spaces - starts[owner]).astype(np.int64), lengths


def prefix_distances(
    variants: list[QueryKey],
    keys: npt.NDArray[np.object_],
    rows: Int64Array,
    full: Int64Array,
    breaks: tuple[Int64Array, Int64Array, Int64Array],
) -> tuple[Int64Array, Int64Array]:
    """Partial distance of every query key to every scored key row.

    Parameters
    ----------
    variants
        The query keys, ``n_v`` of them.
    keys
        All title keys (object array of str), indexed by row.
    rows
        The scored key rows, shape ``(n_r,)``.
    full
        Full distances (or any smaller bound), shape ``(n_v, n_r)``: prefixes
        whose length alone puts them that far or farther are not scored.
    breaks
        :func:`word_breaks` of all keys.

    Returns
    -------
    (distance, length)
        Both int64 of shape ``(n_v, n_r)``: the smallest distance over the
        scored eligible prefixes (:data:`NO_PREFIX` where none was scored), and
        the length of that prefix (the longest of equally close ones; else 0).
    """
    ptr, ends, lengths = breaks
    n_v, n_r = full.shape
    dist = np.full((n_v, n_r), NO_PREFIX, np.int64)
    length = np.zeros((n_v, n_r), np.int64)
    if n_r == 0:
        return dist, length
    pos = expand_ranges(ptr, rows)
    counts = ptr[rows + 1] - ptr[rows]
    col = np.repeat(np.arange(n_r, dtype=np.int64), counts)
    plen = ends[pos]
    words = pos - np.repeat(ptr[rows], counts) + 1  # words in the prefix
    share_ok = 5 * plen >= 3 * lengths[rows][col]  # PREFIX_MIN_SHARE = 3 / 5
    ok = np.zeros((n_v, len(pos)), bool)
    for v_pos, v in enumerate(variants):
        n_words = v.key.count(" ") + 1
        could_beat = np.abs(plen - len(v.key)) < full[v_pos, col]
        ok[v_pos] = ((words >= n_words) | share_ok) & could_beat
    keep = np.flatnonzero(ok.any(axis=0))
    if len(keep) == 0:
        return dist, length

    col, plen, ok = col[keep], plen[keep], ok[:, keep]
    owners = keys[rows[col]].tolist()
    prefixes = [k[:e] for k, e in zip(owners, plen.tolist(), strict=True)]
    d = process.cdist(
        [v.key for v in variants],
        prefixes,
        scorer=Levenshtein.distance,
        dtype=np.int32,
        workers=1,
    ).astype(np.int64)
    # One code per (query key, prefix): smaller distance first, then longer.
    span = int(plen.max()) + 1
    code = np.where(ok, d * span + (span - 1 - plen), np.iinfo(np.int64).max)
    best = np.full((n_v, n_r), np.iinfo(np.int64).max, np.int64)
    for v_pos in range(n_v):
        np.minimum.at(best[v_pos], col, code[v_pos])
    found = best != np.iinfo(np.int64).max
    dist[found] = best[found] // span
    length[found] = span - 1 - best[found] % span
    return dist, length


def pack_code(
    distance: Int64Array,
    partial: npt.NDArray[np.bool_],
    level: Int64Array,
    no_year: npt.NDArray[np.bool_],
    misread: npt.NDArray[np.bool_],
) -> Int64Array:
    """One int64 per match that sorts like the tuple of its arguments.

    ``level`` is 0 exact, 1 normalised, 2 fuzzy; the booleans rank False first.
    """
    code = (distance * 2 + partial) * _LEVELS + level
    out: Int64Array = (code * 2 + no_year) * 2 + misread
    return out


def unpack_code(code: int) -> tuple[int, bool]:
    """``(distance, partial)`` of a :func:`pack_code` value."""
    d, rest = divmod(int(code), CODE_PER_DISTANCE)
    return d, rest >= CODE_PER_DISTANCE // 2


def match_score(d: int, query_len: int, key_len: int, prefix_len: int) -> float:
    """Similarity in [0, 1]: ``1 - d / max(len)``; partial matches scaled down.

    A partial match (``prefix_len > 0``) is scored against the prefix and then
    multiplied by ``(1 + prefix_len / key_len) / 2``, so "shawshank" scores
    about 0.72 against "shawshank redemption" and a whole-title match of the
    same distance scores higher.
    """
    if prefix_len <= 0:
        return max(0.0, 1.0 - d / max(query_len, key_len, 1))
    close = max(0.0, 1.0 - d / max(query_len, prefix_len, 1))
    return close * (1.0 + prefix_len / max(key_len, 1)) / 2.0


@dataclass(frozen=True)
class TitleSearchConfig:
    """How :class:`TitleSearch` picks and accepts candidates.

    Attributes
    ----------
    candidates
        Keys scored by exact edit distance per query, chosen by the trigram
        index; ``None`` scores every key (exact but slower on big catalogs).
    prefix_candidates
        Extra keys scored for partial matches: those missing the fewest of the
        query's trigrams (a long title that starts with the query misses about
        one); 0 adds none (partial distances are still computed on the others).
    full_scan_below
        Catalogs with fewer unique keys than this are always scanned in full.
    max_relative_distance
        The acceptance ratio: accepted when distance <= max(1, round(r * n)).
    """

    candidates: int | None = 300
    prefix_candidates: int = 100
    full_scan_below: int = 2000
    max_relative_distance: float = 0.3

    def __post_init__(self) -> None:
        c = self.candidates
        if c is not None and (isinstance(c, bool) or not isinstance(c, int) or c < 1):
            raise InvalidInputError(
                f"candidates must be a positive int or None, got {self.candidates!r}"
            )
        p = self.prefix_candidates
        if isinstance(p, bool) or not isinstance(p, int) or p < 0:
            raise InvalidInputError(
                f"prefix_candidates must be a non-negative int, got {p!r}"
            )
        if not isinstance(self.full_scan_below, int) or self.full_scan_below < 0:
            raise InvalidInputError(
                "full_scan_below must be a non-negative int, got "
                f"{self.full_scan_below!r}"
            )
        r = self.max_relative_distance
        if not isinstance(r, (int, float)) or not 0.0 <= r <= 1.0:
            raise InvalidInputError(
                f"max_relative_distance must be in [0, 1], got {r!r}"
            )


def completion_order(
    rows: Int64Array,
    pair_ptr: Int64Array,
    pair_item: npt.NDArray[np.int32],
    key_len: Int64Array,
    prior: npt.NDArray[np.float64] | None,
) -> tuple[Int64Array, Int64Array]:
    """(item, key row) of every pair of ``rows``, by prior, shorter key, item."""
    pairs = expand_ranges(pair_ptr, rows)
    items = pair_item[pairs].astype(np.int64)
    key_rows = np.repeat(rows, pair_ptr[rows + 1] - pair_ptr[rows])
    score = np.zeros(len(items)) if prior is None else prior[items]
    order = np.lexsort((items, key_len[key_rows], -score))
    return items[order], key_rows[order]


# -- ranking and catalog helpers of TitleSearch ------------------------------


def limit_bound(
    pair_full: npt.NDArray[np.int64], items: npt.NDArray[np.int64], limit: int
) -> int:
    """The ``limit``-th smallest whole-title distance over distinct items.

    ``limit`` items are at least that close, and a partial match is not better
    than a whole one at equal distance, so a prefix at that distance or more
    cannot enter the top ``limit``: it need not be scored. Fewer items: no bound.
    """
    order = np.argsort(pair_full, kind="stable")
    _, first = np.unique(items[order], return_index=True)
    if len(first) < limit:
        return int(np.iinfo(np.int32).max)
    best = pair_full[order][first]
    return int(np.partition(best, limit - 1)[limit - 1])


def popular_first(
    keys: list[str],
    pair_rows: npt.NDArray[np.int64],
    pair_item: npt.NDArray[np.int32],
    prior: npt.NDArray[np.float64] | None,
) -> tuple[list[str], npt.NDArray[np.int64]]:
    """``keys`` ordered by (highest prior of their items, length), and the pairs'
    rows renumbered to match; ties keep their first-seen order."""
    n = len(keys)
    best = np.zeros(n)
    if prior is not None and len(pair_item):
        best = np.full(n, -np.inf)
        np.maximum.at(best, pair_rows, prior[pair_item])
    length = np.fromiter(map(len, keys), np.int64, count=n)
    perm = np.lexsort((np.arange(n), length, -best))
    new_row = np.empty(n, np.int64)
    new_row[perm] = np.arange(n, dtype=np.int64)
    return [keys[r] for r in perm.tolist()], new_row[pair_rows]


def check_prior(
    prior: npt.ArrayLike | None, n_items: int
) -> npt.NDArray[np.float64] | None:
    if prior is None:
        return None
    arr = np.asarray(prior, dtype=np.float64)
    if arr.shape != (n_items,):
        raise InvalidInputError(f"prior must have shape ({n_items},), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidInputError("prior must be finite everywhere")
    return arr


def item_forms(catalog: Catalog) -> list[list[str]]:
    """Per item: its display title and ``search_titles`` forms, stripped."""
    extra = catalog.search_titles
    out: list[list[str]] = []
    for i, title in enumerate(catalog.titles.tolist()):
        forms = [str(title).strip()]
        if extra is not None and extra[i]:
            forms += [f.strip() for f in str(extra[i]).split(LABEL_SEP) if f.strip()]
        out.append([f for f in dict.fromkeys(forms) if f])
    return out


def duplicated_titles(catalog: Catalog) -> npt.NDArray[np.bool_]:
    """Items whose display title (case and spacing folded) another item shares."""
    folded = [" ".join(str(t).casefold().split()) for t in catalog.titles.tolist()]
    seen: dict[str, int] = {}
    for t in folded:
        seen[t] = seen.get(t, 0) + 1
    return np.fromiter((seen[t] > 1 for t in folded), bool, count=len(folded))


def titles_checksum(catalog: Catalog) -> int:
    joined = "\n".join(str(t) for t in catalog.titles.tolist())
    return zlib.crc32(joined.encode("utf-8"))
