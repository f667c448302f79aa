"""Where the top-level ``resources/`` folder is, from a checkout or a frozen app.

Every icon and stylesheet is found through :func:`resource_path`, so PyInstaller
only has to ship the folder (``datas=[("resources", "resources")]``) and nothing
else changes.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

logger = logging.getLogger(__name__)

#: Square PNG sizes drawn from the SVG by ``resources/generate_icons.py``.
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def resources_dir() -> Path:
    """The ``resources`` folder: ``sys._MEIPASS/resources`` when frozen."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(frozen_root) / "resources"
    # inkpick_desktop/ui/resources.py -> repository root
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(name: str) -> Path:
    """Absolute path of one resource file; a missing file is logged, not fatal."""
    path = resources_dir() / name
    if not path.exists():
        logger.warning("resource %s not found in %s", name, resources_dir())
    return path


def app_icon() -> QIcon:
    """The application icon: every PNG size that exists, the SVG as fallback."""
    icon = QIcon()
    for size in ICON_SIZES:
        png = resources_dir() / f"icon-{size}.png"
        if png.exists():
            icon.addFile(str(png), QSize(size, size))
    svg = resources_dir() / "icon.svg"
    if icon.isNull() and svg.exists():
        icon.addFile(str(svg))
    return icon


def stylesheet() -> str:
    """The application stylesheet (palette-relative only, so dark mode works)."""
    path = resource_path("style.qss")
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        logger.warning("cannot read stylesheet %s: %s", path, exc)
        return ""
