"""Text normalisation and tokenisation shared by TF-IDF and title search.

:func:`normalize` folds the superficial differences people type or datasets
carry (full-width forms, ligatures, accents, case) so that ``"Amélie"``,
``"AMELIE"`` and ``"ａｍｅｌｉｅ"`` compare equal. :func:`tokenize` splits the
normalised text into words of letters and digits. One-character words are kept
(the courses "C" and "R"), and so are the programming names course titles need:
a word followed by ``++`` or ``#`` (``c++``, ``c#``, ``f#``) and a word with one
leading dot at the start of a word (``.net``).

Both functions are deterministic, never raise on any ``str`` and depend only on
the Python version's Unicode database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

__all__ = ["ENGLISH_STOP_WORDS", "normalize", "normalize_label", "tokenize"]

# A run of letters/digits ("[^\W_]" is \w without the underscore), optionally led
# by one dot when nothing alphanumeric precedes it and a letter follows (".net";
# "asp.net" gives "asp", "net"; ".5" gives "5") and optionally followed by "++" or
# "#" ("c++", "c#").
_TOKEN_RE = re.compile(r"(?:(?<![^\W_])\.(?=[^\W\d_]))?[^\W_]+(?:\+\+|#)?")

#: A small English stop list for free text (descriptions). Not applied unless
#: asked for: titles such as "It" or "Up" consist of nothing but stop words.
ENGLISH_STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against all also am an and any are as at be because
    been before being below between both but by can could did do does doing down
    during each few for from further had has have having he her here hers herself
    him himself his how i if in into is it its itself just me more most my myself
    no nor not now of off on once only or other our ours ourselves out over own
    same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours
    yourself yourselves
    """.split()
)


def normalize(text: str) -> str:
    """Fold compatibility forms, accents and case.

    Steps: Unicode NFKC (full-width letters, ligatures, superscripts become their
    plain forms), case folding (``"ß"`` becomes ``"ss"``), NFD and removal of every
    combining mark (accents), then NFC so that the result is in canonical form.
    The result is a fixed point: ``normalize(normalize(s)) == normalize(s)``.

    Parameters
    ----------
    text
        Any string.

    Returns
    -------
    str
        The normalised string; whitespace and punctuation are left as they are.

    Examples
    --------
    >>> normalize("Amélie")
    'amelie'
    >>> normalize("ＳＴＲＡßE")
    'strasse'
    """
    if text.isascii():
        # NFKC leaves ASCII alone, there are no marks to strip, and ASCII case
        # folding is lowercasing: the common case, a third of the work.
        return text.lower()
    out = text
    # One round is a fixed point for every single code point, but composition
    # across neighbours (NFKC/NFC after case folding) is not guaranteed to be, so
    # repeat until nothing changes; the bound is only a guard.
    for _ in range(4):
        nxt = _normalize_once(out)
        if nxt == out:
            break
        out = nxt
    return out


def _normalize_once(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", folded)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def normalize_label(label: str) -> str:
    """Normalise a whole label (a genre, a tag) into one token.

    The label is :func:`normalize`-d, its whitespace runs are collapsed to one
    space and the ends stripped: ``" Science  Fiction "`` becomes
    ``"science fiction"``. An empty result means there is no label.

    Examples
    --------
    >>> normalize_label("Film-Noir")
    'film-noir'
    """
    return " ".join(normalize(label).split())


def tokenize(text: str, *, stop_words: Collection[str] | None = None) -> list[str]:
    """Split text into normalised tokens.

    Parameters
    ----------
    text
        Any string.
    stop_words
        Tokens to leave out, already normalised (e.g. :data:`ENGLISH_STOP_WORDS`).
        ``None`` (the default) keeps every token.

    Returns
    -------
    list of str
        Tokens in text order, repeats included. Each token is a fixed point of
        :func:`normalize`.

    Examples
    --------
    >>> tokenize("Programming in C++ and C#/.NET: the R Way")
    ['programming', 'in', 'c++', 'and', 'c#', '.net', 'the', 'r', 'way']
    >>> tokenize("Amélie (2001)")
    ['amelie', '2001']
    """
    tokens = _TOKEN_RE.findall(normalize(text))
    if stop_words:
        return [t for t in tokens if t not in stop_words]
    return tokens
