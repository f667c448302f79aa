"""Query latency of the Recommender facade on MovieLens (plain script).

Run on purpose, not collected by pytest::

    .venv/bin/python benchmarks/bench_queries.py [DATASETS_FOLDER]

Builds the cinema recommender from ``movielens.load`` (TF-IDF over titles,
genres and tags; ALS on ratings >= 3.5), then prints median and 95th percentile
milliseconds of a title query, a user query and re-blends at 21 values of α,
with and without MMR.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from inkpick_desktop.data.loaders import movielens
from inkpick_desktop.engine.als import AlsConfig, AlsModel
from inkpick_desktop.engine.factors import PopularityModel, interactions_to_matrix
from inkpick_desktop.engine.fuzzy import TitleSearch
from inkpick_desktop.engine.recommender import Recommender
from inkpick_desktop.engine.tfidf import TfidfConfig, TfidfIndex

REPEATS = 30


def _time(fn: Callable[[], object], repeats: int = REPEATS) -> tuple[float, float]:
    fn()  # warm caches (unit factors, explanation cache)
    ms = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t) * 1000.0)
    return float(np.median(ms)), float(np.percentile(ms, 95))


def build(root: Path) -> Recommender:
    ds = movielens.load(root)
    cat, inter = ds.catalog, ds.interactions
    assert inter is not None
    fields = {"title": 1.0, **{f: 1.0 for f in cat.fields}}
    content = TfidfIndex.from_catalog(
        cat, TfidfConfig(field_weights=fields, label_fields=cat.label_fields)
    )
    matrix = interactions_to_matrix(inter, ("rating_threshold", 3.5))
    als = AlsModel.fit(matrix, AlsConfig(), user_ids=inter.user_ids)
    return Recommender(
        "cinema",
        cat,
        content=content,
        search=TitleSearch.build(cat),
        collaborative=als,
        popularity=PopularityModel.fit(matrix),
        interactions=inter,
    )


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/datasets")
    t = time.perf_counter()
    rec = build(root)
    print(f"built on {rec.catalog.n_items} items in {time.perf_counter() - t:.1f} s")
    user = str(rec.interactions.user_ids[0]) if rec.interactions is not None else ""
    base = rec.recommend_title("the godfathr")
    alphas = [float(a) for a in np.linspace(0.0, 1.0, 21)]

    def sweep(lam: float) -> Callable[[], object]:
        return lambda: [rec.reblend(base, alpha=a, diversity=lam) for a in alphas]

    cases: dict[str, Callable[[], object]] = {
        "recommend_title (hybrid, k=10)": lambda: rec.recommend_title("the godfathr"),
        "recommend_title (λ=0.5)": lambda: rec.recommend_title(
            "the godfathr", diversity=0.5
        ),
        "recommend_user (hybrid, k=10)": lambda: rec.recommend_user(user),
    }
    for name, fn in cases.items():
        med, p95 = _time(fn)
        print(f"{name:40s} median {med:8.3f} ms  p95 {p95:8.3f} ms")
    for lam in (1.0, 0.5):
        med, p95 = _time(sweep(lam), repeats=10)
        n = len(alphas)
        print(
            f"{f'reblend per α (λ={lam})':40s} median {med / n:8.3f} ms  "
            f"p95 {p95 / n:8.3f} ms"
        )


if __name__ == "__main__":
    main()
