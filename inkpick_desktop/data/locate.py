"""Where the datasets folder is, and where caches go.

:func:`find_datasets_root` tries, in order:

1. ``explicit``: the ``--datasets`` option or a folder the user picked;
2. the ``INKPICK_DATASETS`` environment variable;
3. the saved setting (the Qt app passes its QSettings value; the CLI keeps one in
   a small JSON file, see :func:`load_saved_root` / :func:`save_root`);
4. the user data folder, ``platformdirs.user_data_dir("Inkpick")/datasets``;
5. ``../shared/datasets`` next to a source checkout (found from the package's
   own location, never from the working directory).

A folder named explicitly (1, 2) is taken as the user's word when it exists, even
if it holds no dataset yet: the result then lists every dataset as missing. A
missing explicit folder is an error; a missing ``INKPICK_DATASETS`` folder is
logged and skipped. The other candidates count only when they hold at least one
known dataset folder.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from inkpick_desktop.data.registry import DATASETS
from inkpick_desktop.engine.errors import DatasetNotFoundError

logger = logging.getLogger(__name__)

APP_NAME = "Inkpick"
ENV_DATASETS = "INKPICK_DATASETS"
ENV_CACHE = "INKPICK_CACHE_DIR"
CONFIG_FILE = "cli.json"

#: Source labels, in search order.
SOURCES = ("explicit", "environment", "saved setting", "user data folder", "checkout")


@dataclass(frozen=True)
class DatasetsLocation:
    """The outcome of a search for the datasets folder.

    Attributes
    ----------
    root
        The folder found, or ``None`` when no candidate applied.
    source
        One of :data:`SOURCES`, or ``"none"``.
    reason
        A sentence for the user: where it was found and why.
    present, missing
        Registry keys whose folder exists (holding every required file) under
        ``root`` and those that do not, in registry order.
    searched
        ``(source, path)`` of every candidate looked at, in order.
    """

    root: Path | None
    source: str
    reason: str
    present: tuple[str, ...]
    missing: tuple[str, ...]
    searched: tuple[tuple[str, Path], ...] = ()

    @property
    def found(self) -> bool:
        return self.root is not None and bool(self.present)


def dataset_status(root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Registry keys present (folder with all required files) and missing."""
    present: list[str] = []
    missing: list[str] = []
    for key, spec in DATASETS.items():
        folder = root / key
        ok = folder.is_dir() and all(
            (folder / f.name).is_file() for f in spec.files if f.required
        )
        (present if ok else missing).append(key)
    return tuple(present), tuple(missing)


def user_datasets_dir() -> Path:
    """``<user data dir>/datasets``: where downloads go by default."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "datasets"


def user_cache_dir() -> Path:
    """Cache folder: ``INKPICK_CACHE_DIR`` if set, else the platform's user cache."""
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    """The CLI's small settings file in the platform's user config folder."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_FILE


def checkout_datasets_dir() -> Path | None:
    """``../shared/datasets`` beside the source checkout holding this package."""
    repo = Path(__file__).resolve().parents[2]
    if not (repo / "pyproject.toml").is_file():
        return None  # installed from a wheel: no checkout around us
    return repo.parent / "shared" / "datasets"


def load_saved_root(path: Path | None = None) -> Path | None:
    """The datasets folder saved by :func:`save_root`, or ``None``.

    A missing or unreadable settings file is not an error (logged at WARNING
    when it exists but cannot be parsed).
    """
    path = path or config_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable settings file %s: %s", path, exc)
        return None
    value = data.get("datasets_root") if isinstance(data, dict) else None
    return Path(value) if isinstance(value, str) and value else None


def save_root(root: str | os.PathLike[str], path: Path | None = None) -> Path:
    """Save ``root`` as the datasets folder (atomic write); return the file."""
    path = path or config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, object] = {}
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            data = loaded  # keep other settings
    except (OSError, ValueError):
        pass
    data["datasets_root"] = str(Path(root).expanduser().resolve())
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _result(
    root: Path | None, source: str, reason: str, searched: list[tuple[str, Path]]
) -> DatasetsLocation:
    if root is None:
        return DatasetsLocation(
            None, source, reason, (), tuple(DATASETS), tuple(searched)
        )
    present, missing = dataset_status(root)
    return DatasetsLocation(root, source, reason, present, missing, tuple(searched))


def find_datasets_root(
    explicit: str | os.PathLike[str] | None = None,
    *,
    settings_value: str | os.PathLike[str] | None = None,
) -> DatasetsLocation:
    """Find the datasets folder (see the module docstring for the order).

    Parameters
    ----------
    explicit
        A folder given on the command line or picked by the user.
    settings_value
        The saved setting; the CLI passes :func:`load_saved_root`, the app its
        QSettings value.

    Raises
    ------
    DatasetNotFoundError
        ``explicit`` names a folder that does not exist.
    """
    searched: list[tuple[str, Path]] = []

    if explicit is not None and str(explicit).strip():
        path = Path(explicit).expanduser()
        searched.append(("explicit", path))
        if not path.is_dir():
            raise DatasetNotFoundError(f"datasets folder {str(path)!r} does not exist")
        return _result(path, "explicit", f"given explicitly: {path}", searched)

    env = os.environ.get(ENV_DATASETS, "").strip()
    if env:
        path = Path(env).expanduser()
        searched.append(("environment", path))
        if path.is_dir():
            return _result(path, "environment", f"{ENV_DATASETS}={path}", searched)
        logger.warning("%s=%s is not a folder; looking elsewhere", ENV_DATASETS, path)

    candidates: list[tuple[str, Path | None, str]] = [
        (
            "saved setting",
            Path(settings_value).expanduser() if settings_value else None,
            "saved in the settings",
        ),
        ("user data folder", user_datasets_dir(), "the user data folder"),
        ("checkout", checkout_datasets_dir(), "next to the source checkout"),
    ]
    for source, candidate, why in candidates:
        if candidate is None:
            continue
        searched.append((source, candidate))
        if candidate.is_dir() and dataset_status(candidate)[0]:
            return _result(candidate, source, f"{why}: {candidate}", searched)

    shown = "; ".join(f"{s}: {p}" for s, p in searched) or "nothing to search"
    return _result(
        None, "none", f"no datasets folder found (searched {shown})", searched
    )


def require_root(location: DatasetsLocation) -> Path:
    """``location.root``, or :class:`DatasetNotFoundError` explaining the search."""
    if location.root is None:
        raise DatasetNotFoundError(location.reason)
    return location.root
