"""Tests of the text normaliser and tokenizer."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkpick_desktop.engine import text
from inkpick_desktop.engine.text import (
    ENGLISH_STOP_WORDS,
    normalize,
    normalize_label,
    tokenize,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Amélie", "amelie"),
        ("AMÉLIE", "amelie"),
        ("ａｍｅｌｉｅ", "amelie"),  # full-width forms (NFKC)
        ("Straße", "strasse"),  # case folding, not just lowercasing
        ("ﬁlm", "film"),  # ligature
        ("Crème Brûlée", "creme brulee"),
        ("Léon: The Professional", "leon: the professional"),
        ("Ｘ²", "x2"),  # superscript digit
        ("Ærøskøbing", "ærøskøbing"),  # ø is a letter of its own, not o + mark
        ("", ""),
        ("  Keep  spacing ", "  keep  spacing "),
    ],
)
def test_normalize_known_cases(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_combining_sequences_equal_precomposed() -> None:
    decomposed = "Ame\u0301lie"  # e + combining acute
    assert normalize(decomposed) == normalize("Amélie") == "amelie"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("The Godfather (1972)", ["the", "godfather", "1972"]),
        ("Programming in C", ["programming", "in", "c"]),
        ("R Programming", ["r", "programming"]),
        ("C++ for C# and .NET devs", ["c++", "for", "c#", "and", ".net", "devs"]),
        ("C#/.NET Core", ["c#", ".net", "core"]),
        ("Learn F# and Go", ["learn", "f#", "and", "go"]),
        ("ASP.NET MVC", ["asp", "net", "mvc"]),  # dot inside a word splits
        ("Node.js in Action", ["node", "js", "in", "action"]),
        ("C++11/14", ["c++", "11", "14"]),
        ("version .5", ["version", "5"]),  # a leading dot needs a letter after it
        ("Sci-Fi", ["sci", "fi"]),
        ("snake_case_name", ["snake", "case", "name"]),
        ("Schindler's List", ["schindler", "s", "list"]),
        ("Amélie!!!", ["amelie"]),
        ("a+b", ["a", "b"]),
        ("#hashtag", ["hashtag"]),
        ("東京物語", ["東京物語"]),
        ("", []),
        ("  \t\n ", []),
        ("!?--", []),
    ],
)
def test_tokenize_known_cases(raw: str, expected: list[str]) -> None:
    assert tokenize(raw) == expected


def test_tokenize_keeps_repeats_in_order() -> None:
    assert tokenize("New York, New York") == ["new", "york", "new", "york"]


def test_tokenize_stop_words_removed_only_when_asked() -> None:
    title = "The Lord of the Rings"
    assert tokenize(title) == ["the", "lord", "of", "the", "rings"]
    assert tokenize(title, stop_words=ENGLISH_STOP_WORDS) == ["lord", "rings"]
    assert tokenize(title, stop_words={"lord"}) == ["the", "of", "the", "rings"]


def test_tokenize_stop_words_keep_programming_tokens() -> None:
    assert tokenize("C and R", stop_words=ENGLISH_STOP_WORDS) == ["c", "r"]


def test_english_stop_words_are_normalised_tokens() -> None:
    for word in ENGLISH_STOP_WORDS:
        assert tokenize(word) == [word]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Film-Noir", "film-noir"),
        ("  Science   Fiction ", "science fiction"),
        ("Comédie", "comedie"),
        ("   ", ""),
    ],
)
def test_normalize_label_known_cases(raw: str, expected: str) -> None:
    assert normalize_label(raw) == expected


def test_text_module_doctests_pass() -> None:
    result = doctest.testmod(text)
    assert result.attempted >= 5
    assert result.failed == 0


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_normalize_any_text_is_idempotent(s: str) -> None:
    once = normalize(s)
    assert normalize(once) == once


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_tokenize_any_text_gives_normalised_tokens(s: str) -> None:
    tokens = tokenize(s)
    for token in tokens:
        assert token
        assert normalize(token) == token
        assert not any(ch.isspace() for ch in token)
    assert tokenize(normalize(s)) == tokens
    assert tokenize(s) == tokens  # deterministic


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["c++", "c#", ".net", "r", "c", "sql", "x1"])))
def test_tokenize_joined_programming_names_round_trip(words: list[str]) -> None:
    assert tokenize(" ".join(words)) == words


@settings(max_examples=200, deadline=None)
@given(st.text(), st.frozensets(st.text(min_size=1, max_size=3)))
def test_tokenize_stop_words_are_a_filter(s: str, stop: frozenset[str]) -> None:
    assert tokenize(s, stop_words=stop) == [t for t in tokenize(s) if t not in stop]
