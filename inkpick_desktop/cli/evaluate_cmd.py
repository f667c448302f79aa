"""``inkpick evaluate DOMAIN``: offline quality of every model on a held-out split.

Prints the protocol first, then one row per model (Precision, Recall, NDCG, MAP,
hit rate at K, coverage, diversity, popularity), NDCG@K per history bucket, the
cold-start curve and the learned α schedule with its validation sweep.
``--json`` prints the whole report as one JSON document instead.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from inkpick_desktop.cli.recommend_cmd import (
    ProgressLine,
    datasets_root,
    parse_positive_int,
)
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.splits import PROTOCOLS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate",
        help="measure recommendation quality on a held-out split",
        description="Hold out 20% of every user's items, train every model on "
        "the rest and rank the full catalog (training items removed).",
    )
    p.add_argument("domain", help="cinema, music, courses, ...")
    p.add_argument("--dataset", metavar="KEY", help="dataset of the domain to use")
    p.add_argument("--k", default="10", metavar="K", help="list length (default 10)")
    p.add_argument(
        "--protocol",
        default="random",
        metavar="|".join(PROTOCOLS),
        help="random per-user holdout (default) or each user's latest items",
    )
    p.add_argument("--seed", default="0", metavar="N", help="split seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--no-reference",
        action="store_true",
        help="skip the implicit library's reference models",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inkpick_desktop.domains.registry import get
    from inkpick_desktop.engine.evaluation import EvaluationConfig, evaluate

    k = parse_positive_int("--k", args.k)
    seed = _parse_seed(args.seed)
    if args.protocol not in PROTOCOLS:
        raise InvalidInputError(
            f"--protocol must be one of {', '.join(PROTOCOLS)}, got {args.protocol!r}"
        )
    service = get(args.domain)
    root = datasets_root(args)
    if root is None:
        raise InvalidInputError(
            "evaluation needs the real datasets (the starter catalog has too few "
            "users); pass --datasets DIR or set INKPICK_DATASETS"
        )
    config = EvaluationConfig(
        k=k, protocol=args.protocol, seed=seed, reference=not args.no_reference
    )
    line = ProgressLine(enabled=sys.stderr.isatty())
    try:
        report = evaluate(
            service, root, dataset=args.dataset, config=config, progress=line
        )
    finally:
        line.done()
    if args.json:
        print(json.dumps(_clean(report.to_dict()), indent=2, sort_keys=False))
    else:
        print(format_report(report))
    return 0


def _parse_seed(text: str) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise InvalidInputError(
            f"--seed must be an integer >= 0, got {text!r}"
        ) from None
    if value < 0:
        raise InvalidInputError(f"--seed must be an integer >= 0, got {value}")
    return value


def _clean(value: Any) -> Any:
    """NaN -> None, so that the JSON is standard."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _num(x: float | None, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{digits}f}"


def format_report(report: Any) -> str:
    """The plain-text tables of an :class:`EvaluationReport`."""
    cfg, setup = report.config, report.setup
    k = cfg.k
    out = [
        f"{report.label}",
        f"protocol: {report.protocol}",
        f"data: {report.n_users} users, {report.n_items} items "
        f"({report.n_items_with_data} with training positives), "
        f"{report.n_train_events} training events, {report.n_test_pairs} test pairs",
        f"models: transform {setup.transform!r}; ALS {_cfg(setup.als)}; "
        f"BPR {_cfg(setup.bpr)}; hybrid = {setup.kind.upper()} + content",
        "",
    ]
    head = (
        f"{'model':<28} {'P@' + str(k):>7} {'R@' + str(k):>7} {'NDCG@' + str(k):>8} "
        f"{'MAP@' + str(k):>7} {'HR@' + str(k):>7} {'cover':>7} {'div':>6} "
        f"{'pop':>6} {'s':>6}"
    )
    out += [head, "-" * len(head)]
    for r in report.results:
        s = r.summary
        out.append(
            f"{r.name:<28} {_num(s.precision):>7} {_num(s.recall):>7} "
            f"{_num(s.ndcg):>8} {_num(s.map):>7} {_num(s.hit_rate):>7} "
            f"{_num(s.coverage):>7} {_num(s.diversity, 3):>6} "
            f"{_num(s.popularity, 3):>6} {r.seconds:>6.1f}"
        )
    first = report.results[0].summary
    out.append(
        f"users evaluated: {first.n_users}; skipped (no test item): {first.n_skipped}"
    )
    out.append("")
    starts = report.bucket_starts
    labels = [
        f"{a}-{b - 1}" if b - 1 > a else f"{a}"
        for a, b in zip(starts, (*starts[1:], 0), strict=True)
    ]
    labels[-1] = f"{starts[-1]}+"
    out.append(f"NDCG@{k} by history size (items the profile holds):")
    out.append(f"{'model':<28} " + " ".join(f"{x:>8}" for x in labels))
    out.append(f"{'users':<28} " + " ".join(f"{n:>8}" for n in report.bucket_users))
    for r in report.results:
        out.append(f"{r.name:<28} " + " ".join(f"{_num(x):>8}" for x in r.bucket_ndcg))
    out.append("")
    cold = report.cold_start
    out.append(f"cold start: NDCG@{k} with n known items (profile of n picks, fold-in)")
    out.append(f"{'n':<28} " + " ".join(f"{n:>8}" for n in cold.sizes))
    out.append(f"{'users':<28} " + " ".join(f"{n:>8}" for n in cold.n_users))
    for name, values in cold.curves.items():
        out.append(f"{name:<28} " + " ".join(f"{_num(x):>8}" for x in values))
    out.append("")
    alpha = report.alpha
    out.append(f"learned α ({alpha.protocol}):")
    for start, a, n, size in zip(
        alpha.schedule.bucket_starts,
        alpha.schedule.alphas,
        alpha.n_users,
        alpha.sizes,
        strict=True,
    ):
        flag = " (inherited)" if size in alpha.inherited else ""
        out.append(
            f"  history >= {start:<3} α = {a:.2f}  (simulated n={size}, "
            f"{n} users){flag}"
        )
    out.append(
        f"α sweep (validation NDCG@{k}), α = "
        + " ".join(f"{a:g}" for a in alpha.grid)
        + ":"
    )
    for size, curve in zip(alpha.sizes, alpha.curves, strict=True):
        out.append(f"  n={size:<3} " + " ".join(_num(x, 3) for x in curve))
    for note in report.notes:
        out.append(f"note: {note}")
    out.append(f"total {report.seconds:.1f} s")
    return "\n".join(out)


def _cfg(config: Any) -> str:
    from dataclasses import asdict

    return ", ".join(f"{k}={v}" for k, v in asdict(config).items())
