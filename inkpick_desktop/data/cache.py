"""A ``.npz`` cache of loaded datasets, keyed by the checksums of their sources.

:func:`load_cached` loads through ``LOADERS[key]`` once and saves the result as
``<cache_dir>/<key>.npz``. A later call trusts that file only when

* it opens with ``np.load(..., allow_pickle=False)`` and carries this module's
  format tag and :data:`FORMAT_VERSION`, for the same loader key;
* the sha256 of every source file the loader read (``LoadedDataset.sources``,
  relative to the datasets root) still matches, and
* the set of the spec's folders present under the root is the same (so adding an
  optional folder, e.g. the ml-32m catalog, rebuilds).

Anything else (corrupt, foreign, stale) is logged and rebuilt. Text arrays are
stored without pickle: each as one 0-d ``'U'`` string of all values joined plus
an int64 array of end offsets (a padded ``'U'`` array of the MovieLens tags
would take hundreds of MB); metadata is JSON in a 0-d ``'U'`` array. The file
is written atomically (temporary file in the same folder, fsync, rename).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from inkpick_desktop.data.csvio import text_array
from inkpick_desktop.data.loaders import LOADERS, LoaderSpec
from inkpick_desktop.data.model import (
    Catalog,
    Interactions,
    LoadedDataset,
    LoadWarning,
    StrArray,
)
from inkpick_desktop.engine.errors import (
    DatasetNotFoundError,
    InvalidInputError,
    ModelFormatError,
)
from inkpick_desktop.engine.progress import ProgressCallback, no_progress

logger = logging.getLogger(__name__)

FORMAT = "inkpick-dataset-cache"
#: Bump when the loaders' output or this layout changes.
FORMAT_VERSION = 1
_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _present_folders(spec: LoaderSpec, root: Path) -> list[str]:
    names = (*spec.folders, *spec.optional_folders)
    return sorted(f for f in names if (root / f).is_dir())


def _source_digests(root: Path, sources: Sequence[str]) -> dict[str, str] | None:
    """sha256 per source, ``None`` when one is missing or unreadable."""
    out = {}
    for name in sources:
        try:
            out[name] = file_sha256(root / name)
        except OSError:
            return None
    return out


def _put_text(arrays: dict[str, np.ndarray], name: str, values: Any) -> None:
    items = [str(v) for v in np.asarray(values, dtype=object).tolist()]
    arrays[name + ".text"] = np.array("".join(items), dtype=np.str_)
    arrays[name + ".ends"] = np.cumsum([len(s) for s in items], dtype=np.int64)


def _get_text(data: Mapping[str, np.ndarray], name: str) -> StrArray:
    text = str(data[name + ".text"][()])
    ends = data[name + ".ends"].tolist()
    if ends and (ends[-1] != len(text) or min(np.diff(ends, prepend=0)) < 0):
        raise ModelFormatError(f"text array {name!r} has inconsistent offsets")
    starts = [0, *ends[:-1]]
    return text_array(map(text.__getitem__, map(slice, starts, ends)))


def _encode(ds: LoadedDataset, meta: dict[str, Any]) -> dict[str, np.ndarray]:
    cat = ds.catalog
    arrays: dict[str, np.ndarray] = {}
    _put_text(arrays, "catalog.ids", cat.ids)
    _put_text(arrays, "catalog.titles", cat.titles)
    arrays["catalog.years"] = np.asarray(cat.years, dtype=np.int32)
    if cat.search_titles is not None:
        _put_text(arrays, "catalog.search_titles", cat.search_titles)
    for i, name in enumerate(cat.fields):
        _put_text(arrays, f"field{i}", cat.fields[name])
    meta["catalog"] = {
        "domain": cat.domain,
        "fields": list(cat.fields),
        "label_fields": list(cat.label_fields),
        "search_titles": cat.search_titles is not None,
    }
    inter = ds.interactions
    meta["interactions"] = None
    if inter is not None:
        _put_text(arrays, "inter.user_ids", inter.user_ids)
        arrays["inter.users"] = np.asarray(inter.users, dtype=np.int32)
        arrays["inter.items"] = np.asarray(inter.items, dtype=np.int32)
        arrays["inter.values"] = np.asarray(inter.values, dtype=np.float32)
        if inter.timestamps is not None:
            arrays["inter.timestamps"] = np.asarray(inter.timestamps, dtype=np.int64)
        meta["interactions"] = {
            "n_items": int(inter.n_items),
            "value_kind": inter.value_kind,
            "timestamps": inter.timestamps is not None,
        }
    meta["warnings"] = [[w.path, w.line, w.field, w.message] for w in ds.warnings]
    meta["interactions_note"] = ds.interactions_note
    arrays["meta"] = np.array(json.dumps(meta, ensure_ascii=False), dtype=np.str_)
    return arrays


def _decode(key: str, data: Mapping[str, np.ndarray], meta: dict) -> LoadedDataset:
    cm = meta["catalog"]
    catalog = Catalog(
        domain=str(cm["domain"]),
        ids=_get_text(data, "catalog.ids"),
        titles=_get_text(data, "catalog.titles"),
        years=np.asarray(data["catalog.years"], dtype=np.int32),
        fields={n: _get_text(data, f"field{i}") for i, n in enumerate(cm["fields"])},
        label_fields=tuple(cm["label_fields"]),
        search_titles=(
            _get_text(data, "catalog.search_titles") if cm["search_titles"] else None
        ),
    )
    im = meta["interactions"]
    inter = None
    if im is not None:
        inter = Interactions(
            user_ids=_get_text(data, "inter.user_ids"),
            users=np.asarray(data["inter.users"], dtype=np.int32),
            items=np.asarray(data["inter.items"], dtype=np.int32),
            values=np.asarray(data["inter.values"], dtype=np.float32),
            n_items=int(im["n_items"]),
            value_kind=str(im["value_kind"]),
            timestamps=(
                np.asarray(data["inter.timestamps"], dtype=np.int64)
                if im["timestamps"]
                else None
            ),
        )
        if inter.n_items != catalog.n_items:
            raise ModelFormatError("interactions do not match the cached catalog")
    return LoadedDataset(
        key=key,
        catalog=catalog,
        interactions=inter,
        sources=tuple(meta["sources"]),
        warnings=tuple(LoadWarning(*w) for w in meta["warnings"]),
        interactions_note=str(meta["interactions_note"]),
    )


def _read_cache(
    path: Path, key: str, root: Path, folders: list[str]
) -> LoadedDataset | None:
    """The cached dataset when the file is sound and current, else ``None``."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {name: npz[name] for name in npz.files}
        meta = json.loads(str(data["meta"][()]))
        if meta.get("format") != FORMAT or meta.get("version") != FORMAT_VERSION:
            logger.warning(
                "ignoring %s: not a version %d dataset cache", path, FORMAT_VERSION
            )
            return None
        if meta.get("key") != key:
            logger.warning(
                "ignoring %s: cache of %r, not %r", path, meta.get("key"), key
            )
            return None
        if meta.get("folders") != folders:
            logger.info("rebuilding %s: dataset folders changed", path)
            return None
        if _source_digests(root, meta["sources"]) != meta["sha256"]:
            logger.info("rebuilding %s: source files changed", path)
            return None
        return _decode(key, data, meta)
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001 - any damage means "rebuild"
        # A cache is never trusted: zip, JSON, key or shape damage all rebuild.
        logger.warning(
            "ignoring corrupt dataset cache %s (%s: %s)", path, type(exc).__name__, exc
        )
        return None


def _write_atomic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cache_path(key: str, cache_dir: Path) -> Path:
    """Where the cache of loader ``key`` lives."""
    return Path(cache_dir) / f"{key}.npz"


def load_cached(
    key: str,
    root: Path,
    cache_dir: Path,
    progress: ProgressCallback | None = None,
) -> LoadedDataset:
    """Load dataset ``key`` from the cache when current, else from its sources.

    Parameters
    ----------
    key
        A key of :data:`~inkpick_desktop.data.loaders.LOADERS`.
    root
        The datasets folder.
    cache_dir
        Folder of the cache files (created when missing).
    progress
        Called with ``("loading <label>", fraction)``; -1 while unknown.

    Returns
    -------
    LoadedDataset
        Equal in content to ``LOADERS[key].load(root)``.

    Raises
    ------
    InvalidInputError
        Unknown key.
    DatasetNotFoundError
        A required folder of the loader is missing under ``root``.
    DataFormatError
        From the loader when a source file is refused.
    """
    report = progress or no_progress
    try:
        spec = LOADERS[key]
    except KeyError:
        raise InvalidInputError(
            f"unknown dataset {key!r}; expected one of {', '.join(sorted(LOADERS))}"
        ) from None
    root = Path(root)
    if not spec.available(root):
        missing = [f for f in spec.folders if not (root / f).is_dir()]
        raise DatasetNotFoundError(
            f"{spec.label}: folder {', '.join(missing)} not found in {root}"
        )
    stage = f"loading {spec.label}"
    folders = _present_folders(spec, root)
    path = cache_path(key, cache_dir)

    report(stage, -1.0)
    start = time.perf_counter()
    cached = _read_cache(path, key, root, folders)
    if cached is not None:
        logger.info(
            "%s: %d items from cache in %.2f s",
            key,
            cached.catalog.n_items,
            time.perf_counter() - start,
        )
        report(stage, 1.0)
        return cached

    ds = spec.load(root)
    report(stage, 0.8)
    digests = _source_digests(root, ds.sources)
    if digests is None:  # a source vanished while loading: do not cache
        logger.warning("%s: a source file changed while loading; not cached", key)
    else:
        meta: dict[str, Any] = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "key": key,
            "folders": folders,
            "sources": list(ds.sources),
            "sha256": digests,
        }
        try:
            _write_atomic(path, _encode(ds, meta))
        except OSError as exc:
            logger.warning("cannot write dataset cache %s: %s", path, exc)
    logger.info(
        "%s: %d items loaded in %.2f s",
        key,
        ds.catalog.n_items,
        time.perf_counter() - start,
    )
    report(stage, 1.0)
    return ds
