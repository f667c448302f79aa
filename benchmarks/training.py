"""Own ALS and BPR training next to the ``implicit`` library, same settings.

Both sides get the same users x items matrix (the domain's value transform
applied), factors, iterations / epochs, regularisation and learning rate. The
ALS confidence is matched exactly: own ALS uses ``c = 1 + confidence * r``,
``implicit`` takes the confidence itself as the matrix value, so it is given
``1 + confidence * r`` with ``alpha = 1``. Both run the config's
conjugate-gradient steps per row (``cg_steps``). ``implicit`` BPR learns one
extra factor (its item bias).

Threads (see the report's thread section): ``implicit`` runs with
``num_threads`` = the core count and BLAS at 1 thread, as its documentation
asks, and again with ``num_threads=1``; the own models are NumPy code whose only
parallelism is BLAS, run at 1 BLAS thread (the extra row checks that choice
against every core). CPU time in these tables is the whole process's (every thread).
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from benchmarks._stats import Timing, measure_calls
from benchmarks.report import Section, Table, fmt_ms, fmt_ratio
from benchmarks.sidebyside import to_scipy
from inkpick_desktop.engine.als import AlsConfig, AlsModel, als_objective
from inkpick_desktop.engine.bpr import BprConfig, BprModel
from inkpick_desktop.engine.sparse import CsrMatrix

logger = logging.getLogger(__name__)


def _calls(name: str, fn: Callable[[], Any], repeats: int, warmup: int) -> Timing:
    return measure_calls(
        name, fn, repeats=repeats, warmup=warmup, clock=time.process_time_ns
    )


def _implicit_als(matrix: CsrMatrix, cfg: AlsConfig, threads: int) -> Any:
    from implicit.cpu.als import AlternatingLeastSquares

    conf = sp.csr_matrix(
        (
            1.0 + cfg.confidence * matrix.data.astype(np.float32),
            matrix.indices,
            matrix.indptr,
        ),
        shape=matrix.shape,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # its BLAS-threads check
        model = AlternatingLeastSquares(
            factors=cfg.factors,
            regularization=cfg.regularization,
            alpha=1.0,
            iterations=cfg.iterations,
            use_cg=cfg.cg_steps is not None,
            num_threads=threads,
            random_state=cfg.seed,
        )
    model.cg_steps = cfg.cg_steps or 3
    model.fit(conf, show_progress=False)
    return model


def _implicit_bpr(matrix: CsrMatrix, cfg: BprConfig, threads: int) -> Any:
    from implicit.cpu.bpr import BayesianPersonalizedRanking

    model = BayesianPersonalizedRanking(
        factors=cfg.factors,
        learning_rate=cfg.learning_rate,
        regularization=cfg.regularization,
        iterations=cfg.epochs,
        num_threads=threads,
        random_state=cfg.seed,
    )
    model.fit(to_scipy(matrix), show_progress=False)
    return model


def training_section(
    datasets: dict[str, tuple[str, CsrMatrix, AlsConfig, BprConfig]],
    *,
    own_repeats: int,
    ref_repeats: int,
    extra_threads_row: bool,
) -> Section:
    """``datasets``: key -> (label, training matrix, ALS config, BPR config)."""
    cores = os.cpu_count() or 1
    table = Table(
        (
            "dataset",
            "model",
            "own p50 / p95 s",
            f"implicit ({cores} thr) p50 / p95 s",
            "implicit (1 thr) p50 s",
            "ratio own/implicit (faster)",
            "check",
        )
    )
    section = Section("Side by side: own ALS / BPR training vs implicit")
    worst_als = 0.0
    runs: list[Timing] = []
    for key, (label, matrix, als_cfg, bpr_cfg) in datasets.items():
        shape = f"{matrix.shape[0]:,} x {matrix.shape[1]:,}, {matrix.nnz:,} nnz"
        with threadpool_limits(limits=1, user_api="blas"):
            warm = AlsConfig(**{**als_cfg.__dict__, "iterations": 1})
            AlsModel.fit(matrix, warm)
            own = _calls(
                f"own ALS {key}",
                lambda m=matrix, c=als_cfg: AlsModel.fit(m, c),
                own_repeats,
                0,
            )
            ref = _calls(
                f"implicit ALS {key}",
                lambda m=matrix, c=als_cfg: _implicit_als(m, c, cores),
                ref_repeats,
                1,
            )
            ref1 = _calls(
                f"implicit ALS {key} 1 thread",
                lambda m=matrix, c=als_cfg: _implicit_als(m, c, 1),
                ref_repeats,
                0,
            )
            mine = AlsModel.fit(matrix, als_cfg)
            theirs = _implicit_als(matrix, als_cfg, cores)
        loss_own = als_objective(
            matrix, mine.user_factors_, mine.item_factors_, als_cfg
        )
        loss_ref = als_objective(
            matrix,
            np.asarray(theirs.user_factors),
            np.asarray(theirs.item_factors),
            als_cfg,
        )
        # The reference is implicit's faster configuration on this machine.
        ratio = own.p50 / min(ref.p50, ref1.p50)
        worst_als = max(worst_als, ratio)
        table.add(
            f"{label} ({shape})",
            f"ALS f={als_cfg.factors}, {als_cfg.iterations} it",
            f"{fmt_ms(own.p50 / 1e3)} / {fmt_ms(own.p95 / 1e3)}",
            f"{fmt_ms(ref.p50 / 1e3)} / {fmt_ms(ref.p95 / 1e3)}",
            fmt_ms(ref1.p50 / 1e3),
            fmt_ratio(ratio),
            f"loss own/implicit {loss_own / loss_ref:.4f}",
        )
        runs.extend([own, ref, ref1])
        if extra_threads_row and key == next(iter(datasets)):
            with threadpool_limits(limits=cores, user_api="blas"):
                own2 = _calls(
                    f"own ALS {key} BLAS {cores} threads",
                    lambda m=matrix, c=als_cfg: AlsModel.fit(m, c),
                    1,
                    0,
                )
            runs.append(own2)
            table.add(
                f"{label}",
                f"ALS, own at BLAS {cores} threads",
                f"{fmt_ms(own2.p50 / 1e3)} (n=1)",
                "",
                "",
                fmt_ratio(own2.p50 / min(ref.p50, ref1.p50)),
                "thread-count check",
            )
        with threadpool_limits(limits=1, user_api="blas"):
            warm_b = BprConfig(**{**bpr_cfg.__dict__, "epochs": 1})
            BprModel.fit(matrix, warm_b)
            own_b = _calls(
                f"own BPR {key}",
                lambda m=matrix, c=bpr_cfg: BprModel.fit(m, c),
                own_repeats,
                0,
            )
            ref_b = _calls(
                f"implicit BPR {key}",
                lambda m=matrix, c=bpr_cfg: _implicit_bpr(m, c, cores),
                ref_repeats,
                1,
            )
            ref_b1 = _calls(
                f"implicit BPR {key} 1 thread",
                lambda m=matrix, c=bpr_cfg: _implicit_bpr(m, c, 1),
                ref_repeats,
                0,
            )
        table.add(
            f"{label} ({shape})",
            f"BPR f={bpr_cfg.factors}, {bpr_cfg.epochs} ep",
            f"{fmt_ms(own_b.p50 / 1e3)} / {fmt_ms(own_b.p95 / 1e3)}",
            f"{fmt_ms(ref_b.p50 / 1e3)} / {fmt_ms(ref_b.p95 / 1e3)}",
            fmt_ms(ref_b1.p50 / 1e3),
            fmt_ratio(own_b.p50 / min(ref_b.p50, ref_b1.p50)),
            "",
        )
        runs.extend([own_b, ref_b, ref_b1])
        logger.info(
            "training %s: ALS own %.1f s, implicit %.1f s",
            key,
            own.p50 / 1e3,
            ref.p50 / 1e3,
        )
    section.text(
        f"Own training: {own_repeats} runs after a 1-iteration warm-up; implicit: "
        f"{ref_repeats} runs after one warm-up run. Seconds (wall). The loss check "
        "evaluates the own ALS objective on both factor sets (same problem, "
        "different random starts): a ratio near 1 means equal quality."
    )
    section.table(table)
    first = next(iter(datasets.values()))
    _als_profile(section, first[1], first[2])
    _bpr_profile(section, first[1], first[3])
    section.text("All training runs, ms (CPU = process CPU time, every thread):")
    section.figures(runs)
    section.verdict(
        "ALS training ≤ 2× implicit's",
        f"worst {fmt_ratio(worst_als)} "
        "(p50, own at 1 BLAS thread vs the faster of implicit at 1 thread and "
        "on all cores)",
        worst_als <= 2.0,
    )
    return section


def _als_profile(section: Section, matrix: CsrMatrix, cfg: AlsConfig) -> None:
    """cProfile of 3 own ALS iterations: what bounds own training."""
    from benchmarks._stats import profile_top

    short = AlsConfig(**{**cfg.__dict__, "iterations": 3})
    with threadpool_limits(limits=1, user_api="blas"):
        rows = profile_top(lambda _: AlsModel.fit(matrix, short), [0], top=8)
    empty = int((np.bincount(matrix.indices, minlength=matrix.shape[1]) == 0).sum())
    table = Table(("function", "calls", "own ms", "cumulative ms"))
    for func, calls, own, cum in rows:
        table.add(f"`{func}`", calls, fmt_ms(own), fmt_ms(cum))
    section.text(
        f"cProfile of 3 own ALS iterations on the first dataset above "
        f"({matrix.shape[1]:,} items, {empty:,} of them without any entry), top "
        "functions by own time (profiler overhead included): where own training "
        "spends its time; `implicit` runs a compiled loop per row on all cores."
    )
    section.table(table)


def _bpr_profile(section: Section, matrix: CsrMatrix, cfg: BprConfig) -> None:
    """cProfile of 3 own BPR epochs: what bounds own BPR training."""
    from benchmarks._stats import profile_top

    short = BprConfig(**{**cfg.__dict__, "epochs": 3})
    with threadpool_limits(limits=1, user_api="blas"):
        rows = profile_top(lambda _: BprModel.fit(matrix, short), [0], top=8)
    table = Table(("function", "calls", "own ms", "cumulative ms"))
    for func, calls, own, cum in rows:
        table.add(f"`{func}`", calls, fmt_ms(own), fmt_ms(cum))
    section.text(
        "cProfile of 3 own BPR epochs on the same data, top functions by own time "
        "(profiler overhead included):"
    )
    section.table(table)
