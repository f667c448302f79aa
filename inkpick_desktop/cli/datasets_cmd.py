"""``inkpick datasets [--json]``: where the data is, what loads, under which licence.

For every loader of every domain it says whether its folders are present and,
when they are, how many items, users and interactions load (through the cache).
When no dataset is found it describes the starter catalog and how to get the
real data (``inkpick download KEY`` or a manual download).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from inkpick_desktop.data.registry import DATASETS
from inkpick_desktop.engine.errors import InkpickError

logger = logging.getLogger(__name__)

DOMAIN_ORDER = ("cinema", "music", "courses")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "datasets",
        help="show the datasets folder, what it holds and the licences",
        description="Where the datasets folder was found, which datasets load "
        "(items, users, interactions) and each dataset's licence.",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--no-load", action="store_true", help="only check folders, do not load data"
    )
    p.set_defaults(func=run)


def _ordered_domains(domains: Iterable[str]) -> list[str]:
    present = set(domains)
    return [d for d in DOMAIN_ORDER if d in present] + sorted(
        present - set(DOMAIN_ORDER)
    )


def _dataset_entry(key: str, present: bool) -> dict[str, Any]:
    spec = DATASETS[key]
    return {
        "domain": spec.domain,
        "title": spec.title,
        "present": present,
        "licence": spec.licence,
        "licence_url": spec.licence_url,
        "attribution": spec.attribution,
        "redistributable": spec.redistributable,
        "download": "direct" if spec.download is not None else "manual",
    }


def _counts(ds: Any) -> dict[str, Any]:
    inter = ds.interactions
    return {
        "items": int(ds.catalog.n_items),
        "users": int(inter.n_users) if inter is not None else 0,
        "interactions": int(inter.n_events) if inter is not None else 0,
        "warnings": len(ds.warnings),
        # kept in the dataset cache, so they are listed even when nothing reloads
        "problems": [str(w) for w in ds.warnings],
        "interactions_note": ds.interactions_note,
    }


def _loader_entries(root: Path | None, load: bool) -> dict[str, dict[str, Any]]:
    from inkpick_desktop.data.cache import load_cached
    from inkpick_desktop.data.loaders import LOADERS
    from inkpick_desktop.data.locate import user_cache_dir

    domains: dict[str, dict[str, Any]] = {}
    for spec in LOADERS.values():
        found = root is not None and spec.available(root)
        optional = [
            f for f in spec.optional_folders if root is not None and (root / f).is_dir()
        ]
        entry: dict[str, Any] = {
            "label": spec.label,
            "found": found,
            "folders": list(spec.folders),
            "optional_folders": list(spec.optional_folders),
            "optional_found": optional,
            "licences": [
                DATASETS[f].licence_line
                for f in (*spec.folders, *optional)
                if f in DATASETS
            ],
        }
        if found and load and root is not None:
            try:
                entry.update(_counts(load_cached(spec.key, root, user_cache_dir())))
            except InkpickError as exc:
                logger.warning("cannot load %s: %s", spec.key, exc)
                entry["error"] = str(exc)
        domains.setdefault(spec.domain, {})[spec.key] = entry
    return {d: domains[d] for d in _ordered_domains(domains)}


def _starter_entries() -> dict[str, Any]:
    from inkpick_desktop.data.starter import DOMAINS, load_starter

    out: dict[str, Any] = {}
    for domain in DOMAINS:
        try:
            out[domain] = _counts(load_starter(domain))
        except InkpickError as exc:
            out[domain] = {"error": str(exc)}
    return out


def _how_to_get() -> list[str]:
    lines = []
    for key, spec in DATASETS.items():
        if spec.download is not None:
            lines.append(f"{key}: inkpick download {key}")
        else:
            lines.append(f"{key}: {spec.manual}")
    return lines


def collect(explicit: str | None, *, load: bool = True) -> dict[str, Any]:
    """Everything ``inkpick datasets`` reports, as JSON-ready data."""
    from inkpick_desktop.data.locate import find_datasets_root, load_saved_root

    location = find_datasets_root(explicit, settings_value=load_saved_root())
    present = set(location.present)
    data: dict[str, Any] = {
        "root": str(location.root) if location.root is not None else None,
        "source": location.source,
        "reason": location.reason,
        "present": list(location.present),
        "missing": list(location.missing),
        "domains": _loader_entries(location.root, load),
        "datasets": {k: _dataset_entry(k, k in present) for k in DATASETS},
    }
    if not any(e["found"] for d in data["domains"].values() for e in d.values()):
        data["starter"] = _starter_entries()
        data["how_to_get"] = _how_to_get()
    return data


def _fmt_counts(entry: dict[str, Any]) -> str:
    if "error" in entry:
        return f"cannot load: {entry['error']}"
    if "items" not in entry:
        return ""
    text = f"{entry['items']:,} items"
    if entry["users"]:
        text += f", {entry['users']:,} users, {entry['interactions']:,} interactions"
    else:
        text += ", no user data"
    return text


def render(data: dict[str, Any]) -> str:
    """The human-readable report."""
    out: list[str] = []
    if data["root"] is None:
        out.append(f"Datasets folder: not found ({data['reason']})")
    else:
        out.append(f"Datasets folder: {data['root']}")
        out.append(f"  found via {data['source']}: {data['reason']}")
        out.append(
            f"  {len(data['present'])} of {len(DATASETS)} dataset folders present"
        )
    for domain, loaders in data["domains"].items():
        out.append("")
        out.append(domain)
        for key, entry in loaders.items():
            status = "found" if entry["found"] else "missing"
            out.append(f"  {key:<15} {status:<8} {entry['label']}")
            if entry["found"]:
                counts = _fmt_counts(entry)
                if counts:
                    out.append(f"      {counts}")
                for problem in entry.get("problems", ()):
                    out.append(f"      problem: {problem}")
                for line in entry["licences"]:
                    out.append(f"      licence: {line}")
            else:
                out.append(f"      needs folder(s): {', '.join(entry['folders'])}")
    if "starter" in data:
        out.append("")
        out.append("No dataset found: the app uses the starter catalog.")
        for domain, entry in data["starter"].items():
            out.append(f"  {domain:<8} {_fmt_counts(entry)} (synthetic demo users)")
        out.append("")
        out.append(
            "To get the real data (then point --datasets or INKPICK_DATASETS at it):"
        )
        out.extend(f"  {line}" for line in data["how_to_get"])
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    from inkpick_desktop.cli.recommend_cmd import print_json

    data = collect(getattr(args, "datasets", None), load=not args.no_load)
    if args.json:
        print_json(data)
    else:
        print(render(data))
    return 0
