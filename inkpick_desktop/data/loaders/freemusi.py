"""freemusi.cc: Creative-Commons netlabel releases (no user data).

Items are the releases of ``releases.csv`` (id = the release id). The display
title is ``"Album — Artist"`` (em dash) because many albums share a name; the
bare album name is a search form. Fields: ``artist`` and ``label`` (one label
each), ``genres`` (the coarse genre, then the comma-separated style tags),
``description`` (the release's track titles, with the track artist when it
differs from the release artist) and ``url``. The editorial ratings are not
user data, so there are no interactions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inkpick_desktop.data.csvio import (
    Table,
    join_labels,
    read_table,
    repair_mojibake,
    require_file,
    source_name,
    text_array,
)
from inkpick_desktop.data.loaders import LoaderSpec, register
from inkpick_desktop.data.model import LABEL_SEP, Catalog, LoadedDataset, LoadWarning

KEY = "freemusi"
FOLDER = "freemusi-cc"
DASH = " — "
NOTE = (
    "freemusi.cc has no listening or rating data from users (only its editors' "
    "ratings), so recommendations are content-based until you add picks of your own."
)


def _repaired(table: Table, names: tuple[str, ...]) -> list[list[str]]:
    """Columns with double-encoded UTF-8 repaired; one warning counts them."""
    out, n = [], 0
    for name in names:
        col = []
        for value in table.texts(name):
            fixed = repair_mojibake(value)
            n += fixed != value
            col.append(fixed)
        out.append(col)
    if n:
        table.warnings.append(
            LoadWarning(
                table.path,
                None,
                None,
                f"repaired {n} values stored as double-encoded UTF-8 (mojibake such as "
                "'SeÃ±or' for 'Señor')",
            )
        )
    return out


def _read_tracks(path: Path, known: set[str]) -> tuple[dict[str, list[str]], list]:
    table = read_table(path, required=("id", "title", "track", "trackartist"))
    releases = table.texts("id", required=True)
    titles, artists = _repaired(table, ("title", "trackartist"))
    numbers = table.column("track")
    keep = table.finish().tolist()
    order = sorted(
        keep, key=lambda i: int(numbers[i]) if numbers[i].strip().isdigit() else 0
    )
    lines: dict[str, list[tuple[str, str]]] = {}
    for i in order:
        if releases[i] in known and titles[i]:
            lines.setdefault(releases[i], []).append((titles[i], artists[i]))
    out: dict[str, list[str]] = {}
    for rid, entries in lines.items():
        out[rid] = [t if not a else f"{t} ({a})" for t, a in entries]
    return out, table.warnings


def load(root: Path) -> LoadedDataset:
    """Load the freemusi.cc releases from ``root / "freemusi-cc"``."""
    root = Path(root)
    rel_path = require_file(root / FOLDER / "releases.csv")
    tracks_path = require_file(root / FOLDER / "tracks.csv")

    table = read_table(
        rel_path,
        required=("album", "artist", "genre", "id", "label", "style", "url", "year"),
    )
    ids = table.texts("id", required=True)
    table.texts("album", required=True)
    albums, artists, genres, styles, labels = _repaired(
        table, ("album", "artist", "genre", "style", "label")
    )
    urls = table.texts("url")
    years_raw = table.texts("year")
    years = np.zeros(len(table), dtype=np.int32)
    for i, y in enumerate(years_raw):
        if y.isascii() and y.isdigit() and 1000 <= int(y) <= 2999:
            years[i] = int(y)
        elif y and y != "?":
            table.warn(table.lines[i], "year", f"unreadable year {y!r}; set to 0")
    table.unique("id")
    keep = table.finish().tolist()
    warnings = list(table.warnings)

    tracks, w = _read_tracks(tracks_path, {ids[i] for i in keep})
    warnings += w

    def describe(i: int) -> str:
        entries = tracks.get(ids[i], [])
        # A track artist equal to the release artist says nothing new.
        suffix = f" ({artists[i]})"
        return "; ".join(
            e[: -len(suffix)] if e.endswith(suffix) else e for e in entries
        )

    catalog = Catalog(
        domain="music",
        ids=text_array(ids[i] for i in keep),
        titles=text_array(
            f"{albums[i]}{DASH}{artists[i]}" if artists[i] else albums[i] for i in keep
        ),
        years=years[keep],
        fields={
            "artist": text_array(join_labels([artists[i]]) for i in keep),
            "genres": text_array(
                join_labels([genres[i], *styles[i].split(",")]) for i in keep
            ),
            "label": text_array(join_labels([labels[i]]) for i in keep),
            "description": text_array(describe(i) for i in keep),
            "url": text_array(urls[i] for i in keep),
        },
        label_fields=("artist", "genres", "label"),
        search_titles=text_array(albums[i].replace(LABEL_SEP, "/") for i in keep),
    )
    return LoadedDataset(
        key=KEY,
        catalog=catalog,
        interactions=None,
        sources=(source_name(root, rel_path), source_name(root, tracks_path)),
        warnings=tuple(warnings),
        interactions_note=NOTE,
    )


SPEC = register(
    LoaderSpec(
        key=KEY,
        domain="music",
        label="freemusi.cc releases (CC BY-SA)",
        folders=(FOLDER,),
        load=load,
    )
)
