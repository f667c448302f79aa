"""Tests of the TF-IDF content model (scikit-learn is the test-only oracle)."""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize as sk_normalize

from inkpick_desktop.data.model import Catalog
from inkpick_desktop.engine import sparse as sparse_module
from inkpick_desktop.engine.errors import (
    CancelledError,
    InvalidInputError,
    ModelFormatError,
)
from inkpick_desktop.engine.progress import CancelToken
from inkpick_desktop.engine.sparse import CsrMatrix
from inkpick_desktop.engine.text import normalize_label, tokenize
from inkpick_desktop.engine.tfidf import TfidfConfig, TfidfIndex, _top_k

TITLES = [
    "Programming in C",
    "R Programming for Data Science",
    "C++ for C Programmers",
    "Data Science with R and Python",
    "Introduction to C# and .NET",
    ".NET Core in Action",
    "Python for Everybody",
    "Python Data Structures",
    "",  # an item without text
    "Machine Learning with Python",
    "Learning C#: the C# Players Guide",
    "Deep Learning",
]

TITLE_ONLY = TfidfConfig({"title": 1.0})


def _label_analyzer(value: str) -> list[str]:
    return [t for t in (normalize_label(v) for v in value.split("|")) if t]


def _sk_matrix(docs: Sequence[str], **kwargs: object) -> tuple[np.ndarray, list[str]]:
    vec = TfidfVectorizer(analyzer=tokenize, norm="l2", **kwargs)  # type: ignore[arg-type]
    x = vec.fit_transform(docs)
    return x.toarray(), list(vec.get_feature_names_out())


def _dense_cosine(dense: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(dense, axis=1)
    unit = np.divide(
        dense, norms[:, None], out=np.zeros_like(dense), where=norms[:, None] > 0
    )
    return unit @ unit.T


@pytest.fixture
def tiny_corpus() -> dict[str, list[str]]:
    """Four films and an empty item, small enough to check by hand."""
    return {
        "title": ["The Godfather", "The Godfather Part II", "Goodfellas", "Amélie", ""],
        "genres": ["Crime|Drama", "Crime|Drama", "Crime|Drama", "Comedy|Romance", ""],
        "tags": ["mafia|classic", "mafia", "mafia|Scorsese", "paris", ""],
    }


@pytest.fixture
def tiny_config() -> TfidfConfig:
    return TfidfConfig(
        {"title": 1.0, "genres": 2.0, "tags": 1.5}, label_fields=("genres", "tags")
    )


# -- weighting against a hand computation and scikit-learn -----------------------


def test_build_three_items_matches_hand_computation() -> None:
    index = TfidfIndex.build({"title": ["a b", "a", "c c"]}, TITLE_ONLY)
    assert index.terms_.tolist() == ["title:a", "title:b", "title:c"]
    idf_a, idf_b = math.log(4 / 3) + 1, math.log(4 / 2) + 1
    np.testing.assert_allclose(index.idf_, [idf_a, idf_b, idf_b], rtol=1e-6)
    norm0 = math.hypot(idf_a, idf_b)
    expected = np.array(
        [[idf_a / norm0, idf_b / norm0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    )
    np.testing.assert_allclose(index.matrix_.to_dense(), expected, atol=1e-7)
    assert index.n_items == 3 and index.n_terms == 3 and index.matrix_.nnz == 4


def test_build_unsmoothed_idf_and_sublinear_tf_by_hand() -> None:
    config = TfidfConfig({"title": 1.0}, smooth_idf=False, sublinear_tf=True)
    index = TfidfIndex.build({"title": ["x x x y", "y"]}, config)
    idf_x, idf_y = math.log(2 / 1) + 1, math.log(2 / 2) + 1
    np.testing.assert_allclose(index.idf_, [idf_x, idf_y], rtol=1e-6)
    wx, wy = (1 + math.log(3)) * idf_x, 1.0 * idf_y
    row0 = np.array([wx, wy]) / math.hypot(wx, wy)
    np.testing.assert_allclose(index.matrix_.to_dense()[0], row0, atol=1e-7)


@pytest.mark.parametrize("smooth_idf", [True, False])
@pytest.mark.parametrize("sublinear_tf", [False, True])
@pytest.mark.parametrize(("min_df", "max_df"), [(1, 1.0), (2, 1.0), (1, 0.25)])
def test_build_single_field_equals_sklearn(
    smooth_idf: bool, sublinear_tf: bool, min_df: int, max_df: float
) -> None:
    docs = TITLES + ["Python Python Python and more Python", "C C C and C++"]
    config = TfidfConfig(
        {"title": 3.0},  # a single field's weight cancels out in the normalisation
        smooth_idf=smooth_idf,
        sublinear_tf=sublinear_tf,
        min_df=min_df,
        max_df=max_df,
    )
    index = TfidfIndex.build({"title": docs}, config)
    expected, names = _sk_matrix(
        docs,
        smooth_idf=smooth_idf,
        sublinear_tf=sublinear_tf,
        min_df=min_df,
        max_df=max_df,
    )
    assert index.terms_.tolist() == ["title:" + t for t in names]
    np.testing.assert_allclose(index.matrix_.to_dense(), expected, atol=1e-6)
    vec = TfidfVectorizer(
        analyzer=tokenize, smooth_idf=smooth_idf, min_df=min_df, max_df=max_df
    ).fit(docs)
    np.testing.assert_allclose(index.idf_, vec.idf_, rtol=1e-6)


def test_build_several_fields_equal_weighted_sklearn_blocks(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    blocks, names = [], []
    for field, weight in tiny_config.field_weights.items():
        analyzer = _label_analyzer if field in tiny_config.label_fields else tokenize
        vec = TfidfVectorizer(analyzer=analyzer, norm=None)
        blocks.append(vec.fit_transform(tiny_corpus[field]) * weight)
        names += [f"{field}:{t}" for t in vec.get_feature_names_out()]
    oracle = sk_normalize(sp.hstack(blocks).tocsr(), norm="l2").toarray()
    order = np.argsort(names)
    assert index.terms_.tolist() == [names[j] for j in order]
    np.testing.assert_allclose(index.matrix_.to_dense(), oracle[:, order], atol=1e-6)


def test_build_label_fields_give_one_term_per_label() -> None:
    config = TfidfConfig({"genres": 1.0}, label_fields=("genres",))
    fields = {"genres": ["Science Fiction|Film-Noir", " science  fiction |", "||"]}
    index = TfidfIndex.build(fields, config)
    assert index.terms_.tolist() == ["genres:film-noir", "genres:science fiction"]
    # the readable label keeps the first spelling seen
    assert index.labels_.tolist() == ["genre Film-Noir", "genre Science Fiction"]
    assert index.is_empty(2)


def test_build_stop_words_filter_text_fields_only() -> None:
    config = TfidfConfig(
        {"title": 1.0, "tags": 1.0}, label_fields=("tags",), stop_words=True
    )
    index = TfidfIndex.build({"title": ["The Rings of Power"], "tags": ["the"]}, config)
    assert index.terms_.tolist() == ["tags:the", "title:power", "title:rings"]


# -- scores -----------------------------------------------------------------------


def test_item_scores_equal_dense_cosine(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    expected = _dense_cosine(index.matrix_.to_dense().astype(np.float64))
    for item in range(index.n_items):
        scores = index.item_scores(item)
        assert scores.dtype == np.float32 and scores.shape == (index.n_items,)
        np.testing.assert_allclose(scores, expected[item], atol=1e-6)


def test_item_scores_godfather_neighbours_by_hand(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    scores = index.item_scores(0)
    assert scores[0] == pytest.approx(1.0, abs=1e-6)
    assert scores[1] > scores[2] > 0  # shares the title words too
    assert scores[3] == 0.0 and scores[4] == 0.0


def test_item_scores_go_through_inverted_index(
    tiny_corpus: dict[str, list[str]],
    tiny_config: TfidfConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    calls: list[tuple[tuple[int, int], list[int]]] = []
    original = sparse_module.CsrMatrix.weighted_row_sum

    def spy(self: CsrMatrix, rows: object, weights: object = None) -> np.ndarray:
        calls.append((self.shape, np.asarray(rows).tolist()))
        return original(self, rows, weights)  # type: ignore[arg-type]

    def no_product(*args: object, **kwargs: object) -> None:
        raise AssertionError("a full matrix product was used")

    monkeypatch.setattr(sparse_module.CsrMatrix, "weighted_row_sum", spy)
    monkeypatch.setattr(sparse_module.CsrMatrix, "dot", no_product)
    index.item_scores(3)
    query_terms = index.matrix_.row(3)[0].tolist()
    assert calls == [((index.n_terms, index.n_items), query_terms)]


def test_item_scores_empty_item_scores_zero_everywhere(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    assert index.is_empty(4) and not index.is_empty(0)
    scores = index.item_scores(4)
    assert not np.any(np.isnan(scores))
    assert scores.tolist() == [0.0] * 5
    for item in range(4):
        assert index.item_scores(item)[4] == 0.0


def test_item_scores_two_empty_items_are_not_identical() -> None:
    index = TfidfIndex.build({"title": ["", "!!", "word"]}, TITLE_ONLY)
    assert index.item_scores(0).tolist() == [0.0, 0.0, 0.0]
    assert index.item_scores(1).tolist() == [0.0, 0.0, 0.0]
    assert index.pairwise([0, 1]).tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert index.similar_items(0, 3)[0].tolist() == []


def test_item_scores_all_terms_filtered_leaves_empty_row() -> None:
    config = TfidfConfig({"title": 1.0}, min_df=2)
    index = TfidfIndex.build({"title": ["a b", "a c", "d"]}, config)
    assert index.terms_.tolist() == ["title:a"]
    assert index.is_empty(2)
    assert index.item_scores(2).tolist() == [0.0, 0.0, 0.0]
    assert index.item_scores(0).tolist() == pytest.approx([1.0, 1.0, 0.0], abs=1e-6)


@pytest.mark.parametrize("item", [-1, 5, 2.0, True, "1", None])
def test_item_scores_bad_item_raises_with_value(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig, item: object
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    with pytest.raises(InvalidInputError, match=r"item must be an int in 0\.\.4"):
        index.item_scores(item)  # type: ignore[arg-type]
    with pytest.raises(
        InvalidInputError, match="got " + repr(item).replace(".", r"\.")
    ):
        index.similar_items(item, 3)  # type: ignore[arg-type]


def test_item_scores_numpy_integer_accepted(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    np.testing.assert_array_equal(index.item_scores(np.int64(1)), index.item_scores(1))


def test_profile_scores_equal_cosine_of_weighted_mean(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    dense = index.matrix_.to_dense().astype(np.float64)
    items, weights = [0, 3, 4], [1.0, 3.0, 2.0]
    mean = (dense[items] * np.asarray(weights)[:, None]).sum(axis=0) / sum(weights)
    expected = dense @ (mean / np.linalg.norm(mean))
    got = index.profile_scores(items, weights)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    np.testing.assert_allclose(
        index.profile_scores([2]), index.item_scores(2), atol=1e-6
    )


def test_profile_scores_only_empty_or_zero_weight_gives_zeros(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    assert index.profile_scores([4, 4]).tolist() == [0.0] * 5
    assert index.profile_scores([0, 1], [0.0, 0.0]).tolist() == [0.0] * 5


@pytest.mark.parametrize(
    ("items", "weights", "match"),
    [
        ([], None, "at least one item"),
        ([0, 9], None, r"items must be an int in 0\.\.4, got 9"),
        ([0, 1], [1.0], r"one weight per item \(2\), got 1"),
        ([0, 1], [1.0, -1.0], "finite and >= 0"),
        ([0, 1], [1.0, float("nan")], "finite and >= 0"),
        ("01", None, "sequence of ints"),
    ],
)
def test_profile_scores_bad_input_raises(
    tiny_corpus: dict[str, list[str]],
    tiny_config: TfidfConfig,
    items: object,
    weights: object,
    match: str,
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    with pytest.raises(InvalidInputError, match=match):
        index.profile_scores(items, weights)  # type: ignore[arg-type]


# -- neighbours, pairwise, explanations -------------------------------------------


def test_similar_items_ties_broken_by_index() -> None:
    index = TfidfIndex.build({"title": ["x y"] * 5 + ["x", "z"]}, TITLE_ONLY)
    items, scores = index.similar_items(2, 10)
    assert items.tolist() == [0, 1, 3, 4, 5]
    assert items.dtype == np.int32 and scores.dtype == np.float32
    np.testing.assert_allclose(scores[:4], 1.0, atol=1e-6)
    assert 0 < scores[4] < 1
    assert index.similar_items(2, 2)[0].tolist() == [0, 1]


def test_similar_items_exclude_and_k(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    assert index.similar_items(0, 5)[0].tolist() == [1, 2]
    assert index.similar_items(0, 5, exclude=[1])[0].tolist() == [2]
    assert index.similar_items(0, 1)[0].tolist() == [1]


@pytest.mark.parametrize("k", [0, -3, 1.5, True, "3"])
def test_similar_items_bad_k_raises_with_value(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig, k: object
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    with pytest.raises(
        InvalidInputError, match=r"k must be an int >= 1, got " + repr(k)
    ):
        index.similar_items(0, k)  # type: ignore[arg-type]


def test_similar_items_bad_exclude_raises(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    with pytest.raises(
        InvalidInputError, match="exclude must be an int in 0..4, got 7"
    ):
        index.similar_items(0, 2, exclude=[7])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0]), max_size=30),
    st.integers(min_value=1, max_value=35),
)
def test_top_k_equals_sorted_positive_scores(values: list[float], k: int) -> None:
    scores = np.asarray(values, np.float32)
    expected = sorted(
        (i for i, s in enumerate(values) if s > 0), key=lambda i: (-values[i], i)
    )
    assert _top_k(scores, k).tolist() == expected[:k]


def test_pairwise_equals_dense_gram(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    items = [3, 0, 4, 1, 0]
    got = index.pairwise(items)
    dense = index.matrix_.to_dense().astype(np.float64)[items]
    assert got.shape == (5, 5) and got.dtype == np.float32
    np.testing.assert_allclose(got, dense @ dense.T, atol=1e-6)
    np.testing.assert_array_equal(got, got.T)
    assert got[2].tolist() == [0.0] * 5  # the empty item
    assert index.pairwise([]).shape == (0, 0)


def test_top_terms_heaviest_first(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    cols, vals = index.matrix_.row(0)
    expected = [str(index.labels_[c]) for c in cols[np.lexsort((cols, -vals))]]
    assert index.top_terms(0, n=10) == expected
    assert index.top_terms(0, n=2) == expected[:2]
    assert index.top_terms(0, n=0) == []
    assert index.top_terms(4) == []
    raw = index.top_terms(3, n=10, readable=False)
    assert sorted(raw) == [
        "genres:comedy",
        "genres:romance",
        "tags:paris",
        "title:amelie",
    ]


def test_shared_terms_readable_by_contribution(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    dense = index.matrix_.to_dense().astype(np.float64)
    contrib = dense[0] * dense[1]
    order = [
        j for j in np.lexsort((np.arange(index.n_terms), -contrib)) if contrib[j] > 0
    ]
    expected = [str(index.labels_[j]) for j in order]
    assert index.shared_terms(0, 1, n=10) == expected
    assert set(expected) == {
        "genre Crime",
        "genre Drama",
        "tag mafia",
        "title godfather",
        "title the",
    }
    assert index.shared_terms(0, 1) == expected[:3]
    assert index.shared_terms(0, 3) == []
    assert index.shared_terms(4, 0) == []


def test_shared_terms_from_profile(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    shared = index.shared_terms([2, 3], 0, n=10, readable=False)
    assert set(shared) == {"genres:crime", "genres:drama", "tags:mafia"}


# -- validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"field_weights": {}}, "non-empty mapping"),
        ({"field_weights": {"title": 0.0}}, "weight of field 'title'.*got 0.0"),
        ({"field_weights": {"title": -1}}, "weight of field 'title'.*got -1"),
        ({"field_weights": {"title": float("inf")}}, "got inf"),
        ({"field_weights": {"title": float("nan")}}, "got nan"),
        ({"field_weights": {"title": True}}, "got True"),
        ({"field_weights": {"title": "1"}}, "got '1'"),
        ({"field_weights": {"a:b": 1.0}}, "got 'a:b'"),
        ({"field_weights": {"": 1.0}}, "got ''"),
        ({"label_fields": ("genres",)}, "label field 'genres' is not in field_weights"),
        ({"min_df": 0}, "min_df must be an int >= 1, got 0"),
        ({"min_df": 1.5}, "got 1.5"),
        ({"min_df": True}, "got True"),
        ({"max_df": 0.0}, r"max_df must be a number in \(0, 1\], got 0.0"),
        ({"max_df": 1.5}, "got 1.5"),
        ({"max_df": float("nan")}, "got nan"),
        ({"sublinear_tf": 1}, "sublinear_tf must be a bool, got 1"),
        ({"smooth_idf": "yes"}, "smooth_idf must be a bool"),
    ],
)
def test_tfidf_config_invalid_raises(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"field_weights": {"title": 1.0}}
    args.update(kwargs)
    with pytest.raises(InvalidInputError, match=match):
        TfidfConfig(**args)  # type: ignore[arg-type]


def test_tfidf_config_is_frozen_hashable_and_round_trips() -> None:
    weights = {"title": 1, "genres": 2.5}
    config = TfidfConfig(weights, label_fields=["genres"], min_df=2)  # type: ignore[arg-type]
    weights["title"] = 99  # the config keeps its own copy
    assert dict(config.field_weights) == {"title": 1.0, "genres": 2.5}
    assert config.label_fields == ("genres",)
    with pytest.raises(TypeError):
        config.field_weights["title"] = 3.0  # type: ignore[index]
    same = TfidfConfig.from_dict(config.to_dict())
    assert same == config and hash(same) == hash(config)
    with pytest.raises(InvalidInputError, match="unknown TfidfConfig fields: norm"):
        TfidfConfig.from_dict({**config.to_dict(), "norm": "l2"})


def test_build_missing_field_raises(tiny_config: TfidfConfig) -> None:
    with pytest.raises(
        InvalidInputError, match="field 'tags' of field_weights is missing"
    ):
        TfidfIndex.build({"title": ["a"], "genres": ["b"]}, tiny_config)


def test_build_fields_of_different_length_raise(tiny_config: TfidfConfig) -> None:
    fields = {"title": ["a", "b"], "genres": ["x"], "tags": ["y", "z"]}
    with pytest.raises(InvalidInputError, match="fields differ in length"):
        TfidfIndex.build(fields, tiny_config)


def test_build_non_str_value_raises_with_field_and_item() -> None:
    with pytest.raises(
        InvalidInputError, match=r"field 'title', item 1: expected str, got None"
    ):
        TfidfIndex.build({"title": ["a", None]}, TITLE_ONLY)  # type: ignore[list-item]


def test_build_no_items_gives_empty_index() -> None:
    index = TfidfIndex.build({"title": []}, TITLE_ONLY)
    assert (index.n_items, index.n_terms) == (0, 0)
    with pytest.raises(InvalidInputError, match="has no items"):
        index.item_scores(0)


def test_build_reports_progress_and_logs(
    tiny_corpus: dict[str, list[str]],
    tiny_config: TfidfConfig,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[tuple[str, float]] = []
    with caplog.at_level(logging.INFO, logger="inkpick_desktop.engine.tfidf"):
        index = TfidfIndex.build(
            tiny_corpus, tiny_config, progress=lambda s, f: seen.append((s, f))
        )
    fractions = [f for _, f in seen]
    assert {s for s, _ in seen} == {"building TF-IDF index"}
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in fractions)
    message = caplog.records[-1].getMessage()
    assert f"n_items=5 n_terms={index.n_terms} nnz={index.matrix_.nnz}" in message


def test_build_cancelled_raises() -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError, match="TF-IDF index build cancelled"):
        TfidfIndex.build({"title": ["a"]}, TITLE_ONLY, cancel=token)


def test_build_cancelled_midway_raises() -> None:
    token = CancelToken()
    titles = [f"title {i}" for i in range(10_000)]
    with pytest.raises(CancelledError):
        TfidfIndex.build(
            {"title": titles},
            TITLE_ONLY,
            progress=lambda s, f: token.cancel(),
            cancel=token,
        )


# -- catalog and persistence ------------------------------------------------------


def _catalog() -> Catalog:
    return Catalog(
        domain="cinema",
        ids=np.asarray(["858", "1221", "1"]),
        titles=np.asarray(
            ["The Godfather (1972)", "The Godfather Part II (1974)", "Toy Story (1995)"]
        ),
        years=np.asarray([1972, 1974, 0], np.int32),
        fields={"genres": np.asarray(["Crime|Drama", "Crime|Drama", "Animation"])},
        label_fields=("genres",),
    )


def test_from_catalog_uses_titles_without_year() -> None:
    config = TfidfConfig({"title": 1.0, "genres": 1.0}, label_fields=("genres",))
    index = TfidfIndex.from_catalog(_catalog(), config)
    terms = index.terms_.tolist()
    assert "title:1972" not in terms and "title:1974" not in terms
    assert "title:1995" in terms  # year unknown (0), so the title is kept whole
    assert {"genres:crime", "title:godfather", "title:ii"} <= set(terms)
    assert index.similar_items(0, 2)[0].tolist() == [1]


def test_from_catalog_missing_field_raises() -> None:
    config = TfidfConfig({"title": 1.0, "tags": 1.0})
    with pytest.raises(
        InvalidInputError, match="field 'tags' .* not in the cinema catalog"
    ):
        TfidfIndex.from_catalog(_catalog(), config)


def test_to_arrays_round_trip_through_npz(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig, tmp_path: Path
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    path = tmp_path / "tfidf.npz"
    np.savez(path, **index.to_arrays())
    with np.load(path, allow_pickle=False) as arrays:
        restored = TfidfIndex.from_arrays(arrays)
    assert restored.config == tiny_config
    np.testing.assert_array_equal(restored.terms_, index.terms_)
    np.testing.assert_array_equal(restored.labels_, index.labels_)
    np.testing.assert_array_equal(restored.idf_, index.idf_)
    np.testing.assert_array_equal(restored.matrix_.to_dense(), index.matrix_.to_dense())
    np.testing.assert_array_equal(restored.inverted_.indptr, index.inverted_.indptr)
    for item in range(index.n_items):
        np.testing.assert_array_equal(
            restored.item_scores(item), index.item_scores(item)
        )


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("tfidf_version", np.asarray(7), "format 7 is not the supported 1"),
        ("tfidf_config", np.asarray("{not json"), "invalid"),
        ("tfidf_config", np.asarray('{"field_weights": {}}'), "non-empty mapping"),
        ("tfidf_idf", np.zeros(3, np.float64), "invalid"),
        ("tfidf_terms", np.zeros(3, np.int64), "unicode"),
        ("tfidf_matrix_data", None, "not unit length"),
        ("tfidf_matrix_indptr", None, "invalid"),
    ],
)
def test_from_arrays_corrupted_raises_model_format_error(
    tiny_corpus: dict[str, list[str]],
    tiny_config: TfidfConfig,
    key: str,
    value: np.ndarray | None,
    match: str,
) -> None:
    arrays = TfidfIndex.build(tiny_corpus, tiny_config).to_arrays()
    if value is None:
        value = arrays[key].copy()
        value[0] += 1  # doubles a weight, or points indptr past the first entry
    arrays[key] = value
    with pytest.raises(ModelFormatError, match=match):
        TfidfIndex.from_arrays(arrays)


def test_from_arrays_missing_key_raises(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    arrays = TfidfIndex.build(tiny_corpus, tiny_config).to_arrays()
    del arrays["tfidf_labels"]
    with pytest.raises(ModelFormatError, match="lack 'tfidf_labels'"):
        TfidfIndex.from_arrays(arrays)


# -- properties -------------------------------------------------------------------

WORDS = st.sampled_from(["a", "b", "c", "c++", "data", "python", "r", "science"])
DOCS = st.lists(st.lists(WORDS, max_size=6).map(" ".join), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(DOCS, st.booleans(), st.booleans())
def test_build_random_corpus_rows_unit_and_scores_bounded(
    docs: list[str], sublinear: bool, smooth: bool
) -> None:
    config = TfidfConfig({"title": 1.0}, sublinear_tf=sublinear, smooth_idf=smooth)
    index = TfidfIndex.build({"title": docs}, config)
    norms = index.matrix_.row_norms()
    nonempty = index.matrix_.row_lengths > 0
    np.testing.assert_allclose(norms[nonempty], 1.0, atol=1e-5)
    assert np.all(norms[~nonempty] == 0)
    expected = _dense_cosine(index.matrix_.to_dense().astype(np.float64))
    for item in range(index.n_items):
        scores = index.item_scores(item)
        assert np.all(scores >= 0) and np.all(scores <= 1 + 1e-6)
        np.testing.assert_allclose(scores, expected[item], atol=1e-6)
    np.testing.assert_array_equal(
        index.inverted_.to_dense(), index.matrix_.to_dense().T
    )


@settings(max_examples=100, deadline=None)
@given(DOCS, st.lists(st.integers(0, 11), min_size=1, max_size=5))
def test_profile_scores_random_corpus_bounded(
    docs: list[str], picks: list[int]
) -> None:
    index = TfidfIndex.build({"title": docs}, TITLE_ONLY)
    items = [p % index.n_items for p in picks]
    scores = index.profile_scores(items)
    assert np.all(scores >= 0) and np.all(scores <= 1 + 1e-6)
    assert not np.any(np.isnan(scores))


# -- real data --------------------------------------------------------------------


def _read_movies(path: Path) -> tuple[list[str], list[str], list[str]]:
    ids, titles, genres = [], [], []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            ids.append(row["movieId"])
            titles.append(row["title"])
            genres.append(
                "" if row["genres"] == "(no genres listed)" else row["genres"]
            )
    return ids, titles, genres


@pytest.mark.realdata
def test_build_movielens_small_titles_equal_sklearn(datasets_root: Path) -> None:
    _, titles, _ = _read_movies(datasets_root / "movielens-latest-small" / "movies.csv")
    index = TfidfIndex.build(
        {"title": titles}, TfidfConfig({"title": 1.0}, sublinear_tf=True)
    )
    vec = TfidfVectorizer(analyzer=tokenize, norm="l2", sublinear_tf=True)
    oracle = vec.fit_transform(titles).tocsr()
    assert index.terms_.tolist() == ["title:" + t for t in vec.get_feature_names_out()]
    ours = sp.csr_matrix(
        (index.matrix_.data, index.matrix_.indices, index.matrix_.indptr),
        shape=index.matrix_.shape,
    )
    assert abs(ours - oracle).max() < 1e-6


@pytest.mark.realdata
def test_similar_items_movielens_small_godfather_sequels(datasets_root: Path) -> None:
    ids, titles, genres = _read_movies(
        datasets_root / "movielens-latest-small" / "movies.csv"
    )
    config = TfidfConfig({"title": 1.0, "genres": 1.0}, label_fields=("genres",))
    index = TfidfIndex.build({"title": titles, "genres": genres}, config)
    godfather = ids.index("858")  # "Godfather, The (1972)"
    top, scores = index.similar_items(godfather, 5)
    assert {"1221", "2023"} <= {ids[i] for i in top}  # Part II and Part III
    assert np.all(np.diff(scores) <= 0)
    assert "genre Crime" in index.shared_terms(godfather, ids.index("1221"), n=5)


def test_similar_items_exclude_accepts_arrays_and_sets(
    tiny_corpus: dict[str, list[str]], tiny_config: TfidfConfig
) -> None:
    index = TfidfIndex.build(tiny_corpus, tiny_config)
    assert index.similar_items(0, 5, exclude=np.array([1], np.int64))[0].tolist() == [2]
    assert index.similar_items(0, 5, exclude={1, 2})[0].tolist() == []
    with pytest.raises(
        InvalidInputError, match="exclude must be an int in 0..4, got 5"
    ):
        index.similar_items(0, 5, exclude=np.array([0, 5]))
    with pytest.raises(InvalidInputError, match="exclude must be a sequence of ints"):
        index.similar_items(0, 5, exclude=3)  # type: ignore[arg-type]
