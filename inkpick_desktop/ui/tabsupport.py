"""Plain helpers of the domain tab: query parameters, answers, formatting."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inkpick_desktop.data.model import LABEL_SEP
from inkpick_desktop.engine.results import Mode, Recommendation, ResultRow, TitleMatch


@dataclass(frozen=True)
class Params:
    """The knobs of a query as the controls show them (alpha None = auto)."""

    mode: Mode
    alpha: float | None
    diversity: float
    k: int


@dataclass(frozen=True)
class Answer:
    """What a query call returns to the GUI thread."""

    rec: Recommendation
    params: Params
    reblend: bool
    history: list[ResultRow] | None = None


class NoPicksInDatasetError(Exception):
    """None of the picks exists in the loaded dataset (shown, not logged)."""


def query_kwargs(p: Params) -> dict[str, Any]:
    """Keyword arguments of ``Recommender.recommend_*`` for ``p``."""
    return {"mode": p.mode, "alpha": p.alpha, "diversity": p.diversity, "k": p.k}


def with_year(title: str, year: int) -> str:
    """``"Title (1999)"`` unless the title already carries its year."""
    if year and str(year) not in title:
        return f"{title} ({year})"
    return title


def dataset_label(key: str) -> str:
    """Display name of a loader key (``"movielens"`` -> ``"MovieLens 32M ..."``)."""
    try:
        from inkpick_desktop.data.loaders import LOADERS

        spec = LOADERS.get(key)
    except ImportError:
        spec = None
    label = getattr(spec, "label", "")
    return str(label) if label else key


def labels_header(service: Any) -> str:
    return str(getattr(service, "labels_header", "") or "Genres / tags")


def details_html(row: ResultRow) -> str:
    """The side panel's text for one result row."""

    def score(v: float | None) -> str:
        return "—" if v is None else f"{v:.3f}"

    labels = html.escape(", ".join(x for x in row.labels.split(LABEL_SEP) if x))
    scores = (
        f"score {score(row.score)} · content {score(row.content)} · "
        f"collaborative {score(row.collaborative)}"
    )
    parts = [
        f"<h3>{html.escape(with_year(row.title, row.year))}</h3>",
        f"<p>{labels}</p>" if labels else "",
        f"<p><b>Why:</b> {html.escape(row.why)}</p>" if row.why else "",
        f"<p><i>{html.escape(row.fallback)}</i></p>" if row.fallback else "",
        f"<p>{scores}</p>",
        f"<p>id {html.escape(row.id)}</p>",
    ]
    return "".join(parts)


def dataset_summary(
    recommender: Any, chosen_label: str = "", noun: str = "item"
) -> str:
    """``"87,873 movies · 610 users · 100,836 ratings"``, prefixed by the
    dataset label when it differs from the chooser's (a starter fallback)."""
    catalog = getattr(recommender, "catalog", None)
    parts = [f"{catalog.n_items:,} {noun}s"] if catalog is not None else []
    inter = getattr(recommender, "interactions", None)
    if inter is not None:
        parts.append(f"{inter.n_users:,} users · {inter.n_events:,} interactions")
    else:
        parts.append("no user data")
    label = str(getattr(recommender, "dataset_label", ""))
    if label and label != chosen_label:
        parts.insert(0, label)
    return " · ".join(parts)


def match_labels(matches: Sequence[TitleMatch]) -> list[str]:
    """Display labels of title matches, told apart when titles repeat.

    A repeated title gets its ``detail`` (provider, genres) and, if that is not
    enough, its id.
    """
    base = [with_year(m.title, m.year) for m in matches]
    labels = list(base)
    for i, m in enumerate(matches):
        if base.count(base[i]) > 1:
            labels[i] = f"{base[i]} — {m.detail}" if m.detail else base[i]
    for i, m in enumerate(matches):
        if labels.count(labels[i]) > 1:
            labels[i] = f"{labels[i]} [{m.id}]"
    return labels


def correction_html(rec: Recommendation, max_others: int = 3) -> str:
    """The "did you mean" line: the title used and links to other candidates."""
    res = rec.query
    if res is None or not res.corrected:
        return ""
    chosen = [c for c in res.candidates if c.index == res.index]
    others = [c for c in res.candidates if c.index != res.index][:max_others]
    labels = match_labels(chosen[:1] + others)[len(chosen[:1]) :]
    links = " · ".join(
        f'<a href="item:{c.index}">{html.escape(label)}</a>'
        for c, label in zip(others, labels, strict=True)
    )
    text = (
        f"Did you mean <b>{html.escape(res.title)}</b>? Showing results for it "
        f"instead of “{html.escape(res.text)}”."
    )
    return text + (f" Other matches: {links}" if links else "")


MODE_LABELS = {
    Mode.CONTENT: "Content",
    Mode.COLLABORATIVE: "Collaborative",
    Mode.HYBRID: "Hybrid",
}
