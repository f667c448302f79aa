"""The PyInstaller bundle: built once per session, then run frozen.

The session fixture runs ``packaging/build.py`` (what ``make installer`` runs)
into a temporary folder, makes the bundle read-only, and the tests run the frozen
``inkpick-desktop --self-test`` from another working directory with HOME and the
XDG folders in ``tmp_path``, a minimal environment (no virtualenv on PATH, no
QT_QPA_PLATFORM: the flag must pick offscreen itself) and, when root can, the
bundle bind-mounted read-only in a private mount namespace.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = REPO / "packaging" / "build.py"
DESKTOP_FILE = REPO / "packaging" / "inkpick-desktop.desktop"
BUILD_TIMEOUT_S = 1800
RUN_TIMEOUT_S = 900
#: Far above today's ~180 MB; an accidental SciPy or QtWebEngine passes it.
MAX_BUNDLE_BYTES = 230_000_000
#: Top-level names in ``_internal`` that would mean a test-only package leaked in.
NEVER_SHIPPED = frozenset(
    {"scipy", "scipy.libs", "sklearn", "scikit_learn.libs", "pytest", "_pytest"}
    | {"hypothesis", "pytestqt", "pytest_benchmark", "implicit", "threadpoolctl"}
)
#: Libraries the bundle takes from the user's system (docs/INSTALL.md lists their
#: packages): PyInstaller never bundles the GL/EGL/xcb/Wayland client libraries.
SYSTEM_LIBRARIES = frozenset(
    {"libGL.so.1", "libEGL.so.1", "libGLX.so.0", "libGLdispatch.so.0", "libxcb.so.1"}
    | {"libwayland-client.so.0", "libwayland-cursor.so.0", "libwayland-egl.so.1"}
    | {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1"}
    | {"libutil.so.1", "ld-linux-x86-64.so.2", "linux-vdso.so.1"}
)
#: Qt libraries and binding modules of Qt parts the app does not use.
UNUSED_QT = re.compile(
    r"^(libQt6|Qt)(WebEngine|Qml|Quick|3D|Multimedia|Network|Pdf|Sql|Test|OpenGLW)"
)


def _load_build_module():
    spec = importlib.util.spec_from_file_location("inkpick_build", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build_module = _load_build_module()


@dataclass(frozen=True)
class Build:
    bundle: Path
    exe: Path
    tarball: Path
    output: str


def _snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every path under ``folder`` -> (mode, size, mtime_ns), links not followed."""
    found = {}
    for path in [folder, *folder.rglob("*")]:
        st = path.lstat()
        found[str(path.relative_to(folder))] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return found


def _set_writable(folder: Path, writable: bool) -> None:
    bits = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~bits)


def _can_mount_read_only() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "true"], capture_output=True, check=False
    )
    return probe.returncode == 0


@pytest.fixture(scope="session")
def frozen(tmp_path_factory: pytest.TempPathFactory):
    """The built bundle (read-only while the tests run)."""
    if importlib.util.find_spec("PyInstaller") is None:
        msg = "PyInstaller is not installed (pip install -e '.[installer]')"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    root = tmp_path_factory.mktemp("installer")
    done = subprocess.run(
        [
            sys.executable,
            str(BUILD_SCRIPT),
            "--dist",
            str(root / "dist"),
            "--work",
            str(root / "work"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"build failed:\n{output[-4000:]}"
    bundle = root / "dist" / "inkpick-desktop"
    tarball = root / "dist" / build_module.tarball_name(build_module.version())
    shutil.rmtree(root / "work")
    _set_writable(bundle, False)
    yield Build(bundle, bundle / "inkpick-desktop", tarball, output)
    _set_writable(bundle, True)
    shutil.rmtree(root)  # ~250 MB; pytest would keep three sessions' worth


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    home: Path
    cwd: Path


def run_frozen(build: Build, tmp_path: Path, *args: str) -> Run:
    """Run the frozen app from an empty folder with a fresh, minimal HOME."""
    home = tmp_path / "home"
    cwd = tmp_path / "elsewhere"
    home.mkdir()
    cwd.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "LANG": "C.UTF-8",
    }
    command = [str(build.exe), *args]
    if _can_mount_read_only():
        # Bind the bundle read-only over itself, only for this process tree.
        script = 'mount --bind -o ro "$1" "$1" && shift && exec "$@"'
        command = [
            "unshare",
            "--mount",
            "sh",
            "-c",
            script,
            "sh",
            str(build.bundle),
            *command,
        ]
    before = _snapshot(build.bundle)
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    assert _snapshot(build.bundle) == before, "the frozen app changed its bundle"
    assert list(cwd.iterdir()) == [], "the frozen app wrote into the working folder"
    return Run(done.returncode, done.stdout, done.stderr, home, cwd)


def _summary(run: Run) -> str:
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("self-test")]
    assert len(lines) == 1, f"stdout: {run.stdout!r}\nstderr: {run.stderr[-3000:]}"
    return lines[0]


# -- the desktop entry and the build script's pieces (no build needed) ----------


def test_desktop_entry_declares_the_app():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP_FILE, encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Inkpick Desktop"
    assert entry["Exec"] == "inkpick-desktop"
    assert entry["Icon"] == "inkpick-desktop"
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";")
    if shutil.which("desktop-file-validate"):
        done = subprocess.run(
            ["desktop-file-validate", str(DESKTOP_FILE)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_build_tarball_name_has_version_os_and_machine(monkeypatch):
    monkeypatch.setattr(build_module.platform, "system", lambda: "Linux")
    monkeypatch.setattr(build_module.platform, "machine", lambda: "x86_64")
    name = build_module.tarball_name("0.1.0")
    assert name == "inkpick-desktop-0.1.0-linux-x86_64.tar.gz"


def test_build_version_matches_package():
    from inkpick_desktop import __version__

    assert build_module.version() == __version__


# -- the bundle's contents --------------------------------------------------------


@pytest.mark.slow
def test_bundle_contains_resources_and_starter_catalog(frozen):
    internal = frozen.bundle / "_internal"
    for folder in ("resources", "data/starter"):
        shipped = sorted(
            p.name
            for p in (REPO / folder).iterdir()
            if p.is_file() and p.name != "generate_icons.py"
        )
        assert shipped, f"{folder} is empty in the checkout"
        for name in shipped:
            bundled = internal / folder / name
            assert bundled.read_bytes() == (REPO / folder / name).read_bytes(), name
    for name in ("inkpick-desktop.desktop", "inkpick-desktop.png", "INSTALL.md"):
        assert (frozen.bundle / name).is_file(), name
    assert os.access(frozen.exe, os.X_OK)


@pytest.mark.slow
def test_bundle_has_the_qt_plugins_it_needs_and_no_others(frozen):
    plugins = frozen.bundle / "_internal" / "PySide6" / "Qt" / "plugins"
    names = {str(p.relative_to(plugins)) for p in plugins.rglob("*.so")}
    for needed in (
        "platforms/libqxcb.so",
        "platforms/libqoffscreen.so",
        "imageformats/libqsvg.so",
        "iconengines/libqsvgicon.so",
        "xcbglintegrations/libqxcb-glx-integration.so",
    ):
        assert needed in names
    folders = {name.split("/")[0] for name in names}
    unwanted = {"tls", "networkinformation", "sqldrivers", "qmltooling", "designer"}
    unwanted |= {"egldeviceintegrations", "printsupport", "generic"}
    assert sorted(folders & unwanted) == []
    assert "platforms/libqvnc.so" not in names
    assert "platformthemes/libqgtk3.so" not in names


@pytest.mark.slow
def test_bundle_leaves_out_test_tools_and_unused_qt(frozen):
    internal = frozen.bundle / "_internal"
    top = {p.name for p in internal.iterdir()}
    assert sorted(top & NEVER_SHIPPED) == []
    everything = [p.name for p in internal.rglob("*")]
    hits = [n for n in everything if UNUSED_QT.match(n)]
    assert hits == []
    assert not (internal / "PySide6" / "Qt" / "translations").exists()


@pytest.mark.slow
def test_bundle_size_stays_small(frozen):
    size = build_module.folder_size(frozen.bundle)
    assert 50_000_000 < size < MAX_BUNDLE_BYTES, f"{size / 1e6:.1f} MB"


@pytest.mark.slow
def test_bundle_libraries_all_resolve(frozen):
    """Libraries resolve inside the bundle, or are the documented system ones.

    A library pruned by mistake would resolve from this machine (or not at all)
    and show up here.
    """
    if shutil.which("ldd") is None:
        pytest.skip("ldd not available")
    internal = frozen.bundle / "_internal"
    env = {"LD_LIBRARY_PATH": f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}"}
    outside = []
    for lib in sorted(internal.rglob("*.so*")):
        if lib.is_symlink() or not lib.is_file():
            continue
        done = subprocess.run(
            ["ldd", str(lib)], capture_output=True, text=True, env=env, check=False
        )
        for line in done.stdout.splitlines():
            if line.strip() == "statically linked":  # no NEEDED: libicudata, _json
                continue
            soname = Path(line.split("=>")[0].split("(")[0].strip()).name
            where = line.split("=>")[1].strip() if "=>" in line else ""
            inside = where.startswith(str(internal))
            if soname and not inside and soname not in SYSTEM_LIBRARIES:
                outside.append(f"{lib.name}: {line.strip()}")
    assert outside == []
    dangling = [
        str(p) for p in internal.rglob("*") if p.is_symlink() and not p.exists()
    ]
    assert dangling == []


@pytest.mark.slow
def test_tarball_holds_the_bundle_in_a_versioned_folder(frozen):
    version = build_module.version()
    prefix = f"inkpick-desktop-{version}"
    with tarfile.open(frozen.tarball, "r:gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert all(n == prefix or n.startswith(prefix + "/") for n in members)
    exe = members[f"{prefix}/inkpick-desktop"]
    assert exe.isfile() and exe.mode & 0o111 and exe.uid == 0
    for name in (
        "inkpick-desktop.desktop",
        "inkpick-desktop.png",
        "INSTALL.md",
        "_internal/resources/icon.svg",
        "_internal/data/starter/cinema.csv",
    ):
        assert f"{prefix}/{name}" in members, name
    files = sum(1 for p in frozen.bundle.rglob("*") if p.is_file() or p.is_symlink())
    assert sum(1 for m in members.values() if m.isfile() or m.issym()) == files


# -- the frozen app ---------------------------------------------------------------


@pytest.mark.slow
def test_frozen_version_prints_package_version(frozen, tmp_path):
    from inkpick_desktop import __version__

    run = run_frozen(frozen, tmp_path, "--version")
    assert run.code == 0, run.stderr
    assert run.stdout.strip() == __version__


@pytest.mark.slow
def test_frozen_self_test_on_starter_catalog_passes(frozen, tmp_path):
    empty = tmp_path / "no-datasets"
    empty.mkdir()
    run = run_frozen(frozen, tmp_path, "--self-test", "--datasets", str(empty))
    line = _summary(run)
    assert run.code == 0, line
    expected = (
        r"self-test ok in [\d.]+ s: "
        r"cinema \[Inkpick starter catalog \(Cinema\)\] 3 modes, max [\d.]+ ms; "
        r"music \[Inkpick starter catalog \(Music\)\] 3 modes, max [\d.]+ ms; "
        r"courses \[Inkpick starter catalog \(Courses\)\] 3 modes, max [\d.]+ ms"
    )
    assert re.fullmatch(expected, line), line
    assert list(empty.iterdir()) == []
    # caches and settings went to the user's folders, nowhere else
    models = run.home / ".cache" / "Inkpick" / "models"
    assert any(p.name.startswith("cinema-starter-") for p in models.iterdir())
    assert list((run.home / ".config" / "Inkpick").glob("*.ini"))


@pytest.mark.slow
@pytest.mark.realdata
def test_frozen_self_test_on_real_datasets_passes(frozen, tmp_path, datasets_root):
    before = _snapshot(datasets_root)
    run = run_frozen(frozen, tmp_path, "--self-test", "--datasets", str(datasets_root))
    line = _summary(run)
    assert run.code == 0, line
    assert line.startswith("self-test ok in ")
    assert "starter" not in line
    assert re.search(r"cinema \[MovieLens[^\]]*\] 3 modes", line), line
    assert re.search(r"music \[Last\.fm[^\]]*\] 3 modes", line), line
    assert re.search(r"courses \[[^\]]+\] 3 modes", line), line
    assert _snapshot(datasets_root) == before, "the datasets folder was written to"
    assert (run.home / ".cache" / "Inkpick" / "movielens.npz").is_file()


@pytest.mark.slow
def test_frozen_missing_datasets_folder_exits_with_reason(frozen, tmp_path):
    missing = tmp_path / "not-there"
    run = run_frozen(frozen, tmp_path, "--self-test", "--datasets", str(missing))
    assert run.code == 2
    assert f"datasets folder '{missing}' does not exist" in run.stderr
