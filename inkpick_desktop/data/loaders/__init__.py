"""One module per public dataset family, gathered in :data:`LOADERS`.

A loader reads from ``root``, the datasets folder holding the dataset folders
under their published names (``movielens-32m-movies/`` ...), and returns a
:class:`~inkpick_desktop.data.model.LoadedDataset`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from inkpick_desktop.data.model import LoadedDataset


@dataclass(frozen=True)
class LoaderSpec:
    """How to load one selectable dataset of a domain.

    ``folders`` must all exist under the root; ``optional_folders`` enrich the
    result when present. Folder names are keys of ``data.registry.DATASETS``.
    """

    key: str
    domain: str
    label: str
    folders: tuple[str, ...]
    load: Callable[[Path], LoadedDataset]
    optional_folders: tuple[str, ...] = ()

    def available(self, root: Path) -> bool:
        return all((Path(root) / f).is_dir() for f in self.folders)


#: Loader key -> spec; filled by the loader modules (see _register below).
LOADERS: dict[str, LoaderSpec] = {}


def register(spec: LoaderSpec) -> LoaderSpec:
    LOADERS[spec.key] = spec
    return spec


# Registration: importing each loader module registers its LoaderSpec.
from inkpick_desktop.data.loaders import (  # noqa: E402,F401
    courses,
    freemusi,
    lastfm,
    movielens,
    movietweetings,
    oulad,
)
