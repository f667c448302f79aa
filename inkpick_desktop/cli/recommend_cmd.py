"""``inkpick recommend DOMAIN ...``: recommendations from a title, picks or a user.

Also holds the helpers the other engine commands share (argument checks that fail
with one clear line, locating the datasets, building a service with a progress
line on stderr).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.results import Mode, Recommendation

MODES = tuple(m.value for m in Mode)


# -- shared helpers -------------------------------------------------------------


def parse_positive_int(name: str, text: str | int) -> int:
    """``text`` as an int >= 1, else :class:`InvalidInputError` naming ``name``."""
    try:
        value = int(str(text).strip())
    except ValueError:
        raise InvalidInputError(
            f"{name} must be a positive integer, got {text!r}"
        ) from None
    if value <= 0:
        raise InvalidInputError(f"{name} must be a positive integer, got {value}")
    return value


def parse_unit(name: str, text: str | float) -> float:
    """``text`` as a float in [0, 1], else :class:`InvalidInputError`."""
    try:
        value = float(str(text).strip())
    except ValueError:
        raise InvalidInputError(
            f"{name} must be a number in [0, 1], got {text!r}"
        ) from None
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise InvalidInputError(f"{name} must be a number in [0, 1], got {text!r}")
    return value


def parse_mode(text: str) -> Mode:
    try:
        return Mode(str(text).strip().lower())
    except ValueError:
        raise InvalidInputError(
            f"mode must be one of {', '.join(MODES)}, got {text!r}"
        ) from None


def datasets_root(args: argparse.Namespace) -> Path | None:
    """The datasets folder from ``--datasets``, the environment or the saved setting.

    ``None`` when none is found (the services then use the starter catalog).
    """
    from inkpick_desktop.data.locate import find_datasets_root, load_saved_root

    location = find_datasets_root(
        getattr(args, "datasets", None), settings_value=load_saved_root()
    )
    return location.root


class ProgressLine:
    """Prints ``stage  42%`` on one self-overwriting stderr line.

    When the stream is not a terminal (a log file, CI), it prints one plain line
    per stage instead of carriage-return updates.
    """

    def __init__(self, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self._last: tuple[str, int] | None = None
        self._width = 0
        isatty = getattr(self.stream, "isatty", None)
        self._tty = bool(isatty and isatty())

    def __call__(self, stage: str, fraction: float) -> None:
        if not self.enabled:
            return
        pct = -1 if fraction < 0 else int(round(100 * min(fraction, 1.0)))
        if (stage, pct) == self._last:
            return
        if not self._tty:
            if self._last is None or self._last[0] != stage:
                self.stream.write(f"{stage} ...\n")
                self.stream.flush()
            self._last = (stage, pct)
            return
        self._last = (stage, pct)
        text = f"{stage} ..." if pct < 0 else f"{stage} {pct:3d}%"
        pad = " " * max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write(f"\r{text}{pad}")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled and self._tty and self._last is not None:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._last = None


def build_recommender(
    args: argparse.Namespace,
    *,
    progress: Callable[[str, float], None] | None = None,
    retrain: bool = False,
) -> Any:
    """The :class:`Recommender` of ``args.domain`` (cache used, built if needed)."""
    from inkpick_desktop.domains.registry import get

    service = get(args.domain)
    model = getattr(args, "model", None)
    if model:
        service = service.with_model(model)
    line = ProgressLine(enabled=progress is None and sys.stderr.isatty())
    try:
        return service.build(
            datasets_root(args),
            dataset=getattr(args, "dataset", None),
            progress=progress or line,
            retrain=retrain,
            model_file=getattr(args, "model_file", None),
        )
    finally:
        line.done()


def print_json(data: Any, stream: TextIO | None = None) -> None:
    out = stream if stream is not None else sys.stdout
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def _cut(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _num(value: float | None) -> str:
    return "    -" if value is None else f"{value:5.3f}"


# -- the command ----------------------------------------------------------------


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "recommend",
        help="recommend items like a title, a set of picks or for a user",
        description=(
            "Recommend items of DOMAIN like TITLE (misspellings are corrected), "
            "like a set of picked ids, or for a user of the dataset."
        ),
    )
    p.add_argument("domain", help="cinema, music, courses, ...")
    p.add_argument("title", nargs="?", help='a title, e.g. "Godfater"')
    p.set_defaults(_late_positional="title")
    p.add_argument("--picks", metavar="ID,ID,...", help="external ids of picked items")
    p.add_argument("--user", metavar="USER_ID", help="a user id of the dataset")
    p.add_argument("--mode", default="hybrid", help="content, collaborative or hybrid")
    p.add_argument(
        "--alpha", metavar="A", help="content weight in [0, 1] (default: the domain's)"
    )
    p.add_argument(
        "--auto-alpha",
        action="store_true",
        help="choose α from the history size (picks or user history)",
    )
    p.add_argument(
        "--diversity", metavar="L", help="MMR λ in [0, 1]; 1 = pure relevance"
    )
    p.add_argument("--top-k", metavar="K", default="10", help="number of results")
    p.add_argument("--dataset", metavar="KEY", help="dataset of the domain to use")
    p.add_argument("--model", metavar="als|bpr", help="collaborative model kind")
    p.add_argument(
        "--model-file",
        metavar="PATH",
        help="use this saved factor model (from `inkpick train --output`)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from inkpick_desktop.domains.registry import get

    service = get(args.domain)  # unknown domain fails before anything is loaded
    queries = [q for q in (args.title is not None, args.picks, args.user) if q]
    if len(queries) != 1:
        raise InvalidInputError(
            "give exactly one of TITLE, --picks ID,ID,... or --user USER_ID"
        )
    if args.title is not None and not args.title.strip():
        raise InvalidInputError("the title is empty; type a title to search for")
    mode = parse_mode(args.mode)
    k = parse_positive_int("--top-k", args.top_k)
    if args.alpha is not None and args.auto_alpha:
        raise InvalidInputError("give either --alpha or --auto-alpha, not both")
    alpha: float | str
    if args.auto_alpha:
        alpha = "auto"
    elif args.alpha is not None:
        alpha = parse_unit("--alpha", args.alpha)
    else:
        alpha = service.recommender.default_alpha
    diversity = (
        parse_unit("--diversity", args.diversity)
        if args.diversity is not None
        else service.recommender.diversity
    )
    if args.model is not None:
        service.with_model(args.model)  # validates the kind

    rec = build_recommender(args)
    options: dict[str, Any] = {
        "mode": mode,
        "alpha": alpha,
        "diversity": diversity,
        "k": k,
    }
    if args.title is not None:
        result = rec.recommend_title(args.title, **options)
    elif args.picks:
        ids = [x.strip() for x in args.picks.split(",") if x.strip()]
        if not ids:
            raise InvalidInputError(f"--picks holds no ids: {args.picks!r}")
        result = rec.recommend_profile([rec.catalog.lookup(x) for x in ids], **options)
    else:
        inter = rec.interactions
        if inter is None:
            raise InvalidInputError(
                f"{rec.dataset_label} has no user data: --user cannot be used"
            )
        inter.lookup_user(args.user)  # unknown user id -> one clear error
        result = rec.recommend_user(args.user, **options)

    if args.json:
        data = result.to_json()
        data["dataset"] = rec.dataset_label
        print_json(data)
    else:
        print_recommendation(result, service.label, rec.dataset_label)
    return 0


def print_recommendation(
    rec: Recommendation, label: str, dataset: str, stream: TextIO | None = None
) -> None:
    """The plain-text form: header, query line, table, notes, latency."""
    out = stream if stream is not None else sys.stdout
    width = max(80, shutil.get_terminal_size((120, 24)).columns)
    alpha = f"α {rec.alpha:.2f}" + (" (auto)" if rec.auto_alpha else "")
    out.write(
        f"{label} · {dataset} · {rec.mode.value}, {alpha}, λ {rec.diversity:.2f}, "
        f"top {rec.k}\n"
    )
    if rec.query is not None:
        q = rec.query
        if q.corrected:
            out.write(
                f"did you mean: {q.title} [{q.id}]? (typed {q.text!r}, "
                f"{match_how(q.partial, q.distance)})\n"
            )
        else:
            out.write(f"matched: {q.title} [{q.id}]\n")
    elif rec.picks:
        out.write(f"picks: {', '.join(rec.picks)}\n")
    elif rec.user is not None:
        out.write(f"user: {rec.user}\n")
    for note in rec.notes:
        out.write(f"note: {note}\n")

    rows = rec.rows
    if not rows:
        out.write("no results\n")
    else:
        title_w = min(44, max(5, *(len(r.title) for r in rows)))
        head = f"{'#':>3}  {'score':>5}  {'content':>7}  {'collab':>6}  "
        why_w = max(10, width - len(head) - title_w - 2)
        out.write(f"{head}{'title':<{title_w}}  why\n")
        for r in rows:
            why = r.why + (f" [{r.fallback}]" if r.fallback else "")
            out.write(
                f"{r.rank:>3}  {r.score:5.3f}  {_num(r.content):>7}  "
                f"{_num(r.collaborative):>6}  {_cut(r.title, title_w):<{title_w}}  "
                f"{_cut(why, why_w)}\n"
            )
    lat = dict(rec.latency_ms)
    total = lat.pop("total", 0.0)
    stages = ", ".join(f"{k} {v:.1f}" for k, v in lat.items())
    out.write(f"latency: {total:.1f} ms ({stages})\n")


def match_how(partial: bool, distance: int) -> str:
    """How a typed title was matched, for the correction line."""
    if partial:
        start = "start of the title"
        return start if distance == 0 else f"{start}, distance {distance}"
    return f"distance {distance}"
