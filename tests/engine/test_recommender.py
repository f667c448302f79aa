"""The Recommender facade, on hand-made fakes and on the real components."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from inkpick_desktop.data.model import Catalog, Interactions
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.hybrid import CONTENT_ONLY, AlphaSchedule
from inkpick_desktop.engine.recommender import (
    POPULARITY,
    Recommender,
    RecommenderConfig,
)
from inkpick_desktop.engine.results import Mode, TitleMatch

STAGES = {"total", "resolve", "content", "collaborative", "blend", "diversity"}

# -- fakes following the component signatures, driven by similarity matrices -----

# Content cosine and factor cosine among 5 items; item 4 has no interaction data.
S_CONTENT = np.array(
    [
        [1.0, 0.8, 0.6, 0.0, 0.2],
        [0.8, 1.0, 0.5, 0.1, 0.0],
        [0.6, 0.5, 1.0, 0.0, 0.3],
        [0.0, 0.1, 0.0, 1.0, 0.0],
        [0.2, 0.0, 0.3, 0.0, 1.0],
    ],
    np.float32,
)
S_FACTORS = np.array(
    [
        [1.0, 0.2, 0.9, 0.5, 0.0],
        [0.2, 1.0, 0.1, 0.4, 0.0],
        [0.9, 0.1, 1.0, 0.3, 0.0],
        [0.5, 0.4, 0.3, 1.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0],
    ],
    np.float32,
)
HAS_DATA = np.array([True, True, True, True, False])


class FakeContent:
    def __init__(self, sim: np.ndarray, empty: tuple[int, ...] = ()) -> None:
        self.sim = sim.copy()
        self.empty = set(empty)
        for i in empty:
            self.sim[i, :] = 0.0
            self.sim[:, i] = 0.0
        self.n_items = len(sim)

    def is_empty(self, item: int) -> bool:
        return item in self.empty

    def item_scores(self, item: int) -> np.ndarray:
        return self.sim[item].copy()

    def profile_scores(self, items, weights=None) -> np.ndarray:
        w = np.ones(len(items)) if weights is None else np.asarray(weights, float)
        return (w @ self.sim[list(items)] / w.sum()).astype(np.float32)

    def pairwise(self, items) -> np.ndarray:
        return self.sim[np.ix_(items, items)]

    def shared_terms(self, source, target, n=3) -> list[str]:
        # like the real index: terms only where the cosine is positive
        src = [source] if isinstance(source, (int, np.integer)) else list(source)
        shares = bool(np.any(self.sim[src, int(target)] > 0))
        return [f"term {target}"] if shares else []


class FakeFactors:
    def __init__(self, sim: np.ndarray, has: np.ndarray, users: np.ndarray) -> None:
        self.sim = sim
        self.item_has_data_ = has
        self.user_ids_ = np.array([f"u{i}" for i in range(len(users))])
        self.users = users  # (n_users, n_items) predicted scores

    def item_scores(self, item: int) -> np.ndarray:
        return self.sim[item].copy()

    def fold_in(self, items, values=None) -> np.ndarray:
        return self.sim[list(items)].mean(axis=0)

    def vector_scores(self, vector) -> np.ndarray:
        return np.asarray(vector, np.float32)

    def user_scores(self, user: int) -> np.ndarray:
        return self.users[user].astype(np.float32)

    def pairwise(self, items) -> np.ndarray:
        return self.sim[np.ix_(items, items)]

    def contributions(self, picks, target, values=None) -> np.ndarray:
        return self.sim[np.asarray(picks), target]


@dataclass
class FakeResult:
    query: str
    matches: tuple[TitleMatch, ...]
    corrected: bool
    accepted: bool


class FakeSearch:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _match(self, i: int) -> TitleMatch:
        c = self.catalog
        return TitleMatch(i, str(c.ids[i]), str(c.titles[i]), int(c.years[i]), 0, 1.0)

    def search(self, query: str, limit: int) -> FakeResult:
        hits = [
            self._match(i)
            for i, t in enumerate(self.catalog.titles.tolist())
            if query.lower() in t.lower()
        ][:limit]
        return FakeResult(query, tuple(hits), False, bool(hits))

    def suggest(self, prefix: str, limit: int) -> list[TitleMatch]:
        return list(self.search(prefix, limit).matches)


def _catalog(n: int = 5) -> Catalog:
    return Catalog(
        "cinema",
        np.array([f"m{i}" for i in range(n)]),
        np.array([f"Film {chr(65 + i)} ({2000 + i})" for i in range(n)]),
        np.arange(2000, 2000 + n).astype(np.int32),
        {"genres": np.array(["Crime|Drama", "Crime", "", "Comedy", "Drama"][:n])},
        ("genres",),
    )


def _interactions() -> Interactions:
    # u0: items 0, 1; u1: items 0, 2, 3; u2: item 0
    users = np.array([0, 0, 1, 1, 1, 2], np.int32)
    items = np.array([0, 1, 0, 2, 3, 0], np.int32)
    return Interactions(
        np.array(["u0", "u1", "u2"]),
        users,
        items,
        np.array([4.0, 2.0, 5.0, 5.0, 3.0, 1.0], np.float32),
        5,
        value_kind="rating",
    )


USER_SCORES = np.array(
    [[0.9, 0.9, 0.1, 0.7, 0.0], [0.2, 0.8, 0.9, 0.1, 0.0], [0.0, 0.3, 0.6, 0.9, 0.0]]
)


def _recommender(*, collaborative: bool = True, empty: tuple[int, ...] = (), **cfg):
    cat = _catalog()
    return Recommender(
        "cinema",
        cat,
        content=FakeContent(S_CONTENT, empty),
        search=FakeSearch(cat),
        collaborative=FakeFactors(S_FACTORS, HAS_DATA, USER_SCORES)
        if collaborative
        else None,
        interactions=_interactions() if collaborative else None,
        config=RecommenderConfig(**cfg),
        dataset_label="fake",
    )


def _ids(rec) -> list[int]:
    return [r.index for r in rec.rows]


# -- hand-computed cases ---------------------------------------------------------
# Item query on item 0: candidates {1, 2, 3, 4}.
# content [.8, .6, 0, .2] -> max-scaled (/ .8) [1, .75, 0, .25]
# factors over items with data {1, 2, 3}: [.2, .9, .5] -> (/ .9) [2/9, 1, 5/9];
# item 4: none


def test_recommend_item_hybrid_half_hand_values() -> None:
    rec = _recommender().recommend_item(0, alpha=0.5, k=4)
    assert _ids(rec) == [2, 1, 3, 4]
    scores = [r.score for r in rec.rows]
    # 2: .5 * .75 + .5 * 1 = .875; 1: .5 * 1 + .5 * 2/9 = 11/18; 3: .5 * 5/9 = 5/18
    # item 4 has no collaborative data: it keeps only its content part, 0.5 * 0.25
    np.testing.assert_allclose(scores, [0.875, 11 / 18, 5 / 18, 0.125], rtol=1e-5)
    assert rec.rows[0].content == pytest.approx(0.75)
    assert rec.rows[0].collaborative == pytest.approx(1.0)
    row4 = rec.rows[3]
    assert row4.collaborative is None and row4.fallback == CONTENT_ONLY
    assert all(r.fallback == "" for r in rec.rows if r.index != 4)
    assert rec.alpha == 0.5 and rec.auto_alpha is False


def test_recommend_item_alpha_one_equals_content_ranking() -> None:
    r = _recommender()
    hybrid = r.recommend_item(0, alpha=1.0, k=4)
    content = r.recommend_item(0, mode=Mode.CONTENT, k=4)
    # item 3 has content 0: content mode leaves it out (no evidence); hybrid
    # keeps it last with score 0 because its factors do link it (5/9)
    assert _ids(content) == [1, 2, 4]
    assert _ids(hybrid) == [1, 2, 4, 3]
    assert [x.score for x in hybrid.rows[:3]] == [x.score for x in content.rows]
    assert hybrid.rows[3].score == 0.0
    assert hybrid.rows[3].collaborative == pytest.approx(5 / 9)
    assert all(x.collaborative is None for x in content.rows)
    assert content.alpha == 1.0
    assert content.notes == ("only 3 items have content evidence for this query",)


def test_recommend_item_alpha_zero_equals_collaborative_ranking() -> None:
    r = _recommender()
    collab = r.recommend_item(0, mode="collaborative", k=4)
    assert _ids(collab) == [2, 3, 1]  # item 4 has no data: not ranked
    assert all(x.content is None for x in collab.rows)
    hybrid = r.recommend_item(0, alpha=0.0, k=4)
    # items with data keep the collaborative order (1, 5/9, 2/9); item 4 (no
    # data) scores alpha * content = 0 but has content evidence: listed last
    assert [i for i in _ids(hybrid) if HAS_DATA[i]] == _ids(collab)
    assert _ids(hybrid) == [2, 3, 1, 4]


def test_recommend_item_auto_alpha_uses_history_one() -> None:
    rec = _recommender().recommend_item(0, k=2)
    assert rec.auto_alpha is True
    assert rec.alpha == pytest.approx(AlphaSchedule()(1)) == pytest.approx(0.6)


def test_recommend_item_without_schedule_uses_default_alpha() -> None:
    rec = _recommender(alpha_schedule=None).recommend_item(0, k=2)
    assert rec.alpha == 0.65 and rec.auto_alpha is False


def test_latency_and_components_filled() -> None:
    rec = _recommender().recommend_title("film a", k=3)
    assert STAGES <= set(rec.latency_ms)
    assert all(v >= 0.0 for v in rec.latency_ms.values())
    assert rec.query is not None and rec.query.index == 0
    comp = rec.components
    assert comp is not None and comp.candidates.tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(comp.content, [1.0, 0.75, 0.0, 0.25], rtol=1e-6)
    np.testing.assert_allclose(comp.collaborative, [2 / 9, 1.0, 5 / 9, 0.0], rtol=1e-5)
    assert comp.has_collaborative.tolist() == [True, True, True, False]


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.5, 1.0, "auto"])
@pytest.mark.parametrize("diversity", [1.0, 0.4])
def test_reblend_equals_fresh_query(alpha, diversity) -> None:
    r = _recommender()
    first = r.recommend_profile([0, 3], alpha=0.8, k=3)
    again = r.reblend(first, alpha=alpha, diversity=diversity)
    fresh = r.recommend_profile([0, 3], alpha=alpha, diversity=diversity, k=3)
    assert [x.to_json() for x in again.rows] == [x.to_json() for x in fresh.rows]
    assert again.alpha == fresh.alpha and again.auto_alpha == fresh.auto_alpha
    assert again.latency_ms["content"] == 0.0 and again.picks == first.picks


def test_reblend_mode_and_k_change_equal_fresh() -> None:
    r = _recommender()
    first = r.recommend_item(0, alpha=0.5, k=2)
    for mode in Mode:
        again = r.reblend(first, mode=mode, k=4)
        alpha = 0.5 if mode == Mode.HYBRID else None  # reblend keeps a set α
        fresh = r.recommend_item(0, mode=mode, alpha=alpha, k=4)
        assert [x.to_json() for x in again.rows] == [x.to_json() for x in fresh.rows]


def test_reblend_without_components_raises() -> None:
    r = _recommender()
    rec = r.recommend_item(0)
    from dataclasses import replace

    with pytest.raises(InvalidInputError, match="component"):
        r.reblend(replace(rec, components=None), alpha=0.2)


def test_profile_excludes_picks_by_default_and_on_request_keeps_them() -> None:
    r = _recommender()
    rec = r.recommend_profile([0, 1], k=5)
    assert not {0, 1} & set(_ids(rec))
    assert rec.picks == ("m0", "m1")
    kept = r.recommend_profile([0, 1], k=5, exclude_seen=False)
    assert {0, 1} <= set(_ids(kept))


def test_profile_diversity_reorders_hand_case() -> None:
    r = _recommender()
    plain = r.recommend_profile([2], mode="content", k=4)
    # content row of item 2 over 0, 1, 3, 4: [.6, .5, 0, .3] -> / .6 ->
    # [1, 5/6, 0, .5]; item 3 has no evidence and is left out
    assert _ids(plain) == [0, 1, 4]
    np.testing.assert_allclose([x.score for x in plain.rows], [1.0, 5 / 6, 0.5])
    assert plain.notes == ("only 3 items have content evidence for this query",)
    diverse = r.recommend_profile([2], mode="content", k=4, diversity=0.5)
    # after item 0: gain(1) = .5 * 5/6 - .5 * sim(1, 0) .8 = .0167,
    # gain(4) = .5 * .5 - .5 * sim(4, 0) .2 = .15 -> 4, then 1
    assert _ids(diverse) == [0, 4, 1]


def test_rows_without_any_evidence_are_not_shown() -> None:
    r = _recommender()
    rec = r.recommend_item(3, alpha=0.5, k=4)
    # content row 3 over 0, 1, 2, 4: [0, .1, 0, 0] -> [0, 1, 0, 0]; factors over
    # 0, 1, 2: [.5, .4, .3] -> [1, .8, .6]; item 4 has neither: not shown
    # 1: .5 + .4 = .9; 0: .5 * 1 = .5; 2: .5 * .6 = .3
    assert _ids(rec) == [1, 0, 2]
    np.testing.assert_allclose([x.score for x in rec.rows], [0.9, 0.5, 0.3])
    assert rec.notes == (
        "only 3 items have content or collaborative evidence for this query",
    )


def test_huge_k_is_capped_at_the_catalog_size() -> None:
    r = _recommender()
    rec = r.recommend_item(0, alpha=0.5, k=10**20)
    assert rec.k == 5
    assert _ids(rec) == [2, 1, 3, 4]  # every rankable item, as for k=4
    again = r.reblend(rec, k=10**30, alpha=0.2)
    assert again.k == 5 and set(_ids(again)) == {1, 2, 3, 4}
    user = r.recommend_user("nobody", k=10**20)  # popularity fallback
    assert user.k == 5 and _ids(user) == [0, 1, 2, 3]


def test_tied_perfect_content_matches_all_show_one() -> None:
    from inkpick_desktop.engine.tfidf import TfidfConfig, TfidfIndex

    cat = Catalog(
        "cinema",
        np.array(["a", "b", "c", "d"]),
        np.array(["Same Film (2000)"] * 3 + ["Other Thing (2001)"]),
        np.array([2000, 2000, 2000, 2001], np.int32),
        {"genres": np.array(["Drama", "Drama", "Drama", "Comedy"])},
        ("genres",),
    )
    content = TfidfIndex.from_catalog(
        cat,
        TfidfConfig(
            field_weights={"title": 1.0, "genres": 1.0}, label_fields=("genres",)
        ),
    )
    r = Recommender("cinema", cat, content=content, search=FakeSearch(cat))
    rec = r.recommend_item(0, mode="content", k=3)
    # identical rows: cosine 1 (up to float rounding) for 1 and 2, 0 for 3
    assert _ids(rec) == [1, 2]
    assert [round(x.score, 3) for x in rec.rows] == [1.0, 1.0]
    assert [round(x.content, 3) for x in rec.rows] == [1.0, 1.0]


def test_near_identical_factor_cosines_stay_near_one() -> None:
    cat = _catalog(4)
    sim = np.eye(4, dtype=np.float32)
    sim[0, 1:] = sim[1:, 0] = [0.99943, 0.99981, 0.9995]
    r = Recommender(
        "cinema",
        cat,
        content=FakeContent(np.eye(4, dtype=np.float32)),
        search=FakeSearch(cat),
        collaborative=FakeFactors(sim, np.ones(4, bool), USER_SCORES[:, :4]),
    )
    rec = r.recommend_item(0, mode="collaborative", k=3)
    assert _ids(rec) == [2, 3, 1]
    # / .99981: 1, .99969, .99962 - never spread to 1 ... 0 as min-max did
    np.testing.assert_allclose(
        [x.collaborative for x in rec.rows], [1.0, 0.999690, 0.999620], atol=1e-6
    )


def test_user_query_excludes_seen_and_uses_user_factors() -> None:
    r = _recommender()
    rec = r.recommend_user("u1", mode="collaborative", k=5)
    assert _ids(rec) == [1]  # seen 0, 2, 3; item 4 has no data
    rec = r.recommend_user("u0", mode="collaborative", k=5, exclude_seen=False)
    # USER_SCORES[0] over candidates 0..3: [.9, .9, .1, .7] -> ties by index
    assert _ids(rec) == [0, 1, 3, 2]
    assert rec.user == "u0"


def test_user_history_sorted_by_value() -> None:
    rows = _recommender().user_history("u1")
    assert [r.index for r in rows] == [0, 2, 3]
    assert [r.score for r in rows] == [1.0, 1.0, 0.6]
    assert rows[0].why == "rated 5"


def test_unknown_user_gets_labelled_popularity_fallback() -> None:
    rec = _recommender().recommend_user("nobody", k=3)
    assert rec.notes == ("popularity fallback: unknown user 'nobody'",)
    assert all(r.fallback == POPULARITY for r in rec.rows)
    # distinct users: item 0: 3, items 1, 2, 3: 1 each -> ties by index
    assert _ids(rec) == [0, 1, 2]
    assert [r.score for r in rec.rows] == pytest.approx([1.0, 1 / 3, 1 / 3])
    assert all(r.content is None and r.collaborative is None for r in rec.rows)


def test_empty_profile_gets_labelled_popularity_fallback() -> None:
    rec = _recommender().recommend_profile([], k=2)
    assert "popularity fallback: no picks" in rec.notes
    assert [r.fallback for r in rec.rows] == [POPULARITY, POPULARITY]


def test_empty_content_vector_gives_no_nan() -> None:
    r = _recommender(empty=(0,))
    rec = r.recommend_item(0, alpha=0.5, k=4)
    assert all(np.isfinite(x.score) for x in rec.rows)
    assert rec.components is not None
    assert not np.isnan(rec.components.content).any()
    # content missing: only the collaborative side ranks (scaled by 1 - α)
    assert _ids(rec)[:3] == [2, 3, 1]
    assert any("no content terms" in n for n in rec.notes)
    content = r.recommend_item(0, mode="content", k=2)
    assert all(x.fallback == POPULARITY for x in content.rows)


def test_no_collaborative_model() -> None:
    r = _recommender(collaborative=False)
    assert not r.has_collaborative
    with pytest.raises(
        InvalidInputError, match="no interaction data for cinema: use content"
    ):
        r.recommend_item(0, mode="collaborative")
    rec = r.recommend_item(0, k=3)
    assert all(x.fallback == CONTENT_ONLY for x in rec.rows)
    assert _ids(rec) == [1, 2, 4]
    with pytest.raises(InvalidInputError, match="no users"):
        r.recommend_user("u0")
    with pytest.raises(InvalidInputError, match="popularity"):
        r.recommend_profile([])


def test_explanations_per_mode() -> None:
    r = _recommender()
    rec = r.recommend_item(0, alpha=0.5, k=4)
    by_item = {x.index: x.why for x in rec.rows}
    assert by_item[4] == "shares: term 4"  # no collaborative data
    # u1 liked items 0 and 2 (ratings 5, 5 >= mean 4.33): 1 in common
    assert by_item[2] == (
        "shares: term 2; people who liked Film A (2000) also liked this "
        "(1 in common, similarity 0.90)"
    )
    # u0 rated item 1 below their mean and u1 item 3: nobody liked both, so no
    # claim about people, only the factor link
    assert by_item[1] == (
        "shares: term 1; similar rating patterns to Film A (2000) "
        "(factor similarity 0.20)"
    )
    assert by_item[3] == (
        "similar rating patterns to Film A (2000) (factor similarity 0.50)"
    )
    prof = r.recommend_profile([0, 3], mode="collaborative", k=1)
    assert prof.rows[0].why == "liked together with: Film A (2000), Film D (2003)"


@pytest.mark.parametrize(
    ("call", "value"),
    [
        (lambda r: r.recommend_item(7), "7"),
        (lambda r: r.recommend_item(-1), "-1"),
        (lambda r: r.recommend_item("0"), "'0'"),
        (lambda r: r.recommend_item(0, k=0), "0"),
        (lambda r: r.recommend_item(0, k=2.5), "2.5"),
        (lambda r: r.recommend_item(0, k=True), "True"),
        (lambda r: r.recommend_item(0, alpha=1.5), "1.5"),
        (lambda r: r.recommend_item(0, alpha=float("nan")), "nan"),
        (lambda r: r.recommend_item(0, diversity=-0.2), "-0.2"),
        (lambda r: r.recommend_item(0, mode="magic"), "'magic'"),
        (lambda r: r.recommend_item(0, exclude_seen="yes"), "'yes'"),
        (lambda r: r.recommend_profile([0, 99]), "99"),
        (lambda r: r.recommend_profile("0, 1"), "'0, 1'"),
        (lambda r: r.recommend_title("   "), "'   '"),
        (lambda r: r.recommend_title("zzz"), "'zzz'"),
        (lambda r: r.resolve(""), "''"),
        (lambda r: r.search("film", limit=0), "0"),
        (lambda r: r.user_history("ghost"), "'ghost'"),
        (lambda r: r.auto_alpha(-2), "-2"),
        (lambda r: r.reblend(r.recommend_item(0), alpha=2.0), "2.0"),
    ],
)
def test_bad_inputs_raise_with_value(call, value: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        call(_recommender())
    assert value in str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"default_alpha": 1.1},
        {"k": 0},
        {"diversity": float("nan")},
        {"candidate_min": -1},
        {"exclude_seen": 1},
        {"alpha_schedule": 0.5},
    ],
)
def test_config_validation(kwargs) -> None:
    with pytest.raises(InvalidInputError):
        RecommenderConfig(**kwargs)


def test_search_suggest_resolve_delegate() -> None:
    r = _recommender()
    assert [m.index for m in r.search("film", limit=2)] == [0, 1]
    assert r.suggest("   ") == []
    assert [m.index for m in r.suggest("Film C")] == [2]
    res = r.resolve("film d")
    assert (res.index, res.id, res.title) == (3, "m3", "Film D (2003)")


def test_constructor_rejects_misaligned_components() -> None:
    cat = _catalog(4)
    with pytest.raises(InvalidInputError, match="content index has 5 items"):
        Recommender(
            "cinema", cat, content=FakeContent(S_CONTENT), search=FakeSearch(cat)
        )


# -- the real components ----------------------------------------------------------


def _real_recommender():
    from inkpick_desktop.engine.als import AlsConfig, AlsModel
    from inkpick_desktop.engine.factors import PopularityModel, interactions_to_matrix
    from inkpick_desktop.engine.fuzzy import TitleSearch
    from inkpick_desktop.engine.tfidf import TfidfConfig, TfidfIndex

    # Checkerboard: even users like items 0-3 (crime), odd users items 4-7
    # (comedy); item 8 nobody touched. Genres follow the blocks too.
    n_items, n_users = 9, 20
    titles = [f"Crime Story {i} ({1990 + i})" for i in range(4)]
    titles += [f"Comedy Night {i} ({1990 + i})" for i in range(4, 8)]
    titles += ["Lonely Planet (2001)"]
    genres = ["Crime"] * 4 + ["Comedy"] * 4 + ["Documentary"]
    cat = Catalog(
        "cinema",
        np.array([str(100 + i) for i in range(n_items)]),
        np.array(titles),
        np.array([1990 + i for i in range(8)] + [2001], np.int32),
        {"genres": np.array(genres)},
        ("genres",),
    )
    users, items = [], []
    for u in range(n_users):
        block = range(0, 4) if u % 2 == 0 else range(4, 8)
        for i in block:
            if not (u < 8 and i % 4 == (u // 2) % 4):  # a few holes to predict
                users.append(u)
                items.append(i)
    inter = Interactions(
        np.array([f"user{u}" for u in range(n_users)]),
        np.array(users, np.int32),
        np.array(items, np.int32),
        np.ones(len(users), np.float32),
        n_items,
    )
    matrix = interactions_to_matrix(inter)
    als = AlsModel.fit(
        matrix,
        AlsConfig(factors=2, iterations=20, cg_steps=None),
        user_ids=inter.user_ids,
    )
    content = TfidfIndex.from_catalog(
        cat,
        TfidfConfig(
            field_weights={"title": 1.0, "genres": 1.0}, label_fields=("genres",)
        ),
    )
    return Recommender(
        "cinema",
        cat,
        content=content,
        search=TitleSearch.build(cat),
        collaborative=als,
        popularity=PopularityModel.fit(matrix),
        interactions=inter,
    )


def test_real_components_checkerboard() -> None:
    r = _real_recommender()
    rec = r.recommend_title("crime story 0", k=3)
    assert rec.query is not None and rec.query.index == 0
    assert set(_ids(rec)) == {1, 2, 3}
    assert all(np.isfinite(x.score) and 0 <= x.score <= 1 for x in rec.rows)
    assert all("shares:" in x.why for x in rec.rows)
    collab = r.recommend_item(0, mode="collaborative", k=3)
    assert set(_ids(collab)) == {1, 2, 3}
    assert all("people who liked Crime Story 0 (1990)" in x.why for x in collab.rows)
    # user0 is even and misses crime item 0: it comes first
    user = r.recommend_user("user0", mode="collaborative", k=1)
    assert _ids(user) == [0]
    prof = r.recommend_profile([4, 5], alpha=0.3, k=2)
    assert set(_ids(prof)) == {6, 7}
    for a in (0.0, 0.5, 1.0):
        again = r.reblend(prof, alpha=a, diversity=0.5)
        fresh = r.recommend_profile([4, 5], alpha=a, diversity=0.5, k=2)
        assert [x.to_json() for x in again.rows] == [x.to_json() for x in fresh.rows]
    lonely = r.recommend_item(8, k=3)  # no interaction data, own genre only
    assert any("no interaction data" in n for n in lonely.notes)
    assert all(x.fallback == CONTENT_ONLY for x in lonely.rows)


@pytest.mark.realdata
@pytest.mark.slow
def test_real_movielens_godfather(datasets_root: Path) -> None:
    pytest.importorskip("inkpick_desktop.data.loaders.movielens")
    from inkpick_desktop.data.loaders import movielens
    from inkpick_desktop.engine.als import AlsConfig, AlsModel
    from inkpick_desktop.engine.factors import PopularityModel, interactions_to_matrix
    from inkpick_desktop.engine.fuzzy import TitleSearch
    from inkpick_desktop.engine.tfidf import TfidfConfig, TfidfIndex

    ds = movielens.load(datasets_root)
    cat, inter = ds.catalog, ds.interactions
    assert inter is not None
    fields = {"title": 1.0, **{f: 1.0 for f in cat.fields}}
    content = TfidfIndex.from_catalog(
        cat, TfidfConfig(field_weights=fields, label_fields=cat.label_fields)
    )
    matrix = interactions_to_matrix(inter, ("rating_threshold", 3.5))
    als = AlsModel.fit(
        matrix, AlsConfig(factors=16, iterations=4), user_ids=inter.user_ids
    )
    r = Recommender(
        "cinema",
        cat,
        content=content,
        search=TitleSearch.build(cat),
        collaborative=als,
        popularity=PopularityModel.fit(matrix),
        interactions=inter,
    )
    rec = r.recommend_title("the godfathr", k=10)
    assert rec.query is not None and rec.query.title == "The Godfather (1972)"
    titles = [x.title for x in rec.rows]
    assert "The Godfather: Part II (1974)" in titles
    assert rec.rows[0].why.startswith("shares:")
    assert all(np.isfinite(x.score) for x in rec.rows)
    collab = r.reblend(rec, mode="collaborative")
    assert all(x.collaborative is not None for x in collab.rows)
    assert len(rec.components.candidates) <= 2 * 200  # type: ignore[union-attr]
    user = r.recommend_user(str(inter.user_ids[0]), k=10)
    seen = set(inter.history(0)[0].tolist())
    assert not seen & set(_ids(user))
