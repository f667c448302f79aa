"""``inkpick download KEY [--dest DIR] [--mirror URL] [--timeout S]``: fetch a dataset.

The folder lands in ``DIR/KEY``; ``DIR`` defaults to ``--datasets``, else the
datasets folder already in use, else the user data folder. An interrupted
download resumes when run again. Datasets without a direct download (Kaggle)
print how to get them by hand. ``--timeout`` bounds the whole download in
seconds (default one hour); files that match no registry digest are installed
but reported with a ``warning:`` line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inkpick_desktop.data.registry import DATASETS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "download",
        help="download a dataset from its publisher",
        description="Download, verify and install one dataset folder. Keys: "
        + ", ".join(DATASETS),
    )
    p.add_argument("key", metavar="KEY", help="dataset folder name, e.g. freemusi-cc")
    p.add_argument("--dest", metavar="DIR", help="datasets folder to install into")
    p.add_argument(
        "--mirror",
        metavar="URL",
        help="fetch the files from this http(s) base URL instead",
    )
    p.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=None,
        help="give up when the download is not done after this many seconds "
        "(default: 3600; what arrived is kept for a later resume)",
    )
    p.add_argument(
        "--min-rate",
        metavar="BYTES_PER_S",
        type=float,
        default=None,
        help="count an attempt as failed when it averages less than this over "
        "30 s (default: 8192; 0 disables the check)",
    )
    p.set_defaults(func=run)


def _destination(args: argparse.Namespace) -> tuple[Path, bool]:
    """The folder to install into, and whether to remember it as the setting."""
    from inkpick_desktop.data.locate import (
        find_datasets_root,
        load_saved_root,
        user_datasets_dir,
    )

    if args.dest:
        return Path(args.dest).expanduser(), False
    explicit = getattr(args, "datasets", None)
    if explicit:
        return Path(explicit).expanduser(), False
    location = find_datasets_root(settings_value=load_saved_root())
    if location.root is not None:
        return location.root, False
    return user_datasets_dir(), True


def run(args: argparse.Namespace) -> int:
    from inkpick_desktop.cli.recommend_cmd import ProgressLine
    from inkpick_desktop.data import registry
    from inkpick_desktop.data.download import (
        DEFAULT_DEADLINE,
        DEFAULT_MIN_RATE,
        download_dataset,
    )
    from inkpick_desktop.data.locate import save_root

    spec = registry.get(args.key)
    dest, remember = _destination(args)
    if spec.download is not None and spec.download.note:
        print(f"note: {spec.download.note}", file=sys.stderr)
    line = ProgressLine(enabled=sys.stderr.isatty())
    try:
        result = download_dataset(
            spec,
            dest,
            progress=line,
            base_url_override=args.mirror,
            deadline=DEFAULT_DEADLINE if args.timeout is None else args.timeout,
            min_rate=DEFAULT_MIN_RATE if args.min_rate is None else args.min_rate,
        )
    finally:
        line.done()
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    total = sum(result.rows.values())
    print(f"installed {spec.key} into {result.folder} ({total:,} rows checked)")
    print(f"licence: {spec.licence_line}")
    if remember:
        saved = save_root(dest)
        print(f"saved {dest} as the datasets folder ({saved})")
    return 0
