"""The evaluation harness: one split, every model, honest numbers.

:func:`evaluate_split` trains every model on the training side of a
:class:`~.splits.Split` and ranks the full catalog for every test user with
the user's training items removed (ties by item index), then reports
:class:`~.metrics.MetricSummary` per model, NDCG@K per history-size bucket,
the cold-start curve and the α learned on a validation split of the training
side. Models:

``random``        seeded uniform scores
``popularity``    distinct training users per item (items nobody had: unranked)
``content``       TF-IDF cosine to the user's profile (the facade's rule)
``als``, ``bpr``  the engines' factor models on the domain's transformed matrix
``hybrid …``      the facade's blend at a fixed α, at the default auto-α curve
                  and at the learned schedule
``implicit …``    the ``implicit`` library's ALS/BPR on the same matrix with the
                  same hyperparameters, when it is installed (reference only)

Collaborative models are fitted on the columns that have training data only
and expanded back to the catalog: an item with no training entry has zero
factors either way and is never ranked by a collaborative model, and the
fitting time then does not grow with the ~78k never-rated films of the cinema
catalog.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from inkpick_desktop.data.model import Interactions
from inkpick_desktop.engine.alpha_learning import (
    ALPHA_GRID,
    ALPHA_SIZES,
    COLD_START_SIZES,
    AlphaLearning,
    SimulationResult,
    choose_alphas,
    simulate_profiles,
)
from inkpick_desktop.engine.als import AlsConfig, AlsModel
from inkpick_desktop.engine.bpr import BprConfig, BprModel
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.eval_models import (
    ReferenceFit,
    compact_columns,
    expand_factors,
    fit_compact,
    implicit_references,
)
from inkpick_desktop.engine.factors import FactorModel, interactions_to_matrix
from inkpick_desktop.engine.hybrid import (
    DEFAULT_ALPHA,
    AlphaSchedule,
    candidate_size,
    check_unit,
)
from inkpick_desktop.engine.metrics import (
    MetricSummary,
    check_k,
    relevant_rows,
    summarize,
    user_metrics,
)
from inkpick_desktop.engine.progress import CancelToken, ProgressCallback, no_progress
from inkpick_desktop.engine.scoring import (
    blend_rank,
    block_rows,
    blocks,
    candidates,
    content_block,
    factor_block,
    rank_excluding,
    seen_mask,
    user_profiles,
)
from inkpick_desktop.engine.sparse import CsrMatrix
from inkpick_desktop.engine.splits import PROTOCOLS, Split, holdout_split

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int32]
Transform = Any


@dataclass(frozen=True)
class EvaluationConfig:
    """Settings of one evaluation run."""

    #: List length K.
    k: int = 10
    #: ``"random"`` or ``"temporal"`` (see :mod:`.splits`).
    protocol: str = "random"
    #: Share of each user's distinct items held out.
    test_fraction: float = 0.2
    #: Seed of the split, the random baseline and the simulations; the
    #: validation split uses ``seed + 1``.
    seed: int = 0
    #: Fixed α of the "hybrid fixed" row; ``None`` = the domain's default α.
    fixed_alpha: float | None = None
    #: Cold-start sizes.
    cold_start_sizes: tuple[int, ...] = COLD_START_SIZES
    #: Sizes simulated to learn α.
    alpha_sizes: tuple[int, ...] = ALPHA_SIZES
    #: α values swept.
    alpha_grid: tuple[float, ...] = ALPHA_GRID
    #: Fewest users a size needs for its own α.
    min_bucket_users: int = 20
    #: Most users per cold-start size (a seeded subset beyond).
    max_simulated_users: int = 1000
    #: Most validation users per size when learning α (a seeded subset beyond).
    max_alpha_users: int = 300
    #: Run the implicit reference when the library is installed.
    reference: bool = True

    def __post_init__(self) -> None:
        check_k(self.k)
        if self.protocol not in PROTOCOLS:
            raise InvalidInputError(
                f"protocol must be one of {', '.join(PROTOCOLS)}, got {self.protocol!r}"
            )
        if self.fixed_alpha is not None:
            check_unit("fixed_alpha", self.fixed_alpha)
        if (
            isinstance(self.seed, bool)
            or not isinstance(self.seed, int)
            or (self.seed < 0)
        ):
            raise InvalidInputError(f"seed must be an int >= 0, got {self.seed!r}")
        for name in ("cold_start_sizes", "alpha_sizes"):
            sizes = getattr(self, name)
            if (
                not sizes
                or any(not isinstance(s, int) or s < 1 for s in sizes)
                or list(sizes) != sorted(set(sizes))
            ):
                raise InvalidInputError(
                    f"{name} must be rising positive ints, got {sizes!r}"
                )
        for a in self.alpha_grid:
            check_unit("alpha_grid value", a)
        for name in ("min_bucket_users", "max_simulated_users", "max_alpha_users"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(f"{name} must be a positive int, got {value!r}")


@dataclass(frozen=True)
class ModelSetup:
    """How the collaborative side is trained (from a domain service)."""

    transform: Transform = "none"
    kind: str = "als"
    als: AlsConfig = field(default_factory=AlsConfig)
    bpr: BprConfig = field(default_factory=BprConfig)
    default_alpha: float = DEFAULT_ALPHA
    default_schedule: AlphaSchedule = field(default_factory=AlphaSchedule)

    @classmethod
    def from_service(cls, service: Any, dataset: str) -> ModelSetup:
        rec = service.recommender
        return cls(
            transform=service.transform_for(dataset),
            kind=service.collaborative,
            als=service.als,
            bpr=service.bpr,
            default_alpha=rec.default_alpha,
            default_schedule=rec.alpha_schedule or AlphaSchedule(),
        )

    def config_of(self, kind: str) -> AlsConfig | BprConfig:
        return self.als if kind == "als" else self.bpr


@dataclass(frozen=True)
class ModelResult:
    """One row of the results table."""

    name: str
    summary: MetricSummary
    #: NDCG@K per history bucket of :attr:`EvaluationReport.bucket_starts`.
    bucket_ndcg: tuple[float, ...]
    #: Training plus scoring wall time.
    seconds: float
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            **self.summary.to_dict(),
            "bucket_ndcg": list(self.bucket_ndcg),
            "seconds": self.seconds,
            "note": self.note,
        }


@dataclass(frozen=True)
class EvaluationReport:
    """Everything one run measured, with the protocol that produced it."""

    protocol: str
    config: EvaluationConfig
    setup: ModelSetup
    n_users: int
    n_items: int
    n_items_with_data: int
    n_train_events: int
    n_test_pairs: int
    bucket_starts: tuple[int, ...]
    bucket_users: tuple[int, ...]
    results: tuple[ModelResult, ...]
    cold_start: SimulationResult
    alpha: AlphaLearning
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    label: str = ""

    def result(self, name: str) -> ModelResult:
        for row in self.results:
            if row.name == name:
                return row
        raise InvalidInputError(
            f"no result named {name!r}; have {[r.name for r in self.results]}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "protocol": self.protocol,
            "config": asdict(self.config),
            "setup": _setup_dict(self.setup),
            "n_users": self.n_users,
            "n_items": self.n_items,
            "n_items_with_data": self.n_items_with_data,
            "n_train_events": self.n_train_events,
            "n_test_pairs": self.n_test_pairs,
            "bucket_starts": list(self.bucket_starts),
            "bucket_users": list(self.bucket_users),
            "results": [r.to_dict() for r in self.results],
            "cold_start": {
                "sizes": list(self.cold_start.sizes),
                "n_users": list(self.cold_start.n_users),
                "ndcg": {k: list(v) for k, v in self.cold_start.curves.items()},
            },
            "alpha": self.alpha.to_dict(),
            "notes": list(self.notes),
            "seconds": self.seconds,
        }


def _setup_dict(setup: ModelSetup) -> dict[str, Any]:
    transform = setup.transform
    return {
        "transform": list(transform) if isinstance(transform, tuple) else transform,
        "kind": setup.kind,
        "als": asdict(setup.als),
        "bpr": asdict(setup.bpr),
        "default_alpha": setup.default_alpha,
        "default_schedule": asdict(setup.default_schedule),
    }


# -- the harness ---------------------------------------------------------------------


def evaluate_split(
    split: Split,
    content: Any,
    setup: ModelSetup = ModelSetup(),
    config: EvaluationConfig = EvaluationConfig(),
    *,
    references: Mapping[str, ReferenceFit] | None = None,
    label: str = "",
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> EvaluationReport:
    """Train and rank every model on ``split``; see the module docstring.

    Parameters
    ----------
    split
        Train/test split of the domain's interactions.
    content
        The domain's TF-IDF index over the same catalog.
    setup
        Transform, model configs and α defaults (:meth:`ModelSetup.from_service`).
    config
        K, protocol, seeds, sizes.
    references
        Extra factor-model fitters (``implicit_references()`` by default when
        ``config.reference``); ``{}`` runs none.
    label
        Dataset label printed with the results.
    progress, cancel
        Stage reports and cancellation (:class:`CancelledError`).
    """
    started = time.perf_counter()
    report = progress or no_progress
    token = cancel or CancelToken()
    notes: list[str] = []
    if references is None:
        references, note = implicit_references() if config.reference else ({}, "")
        if note:
            notes.append(note)
    train, k = split.train, config.k
    n_items = train.n_items
    if content.n_items != n_items:
        raise InvalidInputError(
            f"content index has {content.n_items} items, the interactions {n_items}"
        )
    matrix = interactions_to_matrix(train, setup.transform)
    if matrix.nnz == 0:
        raise InvalidInputError(
            "the training split holds no positive interaction after the value "
            f"transform {setup.transform!r}; nothing to evaluate"
        )
    seen = CsrMatrix.from_triplets(
        train.users, train.items, np.ones(train.n_events), (train.n_users, n_items)
    )
    seen = CsrMatrix(
        np.ones(seen.nnz, np.float32), seen.indices, seen.indptr, seen.shape
    )

    # Models.
    fits: dict[str, tuple[FactorModel, float]] = {}
    for kind in ("als", "bpr"):
        token.raise_if_cancelled("evaluation")
        t = time.perf_counter()
        stage = f"training {kind.upper()}"
        fits[kind] = (
            fit_compact(
                kind,
                matrix,
                setup.config_of(kind),
                cancel=token,
                progress=lambda s, f, st=stage: report(st, f),
            ),
            time.perf_counter() - t,
        )
    for name, fit in references.items():
        token.raise_if_cancelled("evaluation")
        report(f"training {name}", -1.0)
        t = time.perf_counter()
        kind = "als" if "ALS" in name else "bpr"
        cols, compact = compact_columns(matrix)
        uf, itf = fit(compact, setup.config_of(kind))
        cls = AlsModel if kind == "als" else BprModel
        model = expand_factors(
            cls, setup.config_of(kind), uf, itf, cols, matrix, None, None
        )
        fits[name] = (model, time.perf_counter() - t)

    report("learning α", 0.0)
    t = time.perf_counter()
    alpha = learn_alpha(
        train,
        content,
        setup,
        config,
        cancel=token,
        progress=lambda f: report("learning α", f),
    )
    alpha_seconds = time.perf_counter() - t
    main = fits[setup.kind][0]
    fixed = setup.default_alpha if config.fixed_alpha is None else config.fixed_alpha

    # Ranking every test user.
    profiles = user_profiles(train)
    history = profiles.history_size
    test_users = split.test_users
    bucket_starts = tuple(alpha.schedule.bucket_starts)
    bucket_of = np.searchsorted(bucket_starts, history[test_users], side="right") - 1
    names = [
        "random",
        "popularity",
        "content",
        "als",
        "bpr",
        *references,
        f"hybrid α={fixed:g}",
        "hybrid auto (default curve)",
        "hybrid learned α",
    ]
    lists = {name: np.full((len(test_users), k), -1, np.int32) for name in names}
    score_time = dict.fromkeys(names, 0.0)
    pop_counts = np.bincount(matrix.indices, minlength=n_items)
    pop_scores = np.where(
        pop_counts > 0, pop_counts / max(pop_counts.max(), 1), -np.inf
    ).astype(np.float32)
    rng = np.random.default_rng(config.seed)
    size_c = candidate_size(k)
    chunks = blocks(len(test_users), block_rows(n_items))
    for step, (a, b) in enumerate(chunks):
        token.raise_if_cancelled("evaluation")
        rows = test_users[a:b]
        exclude = seen_mask(seen, rows)
        clock = time.perf_counter()
        lists["random"][a:b] = rank_excluding(
            rng.random((len(rows), n_items), dtype=np.float32), exclude, k
        )
        clock = _tick(score_time, "random", clock)
        lists["popularity"][a:b] = rank_excluding(
            np.broadcast_to(pop_scores, (len(rows), n_items)), exclude, k
        )
        clock = _tick(score_time, "popularity", clock)
        picks = [profiles.items[u] for u in rows]
        c, c_ok = content_block(content, picks, [profiles.weights[u] for u in rows])
        # As the facade's content mode: items with no shared term are not listed.
        lists["content"][a:b] = rank_excluding(c, exclude | (c <= 0), k)
        clock = _tick(score_time, "content", clock)
        for name, (model, _) in fits.items():
            scores = factor_block(
                model.user_factors_[rows], model.item_factors_, model.item_has_data_
            )
            cols = np.flatnonzero(model.item_has_data_).astype(np.int32)
            lists[name][a:b] = rank_excluding(scores, exclude, k, cols)
            clock = _tick(score_time, name, clock)
        has = main.item_has_data_
        f = factor_block(main.user_factors_[rows], main.item_factors_, has)
        f_ok = np.array([bool(has[p].any()) if len(p) else False for p in picks])
        cands = candidates(c, c_ok, f, f_ok, has, exclude, size_c)
        sizes = history[rows]
        lists[f"hybrid α={fixed:g}"][a:b] = blend_rank(cands, fixed, k)
        curve = np.array([setup.default_schedule(int(n)) for n in sizes])
        lists["hybrid auto (default curve)"][a:b] = blend_rank(cands, curve, k)
        learned = np.array([alpha.schedule(int(n)) for n in sizes])
        lists["hybrid learned α"][a:b] = blend_rank(cands, learned, k)
        _tick(score_time, "hybrid learned α", clock)
        report("ranking", (step + 1) / len(chunks))

    relevant = relevant_rows(split.test, test_users)
    share = np.bincount(seen.indices, minlength=n_items) / max(train.n_users, 1)
    results = []
    for name in names:
        summary = summarize(
            lists[name],
            relevant,
            k,
            n_items,
            popularity=share,
            pairwise=content.pairwise,
        )
        ndcg = user_metrics(lists[name], relevant, k)["ndcg"]
        per_bucket = tuple(
            float(np.nanmean(ndcg[bucket_of == i]))
            if np.any(bucket_of == i)
            else float("nan")
            for i in range(len(bucket_starts))
        )
        seconds = score_time[name] + (fits[name][1] if name in fits else 0.0)
        note = ""
        if name == "hybrid learned α":
            seconds += alpha_seconds
            note = "α per history bucket, learned on the validation split"
        results.append(ModelResult(name, summary, per_bucket, seconds, note))

    report("cold start", 0.0)
    cold = simulate_profiles(
        matrix,
        seen,
        split.test,
        content,
        main,
        sizes=config.cold_start_sizes,
        k=k,
        seed=config.seed,
        max_users=config.max_simulated_users,
        alphas=(fixed,),
        schedules={
            "learned α": alpha.schedule,
            "default curve": setup.default_schedule,
        },
        cancel=token,
        progress=lambda f: report("cold start", f),
    )
    return EvaluationReport(
        protocol=split.describe() + f"; full ranking over all {n_items} items, "
        "training items removed, ties by item index",
        config=config,
        setup=setup,
        n_users=train.n_users,
        n_items=n_items,
        n_items_with_data=int((pop_counts > 0).sum()),
        n_train_events=train.n_events,
        n_test_pairs=split.test.nnz,
        bucket_starts=bucket_starts,
        bucket_users=tuple(
            int((bucket_of == i).sum()) for i in range(len(bucket_starts))
        ),
        results=tuple(results),
        cold_start=cold,
        alpha=alpha,
        notes=tuple(notes),
        seconds=time.perf_counter() - started,
        label=label,
    )


def _tick(times: dict[str, float], name: str, since: float) -> float:
    now = time.perf_counter()
    times[name] = times.get(name, 0.0) + now - since
    return now


def learn_alpha(
    train: Interactions,
    content: Any,
    setup: ModelSetup = ModelSetup(),
    config: EvaluationConfig = EvaluationConfig(),
    *,
    progress: Callable[[float], None] | None = None,
    cancel: CancelToken | None = None,
) -> AlphaLearning:
    """Learn an α schedule on a validation split of ``train`` (never a test split).

    The validation split uses ``config.protocol`` with ``seed + 1``; the
    domain's collaborative model (``setup.kind``) is fitted on its training
    side. See :mod:`.alpha_learning`.
    """
    protocol = config.protocol
    if protocol == "temporal" and train.timestamps is None:
        protocol = "random"
    inner = holdout_split(
        train, protocol, test_fraction=config.test_fraction, seed=config.seed + 1
    )
    matrix = interactions_to_matrix(inner.train, setup.transform)
    if matrix.nnz == 0:
        raise InvalidInputError(
            "the validation split holds no positive interaction; cannot learn α"
        )
    model = fit_compact(setup.kind, matrix, setup.config_of(setup.kind), cancel=cancel)
    seen = CsrMatrix.from_triplets(
        inner.train.users,
        inner.train.items,
        np.ones(inner.train.n_events),
        matrix.shape,
    )
    sim = simulate_profiles(
        matrix,
        seen,
        inner.test,
        content,
        model,
        sizes=config.alpha_sizes,
        k=config.k,
        seed=config.seed + 1,
        max_users=config.max_alpha_users,
        alphas=config.alpha_grid,
        components=False,
        cancel=cancel,
        progress=progress,
    )
    return choose_alphas(
        sim,
        config.alpha_grid,
        min_users=config.min_bucket_users,
        fallback=setup.default_schedule,
        protocol="validation: " + inner.describe() + " of the training side",
    )


def evaluate(
    service: Any,
    root: Any,
    *,
    dataset: str | None = None,
    config: EvaluationConfig = EvaluationConfig(),
    cache_dir: Any = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> EvaluationReport:
    """Evaluate a domain service on its dataset (the CLI's and the app's entry).

    Loads the dataset and the content index through the service's caches,
    splits, and runs :func:`evaluate_split`.

    Raises
    ------
    InvalidInputError
        The dataset has no interactions (nothing to hold out), or the protocol
        needs timestamps it lacks.
    """
    report = progress or no_progress
    choice = service.load(
        root, dataset=dataset, cache_dir=cache_dir, progress=report, cancel=cancel
    )
    inter = choice.loaded.interactions
    if inter is None or inter.n_events == 0:
        raise InvalidInputError(
            f"{choice.label} has no interaction data, so there is nothing to hold "
            "out; evaluation needs a dataset with users"
        )
    content = service.content_index(
        choice, cache_dir=cache_dir, progress=report, cancel=cancel
    )
    split = holdout_split(
        inter, config.protocol, test_fraction=config.test_fraction, seed=config.seed
    )
    setup = ModelSetup.from_service(service, choice.key)
    result = evaluate_split(
        split,
        content,
        setup,
        config,
        label=choice.label,
        progress=report,
        cancel=cancel,
    )
    notes = (*choice.notes, *result.notes)
    return replace(result, notes=notes)
