"""Title keys and the character-trigram index behind :mod:`.fuzzy`.

A *key* is the form of a title that searching compares: :func:`title_keys` turns
``"Godfather, The (1972)"`` into ``("the godfather", "godfather")``. The steps:

1. drop a trailing year in parentheses (``(1972)``, ``(2004-2007)``; the catalog
   keeps years apart) and split a trailing parenthesised alternative title
   (``"Amelie (Fabuleux destin d'Amélie Poulain, Le)"`` gives two forms);
2. undo MovieLens-style article rotation (``"Godfather, The"`` becomes
   ``"The Godfather"``) for articles of several languages (:data:`ROTATED_ARTICLES`);
3. :func:`inkpick_desktop.engine.text.normalize` (NFKC, case fold, accents
   stripped), ``&`` read as ``and``, apostrophes removed (``"schindlers"``)
   except after an elided ``l'`` or ``d'`` (``"l'avventura"`` gives
   ``"l avventura"``), every
   other non-alphanumeric run becomes one space;
4. the *literal* key is that string; when it starts with an article of
   :data:`LEADING_ARTICLES` (or one was rotated) a second, *stripped* key without
   it is added (``"godfather"``), so "the godfather", "Godfather, The" and
   "GODFATHER" all meet.

:class:`NgramIndex` indexes unique keys by their set of padded character
trigrams (two spaces on either side, so ``"up"`` has ``"  u"``, ``" up"``,
``"up "``, ``"p  "``). Trigrams are coded as one int64 (three code points of 21
bits each), which lets the whole index be built and queried with NumPy.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.sparse import CsrMatrix
from inkpick_desktop.engine.text import normalize

IntArray = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]

#: Articles MovieLens-style catalogs move to the end ("Vitelloni, I").
ROTATED_ARTICLES: frozenset[str] = frozenset(
    "the a an le la les l' el los las il lo gli i der die das den det de het een "
    "ein eine o os as un une una uno en et ett".split()
)
#: Leading words dropped for the stripped key. "i", "as", "de" and "en" are left
#: out: they start too many ordinary English/Romance titles ("I Am Legend").
LEADING_ARTICLES: frozenset[str] = frozenset(
    "the a an le la les l el los las il lo gli der die das den det het een ein "
    "eine o os un une una uno ett".split()
)

_YEAR_TAIL = re.compile(r"\s*\(\s*\d{4}\s*(?:[-–]\s*(?:\d{4})?\s*)?\)\s*$")
_ALT_TAIL = re.compile(r"^(.*\S)\s*\(([^()]*)\)\s*$")
_ROTATED = re.compile(r"^(.*\S)\s*,\s*([^\s,]+)\s*$")
_ELIDED = re.compile(r"(?<![^\W_])([ld])['’]")
_APOSTROPHE = re.compile(r"['’`´]")
_NON_ALNUM = re.compile(r"[\W_]+")
_PAREN_YEAR = re.compile(r"^(.*\S)\s*\(\s*(\d{4})\s*\)\s*$")
_BARE_YEAR = re.compile(r"^(.*\S)\s+(\d{4})$")
_YEAR_RANGE = (1870, 2100)

# Code points fit in 21 bits, so three of them pack into one int64 gram code.
_BITS = 21


def normalize_key(text: str) -> str:
    """Step 3 of the module docstring: the comparable form of one title string.

    Examples
    --------
    >>> normalize_key("Amélie & the Schindler's L'Avventura!")
    'amelie and the schindlers l avventura'
    """
    out = normalize(text).replace("&", " and ")
    out = _ELIDED.sub(r"\1 ", out)
    out = _APOSTROPHE.sub("", out)
    return " ".join(_NON_ALNUM.sub(" ", out).split())


def strip_year(text: str) -> str:
    """``text`` without a trailing ``(YYYY)`` or ``(YYYY-YYYY)``."""
    return _YEAR_TAIL.sub("", text)


def _unrotate(form: str) -> tuple[str, bool]:
    m = _ROTATED.match(form)
    if m and m.group(2).casefold() in ROTATED_ARTICLES:
        article = m.group(2)
        sep = "" if article.endswith("'") else " "
        return f"{article}{sep}{m.group(1)}", True
    return form, False


def keys_of_form(form: str) -> list[tuple[str, bool]]:
    """Keys of one already split title form: ``(key, literal)`` pairs."""
    text, rotated = _unrotate(form.strip())
    literal = normalize_key(text)
    if not literal:
        return []
    out = [(literal, True)]
    first, _, rest = literal.partition(" ")
    if rest and (rotated or first in LEADING_ARTICLES):
        out.append((rest, False))
    return out


def title_forms(title: str, *, split_alt: bool = True) -> list[str]:
    """Steps 1: a title without its year, and its alternative title if any."""
    text = strip_year(strip_year(title.strip()))
    forms = [text]
    m = _ALT_TAIL.match(text) if split_alt else None
    if m and m.group(2).strip():
        forms = [m.group(1), m.group(2)]
    return forms


def title_keys(title: str, *, split_alt: bool = True) -> tuple[str, ...]:
    """All keys of one title string, literal keys first, without repeats.

    Examples
    --------
    >>> title_keys("Godfather, The (1972)")
    ('the godfather', 'godfather')
    >>> title_keys("Amelie (Destin d'Amélie, Le) (2001)")
    ('amelie', 'le destin d amelie', 'destin d amelie')
    """
    seen: dict[str, None] = {}
    for form in title_forms(title, split_alt=split_alt):
        for key, _ in keys_of_form(form):
            seen.setdefault(key, None)
    return tuple(seen)


def keyed_forms(title: str) -> list[tuple[str, bool]]:
    """``(key, literal)`` pairs of a title (alternative titles included)."""
    out: list[tuple[str, bool]] = []
    for form in title_forms(title):
        out.extend(keys_of_form(form))
    return out


@dataclass(frozen=True)
class QueryKey:
    """One key a query is searched by."""

    key: str
    year: int | None  # the year the query asked for, if this key left it out
    bare_year: bool  # that year was a bare trailing number, not "(1972)"


def query_variants(text: str) -> list[QueryKey]:
    """The keys a stripped query is searched by.

    Without a trailing year these are the query's :func:`title_keys`. With a
    trailing ``(YYYY)`` or bare ``YYYY`` (1870-2100) they are the keys of the rest,
    each remembering the year; a bare number is also kept as text
    (``"blade runner 2049"``), and those keys come first.
    """
    found: dict[str, QueryKey] = {}
    m = _PAREN_YEAR.match(text)
    bare = False
    if m is None:
        m = _BARE_YEAR.match(text)
        bare = m is not None
    year = int(m.group(2)) if m else None
    if m is None or year is None or not _YEAR_RANGE[0] <= year <= _YEAR_RANGE[1]:
        for form in title_forms(text):
            for key, _ in keys_of_form(form):
                found.setdefault(key, QueryKey(key, None, False))
        return list(found.values())
    # The number kept as text goes first, so a key both ways counts as text.
    if bare:
        for key, _ in keys_of_form(text):
            found.setdefault(key, QueryKey(key, None, False))
    for form in title_forms(m.group(1)):
        for key, _ in keys_of_form(form):
            found.setdefault(key, QueryKey(key, year, bare))
    return list(found.values())


def query_keys(text: str) -> tuple[str, ...]:
    """The normalised keys a query is compared with (empty: nothing to search)."""
    return tuple(v.key for v in query_variants(text.strip()))


def expand_ranges(
    ptr: npt.NDArray[np.int64], groups: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Positions ``ptr[g]:ptr[g+1]`` of every group ``g``, concatenated."""
    starts = ptr[groups]
    counts = ptr[groups + 1] - starts
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    out: npt.NDArray[np.int64] = np.arange(int(counts.sum()), dtype=np.int64)
    out += offsets
    return out


def gram_codes(key: str, *, pad: bool = True) -> Int64Array:
    """Sorted unique trigram codes of one key (padded with two spaces each side)."""
    text = f"  {key}  " if pad else key
    if len(text) < 3:
        return np.zeros(0, np.int64)
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    codes = (cp[:-2] << (2 * _BITS)) | (cp[1:-1] << _BITS) | cp[2:]
    return np.unique(codes)


@dataclass(frozen=True, eq=False)
class NgramIndex:
    """Inverted trigram index over ``n_keys`` strings.

    Attributes
    ----------
    grams
        Sorted unique gram codes, int64, shape ``(n_grams,)``.
    postings
        ``CsrMatrix`` of shape ``(n_grams, n_keys)``: row ``g`` lists the keys that
        contain gram ``grams[g]`` (data 1). It is the transpose of the
        keys x grams incidence matrix.
    key_grams
        Number of distinct grams per key, int32, shape ``(n_keys,)``.
    """

    grams: Int64Array
    postings: CsrMatrix
    key_grams: IntArray

    @classmethod
    def build(cls, keys: list[str]) -> NgramIndex:
        """Index ``keys`` (vectorised over one UTF-32 buffer of all padded keys)."""
        n = len(keys)
        if n == 0:
            return cls(
                np.zeros(0, np.int64), CsrMatrix.empty((0, 0)), np.zeros(0, np.int32)
            )
        padded = "".join(f"  {k}  " for k in keys)
        cp = np.frombuffer(padded.encode("utf-32-le"), np.uint32).astype(np.int64)
        lengths = np.fromiter((len(k) + 4 for k in keys), np.int64, count=n)
        starts = np.cumsum(lengths) - lengths
        # A padded key of length L has L-2 grams starting at its first L-2 places.
        n_grams = lengths - 2
        owner = np.repeat(np.arange(n, dtype=np.int64), n_grams)
        pos = np.arange(int(n_grams.sum()), dtype=np.int64)
        pos += np.repeat(starts - (np.cumsum(n_grams) - n_grams), n_grams)
        codes = (cp[pos] << (2 * _BITS)) | (cp[pos + 1] << _BITS) | cp[pos + 2]
        grams, col = np.unique(codes, return_inverse=True)
        incidence = CsrMatrix.from_triplets(
            owner, col.ravel(), np.ones(len(owner)), (n, len(grams))
        )
        incidence = CsrMatrix(
            np.ones(incidence.nnz, np.float32),  # a repeated gram counts once
            incidence.indices,
            incidence.indptr,
            incidence.shape,
        )
        key_grams = incidence.row_lengths.astype(np.int32)
        return cls(grams, incidence.transpose(), key_grams)

    @property
    def n_keys(self) -> int:
        return len(self.key_grams)

    def shared_counts(self, codes: Int64Array) -> npt.NDArray[np.int64]:
        """Per key, how many of the unique gram ``codes`` it contains, ``(n_keys,)``."""
        if len(self.grams) == 0 or len(codes) == 0:
            return np.zeros(self.n_keys, np.int64)
        pos = np.searchsorted(self.grams, codes)
        found = pos < len(self.grams)
        found[found] = self.grams[pos[found]] == codes[found]
        rows = pos[found]
        # Posting lists of the query's grams, concatenated, counted per key.
        starts = self.postings.indptr[rows]
        counts = self.postings.indptr[rows + 1] - starts
        offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
        entries = np.arange(int(counts.sum()), dtype=np.int64) + offsets
        return np.bincount(self.postings.indices[entries], minlength=self.n_keys)

    def candidates(
        self,
        queries: list[str],
        n: int,
        *,
        n_prefix: int = 0,
        starting: Sequence[npt.NDArray[np.integer]] | None = None,
    ) -> IntArray:
        """Key rows most likely close to any of the ``queries``, or starting so.

        Up to ``n`` keys ranked by *missing grams*, ``max(q, k) - shared`` (``q``
        and ``k`` the gram counts of query and key), its minimum over the
        queries: each edit changes at most three trigrams, so this is within a
        factor of three of a lower bound on the edit distance and punishes long
        keys that merely contain the query. Keys sharing no gram are never
        candidates.

        Then up to ``n_prefix`` more keys for partial matches: among the rows
        ``starting[i]`` given for query ``i`` (by default the keys that start
        with its first character, i.e. hold its padded first gram ``"  s"``),
        those missing the fewest of the query's grams, ``q - shared``; a long
        key that starts with the query misses about one ("star wars episode iv
        ..." for "star wars").

        Ties go to the lower key row (:meth:`.fuzzy.TitleSearch.build` numbers
        keys by popularity, then length, so popular titles survive the cut).
        The whole-key ranks come first, each list in rank order, no repeats.
        """
        if n <= 0:
            raise InvalidInputError(f"candidates must be a positive int, got {n!r}")
        if n_prefix < 0:
            raise InvalidInputError(
                f"n_prefix must be a non-negative int, got {n_prefix!r}"
            )
        whole: Int64Array | None = None
        any_shared = np.zeros(self.n_keys, bool)
        starts: list[tuple[Int64Array, Int64Array]] = []
        for i, q in enumerate(queries):
            codes = gram_codes(q)
            shared = self.shared_counts(codes)
            any_shared |= shared > 0
            miss = np.maximum(self.key_grams, len(codes)) - shared
            whole = miss if whole is None else np.minimum(whole, miss)
            if n_prefix and len(codes):
                anchored = (
                    self.rows_with(gram_codes(f"  {q[:1]}", pad=False))
                    if starting is None
                    else np.asarray(starting[i], np.int64)
                )
                starts.append((anchored, len(codes) - shared[anchored]))
        rows = np.flatnonzero(any_shared)
        if whole is None or len(rows) == 0:
            return np.zeros(0, np.int32)
        out = _smallest(rows, whole[rows], n)
        if starts:
            taken = np.zeros(self.n_keys, bool)
            taken[out] = True
            rows = np.concatenate([r for r, _ in starts])
            part = np.concatenate([m for _, m in starts])
            keep = ~taken[rows]
            extra = _smallest(rows[keep], part[keep], n_prefix * len(starts))
            _, first = np.unique(extra, return_index=True)
            out = np.concatenate([out, extra[np.sort(first)][:n_prefix]])
        return out.astype(np.int32)

    def rows_with(self, code: Int64Array) -> Int64Array:
        """Key rows holding the one gram in ``code`` (shape ``(1,)``), ascending."""
        pos = int(np.searchsorted(self.grams, code[0])) if len(code) == 1 else -1
        if pos < 0 or pos >= len(self.grams) or self.grams[pos] != code[0]:
            return np.zeros(0, np.int64)
        lo, hi = self.postings.indptr[pos], self.postings.indptr[pos + 1]
        found: Int64Array = self.postings.indices[lo:hi].astype(np.int64)
        return found

    def containing_all(self, codes: Int64Array) -> IntArray:
        """Key rows that contain every gram in ``codes`` (unique codes)."""
        if len(codes) == 0:
            return np.arange(self.n_keys, dtype=np.int32)
        shared = self.shared_counts(codes)
        return np.flatnonzero(shared >= len(codes)).astype(np.int32)


def _smallest(rows: Int64Array, score: Int64Array, n: int) -> Int64Array:
    """The ``n`` ``rows`` (ascending) of smallest ``(score, row)``, in that order."""
    if len(rows) > n:
        # Scores are small non-negative ints: find the n-th smallest with a
        # histogram instead of a partition of every sharing key.
        cum = np.cumsum(np.bincount(score))
        cut = int(np.searchsorted(cum, n))
        below = score < cut
        at = np.flatnonzero(score == cut)[: n - int(below.sum())]
        keep = np.concatenate([np.flatnonzero(below), at])
        rows, score = rows[keep], score[keep]
    found: Int64Array = rows[np.lexsort((rows, score))]
    return found
