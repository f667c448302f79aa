"""Rescaling, blending, candidate sets and the auto-α schedule."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.hybrid import (
    AlphaSchedule,
    blend,
    candidate_size,
    check_int,
    check_mode,
    check_unit,
    mode_relevance,
    rescale,
    rescale_rows,
    select_candidates,
    top_n,
)
from inkpick_desktop.engine.results import Mode


def test_rescale_max_scaling_divides_by_the_maximum() -> None:
    out = rescale([0.5, 0.4, 0.1])
    # 0.5 / 0.5, 0.4 / 0.5, 0.1 / 0.5; min-max would have given 1, 0.75, 0
    np.testing.assert_allclose(out, [1.0, 0.8, 0.2], rtol=1e-6)
    assert out.dtype == np.float32


def test_rescale_negative_clips_to_zero_before_scaling() -> None:
    out = rescale([0.8, 0.6, -0.5, 0.2])
    # -0.5 -> 0, then / 0.8: 1, 0.75, 0, 0.25
    np.testing.assert_allclose(out, [1.0, 0.75, 0.0, 0.25], rtol=1e-6)


def test_rescale_ties_at_the_top_all_show_one() -> None:
    np.testing.assert_array_equal(rescale([0.4, 0.4, 0.4]), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(rescale([1.0, 1.0, 0.0]), [1.0, 1.0, 0.0])


def test_rescale_no_positive_value_maps_to_zero() -> None:
    np.testing.assert_array_equal(rescale([0.0, 0.0]), [0.0, 0.0])
    np.testing.assert_array_equal(rescale([-1.0, -3.0]), [0.0, 0.0])
    # at or below the floor of 1e-12 a maximum is noise, not evidence
    np.testing.assert_array_equal(rescale([1e-13, 0.0]), [0.0, 0.0])


def test_rescale_near_identical_values_stay_near_one() -> None:
    out = rescale([0.99943, 0.99981, 0.99950])
    # 0.99943 / 0.99981 = 0.999620, 0.99950 / 0.99981 = 0.999690: no spreading
    np.testing.assert_allclose(out, [0.999620, 1.0, 0.999690], atol=1e-6)


def test_rescale_nan_inf_and_empty_never_give_nan() -> None:
    out = rescale([np.nan, 1.0, 0.5, np.inf, -np.inf])
    np.testing.assert_allclose(out, [0.0, 1.0, 0.5, 0.0, 0.0])
    assert rescale([]).shape == (0,)


@settings(deadline=None, max_examples=60)
@given(st.lists(st.floats(-5, 5) | st.just(float("nan")), min_size=1, max_size=30))
def test_rescale_in_unit_interval_property(values: list[float]) -> None:
    out = rescale(values)
    x = np.nan_to_num(np.asarray(values, np.float64), nan=0.0).clip(0.0, None)
    assert not np.isnan(out).any()
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert not out[x == 0].any()  # no evidence stays 0
    if x.max() > 1e-12:
        assert out.max() == 1.0
        np.testing.assert_allclose(out, x / x.max(), rtol=1e-6, atol=1e-7)


@settings(deadline=None, max_examples=60)
@given(
    st.integers(1, 4).flatmap(
        lambda rows: st.tuples(
            st.lists(
                st.lists(
                    st.floats(-2, 2) | st.just(float("nan")), min_size=5, max_size=5
                ),
                min_size=rows,
                max_size=rows,
            ),
            st.lists(
                st.lists(st.booleans(), min_size=5, max_size=5),
                min_size=rows,
                max_size=rows,
            ),
        )
    )
)
def test_rescale_rows_equals_rescale_per_row(data) -> None:
    values, mask = np.asarray(data[0]), np.asarray(data[1], bool)
    out = rescale_rows(values, mask)
    for r in range(len(values)):
        expected = np.zeros(5, np.float32)
        expected[mask[r]] = rescale(values[r, mask[r]])
        np.testing.assert_array_equal(out[r], expected)


def test_rescale_rows_misaligned_raises() -> None:
    with pytest.raises(InvalidInputError, match=r"\(2, 3\), \(2, 2\)"):
        rescale_rows(np.zeros((2, 3)), np.zeros((2, 2), bool))


@pytest.mark.parametrize(
    ("alpha", "expected"),
    [(0.0, [0.0, 1.0, 0.0]), (0.5, [0.5, 0.5, 0.2]), (1.0, [1.0, 0.0, 0.4])],
)
def test_blend_at_alpha_hand_values(alpha: float, expected: list[float]) -> None:
    out = blend([1.0, 0.0, 0.4], [0.0, 1.0, 1.0], [True, True, False], alpha)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_blend_item_without_collaborative_scores_its_content_part() -> None:
    out = blend([0.3, 0.3], [0.9, 0.9], [True, False], 0.25)
    np.testing.assert_allclose(out, [0.25 * 0.3 + 0.75 * 0.9, 0.25 * 0.3], rtol=1e-6)


def test_blend_without_any_collaborative_is_the_content_score() -> None:
    out = blend([0.3, 0.8], [0.9, 0.1], [False, False], 0.25)
    np.testing.assert_allclose(out, [0.3, 0.8], rtol=1e-6)


def test_blend_misaligned_arrays_raise() -> None:
    with pytest.raises(InvalidInputError, match="aligned"):
        blend([1.0, 0.0], [1.0], [True], 0.5)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), True, "0.5", None])
def test_check_unit_bad_values_named(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="alpha") as info:
        check_unit("alpha", bad)
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("bad", [0, -3, 2.0, True, "10"])
def test_check_int_bad_values_named(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="k must be") as info:
        check_int("k", bad)
    assert repr(bad) in str(info.value)


def test_check_mode_accepts_strings_and_rejects_others() -> None:
    assert check_mode("content") is Mode.CONTENT
    assert check_mode(Mode.HYBRID) is Mode.HYBRID
    with pytest.raises(InvalidInputError, match="'fancy'"):
        check_mode("fancy")


_SCORE_VALUES = st.sampled_from(
    [0.0, 0.0, 0.0, 0.25, 0.5, 1.0, -1.0, math.nan, math.inf, -math.inf]
)


@settings(deadline=None, max_examples=300)
@given(
    st.lists(_SCORE_VALUES, max_size=40),
    st.integers(0, 45),
    st.none() | st.lists(st.booleans(), min_size=40, max_size=40),
    st.sampled_from([np.float32, np.float64]),
)
def test_top_n_equals_a_full_sort(values, n, mask, dtype) -> None:
    """Best first, NaN lowest, ties by index: the same as sorting everything."""
    scores = np.array(values, dtype=dtype)
    valid = None if mask is None else np.array(mask[: len(values)], dtype=bool)
    pool = [i for i in range(len(values)) if valid is None or valid[i]]
    key = np.nan_to_num(scores.astype(np.float64), nan=-np.inf)
    expected = sorted(pool, key=lambda i: (-key[i], i))[:n]
    assert top_n(scores, n, valid).tolist() == expected


def test_top_n_ties_by_index_and_valid_mask() -> None:
    scores = np.array([0.5, 0.9, 0.5, 0.9, 0.1], np.float32)
    assert top_n(scores, 3).tolist() == [1, 3, 0]
    valid = np.array([True, False, True, True, True])
    assert top_n(scores, 2, valid).tolist() == [3, 0]
    assert top_n(scores, 10).tolist() == [1, 3, 0, 2, 4]
    assert top_n(scores, 0).tolist() == []


def test_select_candidates_union_minus_excluded() -> None:
    content = np.array([1.0, 0.8, 0.7, 0.1, 0.0])
    collab = np.array([0.9, 0.0, 0.1, 0.8, 0.7])
    has = np.array([True, True, True, True, False])
    out = select_candidates([(content, None), (collab, has)], 2, exclude=[0])
    # content top 2 without item 0: 1, 2; collab top 2 among 1..3: 3, 2
    assert out.tolist() == [1, 2, 3]
    assert out.dtype == np.int32


def test_candidate_size_rule() -> None:
    assert candidate_size(10) == 200
    assert candidate_size(50) == 500


def test_blend_item_without_data_can_outrank_supported_item() -> None:
    # the documented rule: no data keeps only the content share α·content
    out = blend([1.0, 0.4], [0.0, 0.99], [False, True], 0.65)
    # 0.65 * 1.0 = 0.65 against 0.65 * 0.4 + 0.35 * 0.99 = 0.26 + 0.3465
    np.testing.assert_allclose(out, [0.65, 0.6065], rtol=1e-6)


def test_mode_relevance_per_mode() -> None:
    c = np.array([1.0, 0.5], np.float32)
    f = np.array([0.4, 1.0], np.float32)
    has = np.array([True, False])
    valid, rel = mode_relevance("collaborative", c, f, has, 0.3)
    assert valid.tolist() == [True, False]
    valid, rel = mode_relevance("hybrid", c, f, has, 0.3)
    assert valid.tolist() == [True, True]
    # 0.3 * 1 + 0.7 * 0.4 = 0.58; item 1 has no data: 0.3 * 0.5 = 0.15
    np.testing.assert_allclose(rel, [0.58, 0.15], rtol=1e-6)
    with pytest.raises(InvalidInputError, match="'other'"):
        mode_relevance("other", c, f, has, 0.3)


def test_mode_relevance_leaves_out_candidates_without_evidence() -> None:
    c = np.array([0.5, 0.0, 0.0, 0.0, 0.3], np.float32)
    f = np.array([0.0, 0.7, 0.0, 0.9, 0.0], np.float32)
    has = np.array([True, True, True, False, True])
    # item 2: nothing; item 3: a collaborative value but no data behind it
    assert mode_relevance("content", c, f, has, 0.5)[0].tolist() == [
        True,
        False,
        False,
        False,
        True,
    ]
    assert mode_relevance("collaborative", c, f, has, 0.5)[0].tolist() == [
        False,
        True,
        False,
        False,
        False,
    ]
    valid, rel = mode_relevance("hybrid", c, f, has, 0.0)
    assert valid.tolist() == [True, True, False, False, True]
    # at α = 0 item 0 scores 0 but keeps its content evidence
    np.testing.assert_allclose(rel, [0.0, 0.7, 0.0, 0.0, 0.0], atol=1e-7)


def test_alpha_schedule_default_curve_values() -> None:
    s = AlphaSchedule()
    assert s(0) == pytest.approx(0.6)
    assert s(1) == pytest.approx(0.6)
    assert s(6) == pytest.approx(0.3 + 0.3 * math.exp(-1.0))
    assert s(25) == pytest.approx(0.3, abs=0.01)


@settings(deadline=None, max_examples=80)
@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_alpha_schedule_monotone_in_unit_interval(a: int, b: int) -> None:
    s = AlphaSchedule()
    lo, hi = sorted((a, b))
    assert 0.0 <= s(hi) <= s(lo) <= 1.0


def test_alpha_schedule_buckets_and_json_round_trip() -> None:
    s = AlphaSchedule(bucket_starts=(0, 3, 10), alphas=(0.8, 0.5, 0.2))
    assert [s(0), s(2), s(3), s(9), s(10), s(500)] == [0.8, 0.8, 0.5, 0.5, 0.2, 0.2]
    back = AlphaSchedule.from_json(s.to_json())
    assert back == s
    assert AlphaSchedule.from_json(AlphaSchedule().to_json()) == AlphaSchedule()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"alpha_min": 0.95}, "alpha_min must not exceed"),
        ({"tau": 0.0}, "tau must be a positive number, got 0.0"),
        ({"alpha_max": 1.2}, "alpha_max .* got 1.2"),
        ({"bucket_starts": (1, 4), "alphas": (0.5, 0.4)}, r"\(1, 4\)"),
        ({"bucket_starts": (0,), "alphas": ()}, "differ in length"),
    ],
)
def test_alpha_schedule_bad_config_raises(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        AlphaSchedule(**kwargs)


@pytest.mark.parametrize(
    ("text", "match"),
    [("not json", "not JSON"), ("[1]", "JSON object"), ('{"beta": 1}', "beta")],
)
def test_alpha_schedule_bad_json_raises(text: str, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        AlphaSchedule.from_json(text)


def test_alpha_schedule_negative_history_raises() -> None:
    with pytest.raises(InvalidInputError, match="-1"):
        AlphaSchedule()(-1)
