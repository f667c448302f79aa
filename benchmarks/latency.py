"""Query latency per stage on the real catalogs of every domain.

Each domain is built as the app builds it, ``services()[key].build(root,
cache_dir=...)`` (from the model cache: build times are in the start-up
section), then queried through the :class:`Recommender` facade and through its
engine parts directly. Query inputs are drawn with a fixed seed:

* misspelt titles: a random item's title without its year, with 1-2 random
  edits (insert, delete, substitute, swap);
* query items: random items that have collaborative data (so both components
  run), plus uniformly random items for the "any item" figure;
* picks: 10 distinct random items with collaborative data.

Facade figures also get a per-stage table from ``Recommendation.latency_ms``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from benchmarks._stats import Timing, measure, profile_top
from benchmarks.report import Section, Table, Target, fmt_ms
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.factors import top_k
from inkpick_desktop.engine.ngram import strip_year
from inkpick_desktop.engine.recommender import Recommender

logger = logging.getLogger(__name__)

ALPHABET = "abcdefghijklmnopqrstuvwxyz"
STAGES = ("resolve", "content", "collaborative", "blend", "diversity", "explain")
#: MMR λ of the diversified figures (1.0 would skip MMR).
MMR_LAMBDA = 0.5
PICKS = 10

#: Targets of the issue, for the cinema catalog (~87k items).
CINEMA_TARGETS = {
    "hybrid item query": Target(5.0),
    "fuzzy resolve (misspelt title)": Target(3.0),
    "re-blend at a new α": Target(1.0),
    f"profile of {PICKS} picks + MMR λ={MMR_LAMBDA}": Target(10.0),
}


def misspell(text: str, edits: int, rng: np.random.Generator) -> str:
    """``text`` with ``edits`` random single-character edits."""
    chars = list(text)
    for _ in range(edits):
        kind = int(rng.integers(4))
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


def misspelt_queries(rec: Recommender, n: int, rng: np.random.Generator) -> list[str]:
    picks = rng.choice(
        rec.catalog.n_items, size=min(n, rec.catalog.n_items), replace=False
    )
    out = []
    for i in picks.tolist():
        base = strip_year(str(rec.catalog.titles[i])).strip()
        q = misspell(base, 1 + int(rng.integers(2)), rng)
        if any(ch.isalnum() for ch in q):
            out.append(q)
    return out


class _StageLog:
    """Wraps a facade call to keep every Recommendation's ``latency_ms``."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn
        self.log: list[dict[str, float]] = []

    def __call__(self, x: Any) -> Any:
        rec = self.fn(x)
        self.log.append(dict(rec.latency_ms))
        return rec

    def stages(self, warmup: int) -> dict[str, Timing]:
        timed_part = self.log[warmup:]
        out = {}
        for stage in (*STAGES, "total"):
            values = [d.get(stage, 0.0) for d in timed_part]
            out[stage] = Timing.from_samples(stage, values)
        return out


def _resolve_or_miss(rec: Recommender) -> Callable[[str], object]:
    def resolve(text: str) -> object:
        try:
            return rec.resolve(text)
        except InvalidInputError:  # not accepted: the app shows "did you mean"
            return None

    return resolve


def domain_latency(
    key: str, rec: Recommender, *, n: int, warmup: int, seed: int
) -> Section:
    """Every latency figure of one built domain."""
    rng = np.random.default_rng(seed)
    parts = rec._parts  # the engine parts the facade uses (read only)
    content, model = parts._content, parts.collaborative
    n_items = rec.catalog.n_items
    section = Section(f"Latency: {key} ({rec.dataset_label}, {n_items:,} items)")
    with_data = np.flatnonzero(parts.has_data) if model is not None else np.zeros(0)
    with_terms = np.flatnonzero(np.diff(content.matrix_.indptr) > 0)
    pool = with_data if len(with_data) >= PICKS else with_terms
    items = rng.choice(pool, size=n).tolist()
    any_items = rng.integers(0, n_items, n).tolist()
    picks = [rng.choice(pool, size=PICKS, replace=False).tolist() for _ in range(n)]
    queries = misspelt_queries(rec, n, rng)
    accepted = sum(_resolve_or_miss(rec)(q) is not None for q in queries)
    section.text(
        f"{n} timed calls per figure after {warmup} warm-up calls; query items "
        f"drawn from the {len(pool):,} items with "
        f"{'collaborative data' if pool is with_data else 'content terms'}; "
        f"{accepted} of {len(queries)} misspelt queries were accepted by resolve."
    )

    timings: list[Timing] = []
    stage_tables: dict[str, dict[str, Timing]] = {}

    def facade(name: str, fn: Callable[[Any], Any], inputs: Sequence[Any]) -> None:
        log = _StageLog(fn)
        timings.append(measure(name, log, inputs, warmup=warmup))
        stage_tables[name] = log.stages(warmup)

    timings.append(
        measure(
            "fuzzy resolve (misspelt title)",
            _resolve_or_miss(rec),
            queries,
            warmup=warmup,
        )
    )
    timings.append(
        measure(
            "content top-k (TF-IDF similar_items)",
            lambda i: content.similar_items(i, 10),
            items,
            warmup=warmup,
        )
    )
    if model is not None:
        timings.append(
            measure(
                "collaborative top-k (factor similar_items)",
                lambda i: model.similar_items(i, 10),
                items,
                warmup=warmup,
            )
        )
    facade("hybrid item query", lambda i: rec.recommend_item(i), items)
    facade("hybrid item query, any item", lambda i: rec.recommend_item(i), any_items)
    facade(
        f"hybrid item query + MMR λ={MMR_LAMBDA}",
        lambda i: rec.recommend_item(i, diversity=MMR_LAMBDA),
        items,
    )
    bases = [rec.recommend_item(i) for i in items[: min(50, n)]]
    alphas = rng.uniform(0.0, 1.0, n).tolist()
    facade(
        "re-blend at a new α",
        lambda j: rec.reblend(bases[j % len(bases)], alpha=alphas[j]),
        range(n),
    )
    facade(
        f"re-blend at a new α + MMR λ={MMR_LAMBDA}",
        lambda j: rec.reblend(
            bases[j % len(bases)], alpha=alphas[j], diversity=MMR_LAMBDA
        ),
        range(n),
    )
    facade(f"profile of {PICKS} picks", lambda p: rec.recommend_profile(p), picks)
    facade(
        f"profile of {PICKS} picks + MMR λ={MMR_LAMBDA}",
        lambda p: rec.recommend_profile(p, diversity=MMR_LAMBDA),
        picks,
    )
    if model is not None:
        timings.append(
            measure(
                f"fold-in of a new user ({PICKS} picks)",
                lambda p: model.fold_in(p),
                picks,
                warmup=warmup,
            )
        )
        seen_mask = ~parts.has_data

        def fold_in_top(p: list[int]) -> object:
            exclude = seen_mask.copy()
            exclude[p] = True
            return top_k(model.vector_scores(model.fold_in(p)), 10, exclude)

        timings.append(
            measure(
                f"fold-in + top-k ({PICKS} picks)", fold_in_top, picks, warmup=warmup
            )
        )
    if model is not None and rec.interactions is not None:
        users = rng.choice(rec.interactions.user_ids, size=n).tolist()
        facade("known user query", lambda u: rec.recommend_user(u), users)

    section.figures(timings, CINEMA_TARGETS if key == "cinema" else None)
    table = Table(("query (p50 / p95 ms)", *STAGES, "total"))
    for name, stages in stage_tables.items():
        table.add(
            name,
            *(
                f"{fmt_ms(stages[s].p50)} / {fmt_ms(stages[s].p95)}"
                for s in (*STAGES, "total")
            ),
        )
    section.text(
        "Stages as the facade times them (`Recommendation.latency_ms`), p50 / p95 "
        "over the same calls; `total` also holds input checks and building the "
        "result, and the figure above adds the call itself."
    )
    section.table(table)
    if key == "cinema":
        _profile_tables(
            section,
            rec,
            items[: max(n // 3, 10)],
            picks[: max(n // 3, 10)],
            any_items[: max(n // 2, 20)],
        )
    return section


def _profile_tables(
    section: Section,
    rec: Recommender,
    items: list[int],
    picks: list[list[int]],
    any_items: list[int],
) -> None:
    """cProfile of the two target queries: what bounds them."""
    queries = misspelt_queries(rec, len(items), np.random.default_rng(len(items)))
    cases = {
        "fuzzy resolve (misspelt title)": (_resolve_or_miss(rec), queries),
        "hybrid item query": (lambda i: rec.recommend_item(i), items),
        f"profile of {PICKS} picks + MMR λ={MMR_LAMBDA}": (
            lambda p: rec.recommend_profile(p, diversity=MMR_LAMBDA),
            picks,
        ),
    }
    for name, (fn, inputs) in cases.items():
        table = Table(("function", "calls", "own ms / query", "cumulative ms / query"))
        for func, calls, own, cum in profile_top(fn, inputs):
            table.add(f"`{func}`", calls, fmt_ms(own), fmt_ms(cum))
        section.text(
            f"cProfile of *{name}* over {len(inputs)} queries (top "
            "functions by own time; profiler overhead included):"
        )
        section.table(table)
    _partition_probe(section, rec, any_items)


def _partition_probe(section: Section, rec: Recommender, items: list[int]) -> None:
    """Cost of ``np.partition`` as ``hybrid.top_n`` calls it, on real scores.

    ``top_n`` partitions the whole score vector at ``len - n``. A TF-IDF score
    vector is 0 for every item sharing no term with the query, and NumPy's
    introselect is far slower on such tied input than on the negated vector.
    """
    from inkpick_desktop.engine.hybrid import candidate_size

    content = rec._parts._content
    cfg = rec.config
    size = candidate_size(cfg.k, cfg.candidate_min, cfg.candidate_per_k)
    vectors = [content.item_scores(i).astype(np.float64) for i in items]
    zeros = np.asarray([np.mean(v == 0) for v in vectors])
    groups = {
        "≥ 80% zeros": [v for v, z in zip(vectors, zeros, strict=True) if z >= 0.8],
        "< 80% zeros": [v for v, z in zip(vectors, zeros, strict=True) if z < 0.8],
    }
    forms = {
        "np.partition(s, len - n) (as top_n does)": lambda v: np.partition(
            v, len(v) - size
        ),
        "-np.partition(-s, n - 1)": lambda v: np.partition(-v, size - 1),
    }
    table = Table(("form", "vectors", "n", "p50 ms", "p95 ms", "CPU p50 ms"))
    for group, vecs in groups.items():
        if not vecs:
            continue
        for name, fn in forms.items():
            t = measure(name, fn, vecs, warmup=3)
            table.add(
                f"`{name}`", group, t.n, fmt_ms(t.p50), fmt_ms(t.p95), fmt_ms(t.cpu_p50)
            )
    section.text(
        "What bounds the blend stage: `hybrid.top_n` (as written when this suite "
        "was) partitions the whole content score vector of "
        f"{rec.catalog.n_items:,} items at `len - {size}`. Over uniformly drawn "
        f"query items, {np.mean(zeros >= 0.8):.0%} of the score vectors are at "
        "least 80% exact zeros (items sharing no term). `np.partition` of the "
        "same vectors, timed alone; the negated form selects the same top set:"
    )
    section.table(table)


def run(
    recs: dict[str, Recommender], *, n: int, warmup: int, seed: int
) -> list[Section]:
    """Latency sections of every built domain, in the given order."""
    return [
        domain_latency(key, rec, n=n, warmup=warmup, seed=seed + offset)
        for offset, (key, rec) in enumerate(recs.items())
    ]
