"""Measure how responsive the real window is (a script, not a test).

Reports, with the models already cached (run the app or the tests once first):

* launch-to-interactive: process start -> every domain tab ready;
* the worst GUI-thread block during a query and during a slider drag, from a
  10 ms timer recording its own lateness (``ui.latency.LatencyProbe``);
* peak memory (``resource.getrusage``, max RSS) with every domain loaded.

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/measure_gui.py``
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default=None)
    parser.add_argument("--drag-steps", type=int, default=300)
    args = parser.parse_args()

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from inkpick_desktop.data.locate import find_datasets_root, user_cache_dir
    from inkpick_desktop.domains.registry import services
    from inkpick_desktop.engine.results import Mode
    from inkpick_desktop.ui.latency import LatencyProbe
    from inkpick_desktop.ui.mainwindow import MainWindow
    from inkpick_desktop.ui.picks import PicksStore
    from inkpick_desktop.ui.selftest import wait_until
    from inkpick_desktop.ui.settings import AppSettings
    from inkpick_desktop.ui.theme import apply_theme

    app = QApplication(sys.argv[:1])
    apply_theme(app, "light")
    tmp = Path(tempfile.mkdtemp(prefix="inkpick-measure-"))
    settings = AppSettings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat))
    root = find_datasets_root(args.datasets).root
    probe = LatencyProbe(10)
    probe.start()
    window = MainWindow(
        services(),
        settings=settings,
        picks=PicksStore(tmp / "p.json"),
        datasets_root=root,
        cache_dir=user_cache_dir(),
    )
    window.show()
    tabs = list(window.domain_tabs.values())
    if not wait_until(lambda: all(t.recommender is not None for t in tabs), 900):
        print("measure: domains did not load", file=sys.stderr)
        return 1
    launch_s = time.perf_counter() - STARTED
    launch_block = probe.worst_ms

    tab = window.tab("cinema") if "cinema" in window.domain_tabs else tabs[0]
    tab.mode.setCurrentIndex(tab.mode.findData(Mode.HYBRID.value))
    tab.auto_alpha.setChecked(False)
    tab.search.setText(tab.service.example_query)
    probe.reset()
    t0 = time.perf_counter()
    tab.run_search()
    wait_until(lambda: tab.runner.idle and tab.last_recommendation is not None, 120)
    query_wall = (time.perf_counter() - t0) * 1000
    query_block = probe.worst_ms
    engine_ms = tab.last_recommendation.latency_ms.get("total", 0.0)

    # A drag: one slider step every 4 ms, driven by the event loop like a mouse.
    steps = iter(range(args.drag_steps))
    drag = QTimer()
    drag.setInterval(4)

    def step() -> None:
        try:
            i = next(steps)
        except StopIteration:
            drag.stop()
            return
        tab.alpha.slider.setValue(abs(100 - (i * 3) % 200))

    drag.timeout.connect(step)
    probe.reset()
    shown: list[float] = []
    tab.results_shown.connect(lambda rid, rec: shown.append(rec.alpha))
    drag.start()
    wait_until(lambda: not drag.isActive() and tab.runner.idle and not tab.busy, 120)
    drag_block = probe.worst_ms
    drag_p99 = probe.percentile(99)
    final_ok = abs(tab.last_recommendation.alpha - tab.alpha.value()) < 1e-9

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    probe.stop()
    window.close()
    print(
        f"launch to interactive (cached models): {launch_s:.2f} s "
        f"(worst GUI block while loading {launch_block:.1f} ms)"
    )
    print(
        f"query '{tab.service.example_query}': wall {query_wall:.1f} ms, engine "
        f"{engine_ms:.1f} ms, worst GUI block {query_block:.1f} ms"
    )
    print(
        f"slider drag, {args.drag_steps} steps: {len(shown)} answers shown, worst "
        f"GUI block {drag_block:.1f} ms, p99 {drag_p99:.1f} ms, final alpha shown: "
        f"{final_ok}"
    )
    print(f"peak memory with {len(tabs)} domains loaded: {peak_mb:.0f} MB (max RSS)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
