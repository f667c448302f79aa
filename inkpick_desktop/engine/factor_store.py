"""Saving and loading fitted models as ``.npz`` archives, without pickle.

Layout of a file written by :func:`write_npz`: the model's arrays under their
names, plus four 0-d metadata entries: ``__format__`` (always
``"inkpick-model"``), ``__kind__`` (``"als"``, ``"bpr"``, ``"popularity"``),
``__version__`` (int) and ``__config__`` (the config dataclass as JSON). Strings
are stored as ``'U'`` arrays so ``np.load(..., allow_pickle=False)`` reads
everything. :func:`read_npz` turns every way a file can be wrong into a
:class:`~inkpick_desktop.engine.errors.ModelFormatError` naming the file.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.errors import InkpickError, ModelFormatError

FORMAT_TAG = "inkpick-model"
T = TypeVar("T")

# What np.load and reading members raise on a damaged or foreign file.
_READ_ERRORS = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile)


def write_npz(
    path: str | Path,
    kind: str,
    version: int,
    config: Mapping[str, Any],
    arrays: Mapping[str, np.ndarray],
) -> None:
    """Write ``arrays`` and the metadata to ``path`` atomically.

    The archive goes to a temporary file in the same folder, is flushed and
    fsynced, then renamed over ``path``, so a crash never leaves half a model.
    """
    target = Path(path)
    payload: dict[str, np.ndarray] = {
        "__format__": np.asarray(FORMAT_TAG),
        "__kind__": np.asarray(kind),
        "__version__": np.asarray(version, dtype=np.int64),
        "__config__": np.asarray(json.dumps(dict(config), sort_keys=True)),
    }
    for name, arr in arrays.items():
        payload[name] = np.asarray(arr)
        if payload[name].dtype == object:
            raise TypeError(f"array {name!r} has dtype object; it would need pickle")
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or Path(".")
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **payload)  # type: ignore[arg-type]
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


class NpzReader:
    """Checked access to an open model archive (see :func:`read_npz`)."""

    def __init__(self, path: Path, archive: Any, kind: str) -> None:
        self.path = path
        self.kind = kind
        self._archive = archive

    def fail(self, reason: str) -> ModelFormatError:
        return ModelFormatError(f"{self.path}: {reason}")

    def require(self, condition: bool, reason: str) -> None:
        if not condition:
            raise self.fail(reason)

    def raw(self, name: str) -> np.ndarray:
        if name not in self._archive.files:
            raise self.fail(f"missing array {name!r}")
        try:
            return np.asarray(self._archive[name])
        except _READ_ERRORS as exc:
            if "allow_pickle" in str(exc):
                # numpy's own text suggests loading it unsafely; never do that.
                raise self.fail(
                    f"array {name!r} holds Python objects (pickle), which Inkpick "
                    "never loads"
                ) from exc
            raise self.fail(f"array {name!r} cannot be read ({exc})") from exc

    def shape(self, name: str, ndim: int) -> tuple[int, ...]:
        arr = self.raw(name)
        self.require(arr.ndim == ndim, f"array {name!r} is not {ndim}-D")
        return tuple(int(s) for s in arr.shape)

    def array(
        self, name: str, dtype: npt.DTypeLike, shape: tuple[int, ...]
    ) -> np.ndarray:
        """Array ``name`` checked for kind of dtype and exact shape."""
        arr = self.raw(name)
        want = np.dtype(dtype)
        same_kind = arr.dtype.kind == want.kind and (
            want.kind == "U" or arr.dtype == want
        )
        self.require(
            same_kind, f"array {name!r} has dtype {arr.dtype}, expected {want}"
        )
        self.require(
            arr.shape == shape,
            f"array {name!r} has shape {arr.shape}, expected {shape}",
        )
        return arr

    def config(self, config_type: type[T]) -> T:
        """The stored config JSON rebuilt as ``config_type`` (validated)."""
        text = str(self.raw("__config__"))
        try:
            fields = json.loads(text)
            if not isinstance(fields, dict):
                raise TypeError("not a JSON object")
            return config_type(**fields)
        except (ValueError, TypeError, InkpickError) as exc:
            raise self.fail(f"stored config is invalid ({exc})") from exc

    def guard(self, build: Callable[[], T]) -> T:
        """Run ``build``; an InkpickError or ValueError becomes ModelFormatError."""
        try:
            return build()
        except (InkpickError, ValueError) as exc:
            raise self.fail(f"inconsistent arrays ({exc})") from exc


@contextmanager
def read_npz(
    path: str | Path,
    expected_kind: str | None,
    version: int,
    known_kinds: tuple[str, ...],
) -> Iterator[NpzReader]:
    """Open a model archive and check its metadata.

    Parameters
    ----------
    path
        The ``.npz`` file.
    expected_kind
        Kind the caller needs, or ``None`` to accept any of ``known_kinds``.
    version
        The only format version understood.
    known_kinds
        Kinds this reader can build.
    """
    where = Path(path)
    try:
        archive = np.load(where, allow_pickle=False)
    except FileNotFoundError as exc:
        raise ModelFormatError(f"{where}: model file not found") from exc
    except _READ_ERRORS as exc:
        raise ModelFormatError(f"{where}: not a readable .npz archive ({exc})") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ModelFormatError(f"{where}: a single .npy array, not an Inkpick model")
    with archive:
        probe = NpzReader(where, archive, "")
        if "__format__" not in archive.files:
            raise probe.fail("not an Inkpick model file (no __format__ entry)")
        tag = str(probe.raw("__format__"))
        probe.require(tag == FORMAT_TAG, f"foreign file format {tag!r}")
        kind = str(probe.raw("__kind__"))
        stored = probe.raw("__version__")
        probe.require(
            stored.shape == () and stored.dtype.kind == "i",
            "format version is not an integer",
        )
        probe.require(
            int(stored) == version,
            f"format version {int(stored)}, this program reads version {version}",
        )
        if expected_kind is not None:
            probe.require(
                kind == expected_kind,
                f"holds a {kind!r} model, expected {expected_kind!r}",
            )
        probe.require(kind in known_kinds, f"unknown model kind {kind!r}")
        yield NpzReader(where, archive, kind)
