"""Entry point of the desktop app: ``inkpick-desktop`` → :func:`main`.

Options: ``--datasets DIR`` (else INKPICK_DATASETS, the saved setting, ...),
``--self-test`` (offscreen: load each domain, one query per mode, print one line,
exit 0 or 1 with the reason), ``--theme system|light|dark``, ``-v``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from inkpick_desktop import __version__
from inkpick_desktop.engine.errors import InkpickError

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="inkpick-desktop", description="Inkpick Desktop"
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--datasets", metavar="DIR", help="the datasets folder")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="offscreen: load every domain, one query per mode, print a summary, exit",
    )
    parser.add_argument(
        "--theme", choices=("system", "light", "dark"), default="system"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="self-test time limit in seconds (default 900)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.self_test:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    from PySide6.QtWidgets import QApplication

    from inkpick_desktop.data.locate import find_datasets_root, user_cache_dir
    from inkpick_desktop.domains.registry import services
    from inkpick_desktop.ui import log as ui_log
    from inkpick_desktop.ui.mainwindow import MainWindow
    from inkpick_desktop.ui.resources import app_icon
    from inkpick_desktop.ui.settings import APPLICATION, ORGANISATION, AppSettings
    from inkpick_desktop.ui.theme import apply_theme

    ui_log.setup_logging(args.verbose)
    ui_log.install_handlers()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    apply_theme(app, args.theme)

    settings = AppSettings()
    try:
        location = find_datasets_root(
            args.datasets, settings_value=settings.datasets_root() or None
        )
        domain_services = services()
    except InkpickError as exc:
        print(f"inkpick-desktop: {exc}", file=sys.stderr)
        return 2
    if location.root is None:
        logger.warning("%s; using the starter catalogs", location.reason)
    window = MainWindow(
        domain_services,
        settings=settings,
        datasets_root=location.root,
        cache_dir=user_cache_dir(),
    )
    if args.self_test:
        from inkpick_desktop.ui.selftest import run_self_test

        code, line = run_self_test(window, timeout_s=args.timeout)
        print(line)
        window.close()
        return code
    window.show()
    code = app.exec()
    return int(code)


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["main", "build_parser", "Path"]
