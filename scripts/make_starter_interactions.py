#!/usr/bin/env python3
"""Generate the *synthetic* demo interactions of the starter catalog.

Deterministic (fixed seeds, sorted inputs, stdlib only): running it again gives
byte-identical files. Each demo user gets one or two favourite labels (genres,
tags or subjects) and picks most of their items among the items carrying them,
plus a few random ones, so that taste clusters exist for the collaborative mode.
These are made-up users, not data about anybody.

Usage: python scripts/make_starter_interactions.py [--check]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from pathlib import Path

STARTER = Path(__file__).resolve().parents[1] / "data" / "starter"

#: domain -> (catalog file, label column, users, value kind)
DOMAINS = {
    "cinema": ("cinema.csv", "genres", 48, "rating"),
    "music": ("music.csv", "tags", 40, "playcount"),
    "courses": ("courses.csv", "subjects", 40, "completion"),
}
SEEDS = {"cinema": 1972, "music": 1969, "courses": 2024}
MIN_CLUSTER = 4


def _value(rng: random.Random, kind: str, liked: bool) -> str:
    if kind == "rating":  # half-star steps like MovieLens
        low, high = (7, 10) if liked else (2, 7)
        return f"{rng.randint(low, high) / 2:.1f}"
    if kind == "playcount":
        return str(rng.randint(25, 400) if liked else rng.randint(1, 20))
    return "1"


def generate(domain: str) -> str:
    """The CSV text of one domain's demo interactions."""
    name, label_col, n_users, kind = DOMAINS[domain]
    with open(STARTER / name, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ids = [r["id"] for r in rows]
    labels = {r["id"]: set(r[label_col].split("|")) for r in rows}
    by_label: dict[str, list[str]] = {}
    for item in ids:
        for label in sorted(labels[item]):
            by_label.setdefault(label, []).append(item)
    clusters = sorted(k for k, v in by_label.items() if len(v) >= MIN_CLUSTER)

    rng = random.Random(SEEDS[domain])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["user", "item", "value"])
    for u in range(1, n_users + 1):
        favourites = rng.sample(clusters, rng.choice((1, 2)))
        pool = sorted({i for f in favourites for i in by_label[f]})
        n_liked = min(len(pool), rng.randint(6, 12))
        liked = rng.sample(pool, n_liked)
        others = [i for i in ids if i not in pool]
        noise = rng.sample(others, min(len(others), rng.randint(1, 3)))
        picks = [(i, True) for i in liked] + [(i, False) for i in noise]
        rng.shuffle(picks)
        for item, is_liked in picks:
            writer.writerow(
                [f"demo-{domain}-{u:02d}", item, _value(rng, kind, is_liked)]
            )
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if files differ")
    args = parser.parse_args(argv)
    stale = []
    for domain in DOMAINS:
        path = STARTER / f"interactions-{domain}.csv"
        text = generate(domain)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
            continue
        path.write_text(text, encoding="utf-8", newline="")
        print(f"wrote {path} ({text.count(chr(10)) - 1} rows)")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
