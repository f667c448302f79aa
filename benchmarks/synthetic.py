"""Synthetic catalogs and interactions with the statistics of a real catalog.

:func:`text_stats` reads from a real :class:`Catalog` the title words (as
written, with their frequencies), the number of words per title, the label
vocabularies of its label fields with their frequencies, the number of labels
per item and the years. :func:`synthetic_catalog` draws any number of items from
those distributions, each quantity independently (word order and label
co-occurrence are not kept). :func:`synthetic_interactions` draws users with a
log-normal activity and items with a Zipf-like popularity (item of popularity
rank ``r`` is drawn with probability proportional to ``r ** -s``), with event
values drawn from a real value distribution.

Everything is generated at run time from a seed; nothing is written to disk.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from inkpick_desktop.data.model import LABEL_SEP, Catalog, Interactions


@dataclass(frozen=True)
class Distribution:
    """An empirical distribution over ``values`` with probabilities ``p``."""

    values: np.ndarray
    p: npt.NDArray[np.float64]

    @classmethod
    def of(cls, counts: Counter) -> Distribution:
        if not counts:
            return cls(np.zeros(0), np.zeros(0))
        keys = sorted(counts, key=lambda k: (-counts[k], str(k)))
        freq = np.asarray([counts[k] for k in keys], np.float64)
        return cls(np.asarray(keys), freq / freq.sum())

    def __len__(self) -> int:
        return len(self.values)

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if len(self) == 0:
            raise ValueError("cannot draw from an empty distribution")
        return self.values[rng.choice(len(self), size=size, p=self.p)]

    def mean(self) -> float:
        return float(np.dot(self.values.astype(np.float64), self.p))


@dataclass(frozen=True)
class TextStats:
    """What :func:`synthetic_catalog` draws from (see the module docstring)."""

    domain: str
    n_source_items: int
    words: Distribution
    words_per_title: Distribution
    years: Distribution
    #: label field -> (labels distribution, labels-per-item distribution)
    labels: dict[str, tuple[Distribution, Distribution]] = field(default_factory=dict)


def _title_text(title: str, year: int) -> str:
    text = title.strip()
    suffix = f"({year})"
    if year > 0 and text.endswith(suffix):
        text = text[: -len(suffix)].rstrip()
    return text


def text_stats(catalog: Catalog) -> TextStats:
    """The distributions of a real catalog's titles, labels and years."""
    words: Counter = Counter()
    lengths: Counter = Counter()
    for title, year in zip(
        catalog.titles.tolist(), catalog.years.tolist(), strict=True
    ):
        tokens = _title_text(str(title), int(year)).split()
        words.update(tokens)
        lengths[len(tokens)] += 1
    labels = {}
    for name in catalog.label_fields:
        vocab: Counter = Counter()
        per_item: Counter = Counter()
        for value in catalog.fields[name].tolist():
            items = [v for v in str(value).split(LABEL_SEP) if v]
            vocab.update(items)
            per_item[len(items)] += 1
        labels[name] = (Distribution.of(vocab), Distribution.of(per_item))
    return TextStats(
        domain=catalog.domain,
        n_source_items=catalog.n_items,
        words=Distribution.of(words),
        words_per_title=Distribution.of(lengths),
        years=Distribution.of(Counter(int(y) for y in catalog.years.tolist())),
        labels=labels,
    )


def _labels_field(
    rng: np.random.Generator,
    vocab: Distribution,
    per_item: Distribution,
    n_items: int,
) -> np.ndarray:
    """One ``LABEL_SEP``-joined string of distinct labels per item (object array)."""
    counts = per_item.draw(rng, n_items).astype(np.int64)
    counts = np.minimum(counts, len(vocab))
    out = np.full(n_items, "", dtype=object)
    labelled = np.flatnonzero(counts > 0)
    if len(labelled) == 0:
        return out
    if len(vocab) <= 64:
        # Gumbel top-k: k distinct labels per item, drawn by frequency, for a
        # small vocabulary (genres) without a Python loop per draw.
        keys = np.log(vocab.p)[None, :] + rng.gumbel(
            size=(len(labelled), len(vocab))
        ).astype(np.float32)
        order = np.argsort(-keys, axis=1)
        for row, item in enumerate(labelled.tolist()):
            chosen = vocab.values[order[row, : counts[item]]]
            out[item] = LABEL_SEP.join(str(v) for v in chosen)
        return out
    # Large vocabulary (tags): draw with replacement, keep the distinct ones.
    flat = vocab.draw(rng, int(counts[labelled].sum()))
    start = 0
    for item in labelled.tolist():
        stop = start + int(counts[item])
        chosen = dict.fromkeys(str(v) for v in flat[start:stop])
        out[item] = LABEL_SEP.join(chosen)
        start = stop
    return out


def synthetic_catalog(stats: TextStats, n_items: int, seed: int = 0) -> Catalog:
    """A catalog of ``n_items`` items drawn from ``stats``.

    Titles are ``n`` words drawn by frequency (``n`` from the words-per-title
    distribution, at least one word) followed by ``" (YYYY)"`` when the drawn
    year is not 0; ids are ``"s0"``, ``"s1"``, ...
    """
    if n_items < 1:
        raise ValueError(f"n_items must be >= 1, got {n_items!r}")
    rng = np.random.default_rng(seed)
    lengths = np.maximum(stats.words_per_title.draw(rng, n_items).astype(np.int64), 1)
    words = stats.words.draw(rng, int(lengths.sum())).tolist()
    years = stats.years.draw(rng, n_items).astype(np.int32)
    bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
    titles = []
    for i, year in enumerate(years.tolist()):
        text = " ".join(words[bounds[i] : bounds[i + 1]])
        titles.append(f"{text} ({year})" if year > 0 else text)
    fields = {
        name: _labels_field(rng, vocab, per_item, n_items)
        for name, (vocab, per_item) in stats.labels.items()
    }
    return Catalog(
        domain=stats.domain,
        # Object arrays of str, as the data layer's loaders make them: a
        # fixed-width 'U' array would cost n_items x longest value x 4 bytes.
        ids=np.asarray([f"s{i}" for i in range(n_items)], dtype=object),
        titles=np.asarray(titles, dtype=object),
        years=years,
        fields=fields,
        label_fields=tuple(stats.labels),
    )


def zipf_popularity(
    n_items: int, exponent: float, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """Draw probability per item: rank ``r`` (random order) gets ``r ** -s``."""
    ranks = rng.permutation(n_items).astype(np.float64) + 1.0
    w = ranks**-exponent
    return w / w.sum()


def synthetic_interactions(
    n_items: int,
    *,
    n_users: int,
    mean_events: float,
    values: Distribution,
    exponent: float = 1.0,
    sigma: float = 1.0,
    value_kind: str = "rating",
    seed: int = 0,
) -> Interactions:
    """Events of ``n_users`` users over ``n_items`` items.

    Events per user are log-normal (shape ``sigma``) with mean ``mean_events``,
    at least one; each event's item follows :func:`zipf_popularity`; values are
    drawn from ``values`` (e.g. the real ratings). A user may draw an item twice,
    as in real logs.
    """
    if n_items < 1 or n_users < 1 or mean_events <= 0:
        raise ValueError(
            f"need n_items, n_users >= 1 and mean_events > 0, got {n_items}, "
            f"{n_users}, {mean_events}"
        )
    rng = np.random.default_rng(seed)
    mu = np.log(mean_events) - sigma**2 / 2.0
    per_user = np.maximum(rng.lognormal(mu, sigma, n_users).round(), 1).astype(np.int64)
    users = np.repeat(np.arange(n_users, dtype=np.int32), per_user)
    p = zipf_popularity(n_items, exponent, rng)
    items = rng.choice(n_items, size=len(users), p=p).astype(np.int32)
    vals = values.draw(rng, len(users)).astype(np.float32)
    return Interactions(
        user_ids=np.asarray([f"u{u}" for u in range(n_users)]),
        users=users,
        items=items,
        values=vals,
        n_items=n_items,
        value_kind=value_kind,
    )


def value_distribution(interactions: Interactions) -> Distribution:
    """The empirical distribution of a real interaction log's values."""
    return Distribution.of(Counter(float(v) for v in interactions.values.tolist()))
