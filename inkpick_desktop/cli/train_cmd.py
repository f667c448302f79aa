"""``inkpick train DOMAIN``: (re)build a domain's indexes and collaborative model.

Refreshes the model cache, so the next ``recommend`` and the desktop app start
from the new model; ``--output PATH`` also writes the factor model to ``PATH``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inkpick_desktop.cli.recommend_cmd import ProgressLine, datasets_root
from inkpick_desktop.engine.errors import InvalidInputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="rebuild a domain's indexes and train its collaborative model",
        description="Rebuild the TF-IDF and title indexes and train ALS or BPR; "
        "the model cache is refreshed.",
    )
    p.add_argument("domain", help="cinema, music, courses, ...")
    p.add_argument("--dataset", metavar="KEY", help="dataset of the domain to use")
    p.add_argument("--model", metavar="als|bpr", help="collaborative model kind")
    p.add_argument("--output", metavar="PATH", help="also save the factor model here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inkpick_desktop.domains.registry import get

    service = get(args.domain)
    if args.model is not None:
        service = service.with_model(args.model)
    kind = service.collaborative
    output = Path(args.output) if args.output else None
    if output is not None and output.suffix != ".npz":
        raise InvalidInputError(f"--output must end with .npz, got {str(output)!r}")
    line = ProgressLine(stream=sys.stderr)
    try:
        parts = service.build_parts(
            datasets_root(args),
            dataset=args.dataset,
            progress=line,
            retrain=True,
            learn_alpha=True,
        )
    finally:
        line.done()

    choice = parts.choice
    inter = choice.loaded.interactions
    if parts.collaborative is None or inter is None:
        raise InvalidInputError(
            f"{choice.label} has no interaction data: nothing to train "
            f"(the content index was rebuilt; use --mode content)"
        )
    if output is not None:
        parts.collaborative.save(output)
    print(
        f"trained {kind.upper()} for {service.key} on {choice.label}: "
        f"{inter.n_users} users x {choice.loaded.catalog.n_items} "
        f"{service.item_noun}s, {inter.n_events} interactions in "
        f"{parts.seconds:.1f} s" + (f"; saved to {output}" if output else "")
    )
    return 0
