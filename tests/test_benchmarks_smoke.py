"""Smoke tests of the benchmark suite's generator, statistics and report writer.

Tiny sizes only and no timing assertions: the suite itself runs on purpose
(``make bench``); these tests check that its pieces produce what they claim.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from benchmarks._stats import Timing, measure, measure_calls
from benchmarks.latency import misspell
from benchmarks.report import Report, Section, Target, fmt_ms
from benchmarks.synthetic import (
    Distribution,
    synthetic_catalog,
    synthetic_interactions,
    text_stats,
    value_distribution,
)
from inkpick_desktop.data.model import Catalog, Interactions


@pytest.fixture
def tiny_catalog() -> Catalog:
    return Catalog(
        domain="cinema",
        ids=np.array(["1", "2", "3", "4"]),
        titles=np.array(
            ["Red Moon (1990)", "Blue Moon Rising (1991)", "Red (1990)", "Moon"]
        ),
        years=np.array([1990, 1991, 1990, 0], np.int32),
        fields={
            "genres": np.array(["Drama|Comedy", "Drama", "", "Horror"]),
            "tags": np.array(["", "", "", "dark"]),
        },
        label_fields=("genres", "tags"),
    )


def test_text_stats_counts_words_lengths_labels(tiny_catalog: Catalog) -> None:
    stats = text_stats(tiny_catalog)

    words = dict(zip(stats.words.values.tolist(), stats.words.p.tolist(), strict=True))
    assert words == pytest.approx(
        {"Moon": 3 / 7, "Red": 2 / 7, "Blue": 1 / 7, "Rising": 1 / 7}
    )
    lengths = dict(
        zip(
            stats.words_per_title.values.tolist(),
            stats.words_per_title.p.tolist(),
            strict=True,
        )
    )
    assert lengths == pytest.approx({1: 0.5, 2: 0.25, 3: 0.25})
    genres, per_item = stats.labels["genres"]
    assert genres.values.tolist() == ["Drama", "Comedy", "Horror"]
    assert dict(
        zip(per_item.values.tolist(), per_item.p.tolist(), strict=True)
    ) == pytest.approx({1: 0.5, 0: 0.25, 2: 0.25})
    assert stats.years.values.tolist() == [1990, 0, 1991]


def test_synthetic_catalog_draws_only_from_the_source_vocabulary(
    tiny_catalog: Catalog,
) -> None:
    stats = text_stats(tiny_catalog)

    cat = synthetic_catalog(stats, 500, seed=3)

    assert cat.n_items == 500 and len(set(cat.ids.tolist())) == 500
    assert cat.label_fields == ("genres", "tags")
    vocab = {"Red", "Moon", "Blue", "Rising"}
    for title, year in zip(cat.titles.tolist(), cat.years.tolist(), strict=True):
        words = title.removesuffix(f" ({year})").split() if year else title.split()
        assert 1 <= len(words) <= 3 and set(words) <= vocab
        assert year in (0, 1990, 1991)
    for value in cat.fields["genres"].tolist():
        labels = [v for v in value.split("|") if v]
        assert len(labels) == len(set(labels)) <= 2
        assert set(labels) <= {"Drama", "Comedy", "Horror"}
    assert set(cat.fields["tags"].tolist()) <= {"", "dark"}


def test_synthetic_catalog_same_seed_same_items(tiny_catalog: Catalog) -> None:
    stats = text_stats(tiny_catalog)

    a, b = synthetic_catalog(stats, 50, seed=7), synthetic_catalog(stats, 50, seed=7)
    c = synthetic_catalog(stats, 50, seed=8)

    assert a.titles.tolist() == b.titles.tolist()
    assert a.fields["genres"].tolist() == b.fields["genres"].tolist()
    assert a.titles.tolist() != c.titles.tolist()


def test_synthetic_catalog_frequencies_follow_the_source() -> None:
    stats = text_stats(
        Catalog(
            domain="x",
            ids=np.array(["a", "b", "c", "d"]),
            titles=np.array(["x x x y", "x", "x", "x"]),
            years=np.zeros(4, np.int32),
        )
    )

    cat = synthetic_catalog(stats, 4000, seed=1)

    counts = Counter(w for t in cat.titles.tolist() for w in t.split())
    share = counts["x"] / (counts["x"] + counts["y"])
    assert 0.82 < share < 0.9  # source share 6/7 = 0.857, 4000+ draws


def test_synthetic_interactions_are_skewed_and_in_range() -> None:
    values = Distribution.of(Counter({4.0: 3, 2.0: 1}))

    inter = synthetic_interactions(
        2000, n_users=300, mean_events=20, values=values, exponent=1.0, seed=5
    )

    assert isinstance(inter, Interactions)
    assert inter.n_users == 300 and inter.n_items == 2000
    assert np.bincount(inter.users, minlength=300).min() >= 1
    assert set(np.unique(inter.values).tolist()) <= {2.0, 4.0}
    counts = np.sort(np.bincount(inter.items, minlength=2000))[::-1]
    # Zipf with s = 1: the top 1% of items hold far more than 1% of the events.
    assert counts[:20].sum() > 0.25 * inter.n_events
    assert value_distribution(inter).values.tolist() == [4.0, 2.0]


def test_synthetic_interactions_refuse_empty_sizes() -> None:
    values = Distribution.of(Counter({1.0: 1}))
    with pytest.raises(ValueError, match="n_users"):
        synthetic_interactions(10, n_users=0, mean_events=5, values=values)


def test_timing_from_samples_percentiles_exact() -> None:
    t = Timing.from_samples("x", [float(v) for v in range(1, 101)], [1.0] * 100)

    assert (t.n, t.p50, t.p95, t.p99) == (100, 50.5, 95.05, 99.01)
    assert t.mean == 50.5 and t.cpu_p95 == 1.0


def test_measure_counts_calls_after_warmup() -> None:
    calls: list[int] = []

    t = measure("count", calls.append, [1, 2, 3], warmup=2)
    u = measure_calls("noop", lambda: calls.append(0), repeats=4, warmup=1)

    assert calls == [1, 2, 1, 2, 3, 0, 0, 0, 0, 0]
    assert t.n == 3 and u.n == 4
    assert t.p50 <= t.p95 <= t.p99


def test_misspell_applies_the_edits_deterministically() -> None:
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)

    a = misspell("godfather", 2, rng_a)

    assert a == misspell("godfather", 2, rng_b)
    assert a != "godfather" and abs(len(a) - len("godfather")) <= 2


def test_report_write_renders_figures_and_targets(tmp_path) -> None:
    report = Report("Perf")
    section = report.add(Section("Latency"))
    fast = Timing.from_samples("fast query", [1.0, 2.0, 3.0], [0.5, 0.5, 0.5])
    slow = Timing.from_samples("slow query", [10.0, 20.0, 30.0], [1.0, 1.0, 1.0])
    section.figures(
        [fast, slow], {"fast query": Target(5.0), "slow query": Target(5.0)}
    )
    out = tmp_path / "docs" / "PERFORMANCE.md"

    report.write(out)

    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Perf\n")
    assert "| figure | n | p50 ms | p95 ms | p99 ms | CPU p95 ms | target |" in text
    assert (
        "| fast query | 3 | 2.00 | 2.90 | 2.98 | 0.500 | p95 ≤ 5.00 ms: met |" in text
    )
    assert (
        "slow query | p95 ≤ 5.00 ms (measured 29.0 ms; CPU p95 1.00 ms) | "
        "**missed** (CPU time within target: wall time lost to load)" in text
    )
    assert [p.name for p in out.parent.iterdir()] == ["PERFORMANCE.md"]


def test_fmt_ms_digits() -> None:
    assert [fmt_ms(v) for v in (0.01234, 1.234, 12.34, 1234.5)] == [
        "0.012",
        "1.23",
        "12.3",
        "1,234",
    ]
    assert fmt_ms(float("nan")) == "–"
