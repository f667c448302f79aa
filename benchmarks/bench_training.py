"""Training and query times of the ALS and BPR engines on real data.

Plain script, run on purpose::

    .venv/bin/python benchmarks/bench_training.py [--datasets DIR] [--repeat N]

Datasets: MovieLens latest-small ratings (values as is) and Last.fm
``user_artists`` play counts (log1p). When the ``implicit`` package is installed
(benchmark extra only), its ALS and BPR run with the same factors, iterations
and threads for a ratio. Prints one line per measurement.
"""

from __future__ import annotations

import argparse
import csv
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from inkpick_desktop.engine.als import AlsConfig, AlsModel
from inkpick_desktop.engine.bpr import BprConfig, BprModel
from inkpick_desktop.engine.factors import FactorModel
from inkpick_desktop.engine.sparse import CsrMatrix

REPO = Path(__file__).resolve().parents[1]


def _matrix(users: list[str], items: list[str], values: np.ndarray) -> CsrMatrix:
    u = np.unique(users, return_inverse=True)[1]
    i = np.unique(items, return_inverse=True)[1]
    return CsrMatrix.from_triplets(u, i, values, (int(u.max()) + 1, int(i.max()) + 1))


def movielens(root: Path) -> CsrMatrix:
    with open(root / "movielens-latest-small" / "ratings.csv", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    values = np.array([float(r[2]) for r in rows])
    return _matrix([r[0] for r in rows], [r[1] for r in rows], values)


def lastfm(root: Path) -> CsrMatrix:
    with open(root / "hetrec2011-lastfm-2k" / "user_artists.dat", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))[1:]
    values = np.log1p(np.array([float(r[2]) for r in rows]))
    return _matrix([r[0] for r in rows], [r[1] for r in rows], values)


def best_of(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def percentiles(run: Callable[[int], object], n: int) -> tuple[float, float]:
    times = []
    for k in range(n):
        start = time.perf_counter()
        run(k)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def implicit_times(m: CsrMatrix, repeat: int) -> dict[str, float]:
    try:
        import implicit.cpu.als as iml_als
        import implicit.cpu.bpr as iml_bpr
        from scipy.sparse import csr_matrix
    except ImportError:
        return {}
    ui = csr_matrix((m.data, m.indices, m.indptr), shape=m.shape)
    # implicit (0.7) takes c_ui = alpha * data and uses three CG steps; pass
    # 1 + 10 r with alpha 1 for the same confidence as AlsConfig's default.
    weighted = ui.copy()
    weighted.data = 1.0 + weighted.data * 10.0
    out = {}
    out["implicit ALS"] = best_of(
        repeat,
        lambda: iml_als.AlternatingLeastSquares(
            factors=64,
            regularization=0.05,
            alpha=1.0,
            iterations=15,
            use_cg=True,
            random_state=0,
            num_threads=os.cpu_count() or 1,
        ).fit(weighted, show_progress=False),
    )
    binary = ui.copy()
    binary.data[:] = 1.0
    out["implicit BPR"] = best_of(
        repeat,
        lambda: iml_bpr.BayesianPersonalizedRanking(
            factors=64,
            learning_rate=0.05,
            regularization=0.01,
            iterations=30,
            random_state=0,
            num_threads=os.cpu_count() or 1,
        ).fit(binary, show_progress=False),
    )
    return out


def query_times(model: FactorModel, m: CsrMatrix, name: str) -> None:
    rng = np.random.default_rng(0)
    with_data = np.flatnonzero(model.item_has_data_)
    picks = [rng.choice(with_data, 10, replace=False) for _ in range(200)]
    p50, p95 = percentiles(lambda k: model.fold_in(picks[k]), 200)
    print(f"  {name} fold-in of 10 picks: p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    vectors = [model.fold_in(p) for p in picks[:50]]
    p50, p95 = percentiles(
        lambda k: model.recommend(vectors[k % 50], 10, seen=picks[k % 50]), 200
    )
    print(f"  {name} recommend(vector, 10): p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    p50, p95 = percentiles(lambda k: model.recommend(k % m.shape[0], 10), 200)
    print(f"  {name} recommend(user, 10): p50 {p50:.2f} ms, p95 {p95:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--datasets", type=Path, default=REPO.parent / "shared" / "datasets"
    )
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"cpu count {os.cpu_count()}, numpy {np.__version__}, load {os.getloadavg()}")
    for label, load in (("MovieLens latest-small", movielens), ("Last.fm 2k", lastfm)):
        m = load(args.datasets)
        print(f"{label}: {m.shape[0]} x {m.shape[1]}, {m.nnz} interactions")
        models: dict[str, FactorModel] = {}

        def fit_als(m: CsrMatrix = m, models: dict[str, FactorModel] = models) -> None:
            models["ALS"] = AlsModel.fit(m, AlsConfig())

        def fit_bpr(m: CsrMatrix = m, models: dict[str, FactorModel] = models) -> None:
            models["BPR"] = BprModel.fit(m, BprConfig())

        ours = {
            "ALS (64 f, 15 it, CG 3)": best_of(args.repeat, fit_als),
            "ALS exact (64 f, 15 it)": best_of(
                1, lambda m=m: AlsModel.fit(m, AlsConfig(cg_steps=None))
            ),
            "BPR (64 f, 30 epochs)": best_of(args.repeat, fit_bpr),
        }
        for name, secs in ours.items():
            print(f"  {name}: {secs:.2f} s")
        theirs = implicit_times(m, args.repeat)
        if theirs:
            for name, secs in theirs.items():
                mine = (
                    ours["ALS (64 f, 15 it, CG 3)"]
                    if "ALS" in name
                    else ours["BPR (64 f, 30 epochs)"]
                )
                print(f"  {name}: {secs:.2f} s (ours / implicit = {mine / secs:.1f}x)")
        else:
            print("  implicit not installed: no comparison")
        for name, model in models.items():
            query_times(model, m, name)
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
