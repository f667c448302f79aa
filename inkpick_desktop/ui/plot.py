"""A small line plot painted with QPainter: axes, ticks, named series, a legend.

No plotting library: :class:`LinePlot` draws a few named series of (x, y)
points on linear axes (or a log x axis), with "nice" tick steps, axis labels, a
legend and optional ringed points (e.g. the α chosen per series). All colours
come from the widget's palette (text, base, mid) or are hues whose lightness is
picked against the palette's base colour, so the plot reads in light and dark
themes alike. NaN y values are gaps: the line breaks there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from inkpick_desktop.engine.errors import InvalidInputError

#: Hues (degrees) of the series, in order; lightness follows the theme.
SERIES_HUES = (215, 25, 135, 350, 275, 50, 185, 0)
#: Dash patterns cycled after the hues run out, so series stay distinguishable.
_DASHES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine)
X_SCALES = ("linear", "log")


@dataclass(frozen=True)
class Series:
    """One named line: ``xs[i], ys[i]`` (NaN y = no value there).

    ``marked`` holds indices of points drawn with a ring (e.g. the learned α).
    """

    name: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    marked: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if len(self.xs) != len(self.ys):
            raise InvalidInputError(
                f"series {self.name!r} has {len(self.xs)} x values and "
                f"{len(self.ys)} y values; they must match"
            )
        for i in self.marked:
            if not 0 <= i < len(self.xs):
                raise InvalidInputError(
                    f"series {self.name!r}: marked index {i} is outside "
                    f"0..{len(self.xs) - 1}"
                )


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """About ``target`` round ticks (steps 1, 2, 2.5, 5 x 10^n) over ``[lo, hi]``.

    The first tick is at or below ``lo`` and the last at or above ``hi``.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(target, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    first = math.floor(lo / step + 1e-9) * step
    ticks = []
    value = first
    while value < hi + step * 0.5:
        ticks.append(round(value, 10))
        if value >= hi - step * 1e-9:
            break
        value += step
    return ticks


def series_color(index: int, palette: QPalette) -> QColor:
    """Colour of series ``index``: a fixed hue, light on dark bases, dark on light."""
    dark = palette.color(QPalette.ColorRole.Base).lightnessF() < 0.5
    hue = SERIES_HUES[index % len(SERIES_HUES)]
    return QColor.fromHslF(hue / 360.0, 0.7, 0.68 if dark else 0.40)


def format_tick(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class LinePlot(QWidget):
    """A line plot of named series.

    Parameters
    ----------
    title
        Shown above the plot and used as the accessible name.
    x_label, y_label
        Axis titles.
    x_scale
        ``"linear"`` or ``"log"`` (x values must then be positive).
    """

    MARGIN = 8

    def __init__(
        self,
        title: str,
        x_label: str,
        y_label: str,
        *,
        x_scale: str = "linear",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if x_scale not in X_SCALES:
            raise InvalidInputError(
                f"x_scale must be one of {', '.join(X_SCALES)}, got {x_scale!r}"
            )
        self.title = title
        self.x_label = x_label
        self.y_label = y_label
        self.x_scale = x_scale
        self.marker_label = ""
        self._series: tuple[Series, ...] = ()
        self._x_ticks: tuple[float, ...] | None = None
        self.setAccessibleName(title)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAutoFillBackground(False)

    # -- data --------------------------------------------------------------------
    def series(self) -> tuple[Series, ...]:
        return self._series

    def set_series(
        self, series: Sequence[Series], *, x_ticks: Sequence[float] | None = None
    ) -> None:
        """Replace every series; ``x_ticks`` fixes the x ticks (else nice ones)."""
        if self.x_scale == "log":
            for s in series:
                if any(x <= 0 for x in s.xs):
                    raise InvalidInputError(
                        f"series {s.name!r} has x <= 0 on a log axis: {s.xs!r}"
                    )
        self._series = tuple(series)
        self._x_ticks = tuple(x_ticks) if x_ticks is not None else None
        names = ", ".join(s.name for s in self._series) or "no data"
        self.setAccessibleDescription(f"{self.title}: {names}")
        self.update()

    def clear(self) -> None:
        self.set_series(())

    def sizeHint(self) -> QSize:
        return QSize(460, 320)

    def minimumSizeHint(self) -> QSize:
        return QSize(160, 120)

    # -- geometry ------------------------------------------------------------------
    def _ranges(self) -> tuple[list[float], list[float]]:
        xs = [x for s in self._series for x in s.xs]
        ys = [y for s in self._series for y in s.ys if math.isfinite(y)]
        if self._x_ticks:
            x_ticks = list(self._x_ticks)
        elif xs and self.x_scale == "linear":
            x_ticks = nice_ticks(min(xs), max(xs))
        elif xs:
            x_ticks = sorted(set(xs))
        else:
            x_ticks = [1.0, 10.0] if self.x_scale == "log" else [0.0, 1.0]
        lo = min(0.0, min(ys)) if ys else 0.0
        hi = max(ys) if ys else 1.0
        return x_ticks, nice_ticks(lo, hi if hi > lo else lo + 1.0)

    def _fx(self, x: float) -> float:
        return math.log10(x) if self.x_scale == "log" else x

    # -- painting --------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, p: QPainter) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        grid = pal.color(QPalette.ColorRole.Mid)
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        fm = p.fontMetrics()
        line_h = fm.height()
        x_ticks, y_ticks = self._ranges()
        y_labels = [format_tick(v) for v in y_ticks]
        label_w = max(fm.horizontalAdvance(t) for t in y_labels)
        m = self.MARGIN
        legend_h = self._legend_height(fm, self.width() - 2 * m)
        plot = QRectF(
            m + line_h + label_w + 6,
            m + line_h + 4,
            self.width() - (2 * m + line_h + label_w + 6) - 10,
            self.height() - (2 * m + line_h + 4) - 2 * line_h - 8 - legend_h,
        )
        p.setPen(text)
        p.drawText(
            QRectF(0, m, self.width(), line_h),
            Qt.AlignmentFlag.AlignHCenter,
            self.title,
        )
        if plot.width() < 20 or plot.height() < 20:
            return  # too small for axes; the title alone
        x_lo, x_hi = self._fx(x_ticks[0]), self._fx(x_ticks[-1])
        if x_hi <= x_lo:
            x_hi = x_lo + 1.0
        y_lo, y_hi = y_ticks[0], y_ticks[-1]

        def to_px(x: float, y: float) -> QPointF:
            fx = (self._fx(x) - x_lo) / (x_hi - x_lo)
            fy = (y - y_lo) / (y_hi - y_lo)
            return QPointF(
                plot.left() + fx * plot.width(), plot.bottom() - fy * plot.height()
            )

        # Grid, ticks and tick labels.
        p.setPen(QPen(grid, 1, Qt.PenStyle.DotLine))
        for y in y_ticks:
            py = to_px(x_ticks[0], y).y()
            p.drawLine(QPointF(plot.left(), py), QPointF(plot.right(), py))
        for x in x_ticks:
            px = to_px(x, y_lo).x()
            p.drawLine(QPointF(px, plot.top()), QPointF(px, plot.bottom()))
        p.setPen(QPen(text, 1))
        p.drawLine(plot.bottomLeft(), plot.bottomRight())
        p.drawLine(plot.bottomLeft(), plot.topLeft())
        for y, label in zip(y_ticks, y_labels, strict=True):
            py = to_px(x_ticks[0], y).y()
            p.drawLine(QPointF(plot.left() - 4, py), QPointF(plot.left(), py))
            p.drawText(
                QRectF(plot.left() - 6 - label_w, py - line_h / 2, label_w, line_h),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
        for x in x_ticks:
            px = to_px(x, y_lo).x()
            p.drawLine(QPointF(px, plot.bottom()), QPointF(px, plot.bottom() + 4))
            p.drawText(
                QRectF(px - 40, plot.bottom() + 5, 80, line_h),
                Qt.AlignmentFlag.AlignHCenter,
                format_tick(x),
            )
        p.drawText(
            QRectF(plot.left(), plot.bottom() + 5 + line_h, plot.width(), line_h),
            Qt.AlignmentFlag.AlignHCenter,
            self.x_label,
        )
        p.save()
        p.translate(m, plot.center().y())
        p.rotate(-90)
        p.drawText(
            QRectF(-plot.height() / 2, 0, plot.height(), line_h),
            Qt.AlignmentFlag.AlignHCenter,
            self.y_label,
        )
        p.restore()

        # Series.
        p.setClipRect(plot.adjusted(-6, -6, 6, 6))
        for i, s in enumerate(self._series):
            color = series_color(i, pal)
            pen = QPen(color, 2, _DASHES[(i // len(SERIES_HUES)) % len(_DASHES)])
            p.setPen(pen)
            prev: QPointF | None = None
            for x, y in zip(s.xs, s.ys, strict=True):
                if not math.isfinite(y):
                    prev = None
                    continue
                pt = to_px(x, y)
                if prev is not None:
                    p.drawLine(prev, pt)
                prev = pt
            p.setBrush(color)
            p.setPen(Qt.PenStyle.NoPen)
            for x, y in zip(s.xs, s.ys, strict=True):
                if math.isfinite(y) and len(s.xs) <= 30:
                    p.drawEllipse(to_px(x, y), 2.5, 2.5)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(text, 1.5))
            for j in s.marked:
                if math.isfinite(s.ys[j]):
                    p.drawEllipse(to_px(s.xs[j], s.ys[j]), 6, 6)
        p.setClipping(False)
        self._paint_legend(
            p,
            fm,
            QRectF(m, self.height() - m - legend_h, self.width() - 2 * m, legend_h),
        )

    # -- legend ----------------------------------------------------------------------
    def _legend_entries(self) -> list[tuple[str, int]]:
        entries = [(s.name, i) for i, s in enumerate(self._series)]
        if self.marker_label and any(s.marked for s in self._series):
            entries.append((self.marker_label, -1))
        return entries

    def _legend_rows(
        self, fm: QFontMetrics, width: float
    ) -> list[list[tuple[str, int]]]:
        rows: list[list[tuple[str, int]]] = [[]]
        used = 0.0
        for name, i in self._legend_entries():
            w = 28 + fm.horizontalAdvance(name) + 14
            if rows[-1] and used + w > width:
                rows.append([])
                used = 0.0
            rows[-1].append((name, i))
            used += w
        return [r for r in rows if r]

    def _legend_height(self, fm: QFontMetrics, width: float) -> float:
        return len(self._legend_rows(fm, width)) * (fm.height() + 2)

    def _paint_legend(self, p: QPainter, fm: QFontMetrics, area: QRectF) -> None:
        pal = self.palette()
        line_h = fm.height()
        y = area.top()
        for row in self._legend_rows(fm, area.width()):
            x = area.left()
            for name, i in row:
                mid = y + line_h / 2
                if i >= 0:
                    color = series_color(i, pal)
                    dash = _DASHES[(i // len(SERIES_HUES)) % len(_DASHES)]
                    p.setPen(QPen(color, 2, dash))
                    p.drawLine(QPointF(x, mid), QPointF(x + 22, mid))
                else:
                    p.setPen(QPen(pal.color(QPalette.ColorRole.WindowText), 1.5))
                    p.drawEllipse(QPointF(x + 11, mid), 6, 6)
                p.setPen(pal.color(QPalette.ColorRole.WindowText))
                w = fm.horizontalAdvance(name)
                p.drawText(
                    QRectF(x + 28, y, w + 2, line_h),
                    Qt.AlignmentFlag.AlignVCenter,
                    name,
                )
                x += 28 + w + 14
            y += line_h + 2
