"""Title parser: exact cases from the MovieLens conventions plus properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkpick_desktop.data.titles import (
    ARTICLES,
    parse_title,
    rotate_article,
    search_forms,
    title_case,
    unrotate_article,
)


@pytest.mark.parametrize(
    ("raw", "display", "base", "year", "alts"),
    [
        ("Godfather, The (1972)", "The Godfather (1972)", "The Godfather", 1972, ()),
        (
            "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
            "The City of Lost Children (1995)",
            "The City of Lost Children",
            1995,
            ("La Cité des enfants perdus",),
        ),
        ("2001: A Space Odyssey (1968)", "2001: A Space Odyssey (1968)",
         "2001: A Space Odyssey", 1968, ()),
        ("Enfer, L' (1994)", "L'Enfer (1994)", "L'Enfer", 1994, ()),
        ("Boot, Das (Boat, The) (1981)", "Das Boot (1981)", "Das Boot", 1981,
         ("The Boat",)),
        ("Vitelloni, I (a.k.a. The Young and the Passionate) (1953)",
         "I Vitelloni (1953)", "I Vitelloni", 1953, ("The Young and the Passionate",)),
        ("Death Note: Desu nôto (2006–2007)", "Death Note: Desu nôto (2006–2007)",
         "Death Note: Desu nôto", 2006, ()),
        ("Mona and the Time of Burning Love (Mona ja palavan rakkauden aika) (1983))",
         "Mona and the Time of Burning Love (1983)",
         "Mona and the Time of Burning Love", 1983,
         ("Mona ja palavan rakkauden aika",)),
        ("Millions Game, The (Das Millionenspiel)", "The Millions Game",
         "The Millions Game", 0, ("Das Millionenspiel",)),
        ("Terrible Joe Moran", "Terrible Joe Moran", "Terrible Joe Moran", 0, ()),
        ("Toy Story (1995) ", "Toy Story (1995)", "Toy Story", 1995, ()),
        ("Babies (Bébé(s)) (2010)", "Babies (2010)", "Babies", 2010, ("Bébé(s)",)),
        ("Spy(ies) (Espion(s)) (2009)", "Spy(ies) (2009)", "Spy(ies)", 2009,
         ("Espion(s)",)),
        ("The Devotion of Suspect X (2017) (2017)", "The Devotion of Suspect X (2017)",
         "The Devotion of Suspect X", 2017, ()),
        ("Hip Hop (1987-1997) (2021)", "Hip Hop (1987-1997) (2021)",
         "Hip Hop (1987-1997)", 2021, ()),
        ("The Naked Truth (1957) (Your Past Is Showing)", "The Naked Truth (1957)",
         "The Naked Truth (1957)", 0, ("Your Past Is Showing",)),
    ],
)  # fmt: skip
def test_parse_title_movielens_forms(raw, display, base, year, alts):
    parsed = parse_title(raw)
    assert (parsed.display, parsed.base, parsed.year, parsed.alt_titles) == (
        display,
        base,
        year,
        alts,
    )
    assert parsed.source == raw.strip()


def test_parse_title_without_rotation_keeps_text():
    parsed = parse_title("Pizza, The (2020)", rotate=False, split_alt=False)
    assert parsed.display == "Pizza, The (2020)"
    assert parsed.year == 2020


def test_parse_title_without_alt_split_keeps_parentheses():
    parsed = parse_title("Borat (Cultural Learnings) (2006)", split_alt=False)
    assert parsed.display == "Borat (Cultural Learnings) (2006)"
    assert parsed.alt_titles == ()


def test_parse_title_lone_year_group_is_title():
    parsed = parse_title("(2000)")
    assert (parsed.display, parsed.year) == ("(2000)", 0)


def test_search_forms_source_and_alt_titles():
    parsed = parse_title(
        "City of Lost Children, The (Cité des enfants perdus, La) (1995)"
    )
    assert search_forms(parsed) == [
        "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
        "La Cité des enfants perdus",
    ]
    assert search_forms(parse_title("Heat (1995)")) == []


def test_rotate_article_foreign_and_unknown():
    assert rotate_article("Vie est belle, La") == "La Vie est belle"
    assert rotate_article("Debutantes, Los") == "Los Debutantes"
    assert rotate_article("Goodbye, Columbus") == "Goodbye, Columbus"
    assert unrotate_article("L'Enfer") == "Enfer, L'"
    assert unrotate_article("Heat") == "Heat"


def test_title_case_ibm_rules():
    assert (
        title_case("analyzing big data in r using apache spark")
        == "Analyzing Big Data in R Using Apache Spark"
    )
    assert title_case("  sql access for hadoop") == "SQL Access for Hadoop"
    assert title_case("ai for everyone  master the basics") == (
        "AI for Everyone Master the Basics"
    )
    assert title_case("db2 fundamentals i") == "Db2 Fundamentals I"
    assert title_case("the ibm way") == "The IBM Way"


# --- properties ------------------------------------------------------------

_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40
).filter(lambda s: s.strip())


@settings(deadline=None, max_examples=300)
@given(st.text(max_size=80))
def test_parse_title_never_raises_and_display_is_stripped(raw):
    parsed = parse_title(raw)
    assert parsed.display == parsed.display.strip()
    assert parsed.base == parsed.base.strip()
    assert parsed.year == 0 or 1000 <= parsed.year <= 9999


@settings(deadline=None, max_examples=300)
@given(_names, st.integers(min_value=1000, max_value=9999))
def test_parse_title_appended_year_parses_back(name, year):
    assert parse_title(f"{name} ({year})").year == year


_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ ", min_size=1, max_size=30)


@settings(deadline=None, max_examples=300)
@given(_words.map(str.strip).filter(bool), st.sampled_from(ARTICLES))
def test_rotate_article_round_trips(name, article):
    name = " ".join(name.split())
    front = f"{article}{name}" if article.endswith("'") else f"{article} {name}"
    back = f"{name}, {article}"
    assert rotate_article(back) == front
    assert unrotate_article(front) == back
    assert parse_title(f"{back} (1999)").display == f"{front} (1999)"
