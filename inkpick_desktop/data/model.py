"""The one data model every loader produces and every engine consumes.

A :class:`Catalog` holds the items of one domain with dense internal indices
``0 .. n_items-1``; :class:`Interactions` holds user-item events as parallel NumPy
arrays over those indices. External ids (``"858"`` for The Godfather in
MovieLens, ``"0068646"`` in MovieTweetings, ``"ibm:PY0101EN"`` for a course) are
kept as strings and are what every result reports; internal indices never leave
the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.errors import InvalidInputError

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float32]
StrArray = npt.NDArray[np.str_]

#: Separator of a multi-valued label field (genres, tags) inside one string.
LABEL_SEP = "|"


@dataclass(frozen=True, eq=False)
class Catalog:
    """Items of one domain.

    Attributes
    ----------
    domain
        Domain key (``"cinema"``, ``"music"``, ``"courses"``, ...).
    ids
        External ids as strings, shape ``(n_items,)``, unique.
    titles
        Display titles, e.g. ``"The Godfather (1972)"``.
    search_titles
        Extra title forms searched but not displayed, ``LABEL_SEP``-joined per item
        (e.g. the source form ``"Godfather, The (1972)"``, an original title).
        Empty string when there is none.
    years
        Release or publication year, ``0`` when unknown, int32.
    fields
        Text fields by name, each an array of str of shape ``(n_items,)``. Label
        fields (genres, tags, provider) hold labels joined by ``LABEL_SEP``; free
        text fields (description) hold plain text. ``""`` means empty.
    label_fields
        Names in ``fields`` that hold labels rather than free text.
    """

    domain: str
    ids: StrArray
    titles: StrArray
    years: IntArray
    fields: Mapping[str, StrArray] = field(default_factory=dict)
    label_fields: tuple[str, ...] = ()
    search_titles: StrArray | None = None

    def __post_init__(self) -> None:
        n = len(self.ids)
        if len(self.titles) != n or len(self.years) != n:
            raise InvalidInputError(
                f"catalog arrays differ in length: ids {n}, titles "
                f"{len(self.titles)}, years {len(self.years)}"
            )
        for name, values in self.fields.items():
            if len(values) != n:
                raise InvalidInputError(
                    f"field {name!r} has {len(values)} values for {n} items"
                )
        if self.search_titles is not None and len(self.search_titles) != n:
            raise InvalidInputError("search_titles length differs from ids")
        if len(self.index_of) != n:
            raise InvalidInputError(f"catalog of domain {self.domain!r} repeats ids")

    @property
    def n_items(self) -> int:
        return len(self.ids)

    @cached_property
    def index_of(self) -> dict[str, int]:
        """External id -> internal index."""
        return {str(x): i for i, x in enumerate(self.ids.tolist())}

    def labels(self, name: str, index: int) -> list[str]:
        """Labels of a label field for one item (empty list when none)."""
        value = str(self.fields[name][index]) if name in self.fields else ""
        return [v for v in value.split(LABEL_SEP) if v] if value else []

    def lookup(self, external_id: str) -> int:
        """Internal index of an external id; raises :class:`InvalidInputError`."""
        key = str(external_id).strip()
        try:
            return self.index_of[key]
        except KeyError:
            pass
        # Namespaced ids ("ibm:PY0101EN") may be given without their prefix.
        matches = [i for k, i in self.index_of.items() if k.split(":", 1)[-1] == key]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InvalidInputError(
                f"id {key!r} is ambiguous in {self.domain}: "
                + ", ".join(str(self.ids[i]) for i in matches[:5])
            )
        raise InvalidInputError(f"no item with id {key!r} in {self.domain}")


@dataclass(frozen=True, eq=False)
class Interactions:
    """User-item events over a catalog's internal item indices.

    Attributes
    ----------
    user_ids
        External user ids (str), shape ``(n_users,)``.
    users, items
        Dense user and item index per event, int32, shape ``(n_events,)``.
    values
        Raw value per event, float32 (a rating, a play count, a grade). Kept as in
        the source; models apply their own transform.
    timestamps
        Unix seconds per event, int64, or ``None`` when the source has none.
    n_items
        Size of the catalog the item indices point into.
    value_kind
        ``"rating"``, ``"playcount"``, ``"implicit"`` or ``"grade"``: how to read
        ``values``.
    """

    user_ids: StrArray
    users: IntArray
    items: IntArray
    values: FloatArray
    n_items: int
    value_kind: str = "implicit"
    timestamps: npt.NDArray[np.int64] | None = None

    def __post_init__(self) -> None:
        n = len(self.users)
        if len(self.items) != n or len(self.values) != n:
            raise InvalidInputError("interaction arrays differ in length")
        if self.timestamps is not None and len(self.timestamps) != n:
            raise InvalidInputError("timestamps length differs from events")
        if n and (self.users.min() < 0 or self.users.max() >= len(self.user_ids)):
            raise InvalidInputError("user index out of range")
        if n and (self.items.min() < 0 or self.items.max() >= self.n_items):
            raise InvalidInputError("item index out of range")

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_events(self) -> int:
        return len(self.users)

    @cached_property
    def user_index_of(self) -> dict[str, int]:
        return {str(x): i for i, x in enumerate(self.user_ids.tolist())}

    def lookup_user(self, external_id: str) -> int:
        try:
            return self.user_index_of[str(external_id).strip()]
        except KeyError:
            raise InvalidInputError(f"no user with id {external_id!r}") from None

    def history(self, user: int) -> tuple[IntArray, FloatArray]:
        """Item indices and values of one user's events, in source order."""
        mask = self.users == user
        return self.items[mask], self.values[mask]


@dataclass(frozen=True)
class LoadWarning:
    """A row skipped or a value repaired while loading, with where it happened."""

    path: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.path + (f", line {self.line}" if self.line else "")
        where += f", field {self.field!r}" if self.field else ""
        return f"{where}: {self.message}"


@dataclass(frozen=True, eq=False)
class LoadedDataset:
    """What a loader returns: one catalog, its interactions if any, provenance.

    ``interactions`` is ``None`` when the dataset has no user data, and then
    ``interactions_note`` says so in words a user can read.
    """

    key: str
    catalog: Catalog
    interactions: Interactions | None
    sources: Sequence[str]
    warnings: Sequence[LoadWarning] = ()
    interactions_note: str = ""
