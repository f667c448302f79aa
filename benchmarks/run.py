"""Run the whole benchmark suite and write ``docs/PERFORMANCE.md``.

``make bench`` runs ``python -m benchmarks.run``. Options: ``--quick`` (few
repetitions and small scale sizes, for trying the suite out; its figures are not
fit for the report), ``--sections latency,sidebyside,training,scale,startup``,
``--sizes 100000,300000``, ``--datasets DIR``, ``--cache-dir DIR`` (model cache
reused between runs; default a folder in the system temp dir), ``--output``,
``--json`` (the raw figures).

Thread policy (written into the report): query and CSR/TF-IDF/fuzzy figures run
with BLAS limited to 1 thread; training sets its own limits (see
:mod:`benchmarks.training`); start-up children keep the app's defaults.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from benchmarks import _stats
from benchmarks.report import Report, Section, Table

logger = logging.getLogger("benchmarks")

REPO = Path(__file__).resolve().parents[1]
SECTIONS = ("latency", "sidebyside", "training", "scale", "startup")
THREAD_ENV = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
)


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "numpy": np.__version__}
    for name in (
        "scipy",
        "sklearn",
        "rapidfuzz",
        "implicit",
        "threadpoolctl",
        "PySide6",
    ):
        try:
            out[name] = __import__(name).__version__
        except Exception:  # noqa: BLE001 - a missing library is reported as such
            out[name] = "not installed"
    return out


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def _git() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        dirty = subprocess.run(
            ["git", "status", "--porcelain"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return head.strip() + (" + uncommitted changes" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine_section(loads: list[tuple[str, tuple[float, float, float]]]) -> Section:
    import implicit.cpu.als  # noqa: F401 - loads its OpenMP runtime for the listing
    import scipy.sparse  # noqa: F401 - loads scipy's OpenBLAS for the listing

    section = Section("Machine and threads")
    table = Table(("what", "value"))
    table.add("CPU", f"{_cpu_model()}, {os.cpu_count()} logical cores")
    table.add("memory", f"{_memory_gib():.1f} GiB")
    table.add("OS", platform.platform())
    for name, version in _versions().items():
        table.add(name, version)
    for var in THREAD_ENV:
        table.add(f"${var}", os.environ.get(var, "(not set)"))
    table.add("code", _git())
    section.table(table)
    libs = Table(("library", "API", "version", "architecture", "threads (default)"))
    for info in threadpool_info():
        libs.add(
            Path(info["filepath"]).name,
            f"{info['user_api']} / {info['internal_api']}",
            info.get("version") or "–",
            info.get("architecture", "–"),
            info["num_threads"],
        )
    section.text(
        "Thread pools as `threadpoolctl` reports them (numpy's and scipy's "
        "OpenBLAS builds, and the OpenMP runtime `implicit` uses):"
    )
    section.table(libs)
    load = Table(("moment", "load average 1 / 5 / 15 min"))
    for moment, (a, b, c) in loads:
        load.add(moment, f"{a:.2f} / {b:.2f} / {c:.2f}")
    section.text(
        "The machine is shared with other engineers' test runs: a load average "
        f"above {os.cpu_count()} means processes wait for a core, which inflates "
        "wall-clock tails. The CPU-time columns (this thread's CPU time per call) "
        "are what a call costs without that wait."
    )
    section.table(load)
    section.text(
        "Thread settings chosen for this run, so that no pool oversubscribes the "
        f"{os.cpu_count()} cores: (1) queries run with BLAS at 1 thread "
        "(`threadpool_limits(1, 'blas')`): a query's products are one "
        "matrix-vector product over the item factors (87,873 x 64), too small "
        "to gain from a second thread, and the app runs queries on one worker "
        "thread beside the GUI thread; (2) own ALS/BPR training at 1 BLAS thread "
        "(its CG products are small; the training table has a row with own ALS "
        "at every core's BLAS thread to check this choice), `implicit` with "
        "`num_threads` = cores and BLAS at 1 thread as its documentation asks; "
        "(3) the start-up children set nothing, so they show what a user gets. "
        "The engine code starts no threads of its own (only BLAS may)."
    )
    return section


def _guard(
    report: Report, name: str, fn: Callable[[], list[Section]], loads: list
) -> None:
    started = time.perf_counter()
    try:
        for section in fn():
            report.add(section)
    except Exception:  # noqa: BLE001 - one broken section must not lose the rest
        failed = Section(f"{name}: FAILED")
        failed.text("```\n" + traceback.format_exc()[-4000:] + "\n```")
        report.add(failed)
        logger.exception("section %s failed", name)
    loads.append(
        (f"after {name} ({time.perf_counter() - started:.0f} s)", _stats.load_average())
    )
    logger.info("%s done in %.0f s", name, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    default_root = Path(
        os.environ.get("INKPICK_DATASETS", REPO.parent / "shared" / "datasets")
    )
    parser = argparse.ArgumentParser(description="Inkpick benchmark suite")
    parser.add_argument("--datasets", type=Path, default=default_root)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "inkpick-bench-cache",
    )
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "PERFORMANCE.md")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--sizes", default=None)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr
    )
    logging.getLogger("inkpick_desktop").setLevel(logging.WARNING)
    wanted = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; choose from {', '.join(SECTIONS)}")
    if not (args.datasets / "movielens-latest-small").is_dir():
        parser.error(f"datasets folder not found: {args.datasets}")
    q = args.quick
    n, warmup = (40, 5) if q else (200, 20)
    default_sizes = "20000,50000" if q else ",".join(map(str, _scale_sizes()))
    sizes = tuple(int(s) for s in (args.sizes or default_sizes).split(","))
    started = time.perf_counter()
    loads = [("start", _stats.load_average())]
    root, cache_dir = args.datasets, args.cache_dir
    cache_dir.mkdir(parents=True, exist_ok=True)

    from inkpick_desktop.domains.registry import services

    service_map = services()
    recs = {key: s.build(root, cache_dir=cache_dir) for key, s in service_map.items()}
    report = Report("Inkpick Desktop performance")
    report.preamble.append(
        "Generated by `make bench` (`python -m benchmarks.run"
        + (" --quick" if q else "")
        + f"`) on {time.strftime('%Y-%m-%d %H:%M %Z')}. "
        "Every figure is p50 / p95 / p99 over the stated number of timed calls "
        "after warm-up calls. Do not edit by hand: re-run the suite."
    )
    data = Table(("domain", "dataset", "items", "users", "events"))
    for key, rec in recs.items():
        inter = rec.interactions
        data.add(
            key,
            rec.dataset_label,
            f"{rec.catalog.n_items:,}",
            f"{inter.n_users:,}" if inter else "–",
            f"{inter.n_events:,}" if inter else "–",
        )
    report.preamble.append(f"Datasets from `{root}`:\n\n" + data.render())

    with threadpool_limits(limits=1, user_api="blas"):
        if "latency" in wanted:
            from benchmarks import latency

            _guard(
                report,
                "latency",
                lambda: latency.run(recs, n=n, warmup=warmup, seed=args.seed),
                loads,
            )
        if "sidebyside" in wanted:
            _guard(
                report,
                "side by side",
                lambda: _sidebyside(
                    recs, service_map, n=n, warmup=warmup, seed=args.seed, quick=q
                ),
                loads,
            )
    if "training" in wanted:
        _guard(
            report, "training", lambda: [_training(recs, service_map, quick=q)], loads
        )
    if "scale" in wanted:
        from benchmarks import scale

        _guard(
            report,
            "scale",
            lambda: [
                scale.run(
                    root, cache_dir, sizes=sizes, n=max(n // 2, 20), seed=args.seed
                )
            ],
            loads,
        )
    if "startup" in wanted:
        from benchmarks import startup

        _guard(
            report,
            "startup",
            lambda: [
                startup.run(
                    root,
                    cache_dir,
                    list(service_map),
                    cold_repeats=1 if q else 2,
                    cached_repeats=2 if q else 5,
                    gui_repeats=1 if q else 3,
                )
            ],
            loads,
        )
    loads.append(("end", _stats.load_average()))
    report.sections.insert(0, machine_section(loads))
    report.preamble.append(f"Whole run: {time.perf_counter() - started:.0f} s.")
    report.write(args.output)
    if args.json is not None:
        figures = {s.title: [t.to_json() for t in s.timings] for s in report.sections}
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    logger.info("wrote %s in %.0f s", args.output, time.perf_counter() - started)
    return 0


def _scale_sizes() -> tuple[int, ...]:
    from benchmarks.scale import SIZES

    return SIZES


def _sidebyside(
    recs: dict, service_map: dict, *, n: int, warmup: int, seed: int, quick: bool
) -> list[Section]:
    from benchmarks import sidebyside
    from inkpick_desktop.engine.factors import interactions_to_matrix

    cinema = recs["cinema"]
    matrix = interactions_to_matrix(
        cinema.interactions, service_map["cinema"].transform_for("movielens")
    )
    factors = cinema._parts.collaborative.item_factors_
    return [
        sidebyside.csr_section(cinema, matrix, factors, n=n, warmup=warmup, seed=seed),
        sidebyside.tfidf_section(
            cinema, service_map["cinema"], repeats=1 if quick else 3
        ),
        sidebyside.fuzzy_section(cinema, n=min(n, 200), warmup=warmup, seed=seed),
    ]


def _training(recs: dict, service_map: dict, *, quick: bool) -> Section:
    from benchmarks.training import training_section
    from inkpick_desktop.engine.factors import interactions_to_matrix

    datasets = {}
    for key in ("cinema", "music"):
        rec, service = recs[key], service_map[key]
        dataset = "movielens" if key == "cinema" else "lastfm"
        matrix = interactions_to_matrix(
            rec.interactions, service.transform_for(dataset)
        )
        datasets[key] = (rec.dataset_label, matrix, service.als, service.bpr)
    return training_section(
        datasets,
        own_repeats=1 if quick else 2,
        ref_repeats=2 if quick else 3,
        extra_threads_row=not quick,
    )


if __name__ == "__main__":
    sys.exit(main())
