"""Load times of the three domains' default datasets: raw and cached.

A plain script (not collected by pytest)::

    .venv/bin/python benchmarks/bench_loading.py [--datasets DIR] [--runs N]

Prints, for ``movielens``, ``lastfm`` and ``courses`` together, the median (p50)
over ``--runs`` runs of the raw load (through the loaders, no cache) and of the
cached load (``load_cached`` with an already written, current cache), plus the
per-loader medians. Targets: raw < 10 s, cached < 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from inkpick_desktop.data.cache import load_cached
from inkpick_desktop.data.loaders import LOADERS

KEYS = ("movielens", "lastfm", "courses")
DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root: Path = args.datasets

    raw: dict[str, list[float]] = {k: [] for k in KEYS}
    cached: dict[str, list[float]] = {k: [] for k in KEYS}
    with tempfile.TemporaryDirectory() as tmp:
        cache_dir = Path(tmp)
        for key in KEYS:  # write the caches once
            load_cached(key, root, cache_dir)
        for _ in range(args.runs):
            for key in KEYS:
                raw[key].append(_time(lambda k=key: LOADERS[k].load(root)))
                cached[key].append(_time(lambda k=key: load_cached(k, root, cache_dir)))

    def total(times: dict[str, list[float]]) -> float:
        return statistics.median(
            sum(times[k][i] for k in KEYS) for i in range(args.runs)
        )

    print(f"datasets: {root}  runs: {args.runs}")
    for key in KEYS:
        print(
            f"  {key:<10} raw p50 {statistics.median(raw[key]):6.2f} s   "
            f"cached p50 {statistics.median(cached[key]):6.3f} s"
        )
    print(
        f"  all three  raw p50 {total(raw):6.2f} s   cached p50 {total(cached):6.3f} s"
    )


if __name__ == "__main__":
    main()
