"""The user's own picks per domain, kept in a JSON file between runs.

The file lives in the platformdirs user data folder (``picks.json``) and is
always written atomically: a temporary file in the same folder, ``fsync``, then
``os.replace``. A file that cannot be read is never silently dropped: it is
renamed to ``picks.json.corrupt-<n>`` and the problem is reported through
:attr:`PicksStore.load_error` so the window can tell the user.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from inkpick_desktop.engine.errors import DataFormatError

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
FILE_NAME = "picks.json"


@dataclass(frozen=True)
class Pick:
    """One picked item: its external id and the title shown for it."""

    id: str
    title: str


def default_picks_path() -> Path:
    base = platformdirs.user_data_dir("Inkpick Desktop", "Inkpick")
    return Path(base) / FILE_NAME


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so a crash leaves either the old or new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class PicksStore:
    """Per-domain ordered lists of :class:`Pick`, persisted on every change.

    Parameters
    ----------
    path
        The JSON file; ``None`` = ``picks.json`` in the user data folder.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_picks_path()
        self.load_error: str = ""
        self._picks: dict[str, list[Pick]] = {}
        self._load()

    def picks(self, domain: str) -> list[Pick]:
        return list(self._picks.get(domain, []))

    def add(self, domain: str, pick: Pick) -> bool:
        """Append a pick; ``False`` (and no write) when the id is already there."""
        current = self._picks.setdefault(domain, [])
        if any(p.id == pick.id for p in current):
            return False
        current.append(pick)
        self._save()
        return True

    def remove(self, domain: str, item_id: str) -> bool:
        current = self._picks.get(domain, [])
        kept = [p for p in current if p.id != item_id]
        if len(kept) == len(current):
            return False
        self._picks[domain] = kept
        self._save()
        return True

    def clear(self, domain: str) -> None:
        if self._picks.get(domain):
            self._picks[domain] = []
            self._save()

    # ---------------------------------------------------------------------
    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            self._picks = _parse(self.path.read_text(encoding="utf-8"), self.path)
        except (OSError, UnicodeDecodeError, DataFormatError) as exc:
            kept = self._keep_aside()
            self.load_error = (
                f"Could not read your picks: {exc}. The file was kept as {kept}; "
                "starting with no picks."
            )
            logger.warning("%s", self.load_error)

    def _keep_aside(self) -> Path:
        n = 1
        while True:
            target = self.path.with_name(f"{self.path.name}.corrupt-{n}")
            if not target.exists():
                break
            n += 1
        os.replace(self.path, target)
        return target

    def _save(self) -> None:
        payload = {
            "version": FORMAT_VERSION,
            "domains": {
                domain: [{"id": p.id, "title": p.title} for p in picks]
                for domain, picks in sorted(self._picks.items())
            },
        }
        atomic_write_text(self.path, json.dumps(payload, indent=2, ensure_ascii=False))


def _parse(text: str, path: Path) -> dict[str, list[Pick]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFormatError(
            f"not valid JSON ({exc.msg})", path=str(path), line=exc.lineno
        ) from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        version = data.get("version") if isinstance(data, dict) else None
        raise DataFormatError(
            f"expected an object with version {FORMAT_VERSION}, got version "
            f"{version!r}",
            path=str(path),
        )
    domains = data.get("domains")
    if not isinstance(domains, dict):
        raise DataFormatError("'domains' must be an object", path=str(path))
    result: dict[str, list[Pick]] = {}
    for domain, entries in domains.items():
        if not isinstance(entries, list):
            raise DataFormatError(
                f"picks of {domain!r} must be a list", path=str(path), field=domain
            )
        picks = []
        for entry in entries:
            if not (
                isinstance(entry, dict)
                and isinstance(entry.get("id"), str)
                and isinstance(entry.get("title", ""), str)
            ):
                raise DataFormatError(
                    f"each pick needs a string 'id', got {entry!r}",
                    path=str(path),
                    field=domain,
                )
            picks.append(Pick(entry["id"], entry.get("title", "")))
        result[str(domain)] = picks
    return result
