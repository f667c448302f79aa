"""Start-up: cold build vs cached load of each domain, and the desktop app's launch.

Every run is a fresh ``python`` subprocess, so nothing is already imported or
cached in memory. "Cold" uses an empty cache folder (load the source files,
index, train, write the caches); "cached" reuses a folder filled by an earlier
run (what a second launch of the app does). The child reports its own times
(imports, then ``services()[key].build``); the parent adds the whole process
wall time, interpreter start included. The child runs with the app's thread
defaults (no limits set), as a user's launch would.

The app launch follows ``inkpick_desktop.ui.app.main`` offscreen: QApplication,
``MainWindow`` (settings and picks in a temporary folder), ``show()``, then the
first event-loop turn after ``show`` (the window is on screen and answers
input), then every domain tab ready (the builds run on worker threads).
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._stats import Timing, profile_top
from benchmarks.report import Section, Table, Target, fmt_ms

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
ALL_CACHED_TARGET = Target(1000.0)

_BUILD = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from inkpick_desktop.domains.registry import services
t1 = time.perf_counter()
out = {"import_s": t1 - t0, "build_s": {}}
recs = {}
for key in sys.argv[3].split(","):
    t = time.perf_counter()
    recs[key] = services()[key].build(Path(sys.argv[1]), cache_dir=Path(sys.argv[2]))
    out["build_s"][key] = time.perf_counter() - t
out["total_s"] = time.perf_counter() - t0  # before the optional query
if len(sys.argv) > 4:
    service, rec = services()[sys.argv[3]], recs[sys.argv[3]]
    t = time.perf_counter()
    rec.recommend_title(service.example_query)
    out["first_query_s"] = time.perf_counter() - t
    t = time.perf_counter()
    rec.recommend_title(service.example_query)
    out["second_query_s"] = time.perf_counter() - t
print(json.dumps(out))
"""

_GUI = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from inkpick_desktop.domains.registry import services
from inkpick_desktop.ui.mainwindow import MainWindow
from inkpick_desktop.ui.picks import PicksStore
from inkpick_desktop.ui.settings import AppSettings
t_import = time.perf_counter()
tmp = Path(sys.argv[3])
app = QApplication(sys.argv[:1])
settings = AppSettings(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
window = MainWindow(services(), settings=settings, picks=PicksStore(tmp / "picks.json"),
                    datasets_root=Path(sys.argv[1]), cache_dir=Path(sys.argv[2]))
window.show()
t_show = time.perf_counter()
marks = {}
ready = set()
def shown():
    marks["interactive_s"] = time.perf_counter() - t0
def on_ready(key, rec):
    ready.add(key)
    if len(ready) == len(window.domain_tabs):
        marks["all_ready_s"] = time.perf_counter() - t0
        marks["all_loaded"] = all(t.recommender is not None
                                  for t in window.domain_tabs.values())
        QTimer.singleShot(0, app.quit)
for key, tab in window.domain_tabs.items():
    tab.recommender_ready.connect(lambda rec, key=key: on_ready(key, rec))
QTimer.singleShot(0, shown)
QTimer.singleShot(int(float(sys.argv[4]) * 1000), app.quit)
app.exec()
window.shutdown() if hasattr(window, "shutdown") else None
marks.update(import_s=t_import - t0, show_s=t_show - t0)
print(json.dumps(marks))
"""


def _child(
    script: str, args: list[str], env: dict[str, str] | None = None
) -> tuple[dict, float]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        check=False,
        timeout=900,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(
            f"start-up child failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
        )
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


def run(
    root: Path,
    cache_dir: Path,
    keys: list[str],
    *,
    cold_repeats: int,
    cached_repeats: int,
    gui_repeats: int,
) -> Section:
    section = Section("Start-up: cold build, cached load, app launch")
    section.text(__doc__.split("\n\n", 1)[1].replace("\n", " "))
    timings: list[Timing] = []
    for key in keys:  # the shared cache is filled for every key first
        _child(_BUILD, [str(root), str(cache_dir), key])
    for key in keys:
        inner, outer = [], []
        for _ in range(cold_repeats):
            with tempfile.TemporaryDirectory(prefix="inkpick-cold-") as tmp:
                out, wall = _child(_BUILD, [str(root), tmp, key])
            inner.append(out["build_s"][key] * 1e3)
            outer.append(wall * 1e3)
        timings.append(Timing.from_samples(f"cold build {key}", inner))
        timings.append(Timing.from_samples(f"cold build {key}, whole process", outer))
    imports = []
    for key in keys:
        inner, outer, first, second = [], [], [], []
        for _ in range(cached_repeats):
            out, wall = _child(_BUILD, [str(root), str(cache_dir), key, "query"])
            inner.append(out["build_s"][key] * 1e3)
            # The child then runs two queries; they are not part of start-up.
            queries = out["first_query_s"] + out["second_query_s"]
            outer.append((wall - queries) * 1e3)
            imports.append(out["import_s"] * 1e3)
            first.append(out["first_query_s"] * 1e3)
            second.append(out["second_query_s"] * 1e3)
        timings.append(Timing.from_samples(f"cached load {key}", inner))
        timings.append(Timing.from_samples(f"cached load {key}, whole process", outer))
        timings.append(
            Timing.from_samples(f"first title query after load {key}", first)
        )
        timings.append(Timing.from_samples(f"second title query {key}", second))
    loads, outer = [], []
    for _ in range(cached_repeats):
        out, wall = _child(_BUILD, [str(root), str(cache_dir), ",".join(keys)])
        loads.append(sum(out["build_s"].values()) * 1e3)
        outer.append(wall * 1e3)
    all_name = f"cached load of all {len(keys)} domains"
    timings.append(Timing.from_samples(all_name, loads))
    timings.append(Timing.from_samples(f"{all_name}, whole process", outer))
    timings.append(Timing.from_samples("import of the domain registry", imports))
    section.figures(timings, {all_name: ALL_CACHED_TARGET})
    section.text(
        "The target is judged on the loads themselves (the `build` calls); "
        "the whole-process rows add interpreter start and imports."
    )
    _load_profile(root, cache_dir, keys[0], section)
    gui(root, cache_dir, section, repeats=gui_repeats)
    return section


def _load_profile(root: Path, cache_dir: Path, key: str, section: Section) -> None:
    """cProfile of one cached load, in this process (imports already done)."""
    from inkpick_desktop.domains.registry import services

    service = services()[key]
    rows = profile_top(lambda _: service.build(root, cache_dir=cache_dir), [0], top=12)
    table = Table(("function", "calls", "own ms", "cumulative ms"))
    for func, calls, own, cum in rows:
        table.add(f"`{func}`", calls, fmt_ms(own), fmt_ms(cum))
    section.text(
        f"cProfile of one cached load of {key} (top functions by own time, "
        "profiler overhead included): what bounds the cached load."
    )
    section.table(table)


_MEASURE_GUI = {
    "launch to interactive, every tab ready (s)": (
        r"launch to interactive[^:]*: ([\d.]+) s"
    ),
    "worst GUI block while loading (ms)": r"worst GUI block while loading ([\d.]+) ms",
    "query: wall (ms)": r"query '.*': wall ([\d.]+) ms",
    "query: engine (ms)": r"engine ([\d.]+) ms",
    "query: worst GUI block (ms)": r"engine [\d.]+ ms, worst GUI block ([\d.]+) ms",
    "slider drag: worst GUI block (ms)": r"answers shown, worst GUI block ([\d.]+) ms",
    "slider drag: GUI block p99 (ms)": r"ms, p99 ([\d.]+) ms",
    "peak memory, all domains (MB)": r"peak memory[^:]*: ([\d.]+) MB",
}


def gui(root: Path, cache_dir: Path, section: Section, *, repeats: int) -> None:
    """Launch of the desktop app to an interactive window, offscreen."""
    env = dict(
        os.environ, QT_QPA_PLATFORM="offscreen", INKPICK_CACHE_DIR=str(cache_dir)
    )
    marks: dict[str, list[float]] = {
        "import_s": [],
        "interactive_s": [],
        "all_ready_s": [],
        "wall": [],
    }
    all_loaded = True
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="inkpick-gui-") as tmp:
            env.update(XDG_CONFIG_HOME=tmp, XDG_DATA_HOME=tmp)
            out, wall = _child(_GUI, [str(root), str(cache_dir), tmp, "300"], env)
        for k in ("interactive_s", "all_ready_s", "import_s"):
            if k in out:
                marks[k].append(out[k] * 1e3)
        marks["wall"].append(wall * 1e3)
        all_loaded = all_loaded and bool(out.get("all_loaded"))
    names = {
        "import_s": "app launch: Qt + app imports",
        "interactive_s": "app launch: to interactive window",
        "all_ready_s": "app launch: every domain tab ready (cached)",
        "wall": "app launch: whole process to quit after ready",
    }
    timings = [Timing.from_samples(names[k], v) for k, v in marks.items() if v]
    section.text(
        "Desktop app, offscreen, warm model cache, this suite's child "
        "(times from the start of the child's script; the interpreter "
        "start is in the last row):"
        + ("" if all_loaded else " **some tab failed to load**")
    )
    section.figures(timings)
    _measure_gui(root, cache_dir, section, env, repeats)


def _measure_gui(
    root: Path, cache_dir: Path, section: Section, env: dict[str, str], repeats: int
) -> None:
    """Run the UI engineer's ``scripts/measure_gui.py`` and tabulate its lines."""
    script = REPO / "scripts" / "measure_gui.py"
    if not script.exists():
        section.text(
            "`scripts/measure_gui.py` does not exist: only the launch figures above."
        )
        return
    runs: list[dict[str, float]] = []
    raw = ""
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="inkpick-gui-") as tmp:
            env.update(XDG_CONFIG_HOME=tmp, XDG_DATA_HOME=tmp)
            proc = subprocess.run(
                [sys.executable, str(script), "--datasets", str(root)],
                env=env,
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
        raw = proc.stdout + proc.stderr[-1500:]
        if proc.returncode != 0:
            section.text(
                f"`scripts/measure_gui.py` failed ({proc.returncode}):\n\n"
                f"```\n{raw.strip()}\n```"
            )
            return
        found = {}
        for name, pattern in _MEASURE_GUI.items():
            m = re.search(pattern, proc.stdout)
            if m:
                found[name] = float(m.group(1))
        runs.append(found)
    table = Table(("figure (scripts/measure_gui.py)", "n", "p50", "p95", "p99"))
    for name in _MEASURE_GUI:
        values = [r[name] for r in runs if name in r]
        if values:
            t = Timing.from_samples(name, values)
            table.add(name, t.n, f"{t.p50:.1f}", f"{t.p95:.1f}", f"{t.p99:.1f}")
    section.text(
        f"`scripts/measure_gui.py` (the UI engineer's measurement: process "
        f"start to every tab ready, GUI-thread blocking from a 10 ms "
        f"timer's lateness during a query and a 300-step α slider drag), "
        f"{repeats} runs, model cache warm. Last run's output:\n\n"
        f"```\n{proc.stdout.strip()}\n```"
    )
    section.table(table)
