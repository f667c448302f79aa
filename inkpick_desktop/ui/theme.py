"""Fusion style with a light or dark palette that follows the system.

Qt reports the system's colour scheme through ``QStyleHints.colorScheme()``
(Qt 6.5+); when it says dark, or the user asks for ``--theme dark``, a dark
palette is set. Nothing else in the app hard-codes a colour: the stylesheet and
the score bars use palette roles only.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from inkpick_desktop.ui.resources import stylesheet

logger = logging.getLogger(__name__)

THEMES = ("system", "light", "dark")


def dark_palette() -> QPalette:
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    base, window, text = QColor(30, 32, 36), QColor(40, 43, 48), QColor(226, 228, 232)
    accent = QColor(94, 129, 244)
    p.setColor(role.Window, window)
    p.setColor(role.WindowText, text)
    p.setColor(role.Base, base)
    p.setColor(role.AlternateBase, QColor(36, 38, 43))
    p.setColor(role.ToolTipBase, QColor(52, 55, 61))
    p.setColor(role.ToolTipText, text)
    p.setColor(role.PlaceholderText, QColor(140, 144, 152))
    p.setColor(role.Text, text)
    p.setColor(role.Button, QColor(50, 53, 59))
    p.setColor(role.ButtonText, text)
    p.setColor(role.BrightText, QColor(255, 120, 120))
    p.setColor(role.Light, QColor(70, 73, 80))
    p.setColor(role.Midlight, QColor(58, 61, 67))
    p.setColor(role.Mid, QColor(96, 100, 108))
    p.setColor(role.Dark, QColor(22, 23, 26))
    p.setColor(role.Shadow, QColor(0, 0, 0))
    p.setColor(role.Highlight, accent)
    p.setColor(role.HighlightedText, QColor(255, 255, 255))
    p.setColor(role.Link, QColor(130, 160, 255))
    p.setColor(role.LinkVisited, QColor(170, 140, 255))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor(120, 123, 130))
    return p


def light_palette() -> QPalette:
    p = QApplication.style().standardPalette()
    p.setColor(QPalette.ColorRole.Highlight, QColor(61, 99, 221))
    p.setColor(QPalette.ColorRole.Link, QColor(40, 80, 200))
    return p


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication, theme: str = "system") -> None:
    """Fusion style, palette for ``theme`` and the stylesheet; follows changes."""
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {THEMES}, got {theme!r}")
    app.setStyle("Fusion")

    def update(*_args: object) -> None:
        dark = theme == "dark" or theme == "system" and system_is_dark()
        app.setPalette(dark_palette() if dark else light_palette())
        app.setStyleSheet(stylesheet())
        logger.debug("palette: %s", "dark" if dark else "light")

    update()
    if theme == "system":
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(update)
