"""Typed access to the app's QSettings, with defaults in one place.

Organisation ``Inkpick``, application ``Inkpick Desktop``, INI format in user
scope. Tests hand :class:`AppSettings` their own ``QSettings`` (an INI file in
``tmp_path``) so they never see a developer's real settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QSettings

from inkpick_desktop.engine.results import Mode

logger = logging.getLogger(__name__)

ORGANISATION = "Inkpick"
APPLICATION = "Inkpick Desktop"


@dataclass(frozen=True)
class TabState:
    """What a domain tab remembers between runs."""

    mode: Mode = Mode.HYBRID
    alpha: float = 0.5
    auto_alpha: bool = True
    diversity: float = 1.0
    k: int = 10
    dataset: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {self.alpha!r}")
        if not 0.0 <= self.diversity <= 1.0:
            raise ValueError(f"diversity must be in [0, 1], got {self.diversity!r}")
        if not 1 <= self.k <= 100:
            raise ValueError(f"k must be in 1..100, got {self.k!r}")


def default_qsettings() -> QSettings:
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION
    )


class AppSettings:
    """Typed getters and setters over one ``QSettings``."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._s = qsettings if qsettings is not None else default_qsettings()

    @property
    def qsettings(self) -> QSettings:
        return self._s

    def sync(self) -> None:
        self._s.sync()

    # window ---------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self._s.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_geometry(self, value: QByteArray) -> None:
        self._s.setValue("window/geometry", value)

    def window_state(self) -> QByteArray | None:
        value = self._s.value("window/state")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_state(self, value: QByteArray) -> None:
        self._s.setValue("window/state", value)

    def last_tab(self) -> str:
        return str(self._s.value("window/last_tab", "") or "")

    def set_last_tab(self, key: str) -> None:
        self._s.setValue("window/last_tab", key)

    # paths ----------------------------------------------------------------
    def datasets_root(self) -> str:
        return str(self._s.value("paths/datasets", "") or "")

    def set_datasets_root(self, path: str) -> None:
        self._s.setValue("paths/datasets", path)

    # per-domain tab state -------------------------------------------------
    def tab_state(self, domain: str) -> TabState:
        group = f"domain.{domain}"
        default = TabState()
        try:
            return TabState(
                mode=Mode(str(self._s.value(f"{group}/mode", default.mode.value))),
                alpha=_float(self._s.value(f"{group}/alpha"), default.alpha),
                auto_alpha=_bool(self._s.value(f"{group}/auto_alpha"), True),
                diversity=_float(
                    self._s.value(f"{group}/diversity"), default.diversity
                ),
                k=int(_float(self._s.value(f"{group}/k"), default.k)),
                dataset=str(self._s.value(f"{group}/dataset", "") or ""),
            )
        except (ValueError, TypeError) as exc:
            # A hand-edited or foreign settings file must not stop the app.
            logger.warning("ignoring saved settings of %s: %s", domain, exc)
            return default

    def set_tab_state(self, domain: str, state: TabState) -> None:
        group = f"domain.{domain}"
        self._s.setValue(f"{group}/mode", state.mode.value)
        self._s.setValue(f"{group}/alpha", state.alpha)
        self._s.setValue(f"{group}/auto_alpha", state.auto_alpha)
        self._s.setValue(f"{group}/diversity", state.diversity)
        self._s.setValue(f"{group}/k", state.k)
        self._s.setValue(f"{group}/dataset", state.dataset)


def _float(value: object, default: float) -> float:
    if value is None or value == "":
        return default
    return float(str(value))


def _bool(value: object, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")
