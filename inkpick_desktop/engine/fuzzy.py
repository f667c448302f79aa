"""Fuzzy title search: exact, then normalised, then Levenshtein over candidates.

Lookup order
------------
1. **Exact**: the query, stripped, equals a display title or one of an item's
   ``search_titles`` forms.
2. **Normalised**: a key of the query equals a key of the item (see
   :mod:`.ngram`: case, accents, punctuation, leading or rotated articles of
   several languages). A trailing year is optional: ``"godfather 1972"`` and
   ``"the godfather (1972)"`` search for ``"godfather"`` and prefer items of
   1972; a bare trailing number is also kept as text, so ``"blade runner 2049"``
   still finds that film first.
3. **Fuzzy**: Levenshtein distance between query keys and item keys, computed
   with :func:`rapidfuzz.distance.Levenshtein.distance` on a candidate set: the
   ``candidates`` keys (300 by default) missing the fewest of the query's padded
   character trigrams, plus the ``prefix_candidates`` keys (100) that contain
   most of the query's trigrams, such as long titles starting with the query
   (:meth:`.ngram.NgramIndex.candidates`; ties to the more popular, then shorter
   key). Catalogs with fewer than ``full_scan_below`` keys, or
   ``candidates=None``, score every key instead, and then the best distance is
   the true minimum.
4. **Partial**: users type the start of a title, so each scored key also gets a
   prefix distance, the smallest distance between the query key and a
   word-boundary prefix of the key of at least the query's word count (or 60%
   of the key; see :mod:`._fuzzy_rank`): "star wars" is 0 from "star wars
   episode iv a new hope", "godfater" 1 from "godfather part ii". Such a match
   has :attr:`TitleMatch.partial` set and its ``distance`` is the prefix
   distance.

An item's distance is the minimum over (query key, item key) pairs of the full
and the prefix distance. Matches are ordered by distance, then whole-title
before partial match (so "godfater" still finds "The Godfather" before "The
Godfather: Part II", and "up" finds "Up" before "Up in the Air"), then exact
before normalised, then year match, then whether a bare trailing number had to
be read as a year the item does not have (``"godzilla 2000"`` prefers "Godzilla
2000" to "Godzilla (1954)"), then the ``prior`` (e.g. interaction counts, so the
famous "Emma" comes first), then index.

Acceptance threshold
--------------------
The best match is *accepted* when its distance is at most
``max(1, round(0.3 * n))``, ``n`` the length of the query key it matched: one
typo in a short word ("Godfater", 8 letters, may have 2), about one in three
letters for long titles. That allows the usual one or two slips per word
(missing, doubled or swapped letters) while a query at distance ``0.3 * n``
from its match still shares most of its trigrams with it, so the candidate set
finds it; beyond that the "match" is usually another title. Unaccepted matches
are still returned as suggestions. ``corrected`` is set when the best match is
neither exact nor normalised (a "did you mean"); a partial match is always
corrected, since the title is longer than what was typed.
"""

from __future__ import annotations

import bisect
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from inkpick_desktop.data.model import LABEL_SEP, Catalog
from inkpick_desktop.engine._fuzzy_rank import (
    DerivedIndex,
    TitleSearchConfig,
    check_prior,
    completion_order,
    item_forms,
    limit_bound,
    match_score,
    pack_code,
    popular_first,
    prefix_distances,
    titles_checksum,
    unpack_code,
    word_breaks,
)
from inkpick_desktop.engine.errors import InvalidInputError, ModelFormatError
from inkpick_desktop.engine.ngram import (
    NgramIndex,
    QueryKey,
    expand_ranges,
    gram_codes,
    keyed_forms,
    normalize_key,
    query_keys,
    query_variants,
)
from inkpick_desktop.engine.results import TitleMatch
from inkpick_desktop.engine.sparse import CsrMatrix

logger = logging.getLogger(__name__)

__all__ = [
    "SearchResult",
    "TitleSearch",
    "TitleSearchConfig",
    "levenshtein",
    "query_keys",
]

# 2: key rows numbered by popularity, then length (candidate ties go to low rows).
# 3: the sorted key order, duplicated titles and exact forms are stored too.
FORMAT_VERSION = 3
#: Most keys ranked for the partial-match candidates of one query key.
_PREFIX_SCAN = 4000
#: Fields that tell duplicate titles apart, in order of preference.
_DETAIL_FIELDS = ("genres", "artist", "provider")


def levenshtein(a: str, b: str) -> int:
    """Unit-cost edit distance (insert, delete, substitute) between two strings."""
    return int(Levenshtein.distance(a, b))


def acceptance_threshold(length: int, ratio: float = 0.3) -> int:
    """Largest accepted distance for a query key of ``length`` characters."""
    return max(1, int(ratio * length + 0.5))


@dataclass(frozen=True)
class SearchResult:
    """Matches of one query, best first.

    ``corrected`` is True when the best match is neither exact nor normalised
    ("did you mean"; always for a partial match); ``accepted`` when it is within
    the acceptance threshold.
    Both are False when there is no match at all.
    """

    query: str
    matches: tuple[TitleMatch, ...]
    corrected: bool
    accepted: bool

    @property
    def best(self) -> TitleMatch | None:
        return self.matches[0] if self.matches else None


class TitleSearch:
    """Title lookup over one :class:`~inkpick_desktop.data.model.Catalog`.

    Build with :meth:`build` (or :meth:`from_arrays` for a saved index); the
    object is immutable and safe to query from several threads.
    """

    def __init__(
        self,
        catalog: Catalog,
        keys: list[str],
        pair_ptr: npt.NDArray[np.int64],
        pair_item: npt.NDArray[np.int32],
        index: NgramIndex,
        prior: npt.NDArray[np.float64] | None,
        config: TitleSearchConfig,
        derived: DerivedIndex | None = None,
    ) -> None:
        """``derived``: the catalog- and key-order structures, computed when
        None (:meth:`build`), else as saved (:meth:`from_arrays`)."""
        self.catalog = catalog
        self.config = config
        self.keys_ = keys
        self.pair_ptr_ = pair_ptr  # key row r owns pairs pair_ptr[r]:pair_ptr[r+1]
        self.pair_item_ = pair_item
        self.index_ = index
        self.prior_ = prior
        if derived is None:
            derived = DerivedIndex.compute(catalog, keys)
        self._derived = derived
        self._sorted_rows = derived.sorted_rows
        self._sorted_keys = derived.sorted_keys
        self._exact = derived.exact
        self._duplicated = derived.duplicated
        self._key_objects = np.array(keys, dtype=object)
        self._breaks = word_breaks(keys)
        # The pairs grouped by item: item i owns key rows
        # _item_rows[_item_ptr[i]:_item_ptr[i+1]].
        pair_row = np.repeat(np.arange(len(keys), dtype=np.int64), np.diff(pair_ptr))
        by_item = np.argsort(pair_item, kind="stable")
        self._item_rows = pair_row[by_item]
        self._item_ptr = np.zeros(catalog.n_items + 1, np.int64)
        np.cumsum(
            np.bincount(pair_item, minlength=catalog.n_items), out=self._item_ptr[1:]
        )
        self._years = catalog.years.astype(np.int64)

    # -- construction -----------------------------------------------------------

    @classmethod
    def build(
        cls,
        catalog: Catalog,
        prior: npt.ArrayLike | None = None,
        config: TitleSearchConfig | None = None,
    ) -> TitleSearch:
        """Index the titles of ``catalog``.

        Parameters
        ----------
        catalog
            Uses ``titles``, ``search_titles``, ``years``, ``ids`` and, for
            :attr:`TitleMatch.detail`, the ``genres``/``artist``/``provider`` fields.
        prior
            Optional popularity or quality per item, shape ``(n_items,)``,
            finite; higher wins ties between equally close titles.
        config
            Candidate and acceptance settings; defaults to
            :class:`TitleSearchConfig()`.
        """
        start = time.perf_counter()
        config = config or TitleSearchConfig()
        prior_arr = check_prior(prior, catalog.n_items)
        row_of: dict[str, int] = {}
        pairs: dict[tuple[int, int], None] = {}  # (key row, item), no repeats
        for i, forms in enumerate(item_forms(catalog)):
            for form in forms:
                for key, _ in keyed_forms(form):
                    pairs[(row_of.setdefault(key, len(row_of)), i)] = None
        pair_rows = np.fromiter((p[0] for p in pairs), np.int64, count=len(pairs))
        pair_item = np.fromiter((p[1] for p in pairs), np.int32, count=len(pairs))
        # Renumber the keys by popularity, then length: candidate ties go to the
        # lower row, so a famous long title is not cut off by obscure ones.
        keys, pair_rows = popular_first(list(row_of), pair_rows, pair_item, prior_arr)
        order = np.lexsort((pair_item, pair_rows))
        pair_ptr = np.zeros(len(keys) + 1, np.int64)
        np.cumsum(np.bincount(pair_rows, minlength=len(keys)), out=pair_ptr[1:])
        index = NgramIndex.build(keys)

        logger.info(
            "title index built: %d items, %d keys, %d grams, nnz %d, %.2f s",
            catalog.n_items,
            len(keys),
            len(index.grams),
            index.postings.nnz,
            time.perf_counter() - start,
        )
        return cls(
            catalog,
            keys,
            pair_ptr,
            pair_item[order],
            index,
            prior_arr,
            config,
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Arrays for ``np.savez`` (no object arrays); see :meth:`from_arrays`."""
        meta = {
            "version": FORMAT_VERSION,
            "n_items": self.catalog.n_items,
            "titles_crc32": titles_checksum(self.catalog),
            "config": asdict(self.config),
        }
        out: dict[str, np.ndarray] = {
            "fuzzy_meta": np.asarray(json.dumps(meta)),
            "fuzzy_keys": np.frombuffer(
                "\n".join(self.keys_).encode("utf-8"), np.uint8
            ),
            "fuzzy_pair_ptr": self.pair_ptr_,
            "fuzzy_pair_item": self.pair_item_,
            "fuzzy_grams": self.index_.grams,
            "fuzzy_key_grams": self.index_.key_grams,
        }
        if self.prior_ is not None:
            out["fuzzy_prior"] = self.prior_
        out.update(self.index_.postings.to_arrays("fuzzy_postings"))
        out.update(self._derived.to_arrays())
        return out

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], catalog: Catalog
    ) -> TitleSearch:
        """Rebuild from :meth:`to_arrays` output for the same ``catalog``.

        Raises :class:`ModelFormatError` when the arrays are missing, of another
        format version, or were built for a catalog with other titles.
        """
        try:
            meta = json.loads(str(np.asarray(arrays["fuzzy_meta"])[()]))
            if meta.get("version") != FORMAT_VERSION:
                raise ModelFormatError(
                    f"title index format {meta.get('version')!r}, expected "
                    f"{FORMAT_VERSION}"
                )
            if meta.get("n_items") != catalog.n_items or meta.get(
                "titles_crc32"
            ) != titles_checksum(catalog):
                raise ModelFormatError(
                    "title index was built for another catalog "
                    f"({meta.get('n_items')} items, this one has {catalog.n_items})"
                )
            raw = np.asarray(arrays["fuzzy_keys"], np.uint8).tobytes()
            keys = raw.decode("utf-8").split("\n") if raw else []
            postings = CsrMatrix.from_arrays(arrays, "fuzzy_postings")
            index = NgramIndex(
                np.asarray(arrays["fuzzy_grams"], np.int64),
                postings,
                np.asarray(arrays["fuzzy_key_grams"], np.int32),
            )
            pair_ptr = np.asarray(arrays["fuzzy_pair_ptr"], np.int64)
            pair_item = np.asarray(arrays["fuzzy_pair_item"], np.int32)
            prior = (
                np.asarray(arrays["fuzzy_prior"], np.float64)
                if "fuzzy_prior" in arrays
                else None
            )
            config = TitleSearchConfig(**meta["config"])
            derived = DerivedIndex.from_arrays(arrays, keys, catalog.n_items)
        except ModelFormatError:
            raise
        except (KeyError, ValueError, TypeError, UnicodeDecodeError) as exc:
            raise ModelFormatError(f"title index arrays are unreadable: {exc}") from exc
        n = len(keys)
        if (
            pair_ptr.shape != (n + 1,)
            or postings.shape != (len(index.grams), n)
            or len(index.key_grams) != n
            or pair_ptr[-1] != len(pair_item)
            or (
                len(pair_item)
                and not 0 <= pair_item.min() <= pair_item.max() < catalog.n_items
            )
            or (prior is not None and prior.shape != (catalog.n_items,))
        ):
            raise ModelFormatError("title index arrays disagree on their sizes")
        return cls(catalog, keys, pair_ptr, pair_item, index, prior, config, derived)

    # -- queries ----------------------------------------------------------------

    def keys_of(self, index: int) -> tuple[str, ...]:
        """The normalised keys item ``index`` is matched by."""
        rows = np.flatnonzero(self.pair_item_ == index)
        owners = np.searchsorted(self.pair_ptr_, rows, side="right") - 1
        return tuple(self.keys_[r] for r in owners.tolist())

    def search(self, query: str, limit: int = 10) -> SearchResult:
        """Titles closest to ``query``, best first.

        Parameters
        ----------
        query
            What the user typed; a trailing year is optional.
        limit
            Maximum number of matches returned, a positive int.

        Returns
        -------
        SearchResult

        Raises
        ------
        InvalidInputError
            ``query`` is empty, or nothing is left of it once normalised
            (``"!!!"``), or ``limit`` is not a positive int.
        """
        text, variants = self._parse(query, limit)
        exact = set(self._exact.lookup(text).tolist())
        rows, allowed = self._candidate_rows(variants, exact)
        items, code, where, prefix_len = self._score(
            variants, rows, allowed, exact, limit
        )
        prior = np.zeros(len(items)) if self.prior_ is None else self.prior_[items]
        top = np.lexsort((items, -prior, code))[:limit].tolist()
        n_rows = max(len(rows), 1)
        matches = []
        for pos in top:
            v_pos, col = divmod(int(where[pos]), n_rows)
            key = self.keys_[int(rows[col])]
            d, partial = unpack_code(int(code[pos]))
            plen = int(prefix_len[v_pos, col]) if partial else 0
            qkey = variants[v_pos].key
            matches.append(self._match(int(items[pos]), d, qkey, key, plen))

        if not matches:
            return SearchResult(query, (), corrected=False, accepted=False)
        best = matches[0]
        best_q = len(variants[int(where[top[0]]) // n_rows].key)
        ratio = self.config.max_relative_distance
        accepted = best.distance <= acceptance_threshold(best_q, ratio)
        corrected = best.distance > 0 or best.partial
        return SearchResult(query, tuple(matches), corrected, accepted)

    def suggest(self, prefix: str, limit: int = 10) -> list[TitleMatch]:
        """Completions for a partly typed title, for a completer.

        Titles with a key starting with the normalised ``prefix`` come first,
        then titles with a word starting with it, then (prefix of three or more
        characters) fuzzy :meth:`search` results; within each group by prior,
        then shorter key, then index. An empty prefix gives ``[]``.
        """
        _check_limit(limit)
        p = normalize_key(prefix)
        if not p:
            return []
        out: dict[int, TitleMatch] = {}

        lo = bisect.bisect_left(self._sorted_keys, p)
        hi = bisect.bisect_left(self._sorted_keys, p + "\U0010ffff")
        self._add_completions(out, p, self._sorted_rows[lo:hi], limit, word=False)
        if len(out) < limit and len(p) >= 2:
            codes = gram_codes(" " + p, pad=False)
            rows = self.index_.containing_all(codes)
            self._add_completions(out, p, rows, limit, word=True)
        if len(out) < limit and len(p) >= 3:
            try:
                matches = self.search(prefix, limit).matches
            except InvalidInputError:  # e.g. "(1999)": nothing but a year
                matches = ()
            for m in matches:
                if len(out) >= limit:
                    break
                out.setdefault(m.index, m)
        return list(out.values())[:limit]

    # -- internals --------------------------------------------------------------

    def _parse(self, query: object, limit: object) -> tuple[str, list[QueryKey]]:
        if not isinstance(query, str):
            raise InvalidInputError(f"search query must be a str, got {query!r}")
        _check_limit(limit)
        text = query.strip()
        if not text:
            raise InvalidInputError("search query is empty")
        variants = query_variants(text)
        if not variants:
            raise InvalidInputError(
                f"search query {query!r} has no letters or digits to search for"
            )
        return text, variants

    def _candidate_rows(
        self, variants: list[QueryKey], exact: set[int]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64] | None]:
        """Key rows to score and the items they are scored for (None: all)."""
        n_cand = self.config.candidates
        n_keys = len(self.keys_)
        if n_cand is None or n_keys < self.config.full_scan_below:
            return np.arange(n_keys, dtype=np.int64), None
        qkeys = [v.key for v in variants]
        n_prefix = self.config.prefix_candidates
        cand = self.index_.candidates(
            qkeys,
            n_cand,
            n_prefix=n_prefix,
            starting=[self._starting_with(q) for q in qkeys] if n_prefix else None,
        )
        # Normalised hits are always scored, however many keys share the grams.
        hits = [r for r in map(self._row, (v.key for v in variants)) if r >= 0]
        rows = np.concatenate([cand.astype(np.int64), np.asarray(hits, np.int64)])
        if len(rows) == 0:  # no gram in common with any key (e.g. "a"): scan all
            return np.arange(n_keys, dtype=np.int64), None
        # Score every key of a candidate item, so its distance is its own minimum.
        pairs = expand_ranges(self.pair_ptr_, rows)
        found = np.concatenate([self.pair_item_[pairs], np.fromiter(exact, np.int32)])
        items: npt.NDArray[np.int64] = np.unique(found).astype(np.int64)
        # A key shared with other items reaches them too; they are left out,
        # since only some of their keys were scored.
        return np.unique(self._item_rows[expand_ranges(self._item_ptr, items)]), items

    def _row(self, key: str) -> int:
        """The row of ``key``, or -1 when no title has that key."""
        j = bisect.bisect_left(self._sorted_keys, key)
        if j < len(self._sorted_keys) and self._sorted_keys[j] == key:
            return int(self._sorted_rows[j])
        return -1

    def _starting_with(self, key: str) -> npt.NDArray[np.int32]:
        """Rows of the keys sharing the first characters of ``key``: as few as
        keep the set under :data:`_PREFIX_SCAN` keys (one, unless that is a
        very common start such as "t"), so one typo past them still matches."""
        for n in range(1, len(key) + 1):
            lo = bisect.bisect_left(self._sorted_keys, key[:n])
            hi = bisect.bisect_left(self._sorted_keys, key[:n] + "\U0010ffff")
            if hi - lo <= _PREFIX_SCAN:
                break
        return self._sorted_rows[lo:hi]

    def _score(
        self,
        variants: list[QueryKey],
        rows: npt.NDArray[np.int64],
        allowed: npt.NDArray[np.int64] | None,
        exact: set[int],
        limit: int,
    ) -> tuple[
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
    ]:
        """Best (item, sort code, pair column) per item over the scored key rows.

        The sort code (:func:`._fuzzy_rank.pack_code`) packs ``(distance,
        partial, level, no year match, number misread as a year)``; level is 0
        exact, 1 normalised, 2 fuzzy. The pair column is ``variant * n_rows +
        row position``; the fourth array, ``(n_variants, n_rows)``, holds the
        length of the best prefix of each pair.

        Only the best ``limit`` items are exact: prefixes that cannot reach the
        ``limit``-th best whole-title distance are skipped (:func:`_bound`).
        """
        empty = np.zeros(0, np.int64)
        if len(rows) == 0:
            return empty, empty, empty, np.zeros((len(variants), 0), np.int64)
        choices = self._key_objects[rows]
        full = process.cdist(
            [v.key for v in variants],
            choices,
            scorer=Levenshtein.distance,
            dtype=np.int32,
            workers=1,
        ).astype(np.int64)
        counts = self.pair_ptr_[rows + 1] - self.pair_ptr_[rows]
        col = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
        items = self.pair_item_[expand_ranges(self.pair_ptr_, rows)].astype(np.int64)
        if allowed is not None:
            keep = np.isin(items, allowed)
            col, items = col[keep], items[keep]
        bound = limit_bound(full.min(axis=0)[col], items, limit)
        part, prefix_len = prefix_distances(
            variants, self._key_objects, rows, np.minimum(full, bound), self._breaks
        )

        d_full, d_part = full[:, col], part[:, col]  # (n_variants, n_pairs)
        partial = d_part < d_full  # at equal distance the whole title wins
        d = np.where(partial, d_part, d_full)
        level = np.where(d == 0, 1, 2)
        if exact:
            level[:, np.isin(items, np.fromiter(exact, np.int64))] = 0
        item_years = self._years[items]
        code = np.empty_like(d)
        for v_pos, v in enumerate(variants):
            no_match = (
                np.ones(len(items), bool) if v.year is None else item_years != v.year
            )
            misread = no_match & v.bare_year
            code[v_pos] = pack_code(
                d[v_pos], partial[v_pos], level[v_pos], no_match, misread
            )
        best_v = code.argmin(axis=0)
        best = code[best_v, np.arange(len(items))]
        order = np.lexsort((best, items))
        first = np.r_[True, items[order][1:] != items[order][:-1]]
        keep = order[first.astype(bool)]
        where = best_v[keep] * len(rows) + col[keep]
        return items[keep], best[keep], where, prefix_len

    def _match(
        self, item: int, d: int, qkey: str, key: str, prefix_len: int = 0
    ) -> TitleMatch:
        """``prefix_len > 0``: a partial match on ``key[:prefix_len]``."""
        return TitleMatch(
            index=item,
            id=self._id(item),
            title=self._title(item),
            year=int(self._years[item]),
            distance=d,
            score=match_score(d, len(qkey), len(key), prefix_len),
            detail=self._detail(item) if self._duplicated[item] else "",
            partial=prefix_len > 0,
        )

    def _id(self, item: int) -> str:
        return str(self.catalog.ids[item])

    def _title(self, item: int) -> str:
        return str(self.catalog.titles[item]).strip()

    def _detail(self, item: int) -> str:
        parts: list[str] = []
        year = int(self._years[item])
        if year and str(year) not in self._title(item):
            parts.append(str(year))
        for name in _DETAIL_FIELDS:
            values = self.catalog.labels(name, item)
            if values:
                parts.append(LABEL_SEP.join(values))
                break
        parts.append(f"id {self._id(item)}")
        return " · ".join(parts)

    def _add_completions(
        self,
        out: dict[int, TitleMatch],
        p: str,
        rows: npt.NDArray[np.int32],
        limit: int,
        *,
        word: bool,
    ) -> None:
        if len(out) >= limit or len(rows) == 0:
            return
        items, key_rows = completion_order(
            rows.astype(np.int64),
            self.pair_ptr_,
            self.pair_item_,
            self._breaks[2],
            self.prior_,
        )
        needle = " " + p
        for i, r in zip(items.tolist(), key_rows.tolist(), strict=True):
            if i in out:
                continue
            key = self.keys_[r]
            if word and needle not in " " + key:
                continue  # has the trigrams, but not at a word start
            out[i] = self._match(i, levenshtein(p, key), p, key)
            if len(out) >= limit:
                return


def _check_limit(limit: object) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidInputError(f"limit must be a positive int, got {limit!r}")
