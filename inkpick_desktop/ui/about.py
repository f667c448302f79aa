"""Help → About: version, and every dataset's attribution and licence."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from inkpick_desktop import __version__


def credits_html(datasets: Any = None) -> str:
    """HTML listing each dataset's title, licence (with link) and attribution."""
    if datasets is None:
        from inkpick_desktop.data.registry import DATASETS

        datasets = DATASETS
    parts = ["<h3>Data credits</h3>"]
    for spec in datasets.values():
        title = html.escape(spec.title)
        licence = html.escape(spec.licence)
        url = html.escape(spec.licence_url, quote=True)
        home = html.escape(spec.homepage, quote=True)
        redist = (
            ""
            if spec.redistributable
            else " Not redistributable; not shipped with Inkpick."
        )
        parts.append(
            f'<p><b><a href="{home}">{title}</a></b> ({html.escape(spec.key)})<br>'
            f'Licence: <a href="{url}">{licence}</a>.{html.escape(redist)}<br>'
            f"{html.escape(spec.attribution)}</p>"
        )
    return "".join(parts)


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Inkpick Desktop")
        self.resize(640, 560)
        head = QLabel(
            f"<h2>Inkpick Desktop {html.escape(__version__)}</h2>"
            "<p>Hybrid recommendations for cinema, music and online courses, "
            "computed on your own computer. Nothing you pick leaves it.</p>"
        )
        head.setWordWrap(True)
        self.credits = QTextBrowser()
        self.credits.setOpenExternalLinks(True)
        self.credits.setAccessibleName("Data credits")
        self.credits.setHtml(credits_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addWidget(self.credits, 1)
        layout.addWidget(buttons)
