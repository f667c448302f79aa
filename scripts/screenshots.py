"""Screenshots of the real app on the real datasets: docs/screenshots/<domain>.png.

Starts ``Xvfb :99 -screen 0 1400x900x24`` itself when DISPLAY is unset (install it
with ``scripts/system-deps.sh --xvfb`` as root), opens the window with fresh
settings and picks in a temporary folder, runs the example query in every tab
and grabs the window. ``--dark`` also writes ``<domain>-dark.png``.

Usage: ``.venv/bin/python scripts/screenshots.py [--datasets DIR] [--out DIR]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def start_xvfb() -> subprocess.Popen[bytes] | None:
    if os.environ.get("DISPLAY"):
        return None
    if shutil.which("Xvfb") is None:
        sys.exit(
            "screenshots: DISPLAY is unset and Xvfb is missing; "
            "run scripts/system-deps.sh --xvfb as root"
        )
    proc = subprocess.Popen(
        ["Xvfb", ":99", "-screen", "0", "1400x900x24", "-nolisten", "tcp"]
    )
    os.environ["DISPLAY"] = ":99"
    for _ in range(100):
        if subprocess.run(["xdpyinfo"], capture_output=True).returncode == 0:
            break
        if proc.poll() is not None:
            sys.exit(f"screenshots: Xvfb exited with {proc.returncode}")
        time.sleep(0.05)  # waiting for the X server socket, not a test
    return proc


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default=None)
    parser.add_argument("--out", default=str(REPO / "docs" / "screenshots"))
    parser.add_argument(
        "--dark", action="store_true", help="also grab dark-palette shots"
    )
    args = parser.parse_args()
    xvfb = start_xvfb()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    try:
        return shoot(args)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()


def shoot(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from inkpick_desktop.data.locate import find_datasets_root, user_cache_dir
    from inkpick_desktop.domains.registry import services
    from inkpick_desktop.ui.mainwindow import MainWindow
    from inkpick_desktop.ui.picks import Pick, PicksStore
    from inkpick_desktop.ui.resources import app_icon
    from inkpick_desktop.ui.selftest import wait_until
    from inkpick_desktop.ui.settings import AppSettings
    from inkpick_desktop.ui.theme import apply_theme

    app = QApplication(sys.argv[:1])
    app.setWindowIcon(app_icon())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    root = find_datasets_root(args.datasets).root
    tmp = Path(tempfile.mkdtemp(prefix="inkpick-shots-"))
    themes = ["light", "dark"] if args.dark else ["light"]
    for theme in themes:
        apply_theme(app, theme)
        settings = AppSettings(
            QSettings(str(tmp / f"{theme}.ini"), QSettings.Format.IniFormat)
        )
        picks = PicksStore(tmp / f"{theme}-picks.json")
        window = MainWindow(
            services(),
            settings=settings,
            picks=picks,
            datasets_root=root,
            cache_dir=user_cache_dir(),
        )
        window.resize(1360, 840)
        window.show()
        tabs = list(window.domain_tabs.values())
        if not wait_until(lambda tabs=tabs: all(_settled(t) for t in tabs), 900):
            print("screenshots: domains did not load in time", file=sys.stderr)
            return 1
        for n, (key, tab) in enumerate(window.domain_tabs.items()):
            window.tabs.setCurrentIndex(n)
            if tab.recommender is None:
                print(
                    f"screenshots: {key} not loaded: {tab.message.text()}",
                    file=sys.stderr,
                )
                continue
            tab.search.setText(tab.service.example_query)
            tab.run_search()
            wait_until(
                lambda tab=tab: tab.runner.idle and tab.last_recommendation is not None,
                120,
            )
            if tab.model.rows:
                first = tab.model.rows[0]
                picks.add(key, Pick(first.id, first.title))
                tab._refresh_picks()
            tab.table.selectRow(0)
            tab.table.setFocus()
            wait_until(lambda: False, 0.3)  # let the popup close and paint settle
            name = f"{key}.png" if theme == "light" else f"{key}-dark.png"
            window.grab().save(str(out / name))
            print(f"wrote {out / name}")
        if "courses" in window.domain_tabs:
            shoot_evaluation(window, out, theme, wait_until)
        window.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


def shoot_evaluation(window: object, out: Path, theme: str, wait_until: object) -> None:
    """Evaluate the courses domain (the fastest) and grab the dialog."""
    keys = list(window.domain_tabs)  # type: ignore[attr-defined]
    window.tabs.setCurrentIndex(keys.index("courses"))  # type: ignore[attr-defined]
    dialog = window.open_evaluation()  # type: ignore[attr-defined]
    dialog.resize(1180, 820)
    dialog.start()
    if not wait_until(lambda: dialog.report is not None or not dialog.running, 600):  # type: ignore[operator]
        print("screenshots: the evaluation did not finish in time", file=sys.stderr)
        return
    if dialog.report is None:
        print(
            f"screenshots: evaluation failed: {dialog.status.text()}", file=sys.stderr
        )
        return
    dialog.table.selectRow(len(dialog.report.results) - 1)
    wait_until(lambda: False, 0.3)  # let the paint settle
    name = "evaluation.png" if theme == "light" else "evaluation-dark.png"
    dialog.grab().save(str(out / name))
    print(f"wrote {out / name}")
    dialog.close()


def _settled(tab: object) -> bool:
    """Loaded, or failed with a message shown."""
    return getattr(tab, "recommender", None) is not None or tab.message.isVisible()  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
