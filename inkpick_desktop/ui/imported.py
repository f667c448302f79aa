"""A tab for a catalog the user imported: content-based recommendations.

The domain services build from dataset folders; an imported catalog has no
folder, so this small service indexes it directly with the public engine parts
(TF-IDF over its text and label fields plus the title, fuzzy title search) and
hands the window a :class:`Recommender` without collaborative data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inkpick_desktop.data.model import LoadedDataset
from inkpick_desktop.engine.fuzzy import TitleSearch
from inkpick_desktop.engine.progress import CancelToken, ProgressCallback
from inkpick_desktop.engine.recommender import Recommender
from inkpick_desktop.engine.tfidf import TfidfConfig, TfidfIndex

#: Titles weigh more than other text, as the shipped domains do.
TITLE_WEIGHT = 2.0


def build_imported(
    loaded: LoadedDataset,
    label: str,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Recommender:
    """Index an imported catalog; content-only recommendations."""
    catalog = loaded.catalog
    weights = {name: 1.0 for name in catalog.fields}
    weights["title"] = TITLE_WEIGHT
    config = TfidfConfig(
        field_weights=weights,
        label_fields=tuple(f for f in catalog.label_fields if f in weights),
    )
    content = TfidfIndex.from_catalog(catalog, config, progress=progress, cancel=cancel)
    search = TitleSearch.build(catalog)
    notes = tuple(str(w) for w in loaded.warnings)
    return Recommender(
        catalog.domain,
        catalog,
        content=content,
        search=search,
        dataset_label=label,
        notes=notes,
    )


@dataclass(frozen=True)
class ImportedService:
    """Quacks like a ``DomainService`` for one tab: ``build`` returns the index."""

    key: str
    label: str
    loaded: LoadedDataset
    item_noun: str = "item"
    datasets: tuple[str, ...] = ()

    @property
    def example_query(self) -> str:
        titles = self.loaded.catalog.titles
        return str(titles[0]) if len(titles) else ""

    def build(
        self,
        root: Any = None,
        *,
        dataset: str | None = None,
        cache_dir: Any = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        learn_alpha: bool = False,
    ) -> Recommender:
        # Content only: there is no collaborative model, so no α to learn.
        return build_imported(self.loaded, self.label, progress, cancel)


def imported_service(
    loaded: LoadedDataset, path: Path, taken: set[str]
) -> ImportedService:
    """A service named after the file, with a key not in ``taken``."""
    stem = re.sub(r"[^a-z0-9]+", "_", path.stem.lower()).strip("_") or "items"
    key, n = f"imported_{stem}", 2
    while key in taken:
        key, n = f"imported_{stem}_{n}", n + 1
    return ImportedService(key=key, label=f"My {path.stem}", loaded=loaded)
