"""HetRec 2011 Last.fm 2K: artists, raw play counts, user-applied tags.

All files are tab-separated with a header. ``artists.dat`` is read with quoting
disabled (16 names or URLs hold a literal ``"``); ``tags.dat`` is Latin-1. Play
counts (``user_artists.weight``) are kept raw (value kind ``"playcount"``). The
tag assignments of ``user_taggedartists.dat`` become each artist's ``tags`` label
field, most applied first (ties: first applied first); assignments to artist ids
missing from ``artists.dat`` (390 ids in the reference copy) are ignored and
counted in one warning.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from inkpick_desktop.data.csvio import (
    TextFormat,
    join_labels,
    read_table,
    require_file,
    source_name,
    text_array,
)
from inkpick_desktop.data.loaders import LoaderSpec, register
from inkpick_desktop.data.model import Catalog, Interactions, LoadedDataset, LoadWarning

KEY = "lastfm"
FOLDER = "hetrec2011-lastfm-2k"

TSV = TextFormat(delimiter="\t", quoting=False)
TSV_LATIN1 = TextFormat(delimiter="\t", quoting=False, encoding="latin-1")


def _read_artists(path: Path) -> tuple[list[str], list[str], list[str], list]:
    table = read_table(path, TSV, required=("id", "name", "url"))
    ids = table.ints("id", lo=0)
    names = table.texts("name", required=True)
    urls = table.texts("url")
    table.unique("id", keys=ids.tolist())
    keep = table.finish().tolist()
    return (
        [str(ids[i]) for i in keep],
        [names[i] for i in keep],
        [urls[i] for i in keep],
        table.warnings,
    )


def _read_tag_names(path: Path) -> tuple[dict[int, str], list]:
    table = read_table(path, TSV_LATIN1, required=("tagID", "tagValue"))
    ids = table.ints("tagID", lo=0)
    values = table.texts("tagValue", required=True)
    table.unique("tagID", keys=ids.tolist())
    keep = table.finish().tolist()
    return {int(ids[i]): values[i] for i in keep}, table.warnings


def _read_tagging(
    path: Path, index_of: dict[str, int], tag_names: dict[int, str]
) -> tuple[dict[int, str], list]:
    table = read_table(path, TSV, required=("userID", "artistID", "tagID"))
    table.ints("userID", lo=0)
    artists = table.ints("artistID", lo=0)
    tags = table.ints("tagID", lo=0)
    unknown_artists: Counter[int] = Counter()
    for i, (artist, tag) in enumerate(
        zip(artists.tolist(), tags.tolist(), strict=True)
    ):
        if i in table.bad:
            continue
        if str(artist) not in index_of:
            unknown_artists[artist] += 1
            table.drop(i)
        elif tag not in tag_names:
            table.skip(i, "tagID", f"tag {tag} is not in tags.dat")
    keep = table.finish().tolist()

    counts: dict[int, Counter[int]] = {}
    for i in keep:
        counts.setdefault(index_of[str(artists[i])], Counter())[int(tags[i])] += 1
    labels = {
        item: join_labels(tag_names[t] for t, _ in c.most_common())
        for item, c in counts.items()
    }
    warnings = list(table.warnings)
    if unknown_artists:
        warnings.append(
            LoadWarning(
                str(path),
                None,
                "artistID",
                f"ignored {sum(unknown_artists.values())} tag assignments to "
                f"{len(unknown_artists)} artist ids that are not in artists.dat",
            )
        )
    return labels, warnings


def _read_plays(path: Path, index_of: dict[str, int]) -> tuple[Interactions, list]:
    table = read_table(path, TSV, required=("userID", "artistID", "weight"))
    users = table.ints("userID", lo=0)
    artists = table.ints("artistID", lo=0)
    weights = table.floats("weight", lo=0.0)
    items = np.full(len(table), -1, dtype=np.int64)
    for i, artist in enumerate(artists.tolist()):
        j = index_of.get(str(artist))
        if j is None:
            table.skip(i, "artistID", f"artist {artist} is not in artists.dat")
        else:
            items[i] = j
    table.unique(
        "artistID", keys=list(zip(users.tolist(), artists.tolist(), strict=True))
    )
    keep = table.finish()
    user_values, user_idx = np.unique(users[keep], return_inverse=True)
    inter = Interactions(
        user_ids=text_array(str(u) for u in user_values.tolist()),
        users=user_idx.astype(np.int32),
        items=items[keep].astype(np.int32),
        values=weights[keep].astype(np.float32),
        n_items=len(index_of),
        value_kind="playcount",
    )
    return inter, table.warnings


def load(root: Path) -> LoadedDataset:
    """Load HetRec Last.fm 2K from ``root / "hetrec2011-lastfm-2k"``."""
    root = Path(root)
    folder = root / FOLDER
    paths = [
        require_file(folder / name)
        for name in (
            "artists.dat",
            "tags.dat",
            "user_taggedartists.dat",
            "user_artists.dat",
        )
    ]
    ids, names, urls, warnings = _read_artists(paths[0])
    index_of = {x: i for i, x in enumerate(ids)}
    tag_names, w = _read_tag_names(paths[1])
    warnings += w
    tags, w = _read_tagging(paths[2], index_of, tag_names)
    warnings += w
    inter, w = _read_plays(paths[3], index_of)
    warnings += w

    catalog = Catalog(
        domain="music",
        ids=text_array(ids),
        titles=text_array(names),
        years=np.zeros(len(ids), dtype=np.int32),
        fields={
            "tags": text_array(tags.get(i, "") for i in range(len(ids))),
            "url": text_array(urls),
        },
        label_fields=("tags",),
        search_titles=text_array("" for _ in ids),
    )
    return LoadedDataset(
        key=KEY,
        catalog=catalog,
        interactions=inter,
        sources=tuple(source_name(root, p) for p in paths),
        warnings=tuple(warnings),
    )


SPEC = register(
    LoaderSpec(
        key=KEY,
        domain="music",
        label="Last.fm HetRec 2011 (2K users)",
        folders=(FOLDER,),
        load=load,
    )
)
