"""Splits, the harness's fidelity to the facade, α learning, real-data figures."""

from __future__ import annotations

import numpy as np
import pytest

from inkpick_desktop.data.model import Catalog, Interactions
from inkpick_desktop.engine.als import AlsConfig
from inkpick_desktop.engine.bpr import BprConfig
from inkpick_desktop.engine.errors import CancelledError, InvalidInputError
from inkpick_desktop.engine.evaluation import (
    EvaluationConfig,
    ModelSetup,
    evaluate_split,
    fit_compact,
    learn_alpha,
)
from inkpick_desktop.engine.factors import interactions_to_matrix
from inkpick_desktop.engine.fuzzy import TitleSearch
from inkpick_desktop.engine.hybrid import AlphaSchedule, candidate_size
from inkpick_desktop.engine.progress import CancelToken
from inkpick_desktop.engine.recommender import Recommender, RecommenderConfig
from inkpick_desktop.engine.scoring import (
    blend_rank,
    candidates,
    content_block,
    factor_block,
    seen_mask,
    user_profiles,
)
from inkpick_desktop.engine.sparse import CsrMatrix
from inkpick_desktop.engine.splits import holdout_split
from inkpick_desktop.engine.tfidf import TfidfConfig, TfidfIndex

GENRES = ["Drama", "Comedy", "Horror", "Sci-Fi", "Romance", "War"]


def _interactions(
    users,
    items,
    values=None,
    timestamps=None,
    n_users=None,
    n_items=10,
    kind="implicit",
):
    n_users = n_users if n_users is not None else max(users) + 1
    return Interactions(
        user_ids=np.array([f"u{i}" for i in range(n_users)]),
        users=np.asarray(users, np.int32),
        items=np.asarray(items, np.int32),
        values=np.asarray(
            values if values is not None else np.ones(len(users)), np.float32
        ),
        n_items=n_items,
        value_kind=kind,
        timestamps=None if timestamps is None else np.asarray(timestamps, np.int64),
    )


def _world(seed=3, n_users=80, n_items=60):
    """A catalog of genre clusters and users who mostly stay in two genres."""
    rng = np.random.default_rng(seed)
    genre_of = np.arange(n_items) % len(GENRES)
    catalog = Catalog(
        domain="test",
        ids=np.array([f"i{i}" for i in range(n_items)]),
        titles=np.array([f"Title {i} {GENRES[g]}" for i, g in enumerate(genre_of)]),
        years=np.zeros(n_items, np.int32),
        fields={"genres": np.array([GENRES[g] for g in genre_of])},
        label_fields=("genres",),
    )
    users, items, values = [], [], []
    for u in range(n_users):
        liked = rng.choice(len(GENRES), 2, replace=False)
        pool = np.flatnonzero(np.isin(genre_of, liked))
        n = int(rng.integers(4, 16))
        picks = rng.choice(pool, min(n, len(pool)), replace=False)
        noise = rng.choice(n_items, 2, replace=False)
        for i in np.r_[picks, noise]:
            users.append(u)
            items.append(int(i))
            values.append(float(rng.integers(1, 6)))
    inter = Interactions(
        user_ids=np.array([f"u{u}" for u in range(n_users)]),
        users=np.array(users, np.int32),
        items=np.array(items, np.int32),
        values=np.array(values, np.float32),
        n_items=n_items,
        value_kind="rating",
        timestamps=np.arange(len(users), dtype=np.int64) * 10,
    )
    tfidf = TfidfConfig(
        field_weights={"title": 1.0, "genres": 1.5}, label_fields=("genres",)
    )
    content = TfidfIndex.from_catalog(catalog, tfidf)
    return catalog, inter, content


SETUP = ModelSetup(
    transform=("rating_threshold", 3.0),
    als=AlsConfig(factors=8, iterations=8),
    bpr=BprConfig(factors=8, epochs=5),
)
SMALL = EvaluationConfig(
    k=5,
    alpha_sizes=(1, 2, 3),
    cold_start_sizes=(1, 2, 3),
    min_bucket_users=5,
    alpha_grid=(0.0, 0.5, 1.0),
    reference=False,
)


# -- splits ---------------------------------------------------------------------


def test_holdout_split_random_counts_round_half_up_and_keep_one_train_item():
    # User 0: 10 items -> 2 test; user 1: 3 items -> round(0.6) = 1; user 2: 1 -> 0.
    users = [0] * 10 + [1] * 3 + [2]
    items = list(range(10)) + [0, 1, 2] + [5]
    split = holdout_split(_interactions(users, items), seed=7)
    assert split.test.row_lengths.tolist() == [2, 1, 0]
    assert split.train.n_events == 14 - 3
    train_pairs = set(
        zip(split.train.users.tolist(), split.train.items.tolist(), strict=True)
    )
    for u in range(3):
        test_items = split.test.row(u)[0].tolist()
        assert not any((u, i) in train_pairs for i in test_items)
    assert split.test_users.tolist() == [0, 1]


def test_holdout_split_same_seed_same_split_other_seed_differs():
    users = [0] * 20 + [1] * 20
    items = list(range(20)) * 2
    inter = _interactions(users, items, n_items=20)
    a = holdout_split(inter, seed=1)
    b = holdout_split(inter, seed=1)
    c = holdout_split(inter, seed=2)
    assert np.array_equal(a.test.indices, b.test.indices)
    assert not np.array_equal(a.test.indices, c.test.indices)


def test_holdout_split_keeps_duplicate_events_of_a_pair_together():
    users = [0, 0, 0, 0, 0, 0]
    items = [1, 1, 2, 3, 4, 5]
    inter = _interactions(users, items)
    for seed in range(10):
        split = holdout_split(inter, seed=seed, test_fraction=0.2)
        test = set(split.test.row(0)[0].tolist())
        train = set(split.train.items.tolist())
        assert not test & train
        assert len(test) == 1  # 5 distinct items -> 1 held out


def test_holdout_split_temporal_holds_out_latest_items():
    users = [0] * 5
    items = [4, 3, 2, 1, 0]
    stamps = [50, 40, 30, 20, 10]  # item 4 is the latest
    split = holdout_split(_interactions(users, items, timestamps=stamps), "temporal")
    assert split.test.row(0)[0].tolist() == [4]
    assert split.seed is None
    assert "last 20%" in split.describe()


def test_holdout_split_temporal_without_timestamps_is_refused():
    with pytest.raises(InvalidInputError, match="needs timestamps"):
        holdout_split(_interactions([0, 0], [1, 2]), "temporal")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"protocol": "loo"}, "protocol must be one of random, temporal, got 'loo'"),
        ({"test_fraction": 1.0}, "test_fraction must be a number in"),
        ({"seed": -1}, "seed must be an int >= 0, got -1"),
    ],
)
def test_holdout_split_bad_arguments(kwargs, message):
    with pytest.raises(InvalidInputError, match=message):
        holdout_split(_interactions([0, 0], [1, 2]), **kwargs)


# -- fidelity to the facade --------------------------------------------------------


def test_user_profiles_follow_the_facade_rule():
    # Ratings 5, 1, 4 (mean 3.33): items rated >= the mean are kept, by rating.
    inter = _interactions([0, 0, 0], [2, 7, 5], values=[5, 1, 4], kind="rating")
    prof = user_profiles(inter)
    assert prof.items[0].tolist() == [2, 5]
    assert prof.weights[0].tolist() == [5.0, 4.0]
    assert prof.history_size.tolist() == [2]


def test_hybrid_block_ranking_equals_recommender_recommend_user():
    catalog, inter, content = _world()
    split = holdout_split(inter, seed=0)
    train = split.train
    matrix = interactions_to_matrix(train, SETUP.transform)
    model = fit_compact(
        "als", matrix, SETUP.als, user_ids=train.user_ids, item_ids=catalog.ids
    )
    rec = Recommender(
        "test",
        catalog,
        content=content,
        search=TitleSearch.build(catalog),
        collaborative=model,
        interactions=train,
        config=RecommenderConfig(alpha_schedule=None),
    )
    users = split.test_users
    prof = user_profiles(train)
    seen = CsrMatrix.from_triplets(
        train.users, train.items, np.ones(train.n_events), matrix.shape
    )
    exclude = seen_mask(seen, users)
    picks = [prof.items[u] for u in users]
    c, c_ok = content_block(content, picks, [prof.weights[u] for u in users])
    has = model.item_has_data_
    f = factor_block(model.user_factors_[users], model.item_factors_, has)
    f_ok = np.array([bool(has[p].any()) for p in picks])
    cands = candidates(c, c_ok, f, f_ok, has, exclude, candidate_size(5))
    for alpha in (0.0, 0.3, 0.65, 1.0):
        lists = blend_rank(cands, alpha, 5)
        for row, u in enumerate(users.tolist()):
            got = rec.recommend_user(f"u{u}", alpha=alpha, k=5, diversity=1.0)
            assert [r.index for r in got.rows] == [i for i in lists[row] if i >= 0]


def test_fit_compact_zeroes_items_without_data():
    inter = _interactions([0, 0, 1, 1, 2], [0, 2, 2, 4, 0], n_items=6)
    m = interactions_to_matrix(inter, "binary")
    model = fit_compact("als", m, AlsConfig(factors=2, iterations=3))
    assert model.item_has_data_.tolist() == [True, False, True, False, True, False]
    assert not model.item_factors_[[1, 3, 5]].any()
    assert model.item_factors_.shape == (6, 2)


# -- the harness ---------------------------------------------------------------------


def test_evaluate_split_reports_every_model_on_the_same_users():
    catalog, inter, content = _world()
    split = holdout_split(inter, seed=0)
    stages = []
    report = evaluate_split(
        split,
        content,
        SETUP,
        SMALL,
        references={},
        progress=lambda s, f: stages.append(s),
    )
    names = [r.name for r in report.results]
    assert names == [
        "random",
        "popularity",
        "content",
        "als",
        "bpr",
        "hybrid α=0.65",
        "hybrid auto (default curve)",
        "hybrid learned α",
    ]
    n = {r.summary.n_users for r in report.results}
    assert n == {len(split.test_users)}
    for r in report.results:
        s = r.summary
        for v in (s.precision, s.recall, s.ndcg, s.map, s.hit_rate, s.coverage):
            assert 0.0 <= v <= 1.0
    # Genre-clustered users: collaborative filtering beats random clearly.
    assert report.result("als").summary.ndcg > report.result("random").summary.ndcg
    assert "seed 0" in report.protocol and "training items removed" in report.protocol
    assert report.cold_start.sizes == (1, 2, 3)
    assert set(report.alpha.schedule.alphas) <= {0.0, 0.5, 1.0}
    assert {"training ALS", "learning α", "ranking", "cold start"} <= set(stages)
    assert report.to_dict()["results"][0]["name"] == "random"


def test_evaluate_split_is_deterministic():
    catalog, inter, content = _world()
    split = holdout_split(inter, seed=0)
    a = evaluate_split(split, content, SETUP, SMALL, references={})
    b = evaluate_split(split, content, SETUP, SMALL, references={})
    assert [r.summary for r in a.results] == [r.summary for r in b.results]
    assert a.alpha.schedule == b.alpha.schedule


def test_evaluate_split_cancel_raises():
    catalog, inter, content = _world()
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        evaluate_split(
            holdout_split(inter), content, SETUP, SMALL, references={}, cancel=token
        )


def test_evaluate_split_refuses_content_of_another_catalog():
    catalog, inter, content = _world(n_items=60)
    other = _world(n_items=30)[2]
    with pytest.raises(InvalidInputError, match="content index has 30 items"):
        evaluate_split(holdout_split(inter), other, SETUP, SMALL, references={})


def test_learn_alpha_builds_a_bucket_schedule_from_the_validation_split():
    catalog, inter, content = _world()
    train = holdout_split(inter, seed=0).train
    learned = learn_alpha(train, content, SETUP, SMALL)
    sched = learned.schedule
    assert sched.bucket_starts == (0, 2, 3)
    assert len(learned.curves) == 3 and all(len(c) == 3 for c in learned.curves)
    for i, a in enumerate(sched.alphas):
        if learned.sizes[i] in learned.inherited:
            continue
        curve = np.asarray(learned.curves[i])
        assert curve[SMALL.alpha_grid.index(a)] == pytest.approx(np.nanmax(curve))
    assert "validation" in learned.protocol
    assert AlphaSchedule.from_json(sched.to_json()) == sched


def test_evaluation_config_rejects_bad_values():
    with pytest.raises(InvalidInputError, match="protocol must be one of"):
        EvaluationConfig(protocol="latest")
    with pytest.raises(InvalidInputError, match="k must be a positive int"):
        EvaluationConfig(k=0)
    with pytest.raises(InvalidInputError, match="cold_start_sizes must be rising"):
        EvaluationConfig(cold_start_sizes=(3, 1))


# -- real data ---------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.slow
def test_evaluate_courses_real_data(datasets_root, tmp_path):
    from inkpick_desktop.domains.registry import get
    from inkpick_desktop.engine.evaluation import evaluate

    report = evaluate(
        get("courses"),
        datasets_root,
        config=EvaluationConfig(reference=False),
        cache_dir=tmp_path,
    )
    pop = report.result("popularity").summary
    # Every model is averaged over the same 1,000 learners, none skipped.
    assert {r.summary.n_users for r in report.results} == {1000}
    assert pop.n_skipped == 0
    assert report.result("random").summary.ndcg < pop.ndcg / 5
    assert report.n_items == 6942 and report.n_items_with_data == 105


@pytest.mark.realdata
@pytest.mark.slow
def test_evaluate_movielens_als_clearly_above_popularity(datasets_root, tmp_path):
    from inkpick_desktop.domains.registry import get
    from inkpick_desktop.engine.evaluation import evaluate

    report = evaluate(
        get("cinema"),
        datasets_root,
        config=EvaluationConfig(reference=False),
        cache_dir=tmp_path,
    )
    als = report.result("als").summary.ndcg
    assert als > 1.25 * report.result("popularity").summary.ndcg
    assert report.n_items == 87873
    # Cold start: the learned hybrid beats fold-in alone for 1-3 known items
    # or ties it; never loses more than noise.
    cold = report.cold_start.curves
    for i in range(3):
        assert cold["hybrid learned α"][i] >= cold["collaborative"][i] - 0.01


@pytest.mark.realdata
@pytest.mark.slow
def test_build_learns_stores_and_reuses_the_alpha_schedule(datasets_root, tmp_path):
    from inkpick_desktop.domains.registry import get

    service = get("courses")
    fresh = service.build(datasets_root, cache_dir=tmp_path / "none")
    assert fresh.config.alpha_schedule == service.recommender.alpha_schedule
    learned = service.build(datasets_root, cache_dir=tmp_path, learn_alpha=True)
    schedule = learned.config.alpha_schedule
    assert schedule.bucket_starts == (0, 2, 3, 5, 10, 20, 50)
    again = service.build(datasets_root, cache_dir=tmp_path)
    assert again.config.alpha_schedule == schedule
    assert again.auto_alpha(1) == schedule.alphas[0]
