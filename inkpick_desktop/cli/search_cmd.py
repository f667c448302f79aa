"""``inkpick search DOMAIN "QUERY"``: fuzzy title matches with their distance."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from inkpick_desktop.cli.recommend_cmd import (
    ProgressLine,
    datasets_root,
    match_how,
    parse_positive_int,
    print_json,
)
from inkpick_desktop.engine.errors import InvalidInputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "search",
        help="find titles of a domain, misspellings included",
        description="Fuzzy title search: exact, normalised, then edit distance.",
    )
    p.add_argument("domain", help="cinema, music, courses, ...")
    p.add_argument("query", help='the text to look for, e.g. "radiohed"')
    p.add_argument("--limit", metavar="N", default="10", help="number of matches")
    p.add_argument("--dataset", metavar="KEY", help="dataset of the domain to use")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inkpick_desktop.domains.registry import get

    service = get(args.domain)
    if not args.query.strip():
        raise InvalidInputError("the search text is empty")
    limit = parse_positive_int("--limit", args.limit)

    line = ProgressLine(enabled=sys.stderr.isatty())
    try:
        choice, search = service.title_search(
            datasets_root(args), dataset=args.dataset, progress=line
        )
    finally:
        line.done()
    result = search.search(args.query, limit)
    matches = list(result.matches)

    if args.json:
        data: dict[str, Any] = {
            "domain": service.key,
            "dataset": choice.label,
            "query": args.query,
            "corrected": bool(result.corrected),
            "accepted": bool(result.accepted),
            "notes": list(choice.notes),
            "matches": [
                {
                    "id": m.id,
                    "title": m.title,
                    "year": m.year or None,
                    "distance": m.distance,
                    "score": round(float(m.score), 6),
                    "detail": m.detail,
                }
                for m in matches
            ],
        }
        print_json(data)
        return 0

    out = sys.stdout
    out.write(f"{service.label} · {choice.label} · {args.query!r}\n")
    for note in choice.notes:
        out.write(f"note: {note}\n")
    if not matches:
        out.write("no matches\n")
        return 0
    best = matches[0]
    if not result.accepted:
        out.write(f"no close match; nearest: {best.title} (distance {best.distance})\n")
    elif result.corrected:
        out.write(
            f"did you mean: {best.title} [{best.id}]? "
            f"({match_how(best.partial, best.distance)})\n"
        )
    id_w = max(2, *(len(m.id) for m in matches))
    out.write(f"{'#':>3}  {'dist':>4}  {'score':>5}  {'id':<{id_w}}  title\n")
    for rank, m in enumerate(matches, 1):
        detail = f"  ({m.detail})" if m.detail else ""
        out.write(
            f"{rank:>3}  {m.distance:>4}  {m.score:5.3f}  {m.id:<{id_w}}  "
            f"{m.title}{detail}\n"
        )
    return 0
