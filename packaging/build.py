"""Build the one-folder Inkpick Desktop bundle and its Linux tarball.

``make installer`` runs this script with the project's virtual environment::

    .venv/bin/python packaging/build.py [--dist DIR] [--work DIR] [--no-tarball]

Steps: PyInstaller with ``packaging/inkpick.spec`` into ``DIR/inkpick-desktop/``;
strip the debug information from CPython's own libraries (libpython and its
extension modules, built with ``-g``: about 20 MB); copy the ``.desktop`` entry,
the 256-px icon and ``docs/INSTALL.md`` next to the executable; pack the folder
as ``DIR/inkpick-desktop-<version>-linux-x86_64.tar.gz``. It prints the bundle
size and the build time on the last line and exits non-zero when a step fails.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Sequence
from pathlib import Path

logger = logging.getLogger("inkpick.build")

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "packaging" / "inkpick.spec"
APP = "inkpick-desktop"
#: Files placed beside the executable: (source in the repo, name in the bundle).
EXTRAS = (
    (REPO / "packaging" / "inkpick-desktop.desktop", "inkpick-desktop.desktop"),
    (REPO / "resources" / "icon-256.png", "inkpick-desktop.png"),
    (REPO / "docs" / "INSTALL.md", "INSTALL.md"),
)


class BuildError(RuntimeError):
    """A build step failed; the message says which and why."""


def version() -> str:
    """The package version, read from ``inkpick_desktop/__init__.py``."""
    text = (REPO / "inkpick_desktop" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    if found is None:
        raise BuildError('no __version__ = "..." line in inkpick_desktop/__init__.py')
    return found.group(1)


def tarball_name(ver: str) -> str:
    """``inkpick-desktop-<version>-<os>-<machine>.tar.gz``."""
    system = platform.system().lower() or "unknown"
    machine = platform.machine().lower() or "unknown"
    return f"{APP}-{ver}-{system}-{machine}.tar.gz"


def folder_size(folder: Path) -> int:
    """Bytes of every regular file under ``folder`` (symbolic links not followed)."""
    total = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total


def run_pyinstaller(dist: Path, work: Path) -> Path:
    """Run PyInstaller on the spec; the bundle folder it made."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise BuildError(
            "PyInstaller is not installed in this Python "
            f"({sys.executable}); run: pip install -e '.[installer]'"
        ) from None
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        str(SPEC),
    ]
    logger.info("running %s", " ".join(command))
    done = subprocess.run(command, cwd=REPO, check=False)
    bundle = dist / APP
    if done.returncode != 0:
        raise BuildError(f"PyInstaller failed with exit code {done.returncode}")
    if not (bundle / APP).is_file():
        raise BuildError(f"PyInstaller finished but {bundle / APP} is missing")
    return bundle


def strip_python_debug_info(bundle: Path) -> int:
    """``strip --strip-debug`` libpython and lib-dynload; bytes saved (0 if no strip).

    Only CPython's own files are touched: the wheels' libraries (Qt, NumPy's
    OpenBLAS) are already stripped and were rewritten by patchelf, which
    ``strip`` is known to corrupt.
    """
    strip = shutil.which("strip")
    internal = bundle / "_internal"
    targets = sorted(internal.glob("libpython*.so*"))
    targets += sorted(internal.glob("python3*/lib-dynload/*.so"))
    targets = [p for p in targets if p.is_file() and not p.is_symlink()]
    if strip is None or not targets:
        logger.warning("not stripping debug information (strip not found)")
        return 0
    before = sum(p.stat().st_size for p in targets)
    subprocess.run([strip, "--strip-debug", *map(str, targets)], check=True)
    return before - sum(p.stat().st_size for p in targets)


def add_extras(bundle: Path) -> None:
    """Copy the desktop entry, the icon and INSTALL.md beside the executable."""
    for source, name in EXTRAS:
        if not source.is_file():
            raise BuildError(f"{source} is missing from the checkout")
        shutil.copyfile(source, bundle / name)


def _normalised(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def make_tarball(bundle: Path, ver: str) -> Path:
    """Pack ``bundle`` as ``inkpick-desktop-<version>/`` in a .tar.gz beside it."""
    target = bundle.parent / tarball_name(ver)
    tmp = target.with_name(f".{target.name}.tmp")
    with tarfile.open(tmp, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=f"{APP}-{ver}", filter=_normalised)
    os.replace(tmp, target)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist", help="output")
    parser.add_argument(
        "--work", type=Path, default=REPO / "build" / "pyinstaller", help="scratch"
    )
    parser.add_argument("--no-tarball", action="store_true", help="skip the .tar.gz")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="build: %(message)s")

    started = time.monotonic()
    try:
        ver = version()
        bundle = run_pyinstaller(args.dist.resolve(), args.work.resolve())
        saved = strip_python_debug_info(bundle)
        logger.info("stripped %.1f MB of debug information", saved / 1e6)
        add_extras(bundle)
        tarball = None if args.no_tarball else make_tarball(bundle, ver)
    except (BuildError, subprocess.CalledProcessError, OSError) as exc:
        print(f"build: FAILED: {exc}", file=sys.stderr)
        return 1

    seconds = time.monotonic() - started
    size = folder_size(bundle)
    packed = f", tarball {tarball.stat().st_size / 1e6:.1f} MB" if tarball else ""
    print(
        f"build: {bundle} {size / 1e6:.1f} MB{packed}"
        + (f" ({tarball.name})" if tarball else "")
        + f", built in {seconds:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
