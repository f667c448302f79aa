"""Title parsing: trailing year, article rotation, alternative titles.

MovieLens stores titles as ``Godfather, The (1972)``: the leading article moved
to the end, the year in a trailing ``(YYYY)``, and sometimes an original-language
or "a.k.a." title in a parenthesised group before the year
(``City of Lost Children, The (Cité des enfants perdus, La) (1995)``).
:func:`parse_title` turns that into a display form and keeps the source form and
the alternative titles for search.

The rules, in order (also in ``docs/DATA.md``):

1. White space around the title is stripped and inner runs of white space
   (tabs, no-break spaces) become one space.
2. When there is no trailing year group but dropping stray closing parentheses
   (those without an opening partner) gives one, they are dropped
   (``...aika) (1983))`` is read as ``...aika) (1983)``); otherwise the text is
   left as it is.
3. **Year**: only a trailing ``(YYYY)`` counts, or a range ``(YYYY–YYYY)`` /
   ``(YYYY-YYYY)`` / ``(YYYY–)`` whose first year is taken. The display keeps the
   group as written. A year group right before it that repeats the same year
   (``X (2017) (2017)``) is dropped. No trailing year: year 0.
4. **Alternative titles** (``split_alt``): balanced parenthesised groups at the
   end of what is left, each preceded by a space, are peeled off from the right
   while something remains before them; an ``a.k.a.`` prefix is removed. Groups
   that are only digits and dashes (``(1987-1997)``) are kept in the title.
5. **Articles** (``rotate``): ``Name, The`` becomes ``The Name`` for the articles
   in :data:`ARTICLES` (``L'`` joins without a space: ``Enfer, L'`` becomes
   ``L'Enfer``). Applied to the main title and to each alternative title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Articles that MovieLens moves to the end after ", " (English, French,
#: Italian, Spanish, Portuguese, German, Dutch). Apostrophe forms join directly.
ARTICLES: tuple[str, ...] = (
    "The", "A", "An",
    "Le", "La", "Les", "L'", "Un", "Une",
    "Il", "I", "Lo", "Gli", "Uno", "Una",
    "El", "Los", "Las",
    "O", "Os", "As",
    "Der", "Die", "Das", "Ein", "Eine",
    "De", "Het", "Een",
)  # fmt: skip

_ARTICLE_SET = frozenset(ARTICLES)
_YEAR_RE = re.compile(r"\((\d{4})(?:\s*[–-]\s*(?:\d{4})?)?\s*\)$")
_ROTATED_RE = re.compile(r"^(?P<name>.*\S),\s+(?P<art>[^\s,]+)$", re.DOTALL)
_ROTATED_APOS_RE = re.compile(r"^(?P<name>.*\S),\s+(?P<art>\w+['’])$", re.DOTALL)
_AKA_RE = re.compile(r"^(?:a\.k\.a\.|aka)\s+", re.IGNORECASE)
_NUMERIC_GROUP_RE = re.compile(r"^[\d\s–-]+$")


@dataclass(frozen=True)
class ParsedTitle:
    """A title split into what is shown and what is searched.

    Attributes
    ----------
    display
        Readable form, article in front, year group kept:
        ``"The Godfather (1972)"``.
    base
        ``display`` without the year group: ``"The Godfather"``.
    year
        First year of the trailing year group, ``0`` when there is none.
    alt_titles
        Alternative titles in source order, articles in front:
        ``("La Cité des enfants perdus",)``.
    source
        The title as in the source, stripped: ``"Godfather, The (1972)"``.
    """

    display: str
    base: str
    year: int
    alt_titles: tuple[str, ...]
    source: str


def rotate_article(name: str) -> str:
    """Move a trailing ``, Article`` to the front: ``"Godfather, The"`` gives
    ``"The Godfather"``; ``"Enfer, L'"`` gives ``"L'Enfer"``; anything else is
    returned stripped."""
    text = name.strip()
    m = _ROTATED_APOS_RE.match(text)
    if m and m["art"].replace("’", "'") in _ARTICLE_SET:
        return f"{m['art']}{m['name']}"
    m = _ROTATED_RE.match(text)
    if m and m["art"] in _ARTICLE_SET:
        return f"{m['art']} {m['name']}"
    return text


def unrotate_article(name: str) -> str:
    """Inverse of :func:`rotate_article`: ``"The Godfather"`` gives
    ``"Godfather, The"``, ``"L'Enfer"`` gives ``"Enfer, L'"``."""
    text = name.strip()
    head, sep, rest = text.partition(" ")
    if sep and head in _ARTICLE_SET and rest.strip():
        return f"{rest.strip()}, {head}"
    for art in ("L'", "L’"):
        if text.startswith(art) and len(text) > len(art) and not text[2].isspace():
            return f"{text[len(art) :]}, {art}"
    return text


def _drop_stray_parens(text: str) -> str:
    while text.endswith(")") and text.count(")") > text.count("("):
        text = text[:-1].rstrip()
    return text


def _trailing_group(text: str) -> tuple[str, str] | None:
    """Split ``"X (inner)"`` into ``("X", "inner")`` for a balanced last group
    that is preceded by a space and something else; ``None`` otherwise."""
    if not text.endswith(")"):
        return None
    depth = 0
    for pos in range(len(text) - 1, -1, -1):
        ch = text[pos]
        if ch == ")":
            depth += 1
        elif ch == "(":
            depth -= 1
            if depth == 0:
                head, inner = text[:pos], text[pos + 1 : -1]
                if head.endswith(" ") and head.strip() and inner.strip():
                    return head.rstrip(), inner.strip()
                return None
    return None


def parse_title(
    raw: str, *, rotate: bool = True, split_alt: bool = True
) -> ParsedTitle:
    """Parse a catalog title; never raises on any text.

    Parameters
    ----------
    raw
        The title as stored in the source.
    rotate
        Move trailing articles to the front (MovieLens convention). Sources that
        store titles as written (MovieTweetings, IMDb) pass ``False``.
    split_alt
        Peel parenthesised alternative titles off the end.

    Returns
    -------
    ParsedTitle

    Examples
    --------
    >>> t = parse_title("Boot, Das (Boat, The) (1981)")
    >>> t.display, t.year, t.alt_titles
    ('Das Boot (1981)', 1981, ('The Boat',))
    """
    source = " ".join(str(raw).split())
    text = source
    m = _YEAR_RE.search(text)
    if m is None and text.endswith("))"):
        repaired = _drop_stray_parens(text)
        m = _YEAR_RE.search(repaired)
        text = repaired if m else text

    year, year_group = 0, ""
    if m and m.start() > 0 and text[: m.start()].strip():
        year, year_group = int(m.group(1)), m.group(0)
        text = text[: m.start()].rstrip()
        if text.endswith(f"({year})") and text[:-6].strip():
            text = text[:-6].rstrip()  # "X (2017) (2017)": the year repeated

    alts: list[str] = []
    while split_alt:
        split = _trailing_group(text)
        if split is None or _NUMERIC_GROUP_RE.match(split[1]):
            break
        text, inner = split
        inner = _AKA_RE.sub("", inner).strip()
        if inner:
            alts.append(rotate_article(inner) if rotate else inner)
    alts.reverse()

    base = rotate_article(text) if rotate else text
    display = f"{base} {year_group}" if year_group else base
    return ParsedTitle(display.strip(), base, year, tuple(alts), source)


def search_forms(parsed: ParsedTitle) -> list[str]:
    """Title forms worth searching besides the display: the source form when it
    differs, then the alternative titles."""
    forms = [parsed.source] if parsed.source != parsed.display else []
    forms.extend(a for a in parsed.alt_titles if a not in forms)
    return forms


#: Words the IBM title-caser writes in a fixed form (acronyms, product names).
SPECIAL_WORDS: dict[str, str] = {
    w.lower(): w
    for w in (
        "AI API APIs CDI CORS CQL CQRS CRUD CSS Db2 DBaaS EDA EE GPU GPUs GraphQL "
        "HATEOAS HBase HDFS HTML IBM IoT JAX JPA JS JSON JWT LAMP ML MLlib MongoDB "
        "MySQL NoSQL OpenAI OpenAPI OpenCV OpenRefine OpenShift OpenTracing pgAdmin "
        "PHP phpMyAdmin PostgreSQL R RDD REST RESTful RS S4TF SCORM SQL SSE SystemML "
        "TensorFlow TJBot UI UX v2 v3 JavaScript jQuery AngularJS ReactJS GraphFrames "
        "GraphX MapReduce MicroProfile MicroShed CloudPak DataOps DataFrames JavaBeans "
        "ggplot2 DevOps GitHub NLP ETL iOS AWS I II III IV ZooKeeper"
    ).split()
}
#: Short words kept lower case inside a title.
SMALL_WORDS = frozenset(
    "a an and as at by for from in into of on or the to via vs with".split()
)


def title_case(text: str) -> str:
    """Title-case a lower-case title: words capitalised, :data:`SMALL_WORDS`
    lower case except first, :data:`SPECIAL_WORDS` in their fixed form, runs of
    spaces collapsed. ``"analyzing big data in r using apache spark"`` gives
    ``"Analyzing Big Data in R Using Apache Spark"``."""
    out: list[str] = []
    for pos, word in enumerate(text.split()):
        key = word.lower()
        if key in SPECIAL_WORDS:
            out.append(SPECIAL_WORDS[key])
        elif pos > 0 and key in SMALL_WORDS:
            out.append(key)
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)
