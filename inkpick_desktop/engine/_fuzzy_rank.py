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

import bisect
import operator
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import islice

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from inkpick_desktop.data.model import LABEL_SEP, Catalog
from inkpick_desktop.engine.errors import InvalidInputError, ModelFormatError
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
    """CRC-32 of the display titles and, when present, the ``search_titles``."""
    joined = "\n".join(map(str, catalog.titles.tolist()))
    crc = zlib.crc32(joined.encode("utf-8"))
    if catalog.search_titles is not None:
        extra = "\n".join(map(str, catalog.search_titles.tolist()))
        crc = zlib.crc32(b"\0" + extra.encode("utf-8"), crc)
    return crc


def _strictly_rising(values: list[str]) -> bool:
    return not any(map(operator.ge, values, islice(values, 1, None)))


@dataclass(frozen=True, eq=False)
class ExactForms:
    """The exact-lookup map: every stripped title form and the items it names.

    Form ``j`` is ``text[ptr[j]:ptr[j+1]]`` (character offsets; the forms are
    sorted and unique, so no separator is needed) and names the items
    ``items[item_ptr[j]:item_ptr[j+1]]``, ascending. Looked up by bisection,
    so loading a saved map costs no dictionary build.
    """

    text: str
    ptr: Int64Array
    item_ptr: Int64Array
    items: npt.NDArray[np.int32]

    @classmethod
    def build(cls, forms_per_item: list[list[str]]) -> ExactForms:
        groups: dict[str, list[int]] = {}
        for i, forms in enumerate(forms_per_item):
            for form in forms:
                groups.setdefault(form, []).append(i)
        forms = sorted(groups)
        n = len(forms)
        ptr = np.zeros(n + 1, np.int64)
        np.cumsum(np.fromiter(map(len, forms), np.int64, count=n), out=ptr[1:])
        sizes = np.fromiter((len(groups[f]) for f in forms), np.int64, count=n)
        item_ptr = np.zeros(n + 1, np.int64)
        np.cumsum(sizes, out=item_ptr[1:])
        flat = (i for f in forms for i in groups[f])
        items = np.fromiter(flat, np.int32, count=int(item_ptr[-1]))
        return cls("".join(forms), ptr, item_ptr, items)

    def lookup(self, form: str) -> npt.NDArray[np.int32]:
        """Items having ``form`` as their title or a search form (may be empty)."""
        n = len(self.ptr) - 1
        j = bisect.bisect_left(range(n), form, key=self._form)
        if j < n and self._form(j) == form:
            return self.items[self.item_ptr[j] : self.item_ptr[j + 1]]
        return self.items[:0]

    def _form(self, j: int) -> str:
        return self.text[self.ptr[j] : self.ptr[j + 1]]

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}_text": np.frombuffer(self.text.encode("utf-8"), np.uint8),
            f"{prefix}_ptr": self.ptr,
            f"{prefix}_item_ptr": self.item_ptr,
            f"{prefix}_items": self.items,
        }

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], prefix: str, n_items: int
    ) -> ExactForms:
        """Read :meth:`to_arrays` output; :class:`ModelFormatError` when damaged.

        Raises ``KeyError``/``UnicodeDecodeError`` for a missing array or bad
        text, for the caller to report.
        """
        text = np.asarray(arrays[f"{prefix}_text"], np.uint8).tobytes().decode()
        out = cls(
            text,
            np.asarray(arrays[f"{prefix}_ptr"], np.int64),
            np.asarray(arrays[f"{prefix}_item_ptr"], np.int64),
            np.asarray(arrays[f"{prefix}_items"], np.int32),
        )
        problem = out._problem(n_items)
        if problem:
            raise ModelFormatError(f"title index exact forms: {problem}")
        return out

    def _problem(self, n_items: int) -> str:
        ptr, item_ptr, items = self.ptr, self.item_ptr, self.items
        if ptr.ndim != 1 or item_ptr.shape != ptr.shape or items.ndim != 1:
            return f"pointer shapes {ptr.shape} and {item_ptr.shape} disagree"
        if len(ptr) == 0 or ptr[0] != 0 or ptr[-1] != len(self.text):
            return f"form offsets do not span the {len(self.text)} characters"
        if item_ptr[0] != 0 or item_ptr[-1] != len(items):
            return f"item pointers do not span the {len(items)} items"
        if np.any(np.diff(ptr) <= 0) or np.any(np.diff(item_ptr) <= 0):
            return "a form is empty or has no item"
        if len(items) and not 0 <= items.min() <= items.max() < n_items:
            return f"an item is outside 0..{n_items - 1}"
        runs = np.diff(items.astype(np.int64))
        if np.any((runs <= 0) & ~np.isin(np.arange(1, len(items)), item_ptr)):
            return "the items of a form are not strictly ascending"
        bounds = ptr.tolist()
        forms = list(map(self.text.__getitem__, map(slice, bounds, bounds[1:])))
        if not _strictly_rising(forms):
            return "the forms are not sorted and unique"
        return ""


@dataclass(frozen=True, eq=False)
class DerivedIndex:
    """What :class:`.fuzzy.TitleSearch` derives from the catalog and its key
    order, saved with the index so that loading it builds no dictionaries."""

    sorted_rows: npt.NDArray[np.int32]  # key rows in sorted-key order
    sorted_keys: list[str]  # the keys in that order
    duplicated: npt.NDArray[np.bool_]  # per item: title shared (show a detail)
    exact: ExactForms

    @classmethod
    def compute(cls, catalog: Catalog, keys: list[str]) -> DerivedIndex:
        order = sorted(range(len(keys)), key=keys.__getitem__)
        return cls(
            np.asarray(order, np.int32),
            [keys[r] for r in order],
            duplicated_titles(catalog),
            ExactForms.build(item_forms(catalog)),
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        out = {
            "fuzzy_sorted_rows": self.sorted_rows,
            "fuzzy_duplicated": self.duplicated,
        }
        out.update(self.exact.to_arrays("fuzzy_exact"))
        return out

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], keys: list[str], n_items: int
    ) -> DerivedIndex:
        rows = np.asarray(arrays["fuzzy_sorted_rows"])
        dup = np.asarray(arrays["fuzzy_duplicated"])
        n = len(keys)
        if rows.dtype != np.int32 or rows.shape != (n,):
            raise ModelFormatError(
                f"title index sorted rows: expected int32 of shape ({n},), got "
                f"{rows.dtype} of shape {rows.shape}"
            )
        if n and (
            rows.min() < 0
            or rows.max() >= n
            or np.any(np.bincount(rows, minlength=n) != 1)
        ):
            raise ModelFormatError("title index sorted rows are not a permutation")
        ordered = [keys[r] for r in rows.tolist()]
        if not _strictly_rising(ordered):
            raise ModelFormatError("title index sorted rows do not sort the keys")
        if dup.dtype != np.bool_ or dup.shape != (n_items,):
            raise ModelFormatError(
                f"title index duplicated titles: expected bool of shape "
                f"({n_items},), got {dup.dtype} of shape {dup.shape}"
            )
        exact = ExactForms.from_arrays(arrays, "fuzzy_exact", n_items)
        return cls(rows, ordered, dup, exact)
