"""The Markdown report the suite writes to ``docs/PERFORMANCE.md``.

A :class:`Report` is a header (machine, datasets, thread settings) plus
:class:`Section` objects, each holding paragraphs and :class:`Table` objects in
the order they were added. :func:`timing_table` turns :class:`Timing` figures,
with optional targets, into the standard table (p50 / p95 / p99 / CPU p95 /
target / met). :meth:`Report.write` replaces the file atomically.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._stats import Timing

#: Table header of timing figures.
TIMING_HEADER = ("figure", "n", "p50 ms", "p95 ms", "p99 ms", "CPU p95 ms", "target")


def fmt_ms(value: float) -> str:
    """Milliseconds with about three significant digits; ``–`` for NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    a = abs(value)
    if a >= 100:
        return f"{value:,.0f}"
    if a >= 10:
        return f"{value:.1f}"
    if a >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def fmt_ratio(value: float) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.2f}×" if value < 10 else f"{value:.1f}×"


@dataclass(frozen=True)
class Target:
    """A figure's goal: ``stat`` (``"p95"``) of the figure at most ``limit_ms``."""

    limit_ms: float
    stat: str = "p95"

    def met(self, timing: Timing) -> bool:
        return float(getattr(timing, self.stat)) <= self.limit_ms

    def describe(self, timing: Timing) -> str:
        verdict = "met" if self.met(timing) else "**missed**"
        return f"{self.stat} ≤ {fmt_ms(self.limit_ms)} ms: {verdict}"


@dataclass
class Table:
    header: Sequence[str]
    rows: list[Sequence[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        if len(cells) != len(self.header):
            raise ValueError(
                f"row has {len(cells)} cells, the table {len(self.header)} columns"
            )
        self.rows.append([str(c) for c in cells])

    def render(self) -> str:
        def line(cells: Iterable[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

        out = [line(self.header), "| " + " | ".join("---" for _ in self.header) + " |"]
        out.extend(line(r) for r in self.rows)
        return "\n".join(out)


def timing_table(
    timings: Iterable[Timing], targets: dict[str, Target] | None = None
) -> Table:
    """The standard table of timing figures; ``targets`` keyed by figure name."""
    table = Table(TIMING_HEADER)
    for t in timings:
        target = (targets or {}).get(t.name)
        table.add(
            t.name,
            t.n,
            fmt_ms(t.p50),
            fmt_ms(t.p95),
            fmt_ms(t.p99),
            fmt_ms(t.cpu_p95),
            target.describe(t) if target else "",
        )
    return table


@dataclass
class Section:
    """One part of the report: a title and blocks (paragraphs and tables)."""

    title: str
    blocks: list[str | Table] = field(default_factory=list)
    #: Figures of the section, kept for the summary and the JSON dump.
    timings: list[Timing] = field(default_factory=list)
    #: Target results ``(what, target text, met)`` for the summary table.
    verdicts: list[tuple[str, str, bool, str]] = field(default_factory=list)

    def text(self, paragraph: str) -> None:
        self.blocks.append(paragraph.strip())

    def table(self, table: Table) -> Table:
        self.blocks.append(table)
        return table

    def figures(
        self, timings: Sequence[Timing], targets: dict[str, Target] | None = None
    ) -> None:
        """Add a timing table and remember the figures and target verdicts."""
        self.timings.extend(timings)
        self.table(timing_table(timings, targets))
        for t in timings:
            target = (targets or {}).get(t.name)
            if target is not None:
                cpu = getattr(t, f"cpu_{target.stat}", float("nan"))
                detail = (
                    f"{target.stat} ≤ {fmt_ms(target.limit_ms)} ms "
                    f"(measured {fmt_ms(getattr(t, target.stat))} ms"
                )
                note = ""
                if not math.isnan(cpu):
                    detail += f"; CPU {target.stat} {fmt_ms(cpu)} ms"
                    if not target.met(t) and cpu <= target.limit_ms:
                        note = "CPU time within target: wall time lost to load"
                self.verdict(t.name, detail + ")", target.met(t), note)

    def verdict(self, what: str, detail: str, met: bool, note: str = "") -> None:
        self.verdicts.append((what, detail, met, note))

    def render(self, level: int = 2) -> str:
        parts = ["#" * level + " " + self.title]
        for block in self.blocks:
            parts.append(block.render() if isinstance(block, Table) else block)
        return "\n\n".join(parts)


@dataclass
class Report:
    title: str
    preamble: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def add(self, section: Section) -> Section:
        self.sections.append(section)
        return section

    def summary(self) -> Section:
        """All target verdicts of every section, in one table."""
        out = Section("Targets")
        table = Table(("target", "measured", "result"))
        for section in self.sections:
            for what, detail, met, note in section.verdicts:
                result = "met" if met else "**missed**"
                table.add(what, detail, f"{result} ({note})" if note else result)
        if table.rows:
            out.table(table)
        else:
            out.text("No target was measured in this run.")
        return out

    def render(self) -> str:
        parts = [f"# {self.title}", *[p.strip() for p in self.preamble]]
        parts.append(self.summary().render())
        parts.extend(s.render() for s in self.sections)
        return "\n\n".join(parts) + "\n"

    def write(self, path: Path) -> None:
        """Write atomically: temp file in the same folder, fsync, replace."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(self.render())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
