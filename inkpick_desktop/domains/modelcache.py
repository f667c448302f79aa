"""On-disk cache of the engine parts a domain service builds.

Building a domain means indexing its catalog (TF-IDF, title search) and training
its collaborative model; on MovieLens that takes seconds, so the results are kept
under ``<cache_dir>/models/`` and reused while nothing they depend on changed.

Layout: one ``.npz`` per part, named ``<domain>-<dataset>-<part>-<key16>.npz``
where ``key16`` is the start of the part's key. The key is the SHA-256 of a JSON
document holding the cache format version, the package version, the dataset
digest (:func:`dataset_digest`, a hash of the loaded catalog and interactions) and
the configuration the part was built with (:func:`cache_key`). Any change of the
data or of the part's configuration therefore gives another file name.

Array parts (TF-IDF index, title search) are written here with a metadata entry
(``__inkpick_model_cache__``: JSON with format, domain, dataset, part and key)
that is checked on load. File parts (a factor model written by its own ``save``)
carry the key in their name only and are checked by the caller's ``validate``.

Trust rules: a file that cannot be read, whose metadata disagrees, or that the
caller's decoder or validator rejects is *ignored* with a WARNING and rebuilt; a
file of the same part under another key is *stale*, reported with a WARNING and
deleted once the new file is written. Nothing is ever unpickled
(``allow_pickle=False``) and every write is atomic (temporary file in the same
folder, fsync, ``os.replace``), so a crash leaves the old file or the new one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from inkpick_desktop import __version__
from inkpick_desktop.data.model import LoadedDataset
from inkpick_desktop.engine.errors import InvalidInputError

logger = logging.getLogger(__name__)

#: Bump when the layout of cached parts changes; older files then become stale.
MODEL_CACHE_VERSION = 1

META_KEY = "__inkpick_model_cache__"
_NAME_PART = re.compile(r"^[a-z0-9][a-z0-9_.]*$")

T = TypeVar("T")


def to_jsonable(value: Any) -> Any:
    """A JSON-ready copy of configs: dataclasses, enums, mappings, tuples, numbers."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
        }
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in sorted(value.items(), key=str)}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if callable(value):
        # A callable has no stable identity across runs beyond its name.
        module = getattr(value, "__module__", "")
        return f"callable:{module}.{getattr(value, '__qualname__', repr(value))}"
    return repr(value)


def cache_key(**parts: Any) -> str:
    """SHA-256 hex of the format version, package version and ``parts`` as JSON."""
    document = {
        "format": MODEL_CACHE_VERSION,
        "package": __version__,
        **{k: to_jsonable(v) for k, v in parts.items()},
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dataset_digest(loaded: LoadedDataset) -> str:
    """SHA-256 hex of everything an engine part is built from.

    Covers the catalog (ids in order, titles, search titles, years, every field,
    label fields) and the interactions (user ids, index and value arrays), so a
    model is never reused against a catalog whose order or content differs, even
    when a loader changed and the source files did not.
    """
    h = hashlib.sha256()

    def add_text(values: Any) -> None:
        items = [str(v) for v in np.asarray(values).tolist()]
        h.update(f"{len(items)}\x1e".encode())
        h.update("\x1f".join(items).encode("utf-8", "surrogatepass"))
        h.update(b"\x1d")

    def add_array(values: Any, dtype: Any) -> None:
        arr = np.ascontiguousarray(values, dtype=dtype)
        h.update(f"{arr.shape}\x1e".encode())
        h.update(arr.tobytes())

    cat = loaded.catalog
    h.update(f"{loaded.key}\x1e{cat.domain}\x1e".encode())
    add_text(cat.ids)
    add_text(cat.titles)
    add_text(cat.search_titles if cat.search_titles is not None else [])
    add_array(cat.years, np.int64)
    for name in sorted(cat.fields):
        h.update(f"field:{name}\x1e".encode())
        add_text(cat.fields[name])
    add_text(list(cat.label_fields))
    inter = loaded.interactions
    if inter is None:
        h.update(b"no-interactions")
    else:
        h.update(f"{inter.value_kind}\x1e{inter.n_items}\x1e".encode())
        add_text(inter.user_ids)
        add_array(inter.users, np.int64)
        add_array(inter.items, np.int64)
        add_array(inter.values, np.float64)
    return h.hexdigest()


class ModelCache:
    """The cached parts of one (domain, dataset) pair under ``cache_dir/models``.

    Parameters
    ----------
    cache_dir
        The user cache folder (``data.locate.user_cache_dir()`` or a test's
        ``tmp_path``); created on first write.
    domain, dataset
        Domain key (``"cinema"``) and dataset key (``"movielens"``, ``"starter"``):
        lower-case letters, digits, ``_`` and ``.``.
    """

    def __init__(self, cache_dir: Path | str, domain: str, dataset: str) -> None:
        for what, value in (("domain", domain), ("dataset", dataset)):
            if not _NAME_PART.match(value):
                raise InvalidInputError(
                    f"model cache {what} must be lower-case letters, digits, '_' "
                    f"or '.', got {value!r}"
                )
        self.folder = Path(cache_dir) / "models"
        self.domain = domain
        self.dataset = dataset

    # -- naming -------------------------------------------------------------------

    def path(self, part: str, key: str) -> Path:
        """Where ``part`` built under ``key`` lives."""
        if not _NAME_PART.match(part) or "-" in part:
            raise InvalidInputError(f"model cache part name is invalid: {part!r}")
        return self.folder / f"{self.domain}-{self.dataset}-{part}-{key[:16]}.npz"

    def _siblings(self, part: str, key: str) -> list[Path]:
        """Files of the same part under other keys (stale)."""
        mine = self.path(part, key)
        if not self.folder.is_dir():
            return []
        pattern = f"{self.domain}-{self.dataset}-{part}-*.npz"
        return sorted(p for p in self.folder.glob(pattern) if p != mine)

    def _report_stale(self, part: str, key: str) -> None:
        for old in self._siblings(part, key):
            logger.warning(
                "model cache %s is stale (built from other data, settings or "
                "version); rebuilding %s for %s/%s",
                old,
                part,
                self.domain,
                self.dataset,
            )

    def _remove_stale(self, part: str, key: str) -> None:
        for old in self._siblings(part, key):
            with contextlib.suppress(OSError):
                old.unlink()
                logger.info("removed stale model cache %s", old)

    def _meta(self, part: str, key: str) -> dict[str, Any]:
        return {
            "format": MODEL_CACHE_VERSION,
            "domain": self.domain,
            "dataset": self.dataset,
            "part": part,
            "key": key,
        }

    # -- array parts --------------------------------------------------------------

    def load_arrays(
        self, part: str, key: str, decode: Callable[[dict[str, np.ndarray]], T]
    ) -> T | None:
        """The decoded part, or ``None`` when absent, stale, corrupted or foreign.

        ``decode`` turns the stored arrays back into the object (e.g.
        ``TfidfIndex.from_arrays``) and may raise any error to reject them.
        """
        path = self.path(part, key)
        if not path.is_file():
            self._report_stale(part, key)
            return None
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            meta = json.loads(str(arrays.pop(META_KEY)[()]))
            if meta != self._meta(part, key):
                raise ValueError(f"metadata {meta!r} is not {self._meta(part, key)!r}")
            obj = decode(arrays)
        except Exception as exc:  # a cache file must never break the app
            logger.warning(
                "ignoring unreadable model cache %s (%s: %s); rebuilding",
                path,
                type(exc).__name__,
                exc,
            )
            return None
        logger.debug("model cache hit %s", path)
        return obj

    def save_arrays(
        self, part: str, key: str, arrays: Mapping[str, np.ndarray]
    ) -> Path:
        """Write ``arrays`` plus metadata atomically; remove stale siblings."""
        if META_KEY in arrays:
            raise InvalidInputError(f"array name {META_KEY!r} is reserved")
        path = self.path(part, key)
        payload = dict(arrays)
        payload[META_KEY] = np.asarray(json.dumps(self._meta(part, key)))
        with self._atomic(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **payload)  # type: ignore[arg-type]
                fh.flush()
                os.fsync(fh.fileno())
        self._remove_stale(part, key)
        return path

    # -- file parts ---------------------------------------------------------------

    def load_file(
        self,
        part: str,
        key: str,
        load: Callable[[Path], T],
        validate: Callable[[T], None] | None = None,
    ) -> T | None:
        """``load(path)`` of a part saved by its own writer, or ``None``.

        ``validate`` may raise to reject a loaded object (wrong ids or shape).
        """
        path = self.path(part, key)
        if not path.is_file():
            self._report_stale(part, key)
            return None
        try:
            obj = load(path)
            if validate is not None:
                validate(obj)
        except Exception as exc:  # a cache file must never break the app
            logger.warning(
                "ignoring unreadable model cache %s (%s: %s); rebuilding",
                path,
                type(exc).__name__,
                exc,
            )
            return None
        logger.debug("model cache hit %s", path)
        return obj

    def save_file(self, part: str, key: str, save: Callable[[Path], None]) -> Path:
        """Run ``save(tmp_path)`` then move the result into place atomically.

        ``save`` receives a temporary ``.npz`` path in the cache folder; it may
        write it directly or atomically itself.
        """
        path = self.path(part, key)
        with self._atomic(path) as tmp:
            save(tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        self._remove_stale(part, key)
        return path

    # -- helpers ------------------------------------------------------------------

    @contextlib.contextmanager
    def _atomic(self, path: Path) -> Iterator[Path]:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            prefix=f".{path.stem}.", suffix=".tmp.npz", dir=self.folder
        )
        os.close(fd)
        tmp = Path(name)
        try:
            yield tmp
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        _fsync_dir(self.folder)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable where the OS allows opening a directory."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
