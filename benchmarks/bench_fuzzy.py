"""Benchmark of TitleSearch on the 87,585 MovieLens 32M titles (plain script).

Builds the index, then times ``search`` on misspelt queries made by random edits
(insert, delete, substitute, swap; seeded) of real titles, and the same queries
through a ``rapidfuzz.process.extract`` full scan of every normalised key as a
reference for speed and recall.

Run: ``.venv/bin/python benchmarks/bench_fuzzy.py [--datasets DIR] [--queries N]``
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import time
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from inkpick_desktop.data.model import Catalog
from inkpick_desktop.engine.fuzzy import TitleSearch, query_keys
from inkpick_desktop.engine.ngram import strip_year

ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def load_catalog(root: Path) -> Catalog:
    ids, titles, years = [], [], []
    with (root / "movielens-32m-movies" / "movies.csv").open(
        newline="", encoding="utf-8"
    ) as f:
        rows = csv.reader(f)
        next(rows)
        for movie_id, title, _genres in rows:
            m = re.search(r"\((\d{4})\)\s*$", title)
            ids.append(movie_id)
            titles.append(title.strip())
            years.append(int(m.group(1)) if m else 0)
    return Catalog("cinema", np.array(ids), np.array(titles), np.array(years, np.int32))


def misspell(text: str, edits: int, rng: np.random.Generator) -> str:
    chars = list(text)
    for _ in range(edits):
        kind = rng.integers(4)
        pos = int(rng.integers(max(len(chars), 1)))
        letter = ALPHABET[int(rng.integers(len(ALPHABET)))]
        if kind == 0:
            chars.insert(pos, letter)
        elif kind == 1 and len(chars) > 1:
            del chars[pos]
        elif kind == 2 and chars:
            chars[pos] = letter
        elif len(chars) > 1:
            pos = min(pos, len(chars) - 2)
            chars[pos], chars[pos + 1] = chars[pos + 1], chars[pos]
    return "".join(chars)


def percentiles(ms: list[float]) -> str:
    p = np.percentile(ms, [50, 95, 99])
    return f"p50 {p[0]:.2f} ms, p95 {p[1]:.2f} ms, p99 {p[2]:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default_root = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    parser.add_argument("--datasets", type=Path, default=default_root)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument(
        "--reference",
        type=int,
        default=300,
        help="queries also run through the full scan",
    )
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()

    catalog = load_catalog(args.datasets)
    start = time.perf_counter()
    search = TitleSearch.build(catalog)
    build_s = time.perf_counter() - start
    print(
        f"catalog: {catalog.n_items} titles, {len(search.keys_)} keys, "
        f"{len(search.index_.grams)} trigrams, nnz {search.index_.postings.nnz}"
    )
    print(f"build: {build_s:.2f} s")
    arrays = search.to_arrays()
    start = time.perf_counter()
    TitleSearch.from_arrays(arrays, catalog)
    print(
        f"from_arrays: {time.perf_counter() - start:.2f} s, "
        f"{sum(a.nbytes for a in arrays.values()) / 2**20:.1f} MiB of arrays"
    )

    rng = np.random.default_rng(args.seed)
    picks = rng.choice(catalog.n_items, size=args.queries, replace=False)
    queries = []
    for i in picks.tolist():
        base = strip_year(str(catalog.titles[i])).strip()
        queries.append((i, misspell(base, 1 + int(rng.integers(2)), rng)))
    queries = [(i, q) for i, q in queries if query_keys(q)]
    search.search("warm up")  # first-call allocations

    times, cpu, top1, top10, accepted = [], [], 0, 0, 0
    for i, q in queries:
        c = time.thread_time()
        t = time.perf_counter()
        result = search.search(q, limit=10)
        times.append((time.perf_counter() - t) * 1e3)
        cpu.append((time.thread_time() - c) * 1e3)
        got = [m.index for m in result.matches]
        # An equally close title ranked first also counts as a top-1 hit.
        best_d = result.matches[0].distance if result.matches else -1
        own = [m for m in result.matches if m.index == i]
        top1 += bool(own) and own[0].distance == best_d
        top10 += i in got
        accepted += result.accepted
    n = len(queries)
    print(
        f"TitleSearch.search, {n} misspelt queries (1-2 edits): {percentiles(times)}"
        f", mean {statistics.fmean(times):.2f} ms"
    )
    # CPU time of this thread: what the search costs without other processes
    # competing for the cores (wall-clock above includes being descheduled).
    print(f"  CPU time: {percentiles(cpu)}")
    print(
        f"  own title at best distance {top1 / n:.1%}, in top 10 {top10 / n:.1%},"
        f" best accepted {accepted / n:.1%}"
    )

    # Partial titles: the first two words of a title of four or more, one edit
    # in half of them, as users type the start of a title ("star wars").
    partial_q = []
    for i in rng.choice(catalog.n_items, size=args.queries, replace=False).tolist():
        words = strip_year(str(catalog.titles[i])).split()
        if len(words) >= 4:
            q = " ".join(words[:2])
            partial_q.append((i, misspell(q, int(rng.integers(2)), rng)))
    partial_q = [(i, q) for i, q in partial_q if query_keys(q)]
    times, cpu, own_best, accepted = [], [], 0, 0
    for i, q in partial_q:
        c = time.thread_time()
        t = time.perf_counter()
        result = search.search(q, limit=10)
        times.append((time.perf_counter() - t) * 1e3)
        cpu.append((time.thread_time() - c) * 1e3)
        best_d = result.matches[0].distance if result.matches else -1
        own = [m for m in result.matches if m.index == i]
        own_best += bool(own) and own[0].distance == best_d
        accepted += result.accepted
    n = len(partial_q)
    print(
        f"TitleSearch.search, {n} partial titles (2 words, 0-1 edit): "
        f"{percentiles(times)}, mean {statistics.fmean(times):.2f} ms"
    )
    print(f"  CPU time: {percentiles(cpu)}")
    print(
        f"  own title in top 10 at best distance {own_best / n:.1%},"
        f" best accepted {accepted / n:.1%}"
    )

    keys = search.keys_
    ref_times, ref_cpu, agree = [], [], 0
    for _, q in queries[: args.reference]:
        qkey = query_keys(q)[0]
        c = time.thread_time()
        t = time.perf_counter()
        hits = process.extract(qkey, keys, scorer=Levenshtein.distance, limit=10)
        ref_times.append((time.perf_counter() - t) * 1e3)
        ref_cpu.append((time.thread_time() - c) * 1e3)
        ref_best = hits[0][1]
        ours = search.search(q, limit=1).matches[0].distance
        agree += ours <= ref_best
    m = len(ref_times)
    print(
        f"rapidfuzz.process.extract full scan over {len(keys)} keys, {m} queries: "
        f"{percentiles(ref_times)}"
    )
    print(f"  CPU time: {percentiles(ref_cpu)}")
    print(
        f"  TitleSearch best distance <= full-scan best (first query key): "
        f"{agree / m:.1%}"
    )


if __name__ == "__main__":
    main()
