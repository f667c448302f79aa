"""The shipped starter catalog and its resource lookup."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from inkpick_desktop.data import starter
from inkpick_desktop.data.starter import load_starter, resource_path
from inkpick_desktop.engine.errors import DatasetNotFoundError, InvalidInputError

REPO = Path(__file__).resolve().parents[2]


def test_load_starter_cinema_has_the_godfather():
    ds = load_starter("cinema")
    cat = ds.catalog
    i = cat.titles.tolist().index("The Godfather (1972)")
    assert cat.years[i] == 1972
    assert cat.labels("genres", i) == ["Crime", "Drama"]
    assert 60 <= cat.n_items <= 120
    assert ds.key == "starter-cinema"


@pytest.mark.parametrize(
    ("domain", "low", "high", "kind"),
    [
        ("cinema", 60, 120, "rating"),
        ("music", 60, 100, "playcount"),
        ("courses", 60, 100, "implicit"),
    ],
)
def test_load_starter_sizes_and_synthetic_note(domain, low, high, kind):
    ds = load_starter(domain)
    assert ds.catalog.domain == domain
    assert low <= ds.catalog.n_items <= high
    inter = ds.interactions
    assert inter is not None and inter.value_kind == kind
    assert inter.n_users >= 24
    assert "synthetic" in ds.interactions_note.lower()
    assert all(u.startswith(f"demo-{domain}-") for u in inter.user_ids.tolist())
    # every demo user has a handful of events, and no item id is unknown
    counts = np.bincount(inter.users, minlength=inter.n_users)
    assert counts.min() >= 5
    assert not ds.warnings


def test_load_starter_courses_provider_label():
    cat = load_starter("courses").catalog
    assert set(cat.fields["provider"].tolist()) == {"Inkpick starter"}
    assert "provider" in cat.label_fields and "subjects" in cat.label_fields


def test_starter_interactions_have_taste_clusters():
    """Users share their favourite labels: most events hit a user's top label."""
    ds = load_starter("cinema")
    inter, cat = ds.interactions, ds.catalog
    share = []
    for u in range(inter.n_users):
        items, _ = inter.history(u)
        labels = [g for i in items for g in cat.labels("genres", int(i))]
        top = max(set(labels), key=labels.count)
        share.append(
            sum(top in cat.labels("genres", int(i)) for i in items) / len(items)
        )
    assert np.mean(share) > 0.6


def test_starter_interactions_are_current():
    spec = importlib.util.spec_from_file_location(
        "make_starter_interactions", REPO / "scripts" / "make_starter_interactions.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for domain in ("cinema", "music", "courses"):
        path = REPO / "data" / "starter" / f"interactions-{domain}.csv"
        assert module.generate(domain) == path.read_text(encoding="utf-8")


def test_starter_catalog_ids_unique_and_titles_nonempty():
    for name in ("cinema.csv", "music.csv", "courses.csv"):
        with open(resource_path("data", "starter", name), encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        ids = [r[0] for r in rows[1:]]
        assert len(ids) == len(set(ids))
        assert all(r[1].strip() for r in rows[1:])


def test_resource_path_prefers_meipass_when_frozen(tmp_path, monkeypatch):
    target = tmp_path / "data" / "starter" / "cinema.csv"
    target.parent.mkdir(parents=True)
    target.write_text("id,title,year,genres\nx,Frozen Film (2000),2000,Drama\n")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_path("data", "starter", "cinema.csv") == target


def test_resource_path_source_checkout():
    assert resource_path("data", "starter", "music.csv") == (
        REPO / "data" / "starter" / "music.csv"
    )


def test_resource_path_missing_lists_places(monkeypatch, tmp_path):
    monkeypatch.setattr(starter, "_bases", lambda: [tmp_path])
    with pytest.raises(DatasetNotFoundError, match="nothing.csv not found; looked at"):
        resource_path("data", "nothing.csv")
    with pytest.raises(InvalidInputError):
        resource_path("..", "etc")


def test_load_starter_unknown_domain():
    with pytest.raises(InvalidInputError, match="domain must be one of"):
        load_starter("books")
