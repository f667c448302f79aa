"""Command-line interface: ``inkpick`` and ``python -m inkpick_desktop``.

Each sub-command lives in its own ``*_cmd.py`` module exposing
``register(subparsers)``, which adds a parser whose ``func(args) -> int`` runs it.
User errors (:class:`InkpickError`) print one line to stderr and exit with 2.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from inkpick_desktop import __version__
from inkpick_desktop.engine.errors import InkpickError

logger = logging.getLogger(__name__)

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 as well
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"inkpick: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="inkpick", description="Inkpick Desktop, headless.")
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument(
        "--datasets", metavar="DIR", help="datasets folder (else INKPICK_DATASETS, ...)"
    )
    parser.add_argument("-v", "--verbose", action="count", default=0)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.endswith("_cmd"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    # argparse cannot take an optional positional after options
    # ("recommend cinema --top-k 3 TITLE"); a command names it in _late_positional.
    late = getattr(args, "_late_positional", None)
    if late and len(extras) == 1 and not extras[0].startswith("-"):
        if getattr(args, late, None) is None:
            setattr(args, late, extras.pop())
    if extras:
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except InkpickError as exc:
        print(f"inkpick: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a path the user gave: missing, not a folder, no access
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"inkpick: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("inkpick: interrupted", file=sys.stderr)
        return 130
