"""What a domain is, and how one is built into a ready :class:`Recommender`.

A domain module (``cinema.py``, ``music.py``, ``courses.py``, or a plugin) defines
``SERVICE = DomainService(...)``: which datasets it can use, how its catalog
fields are weighted for TF-IDF, how raw interaction values become implicit
confidence, and which collaborative model it trains.
:meth:`DomainService.build` runs the pipeline

``loading`` -> ``indexing text`` -> ``indexing titles`` -> ``training ALS``/``BPR``

reporting each stage to ``progress`` (fraction 0 at the start, 1 at the end,
and the engines' own fractions in between), checking ``cancel`` between stages
and at every progress report inside them, and logging one INFO line per stage
with its seconds. Every engine part comes from the model cache
(:mod:`inkpick_desktop.domains.modelcache`) when it was built from the same data
with the same settings.

When ``root`` is ``None`` or the dataset's folders are missing there, the
starter catalog shipped with the application is used instead, and the
Recommender's ``notes`` say so. A dataset whose events all vanish under the
value transform (ratings, none of them at the positive threshold) is built
content-only, exactly like a dataset without interactions, with a note saying
why.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from inkpick_desktop.data.model import Catalog, LoadedDataset
from inkpick_desktop.domains._stages import as_stage, cancel_of, checked, timed_stage
from inkpick_desktop.domains.modelcache import ModelCache, cache_key, dataset_digest
from inkpick_desktop.engine.als import AlsConfig, AlsModel
from inkpick_desktop.engine.bpr import BprConfig, BprModel
from inkpick_desktop.engine.errors import (
    DatasetNotFoundError,
    InvalidInputError,
    ModelFormatError,
)
from inkpick_desktop.engine.factors import PopularityModel, interactions_to_matrix
from inkpick_desktop.engine.fuzzy import TitleSearch
from inkpick_desktop.engine.hybrid import AlphaSchedule
from inkpick_desktop.engine.progress import CancelToken, ProgressCallback
from inkpick_desktop.engine.recommender import Recommender, RecommenderConfig
from inkpick_desktop.engine.tfidf import TfidfConfig, TfidfIndex

logger = logging.getLogger(__name__)

#: Dataset key used for the starter catalog in caches, transforms and labels.
STARTER = "starter"

#: A value transform understood by ``engine.factors.interactions_to_matrix``.
Transform = str | tuple[Any, ...]

COLLABORATIVE_KINDS = ("als", "bpr")

#: Bump when the way auto α is learned changes; stored schedules then go stale.
ALPHA_LEARNING_VERSION = 1


@dataclass(frozen=True)
class DatasetChoice:
    """The outcome of choosing and loading a dataset for a domain.

    Attributes
    ----------
    key
        Loader key actually used (``"movielens"``) or :data:`STARTER`.
    requested
        Loader key that was asked for (the service default when none was).
    loaded
        The catalog and interactions.
    label
        Human-readable name of the data ("MovieLens 32M + latest-small").
    notes
        Sentences for the user: starter fallback, missing interactions,
        skipped rows.
    """

    key: str
    requested: str
    loaded: LoadedDataset
    label: str
    notes: tuple[str, ...] = ()

    @property
    def is_starter(self) -> bool:
        return self.key == STARTER


@dataclass(frozen=True, eq=False)
class BuiltParts:
    """The engine parts :meth:`DomainService.build_parts` produced.

    ``collaborative`` and ``popularity`` are ``None`` without interactions;
    ``seconds`` is the wall time of the whole pipeline.
    """

    choice: DatasetChoice
    content: TfidfIndex
    search: TitleSearch
    collaborative: AlsModel | BprModel | None
    popularity: PopularityModel | None
    seconds: float
    #: α schedule learned on a validation split (``engine.evaluation``), stored
    #: in the model cache next to the collaborative model; ``None`` = the
    #: service's default auto-α curve.
    alpha_schedule: AlphaSchedule | None = None

    def recommender(self, service: DomainService) -> Recommender:
        """Assemble the facade with ``service``'s defaults (and learned α)."""
        config = service.recommender
        if self.alpha_schedule is not None and config.alpha_schedule is not None:
            config = dataclasses.replace(config, alpha_schedule=self.alpha_schedule)
        return Recommender(
            service.key,
            self.choice.loaded.catalog,
            content=self.content,
            search=self.search,
            collaborative=self.collaborative,
            popularity=self.popularity,
            interactions=self.choice.loaded.interactions,
            config=config,
            dataset_label=self.choice.label,
            notes=self.choice.notes,
        )


@dataclass(frozen=True, eq=False)
class DomainService:
    """Specification of one domain and its build pipeline.

    Attributes
    ----------
    key, label
        ``"cinema"`` / ``"Cinema"``.
    datasets
        Loader keys (``data.loaders.LOADERS``) this domain can use; first =
        default.
    tfidf
        Fields, weights and label fields of the content model. Fields a
        dataset's catalog lacks are left out for that dataset (see
        :meth:`tfidf_for`).
    dataset_tfidf
        Per-dataset replacements of :attr:`tfidf` (loader key -> config), for
        datasets whose catalogs have other fields (freemusi releases).
    value_transform
        How interaction values become implicit confidence, passed to
        ``interactions_to_matrix``: one transform for all datasets, or a mapping
        dataset key -> transform (``"starter"`` for the starter data; datasets
        not in the mapping use ``"none"``).
    collaborative
        ``"als"`` or ``"bpr"``.
    als, bpr
        Their configs.
    recommender
        Defaults of the facade (α, k, λ, auto-α schedule).
    example_query
        A misspelt title shown as a placeholder and used in smoke tests.
    item_noun
        ``"movie"``, ``"artist"``, ``"course"``.
    order
        Position among the domains (lower first, then by key).
    description
        One sentence for tooltips and ``--help``.

    Services compare and hash by identity: each domain module defines one.
    """

    key: str
    label: str
    datasets: tuple[str, ...]
    tfidf: TfidfConfig
    dataset_tfidf: Mapping[str, TfidfConfig] = field(default_factory=dict)
    value_transform: Transform | Mapping[str, Transform] = "none"
    collaborative: str = "als"
    als: AlsConfig = field(default_factory=AlsConfig)
    bpr: BprConfig = field(default_factory=BprConfig)
    recommender: RecommenderConfig = field(default_factory=RecommenderConfig)
    example_query: str = ""
    item_noun: str = "item"
    order: int = 100
    description: str = ""

    def __post_init__(self) -> None:
        if not self.key or not self.key.isidentifier() or self.key != self.key.lower():
            raise InvalidInputError(
                f"domain key must be a lower-case identifier, got {self.key!r}"
            )
        if not isinstance(self.datasets, tuple) or not self.datasets:
            raise InvalidInputError(
                f"domain {self.key!r} needs a non-empty tuple of dataset keys, "
                f"got {self.datasets!r}"
            )
        if STARTER in self.datasets:
            raise InvalidInputError(f"dataset key {STARTER!r} is reserved")
        if self.collaborative not in COLLABORATIVE_KINDS:
            raise InvalidInputError(
                f"collaborative must be one of {COLLABORATIVE_KINDS}, "
                f"got {self.collaborative!r}"
            )
        per_dataset: list[tuple[str, Mapping[str, Any]]] = [
            ("dataset_tfidf", self.dataset_tfidf)
        ]
        if isinstance(self.value_transform, Mapping):
            per_dataset.append(("value_transform", self.value_transform))
        for what, mapping in per_dataset:
            unknown = set(mapping) - set(self.datasets) - {STARTER}
            if unknown:
                raise InvalidInputError(
                    f"{what} of {self.key!r} names unknown datasets "
                    f"{sorted(unknown)}; known: {list(self.datasets)}"
                )

    # -- configuration ------------------------------------------------------------

    def tfidf_for(self, dataset: str, catalog: Catalog) -> TfidfConfig:
        """The TF-IDF config for ``dataset``, restricted to the catalog's fields.

        ``"title"`` is always available (the display titles); a configured field
        the catalog does not have is dropped, with its label flag.
        """
        config = self.dataset_tfidf.get(dataset, self.tfidf)
        present = {
            name: weight
            for name, weight in config.field_weights.items()
            if name == "title" or name in catalog.fields
        }
        if len(present) == len(config.field_weights):
            return config
        if not present:
            present = {"title": 1.0}
        dropped = sorted(set(config.field_weights) - set(present))
        logger.debug("%s/%s: no field(s) %s in the catalog", self.key, dataset, dropped)
        return dataclasses.replace(
            config,
            field_weights=present,
            label_fields=tuple(f for f in config.label_fields if f in present),
        )

    def transform_for(self, dataset: str) -> Transform:
        """The value transform used for ``dataset`` (a loader key or "starter")."""
        if isinstance(self.value_transform, Mapping):
            return self.value_transform.get(dataset, "none")
        return self.value_transform

    def model_config(self) -> AlsConfig | BprConfig:
        return self.als if self.collaborative == "als" else self.bpr

    def with_model(self, kind: str) -> DomainService:
        """A copy that trains ``kind`` ("als" or "bpr") instead."""
        if kind not in COLLABORATIVE_KINDS:
            raise InvalidInputError(
                f"model must be one of {', '.join(COLLABORATIVE_KINDS)}, got {kind!r}"
            )
        return dataclasses.replace(self, collaborative=kind)

    def resolve_dataset(self, dataset: str | None) -> str:
        """``dataset`` checked against :attr:`datasets` (``None`` = the default)."""
        if dataset is None or dataset == "":
            return self.datasets[0]
        if dataset not in self.datasets:
            raise InvalidInputError(
                f"unknown dataset {dataset!r} for {self.key}; choose one of "
                + ", ".join(self.datasets)
            )
        return dataset

    # -- pipeline -----------------------------------------------------------------

    def load(
        self,
        root: Path | str | None,
        *,
        dataset: str | None = None,
        cache_dir: Path | str | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> DatasetChoice:
        """Load the dataset (through the load cache) or the starter catalog."""
        from inkpick_desktop.data.cache import load_cached
        from inkpick_desktop.data.loaders import LOADERS

        requested = self.resolve_dataset(dataset)
        report = checked(progress, cancel)
        cache = _cache_dir(cache_dir)
        spec = LOADERS.get(requested)
        if spec is None:
            raise DatasetNotFoundError(
                f"no loader is registered for dataset {requested!r} of {self.key}"
            )
        with timed_stage(report, "loading", f"{self.key}/{requested}"):
            if root is not None and spec.available(Path(root)):
                loaded = load_cached(
                    requested, Path(root), cache, progress=as_stage(report, "loading")
                )
                choice = DatasetChoice(
                    requested, requested, loaded, spec.label, _load_notes(loaded)
                )
            else:
                where = (
                    "no datasets folder was found"
                    if root is None
                    else (
                        f"{spec.label} was not found in {root} (needs "
                        + ", ".join(spec.folders)
                        + ")"
                    )
                )
                choice = self._starter(requested, where)
        if choice.loaded.catalog.n_items == 0:
            raise DatasetNotFoundError(f"{choice.label} has no {self.item_noun}s")
        return choice

    def _starter(self, requested: str, why: str) -> DatasetChoice:
        from inkpick_desktop.data.starter import load_starter

        try:
            loaded = load_starter(self.key)
        except (InvalidInputError, DatasetNotFoundError, FileNotFoundError) as exc:
            raise DatasetNotFoundError(
                f"{why}, and there is no starter catalog for {self.key} ({exc})"
            ) from exc
        note = f"starter catalog: {why}; showing the small catalog shipped with Inkpick"
        notes = (note, *_load_notes(loaded))
        label = f"Inkpick starter catalog ({self.label})"
        logger.warning("%s: %s", self.key, note)
        return DatasetChoice(STARTER, requested, loaded, label, notes)

    def title_search(
        self,
        root: Path | str | None,
        *,
        dataset: str | None = None,
        cache_dir: Path | str | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> tuple[DatasetChoice, TitleSearch]:
        """Only the loading and title-indexing stages (for ``inkpick search``)."""
        report = checked(progress, cancel)
        choice = self.load(root, dataset=dataset, cache_dir=cache_dir, progress=report)
        models = ModelCache(_cache_dir(cache_dir), self.key, choice.key)
        with timed_stage(report, "indexing titles", self.key):
            search = self._titles(
                models, dataset_digest(choice.loaded), choice.loaded, retrain=False
            )
        return choice, search

    def build(
        self,
        root: Path | str | None,
        *,
        dataset: str | None = None,
        cache_dir: Path | str | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        retrain: bool = False,
        model_file: Path | str | None = None,
        learn_alpha: bool = False,
    ) -> Recommender:
        """Load, index and train; return the domain's :class:`Recommender`.

        Parameters
        ----------
        root
            The datasets folder, or ``None`` for the starter catalog.
        dataset
            Loader key among :attr:`datasets`; ``None`` = the first.
        cache_dir
            Cache folder (default ``data.locate.user_cache_dir()``).
        progress, cancel
            Stage reports and cancellation (:class:`CancelledError` is raised).
        retrain
            Rebuild every engine part even if the model cache holds it (the
            cache is then refreshed).
        model_file
            Use this saved factor model instead of the cache; an unreadable or
            mismatching file raises :class:`ModelFormatError`.
        learn_alpha
            Learn the auto-α schedule on a validation split when the model
            cache holds none for this data and model (one extra model fit; see
            :meth:`alpha_schedule`). A stored schedule is used either way.
        """
        parts = self.build_parts(
            root,
            dataset=dataset,
            cache_dir=cache_dir,
            progress=progress,
            cancel=cancel,
            retrain=retrain,
            model_file=model_file,
            learn_alpha=learn_alpha,
        )
        return parts.recommender(self)

    def build_parts(
        self,
        root: Path | str | None,
        *,
        dataset: str | None = None,
        cache_dir: Path | str | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        retrain: bool = False,
        model_file: Path | str | None = None,
        learn_alpha: bool = False,
    ) -> BuiltParts:
        """The pipeline of :meth:`build`, returning the parts before assembly."""
        started = time.perf_counter()
        report = checked(progress, cancel)
        choice = self.load(root, dataset=dataset, cache_dir=cache_dir, progress=report)
        loaded = choice.loaded
        catalog = loaded.catalog
        models = ModelCache(_cache_dir(cache_dir), self.key, choice.key)
        digest = dataset_digest(loaded)

        with timed_stage(report, "indexing text", self.key):
            tfidf = self.tfidf_for(choice.key, catalog)
            content = self._content(models, digest, loaded, tfidf, retrain, report)
        with timed_stage(report, "indexing titles", self.key):
            search = self._titles(models, digest, loaded, retrain)

        collaborative = popularity = None
        schedule: AlphaSchedule | None = None
        inter = loaded.interactions
        matrix = None
        if inter is not None and inter.n_events > 0:
            matrix = interactions_to_matrix(inter, self.transform_for(choice.key))
            if matrix.nnz == 0:
                # Events, but none positive after the transform: nothing to
                # train on, so the domain is content-only like one without data.
                choice = _without_interactions(choice, self.transform_for(choice.key))
                inter = matrix = None
        if inter is not None and matrix is not None:
            stage = f"training {self.collaborative.upper()}"
            with timed_stage(report, stage, self.key):
                collaborative = self._factors(
                    models, digest, choice, matrix, retrain, model_file, report, stage
                )
                popularity = PopularityModel.fit(matrix, item_ids=catalog.ids)
            if model_file is None:
                schedule = self.alpha_schedule(
                    choice,
                    content,
                    cache_dir=cache_dir,
                    learn=learn_alpha,
                    retrain=retrain,
                    progress=report,
                )
        elif model_file is not None:
            raise InvalidInputError(
                f"{choice.label} has no interactions to train on, so model file "
                f"{model_file} cannot be used"
            )

        seconds = time.perf_counter() - started
        logger.info(
            "%s ready on %s: %d %ss, %s in %.2f s",
            self.key,
            choice.label,
            catalog.n_items,
            self.item_noun,
            f"{inter.n_events} interactions"
            if inter is not None
            else "no interactions",
            seconds,
        )
        return BuiltParts(
            choice, content, search, collaborative, popularity, seconds, schedule
        )

    def content_index(
        self,
        choice: DatasetChoice,
        *,
        cache_dir: Path | str | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        retrain: bool = False,
    ) -> TfidfIndex:
        """The TF-IDF index of a loaded dataset, through the model cache."""
        report = checked(progress, cancel)
        models = ModelCache(_cache_dir(cache_dir), self.key, choice.key)
        tfidf = self.tfidf_for(choice.key, choice.loaded.catalog)
        digest = dataset_digest(choice.loaded)
        with timed_stage(report, "indexing text", self.key):
            return self._content(models, digest, choice.loaded, tfidf, retrain, report)

    def alpha_schedule(
        self,
        choice: DatasetChoice,
        content: TfidfIndex,
        *,
        cache_dir: Path | str | None = None,
        learn: bool = False,
        retrain: bool = False,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> AlphaSchedule | None:
        """The learned auto-α schedule stored with this data's model, if any.

        With ``learn`` a missing (or, with ``retrain``, any) schedule is
        learned by ``engine.evaluation.learn_alpha`` on a random 80/20
        validation split of all interactions (seed 1) and stored in the model
        cache under the same data, transform and model settings as the model.
        ``None`` when nothing is stored and ``learn`` is False, or when the
        dataset has no interactions.
        """
        inter = choice.loaded.interactions
        if inter is None or inter.n_events == 0:
            return None
        models = ModelCache(_cache_dir(cache_dir), self.key, choice.key)
        key = cache_key(
            part="alpha",
            data=dataset_digest(choice.loaded),
            transform=self.transform_for(choice.key),
            kind=self.collaborative,
            config=self.model_config(),
            tfidf=self.tfidf_for(choice.key, choice.loaded.catalog).to_dict(),
            learning=ALPHA_LEARNING_VERSION,
        )

        def decode(arrays: dict[str, np.ndarray]) -> AlphaSchedule:
            return AlphaSchedule.from_json(str(arrays["alpha_schedule"][()]))

        found = None if retrain else models.load_arrays("alpha", key, decode)
        if found is not None or not learn:
            return found
        from inkpick_desktop.engine.evaluation import (
            EvaluationConfig,
            ModelSetup,
            learn_alpha,
        )

        report = checked(progress, cancel)
        with timed_stage(report, "learning auto α", self.key):
            learned = learn_alpha(
                inter,
                content,
                ModelSetup.from_service(self, choice.key),
                EvaluationConfig(reference=False),
                progress=lambda f: report("learning auto α", f),
                cancel=cancel_of(report),
            )
        schedule = learned.schedule
        models.save_arrays(
            "alpha", key, {"alpha_schedule": np.asarray(schedule.to_json())}
        )
        logger.info("%s: learned auto α %s", self.key, schedule.alphas)
        return schedule

    # -- parts --------------------------------------------------------------------

    def _content(
        self,
        models: ModelCache,
        digest: str,
        loaded: LoadedDataset,
        tfidf: TfidfConfig,
        retrain: bool,
        report: ProgressCallback,
    ) -> TfidfIndex:
        n = loaded.catalog.n_items
        key = cache_key(part="content", data=digest, tfidf=tfidf.to_dict())

        def decode(arrays: dict[str, np.ndarray]) -> TfidfIndex:
            index = TfidfIndex.from_arrays(arrays)
            _expect(index.n_items == n, f"index has {index.n_items} items, not {n}")
            return index

        index = None if retrain else models.load_arrays("content", key, decode)
        if index is None:
            index = TfidfIndex.from_catalog(
                loaded.catalog,
                tfidf,
                progress=as_stage(report, "indexing text"),
                cancel=cancel_of(report),
            )
            models.save_arrays("content", key, index.to_arrays())
        return index

    def _titles(
        self, models: ModelCache, digest: str, loaded: LoadedDataset, retrain: bool
    ) -> TitleSearch:
        catalog = loaded.catalog
        key = cache_key(part="titles", data=digest)
        search = None
        if not retrain:
            search = models.load_arrays(
                "titles", key, lambda arrays: TitleSearch.from_arrays(arrays, catalog)
            )
        if search is None:
            search = TitleSearch.build(catalog, prior=interaction_counts(loaded))
            models.save_arrays("titles", key, search.to_arrays())
        return search

    def _factors(
        self,
        models: ModelCache,
        digest: str,
        choice: DatasetChoice,
        matrix: Any,
        retrain: bool,
        model_file: Path | str | None,
        report: ProgressCallback,
        stage: str,
    ) -> AlsModel | BprModel:
        loaded = choice.loaded
        inter = loaded.interactions
        assert inter is not None
        kind: type[AlsModel] | type[BprModel] = (
            AlsModel if self.collaborative == "als" else BprModel
        )
        load: Callable[[Path], AlsModel | BprModel] = kind.load

        def validate(model: AlsModel | BprModel) -> None:
            ids = np.asarray(model.item_ids_).astype(str)
            _expect(
                ids.shape == loaded.catalog.ids.shape
                and bool(np.all(ids == loaded.catalog.ids.astype(str))),
                f"its item ids are not those of {choice.label}",
            )
            users = np.asarray(model.user_ids_).astype(str)
            _expect(
                users.shape == inter.user_ids.shape
                and bool(np.all(users == inter.user_ids.astype(str))),
                f"its user ids are not those of {choice.label}",
            )

        if model_file is not None:
            path = Path(model_file)
            model = kind.load(path)  # ModelFormatError for a bad file, as is
            try:
                validate(model)
            except ModelFormatError as exc:
                raise ModelFormatError(f"{path}: {exc}") from None
            return model

        key = cache_key(
            part=self.collaborative,
            data=digest,
            transform=self.transform_for(choice.key),
            config=self.model_config(),
        )
        cached = (
            None
            if retrain
            else models.load_file(self.collaborative, key, load, validate)
        )
        if cached is not None:
            return cached
        model = kind.fit(
            matrix,
            self.model_config(),
            user_ids=inter.user_ids,
            item_ids=loaded.catalog.ids,
            progress=as_stage(report, stage),
            cancel=cancel_of(report),
        )
        models.save_file(self.collaborative, key, model.save)
        return model


# -- helpers --------------------------------------------------------------------


def interaction_counts(loaded: LoadedDataset) -> np.ndarray | None:
    """Events per item (float32), the title-search prior; ``None`` without data."""
    inter = loaded.interactions
    if inter is None or inter.n_events == 0:
        return None
    counts = np.bincount(inter.items, minlength=loaded.catalog.n_items)
    return counts.astype(np.float32)


def _without_interactions(choice: DatasetChoice, transform: Transform) -> DatasetChoice:
    """``choice`` made content-only because no event survives ``transform``."""
    if isinstance(transform, tuple) and transform[:1] == ("rating_threshold",):
        why = f"no rating reaches the {float(transform[1]):g} threshold"
    else:
        why = f"no interaction has a positive value after the {transform!r} transform"
    note = f"{why}: collaborative mode unavailable"
    logger.warning("%s: %s", choice.label, note)
    loaded = dataclasses.replace(
        choice.loaded, interactions=None, interactions_note=note
    )
    return dataclasses.replace(choice, loaded=loaded, notes=(*choice.notes, note))


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise ModelFormatError(message)


def _load_notes(loaded: LoadedDataset) -> tuple[str, ...]:
    notes = []
    if loaded.interactions_note:
        notes.append(loaded.interactions_note)
    if loaded.warnings:
        notes.append(
            f"{len(loaded.warnings)} problem(s) while loading {loaded.key} "
            "(rows skipped or repaired; `inkpick datasets` lists them)"
        )
    return tuple(notes)


def _cache_dir(cache_dir: Path | str | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    from inkpick_desktop.data.locate import user_cache_dir

    return Path(user_cache_dir())
