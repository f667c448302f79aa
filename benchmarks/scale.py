"""Scale: synthetic cinema-like catalogs of 100k, 300k and 1M items.

Each size runs in a fresh subprocess (``python -m benchmarks.scale --size N``)
so that its memory figures are its own: resident-set growth of every build
stage and the stage's peak (the kernel's peak mark is reset before each stage).
The catalog is drawn from the real cinema catalog's text statistics
(:mod:`benchmarks.synthetic`), the interactions from a Zipf-like popularity
(``n_items / 50`` users, log-normal activity with mean 100 events, values from
the real MovieLens ratings). The index is built as the cinema domain builds it
(same TF-IDF config, title search with a popularity prior, ALS 64 factors with
the liked-rating threshold 3.5), ALS with fewer iterations to keep the run short
(query cost does not depend on the iteration count).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks import _stats
from benchmarks.report import Section, Table, Target, fmt_ms

logger = logging.getLogger(__name__)

SIZES = (100_000, 300_000, 1_000_000)
ALS_ITERATIONS = 3
USERS_PER_ITEM = 1 / 50
MEAN_EVENTS = 100.0
HYBRID_1M_TARGET = Target(40.0)


def _stage(name: str, fn: Any, out: dict[str, Any]) -> Any:
    gc.collect()
    before = _stats.rss_mib()
    _stats.reset_peak_rss()
    result, seconds = _stats.timed(fn)
    out[name] = {
        "seconds": seconds,
        "rss_delta_mib": _stats.rss_mib() - before,
        "peak_delta_mib": _stats.peak_rss_mib() - before,
        "peak_mib": _stats.peak_rss_mib(),
    }
    return result


def run_size(root: Path, cache_dir: Path, size: int, *, n: int, seed: int) -> dict:
    """Build and query one synthetic catalog; everything measured, as JSON-able."""
    from benchmarks.latency import PICKS, _StageLog, misspelt_queries
    from benchmarks.synthetic import (
        synthetic_catalog,
        synthetic_interactions,
        text_stats,
        value_distribution,
    )
    from inkpick_desktop.data.cache import load_cached
    from inkpick_desktop.data.model import LoadedDataset
    from inkpick_desktop.domains.base import interaction_counts
    from inkpick_desktop.domains.registry import services
    from inkpick_desktop.engine.als import AlsConfig, AlsModel
    from inkpick_desktop.engine.factors import PopularityModel, interactions_to_matrix
    from inkpick_desktop.engine.fuzzy import TitleSearch
    from inkpick_desktop.engine.recommender import Recommender
    from inkpick_desktop.engine.tfidf import TfidfIndex

    service = services()["cinema"]
    real = load_cached("movielens", root, cache_dir)
    stats, values = text_stats(real.catalog), value_distribution(real.interactions)
    del real
    out: dict[str, Any] = {"size": size, "rss_start_mib": _stats.rss_mib()}
    cat = _stage(
        "generate catalog", lambda: synthetic_catalog(stats, size, seed=seed), out
    )
    n_users = max(int(size * USERS_PER_ITEM), 10)
    inter = _stage(
        "generate interactions",
        lambda: synthetic_interactions(
            size, n_users=n_users, mean_events=MEAN_EVENTS, values=values, seed=seed + 1
        ),
        out,
    )
    out["events"], out["users"] = inter.n_events, inter.n_users
    rss_before_index = _stats.rss_mib()

    config = service.tfidf_for("movielens", cat)
    content = _stage("TF-IDF index", lambda: TfidfIndex.from_catalog(cat, config), out)
    loaded = LoadedDataset("synthetic", cat, inter, ())
    search = _stage(
        "title index",
        lambda: TitleSearch.build(cat, prior=interaction_counts(loaded)),
        out,
    )
    matrix = interactions_to_matrix(inter, service.transform_for("movielens"))
    als_cfg = AlsConfig(**{**service.als.__dict__, "iterations": ALS_ITERATIONS})
    with threadpool_limits(limits=1, user_api="blas"):
        model = _stage(
            "ALS training",
            lambda: AlsModel.fit(
                matrix, als_cfg, user_ids=inter.user_ids, item_ids=cat.ids
            ),
            out,
        )
    popularity = PopularityModel.fit(matrix)
    rec = _stage(
        "facade",
        lambda: Recommender(
            "cinema",
            cat,
            content=content,
            search=search,
            collaborative=model,
            popularity=popularity,
            interactions=inter,
            config=service.recommender,
        ),
        out,
    )
    out["index_rss_mib"] = _stats.rss_mib() - rss_before_index
    out["tfidf_nnz"] = content.matrix_.nnz
    out["title_keys"] = len(search.keys_)
    out["items_with_data"] = int(model.item_has_data_.sum())
    out["liked_nnz"] = matrix.nnz

    rng = np.random.default_rng(seed + 2)
    items = rng.choice(np.flatnonzero(model.item_has_data_), size=n).tolist()
    any_items = rng.integers(0, size, n).tolist()
    picks = [
        rng.choice(
            np.flatnonzero(model.item_has_data_), size=PICKS, replace=False
        ).tolist()
        for _ in range(n)
    ]
    queries = misspelt_queries(rec, n, rng)
    warm = max(n // 10, 5)
    figures: dict[str, Any] = {}
    gc.collect()
    _stats.reset_peak_rss()
    with threadpool_limits(limits=1, user_api="blas"):
        log = _StageLog(lambda i: rec.recommend_item(i))
        figures["hybrid"] = _stats.measure("hybrid item query", log, items, warmup=warm)
        out["hybrid_stages"] = {k: v.to_json() for k, v in log.stages(warm).items()}
        figures["hybrid_any"] = _stats.measure(
            "hybrid item query, any item",
            lambda i: rec.recommend_item(i),
            any_items,
            warmup=warm,
        )
        figures["profile_mmr"] = _stats.measure(
            "profile of 10 picks + MMR",
            lambda p: rec.recommend_profile(p, diversity=0.5),
            picks,
            warmup=warm,
        )

        def resolve(q: str) -> object:
            try:
                return rec.resolve(q)
            except Exception:  # noqa: BLE001 - a rejected query still costs time
                return None

        figures["fuzzy"] = _stats.measure(
            "fuzzy resolve", resolve, queries, warmup=warm
        )
        out["profile"] = _stats.profile_top(
            lambda i: rec.recommend_item(i), items[: max(n // 3, 10)]
        )
    out["query_peak_delta_mib"] = _stats.peak_rss_mib() - _stats.rss_mib()
    out["figures"] = {k: v.to_json() for k, v in figures.items()}
    out["peak_mib"] = max(
        v["peak_mib"] for v in out.values() if isinstance(v, dict) and "peak_mib" in v
    )
    return out


def _timing(d: dict) -> _stats.Timing:
    return _stats.Timing(
        d["name"],
        d["n"],
        d["p50_ms"],
        d["p95_ms"],
        d["p99_ms"],
        d["mean_ms"],
        d["cpu_p50_ms"],
        d["cpu_p95_ms"],
    )


def run(
    root: Path, cache_dir: Path, *, sizes: tuple[int, ...], n: int, seed: int
) -> Section:
    """Run every size in its own subprocess and tabulate the growth."""
    results = []
    for size in sizes:
        # Fewer calls at the larger sizes, where one query costs ten times more.
        n_size = max(min(n, int(n * 100_000 / size * 2)), 40)
        cmd = [
            sys.executable,
            "-m",
            "benchmarks.scale",
            "--size",
            str(size),
            "--datasets",
            str(root),
            "--cache-dir",
            str(cache_dir),
            "--n",
            str(n_size),
            "--seed",
            str(seed),
        ]
        started = time.perf_counter()
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).resolve().parents[1],
        )
        if proc.returncode != 0:
            raise RuntimeError(f"scale run {size} failed:\n{proc.stderr[-3000:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        logger.info("scale %d done in %.0f s", size, time.perf_counter() - started)
    return _section(results)


def _section(results: list[dict]) -> Section:
    section = Section("Scale: synthetic catalogs of 100k to 1M items")
    section.text(__doc__.split("\n\n", 1)[1].replace("\n", " "))
    build = Table(
        (
            "items",
            "users / events",
            "items with data",
            "TF-IDF nnz",
            "TF-IDF build s",
            "title index s",
            "ALS s / iteration",
            "index RSS MiB",
            "peak RSS MiB",
        )
    )
    for r in results:
        build.add(
            f"{r['size']:,}",
            f"{r['users']:,} / {r['events']:,}",
            f"{r['items_with_data']:,}",
            f"{r['tfidf_nnz']:,}",
            f"{r['TF-IDF index']['seconds']:.2f}",
            f"{r['title index']['seconds']:.2f}",
            f"{r['ALS training']['seconds'] / ALS_ITERATIONS:.2f}",
            f"{r['index_rss_mib']:,.0f}",
            f"{r['peak_mib']:,.0f}",
        )
    section.text(
        "Build time and memory (index RSS = resident growth from before the "
        "TF-IDF build to the ready facade: TF-IDF, title index, factors, "
        "popularity, interactions index; peak = highest resident size of "
        "the process during any stage):"
    )
    section.table(build)
    stage_mem = Table(
        (
            "items",
            *(
                f"{s} s / peak +MiB"
                for s in ("TF-IDF index", "title index", "ALS training")
            ),
        )
    )
    for r in results:
        stage_mem.add(
            f"{r['size']:,}",
            *(
                f"{r[s]['seconds']:.1f} / {r[s]['peak_delta_mib']:,.0f}"
                for s in ("TF-IDF index", "title index", "ALS training")
            ),
        )
    section.table(stage_mem)
    timings = []
    for r in results:
        for key in ("hybrid", "hybrid_any", "profile_mmr", "fuzzy"):
            t = _timing(r["figures"][key])
            timings.append(dataclasses.replace(t, name=f"{t.name} @ {r['size']:,}"))
    targets = {f"hybrid item query @ {1_000_000:,}": HYBRID_1M_TARGET}
    section.figures(timings, targets)
    stages = Table(
        (
            "items",
            "content",
            "collaborative",
            "blend",
            "diversity",
            "explain",
            "total (p50 / p95 ms)",
        )
    )
    for r in results:
        s = r["hybrid_stages"]
        stages.add(
            f"{r['size']:,}",
            *(
                f"{fmt_ms(s[k]['p50_ms'])} / {fmt_ms(s[k]['p95_ms'])}"
                for k in (
                    "content",
                    "collaborative",
                    "blend",
                    "diversity",
                    "explain",
                    "total",
                )
            ),
        )
    section.text("Hybrid item query by stage:")
    section.table(stages)
    biggest = results[-1]
    prof = Table(("function", "calls", "own ms / query", "cumulative ms / query"))
    for func, calls, own, cum in biggest["profile"]:
        prof.add(f"`{func}`", calls, fmt_ms(own), fmt_ms(cum))
    section.text(
        f"cProfile of the hybrid item query at {biggest['size']:,} items "
        "(top functions by own time, profiler overhead included):"
    )
    section.table(prof)
    return section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="one scale run (a subprocess)")
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--datasets", type=Path, required=True)
    parser.add_argument("--cache-dir", type=Path, required=True)
    parser.add_argument("--n", type=int, default=150)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = run_size(
        args.datasets, args.cache_dir, args.size, n=args.n, seed=args.seed
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
