"""Hybrid blending: candidate sets, the rescaling rule, the blend and auto-α.

The two components speak different units (a TF-IDF cosine in [0, 1], a latent
factor cosine or dot product of any sign), so both are mapped to [0, 1] over the
same candidate set before they are mixed.

Candidate set
    The union of each available component's top ``C`` items, where
    ``C = max(candidate_min, candidate_per_k * k)`` (200 and 10 by default, see
    :func:`candidate_size`), after removing excluded items (the query item, the
    picks, a user's seen items). The collaborative top-``C`` only counts items that
    have interaction data. The result is sorted by internal index.

Rescaling rule (:func:`rescale`): max-scaling
    Over the candidates: NaN, infinite and negative values become 0 (a negative
    similarity is no evidence for an item), then every value is divided by the
    largest one when that maximum is positive (above ``1e-12``); otherwise the
    component is 0 everywhere. So the best candidate shows 1.0 (all of them when
    they tie at the top), a raw 0 stays 0 ("no evidence"), and ratios between
    candidates are kept. Unlike min-max, the rule never stretches float noise:
    raw similarities 0.99943 .. 0.99981 stay 0.9996 .. 1.0 instead of spreading
    over 0 .. 1, and a tied set of perfect matches all show 1.0 instead of 0.
    For the collaborative item-item cosine this is also the honest reading:
    when every candidate is near 1 the factors do not tell them apart, and the
    rescaled values stay near 1 rather than pretending they do. The result is
    float32 in [0, 1] and never NaN.

Blend (:func:`blend`)
    ``alpha * content + (1 - alpha) * collaborative`` where an item has
    collaborative data; ``alpha * content`` (its content share only) where it
    has none; the content score itself when no candidate has collaborative data.

Evidence (:func:`mode_relevance`)
    A candidate with no evidence in the query's mode (content 0 and, where it
    has collaborative data, collaborative 0) is not ranked at all: result lists
    are never padded with 0-score rows that nothing supports, so a query may
    return fewer than ``k`` rows.

Auto-α (:class:`AlphaSchedule`)
    ``alpha(n) = alpha_min + (alpha_max - alpha_min) * exp(-max(n - 1, 0) / tau)``
    with ``alpha_max = 0.6``, ``alpha_min = 0.3``, ``tau = 5``: 0.6 for 0 or 1
    known items (a single title leans on its words), 0.44 at 5 items, 0.33 at
    10, 0.30 past 20, where the interaction data knows the person better than
    the words do. The end points come from the validation sweeps of
    docs/EVALUATION.md, whose learned α stays between 0.1 and 0.6 in every
    domain and history bucket (an earlier 0.9 start halved NDCG@10 for
    one-item MovieLens profiles). A learned schedule, stored with the model,
    replaces the curve with buckets of history size.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.results import Mode

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]

#: Default α of the hybrid blend when no schedule is used.
DEFAULT_ALPHA = 0.65
#: Candidate-set size rule: ``max(CANDIDATE_MIN, CANDIDATE_PER_K * k)``.
CANDIDATE_MIN = 200
CANDIDATE_PER_K = 10

#: Text of a row whose score is its content score only.
CONTENT_ONLY = "content only: no interaction data"


def check_unit(name: str, value: object) -> float:
    """Return ``value`` as a float in [0, 1] or raise :class:`InvalidInputError`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise InvalidInputError(f"{name} must be a number in [0, 1], got {value!r}")
    v = float(value)
    if math.isnan(v) or not 0.0 <= v <= 1.0:
        raise InvalidInputError(f"{name} must be a number in [0, 1], got {value!r}")
    return v


def check_int(name: str, value: object, *, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum`` or :class:`InvalidInputError`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidInputError(f"{name} must be a positive int, got {value!r}")
    if int(value) < minimum:
        what = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise InvalidInputError(f"{name} must be {what}, got {value!r}")
    return int(value)


def check_mode(mode: object) -> Mode:
    """A :class:`~.results.Mode` from a Mode or its string value."""
    try:
        return Mode(mode)
    except ValueError:
        raise InvalidInputError(
            f"mode must be one of content, collaborative, hybrid; got {mode!r}"
        ) from None


def candidate_size(
    k: int, minimum: int = CANDIDATE_MIN, per_k: int = CANDIDATE_PER_K
) -> int:
    """Number of items each component contributes to the candidate set."""
    return max(minimum, per_k * k)


def top_n(scores: npt.ArrayLike, n: int, valid: BoolArray | None = None) -> IntArray:
    """Indices of the ``n`` highest scores, best first, ties by index ascending.

    Parameters
    ----------
    scores
        Scores, shape ``(n_items,)``. NaN counts as the lowest possible score.
    n
        How many to return (fewer when fewer items are valid).
    valid
        Optional bool mask, shape ``(n_items,)``; only ``True`` items are ranked.

    Returns
    -------
    numpy.ndarray
        int32 item indices, shape ``(min(n, n_valid),)``.
    """
    s = np.asarray(scores)
    if s.dtype.kind != "f":
        s = s.astype(np.float64)
    if n <= 0:
        return np.zeros(0, np.int32)
    # Score vectors are mostly exact zeros (items sharing no term with the
    # query): when at least n scores are positive (NaN compares False) the rest
    # cannot reach the top n, so only those are ranked.
    positive = s > 0
    if valid is not None:
        positive &= np.asarray(valid, dtype=bool)
    if np.count_nonzero(positive) >= n:
        idx = np.flatnonzero(positive)
        vals = s[idx].astype(np.float64)
    else:
        idx = np.arange(len(s)) if valid is None else np.flatnonzero(valid)
        vals = np.nan_to_num(s[idx].astype(np.float64), nan=-np.inf)
    if len(idx) == 0:
        return np.zeros(0, np.int32)
    if n < len(idx):
        # Everything strictly above the n-th best value is in; items equal to it
        # are all kept so the index tie-break below stays exact.
        kth = -np.partition(-vals, n - 1)[n - 1]
        keep = vals >= kth
        idx, vals = idx[keep], vals[keep]
    order = np.lexsort((idx, -vals))[:n]
    return idx[order].astype(np.int32)


def select_candidates(
    components: Sequence[tuple[npt.ArrayLike, BoolArray | None]],
    size: int,
    exclude: npt.ArrayLike = (),
) -> IntArray:
    """Union of each component's top ``size`` items, excluded items removed.

    Parameters
    ----------
    components
        ``(scores, valid)`` pairs, scores of shape ``(n_items,)`` and an optional
        bool mask of items the component may propose.
    size
        Items taken from each component (see :func:`candidate_size`).
    exclude
        Internal indices never proposed.

    Returns
    -------
    numpy.ndarray
        Sorted unique int32 indices.
    """
    parts = []
    excl = np.asarray(exclude, dtype=np.int64).ravel()
    for scores, valid in components:
        n = len(np.asarray(scores))
        mask = np.ones(n, bool) if valid is None else np.array(valid, dtype=bool)
        mask[excl[(excl >= 0) & (excl < n)]] = False
        parts.append(top_n(scores, size, mask))
    if not parts:
        return np.zeros(0, np.int32)
    return np.unique(np.concatenate(parts)).astype(np.int32)


#: A candidate set's maximum at or below this is "no evidence": all 0.
RESCALE_FLOOR = 1e-12


def rescale(values: npt.ArrayLike) -> FloatArray:
    """Map scores over a candidate set to [0, 1] by max-scaling.

    NaN, infinite and negative values become 0; the rest are divided by the
    maximum when it exceeds :data:`RESCALE_FLOOR` (else everything is 0). See
    the module docstring for why the rule is not min-max.

    Parameters
    ----------
    values
        Raw component scores over the candidates, shape ``(m,)``.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(m,)``, in [0, 1], never NaN.

    Examples
    --------
    >>> [round(float(x), 3) for x in rescale([0.2, -1.0, 0.5, 0.8])]
    [0.25, 0.0, 0.625, 1.0]
    >>> rescale([0.5, 0.5]).tolist()
    [1.0, 1.0]
    >>> rescale([0.0, -0.3]).tolist()
    [0.0, 0.0]
    """
    x = np.asarray(values, dtype=np.float64)
    x = np.where(np.isfinite(x) & (x > 0.0), x, 0.0)
    if x.size == 0:
        return np.zeros(0, np.float32)
    hi = float(x.max())
    if not hi > RESCALE_FLOOR:
        return np.zeros(x.shape, np.float32)
    # x / hi <= 1 exactly in float64 (the maximum divides to 1.0), so no clip.
    return (x / hi).astype(np.float32)


def rescale_rows(values: npt.ArrayLike, mask: npt.ArrayLike) -> FloatArray:
    """:func:`rescale` of each row's masked cells, 0 in the other cells.

    The block form used by offline evaluation, so that it ranks exactly as the
    facade does: row ``r`` equals ``rescale(values[r, mask[r]])`` scattered back.

    Parameters
    ----------
    values
        Raw scores, shape ``(rows, width)``.
    mask
        bool, same shape: the cells that belong to each row's candidate set.

    Returns
    -------
    numpy.ndarray
        float32, shape ``(rows, width)``.
    """
    x = np.asarray(values, dtype=np.float64)
    m = np.asarray(mask, dtype=bool)
    if x.shape != m.shape or x.ndim != 2:
        raise InvalidInputError(
            f"rescale_rows needs aligned 2-d arrays, got shapes {x.shape}, {m.shape}"
        )
    x = np.where(m & np.isfinite(x) & (x > 0.0), x, 0.0)
    hi = x.max(axis=1, initial=0.0)
    good = hi > RESCALE_FLOOR
    out = x / np.where(good, hi, 1.0)[:, None]
    out[~good] = 0.0
    return out.astype(np.float32)


def blend(
    content: npt.ArrayLike,
    collaborative: npt.ArrayLike,
    has_collaborative: npt.ArrayLike,
    alpha: float,
) -> FloatArray:
    """Mix rescaled components: ``alpha * content + (1 - alpha) * collaborative``.

    An item whose ``has_collaborative`` is False keeps only its content share:
    its collaborative part counts as 0, so it scores ``alpha * content``. That
    does not keep it below items both components support: at ``alpha = 0.65``
    an item without data and content 1.0 scores 0.65, above an item with
    content 0.4 and collaborative 0.99 (0.65 * 0.4 + 0.35 * 0.99 = 0.61). What
    the rule does guarantee is that such an item never gets the collaborative
    share for free; without that, the tens of thousands of never-rated catalog
    items (78k of MovieLens's 87k) would fill every hybrid list at low alpha.
    When no candidate has collaborative data at all (a query item nobody
    rated, a domain without interactions) the blend is the content score itself.

    Parameters
    ----------
    content, collaborative
        Rescaled scores in [0, 1], aligned, shape ``(m,)``.
    has_collaborative
        bool, shape ``(m,)``.
    alpha
        Weight of content in [0, 1].

    Returns
    -------
    numpy.ndarray
        float32 scores, shape ``(m,)``.

    Examples
    --------
    >>> blend([1.0, 0.0, 0.4], [0.0, 1.0, 1.0], [True, True, False], 0.5).tolist()
    [0.5, 0.5, 0.20000000298023224]
    >>> blend([1.0, 0.4], [0.0, 0.0], [False, False], 0.5).tolist()
    [1.0, 0.4000000059604645]
    """
    a = check_unit("alpha", alpha)
    c = np.asarray(content, dtype=np.float32)
    f = np.asarray(collaborative, dtype=np.float32)
    has = np.asarray(has_collaborative, dtype=bool)
    if not c.shape == f.shape == has.shape:
        raise InvalidInputError(
            f"blend needs aligned arrays, got shapes {c.shape}, {f.shape}, {has.shape}"
        )
    if not has.any():
        return c.copy()
    mixed = np.float32(a) * c + np.float32(1.0 - a) * np.where(has, f, np.float32(0))
    return mixed.astype(np.float32)


@dataclass(frozen=True)
class AlphaSchedule:
    """History size -> α, the weight of content in the blend.

    Without buckets, the curve of the module docstring. With buckets (a learned
    schedule), ``alphas[i]`` applies to history sizes in
    ``[bucket_starts[i], bucket_starts[i + 1])``; the first start must be 0.

    Attributes
    ----------
    alpha_max
        α for 0 or 1 known items.
    alpha_min
        α the curve tends to for long histories.
    tau
        Decay length of the curve, in items (> 0).
    bucket_starts
        Ascending history sizes starting with 0, or empty for the curve.
    alphas
        One α per bucket, same length as ``bucket_starts``.
    """

    alpha_max: float = 0.6
    alpha_min: float = 0.3
    tau: float = 5.0
    bucket_starts: tuple[int, ...] = ()
    alphas: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        check_unit("alpha_max", self.alpha_max)
        check_unit("alpha_min", self.alpha_min)
        if self.alpha_min > self.alpha_max:
            raise InvalidInputError(
                f"alpha_min must not exceed alpha_max, got {self.alpha_min!r} > "
                f"{self.alpha_max!r}"
            )
        if not (isinstance(self.tau, (int, float)) and math.isfinite(self.tau)) or (
            self.tau <= 0
        ):
            raise InvalidInputError(f"tau must be a positive number, got {self.tau!r}")
        if len(self.bucket_starts) != len(self.alphas):
            raise InvalidInputError(
                f"bucket_starts and alphas differ in length: "
                f"{len(self.bucket_starts)} and {len(self.alphas)}"
            )
        if self.bucket_starts:
            starts = list(self.bucket_starts)
            if starts[0] != 0 or any(
                b <= a for a, b in zip(starts, starts[1:], strict=False)
            ):
                raise InvalidInputError(
                    "bucket_starts must rise strictly from 0, got "
                    f"{self.bucket_starts!r}"
                )
            for a in self.alphas:
                check_unit("bucket alpha", a)

    def __call__(self, history_size: int) -> float:
        """α for a history of ``history_size`` items (0 or more)."""
        if (
            isinstance(history_size, bool)
            or not isinstance(history_size, (int, np.integer))
            or history_size < 0
        ):
            raise InvalidInputError(
                f"history_size must be a non-negative int, got {history_size!r}"
            )
        n = int(history_size)
        if self.bucket_starts:
            i = int(np.searchsorted(self.bucket_starts, n, side="right")) - 1
            return float(self.alphas[i])
        decay = math.exp(-max(n - 1, 0) / self.tau)
        return self.alpha_min + (self.alpha_max - self.alpha_min) * decay

    def to_json(self) -> str:
        """JSON text, to be stored next to a model (e.g. inside its npz)."""
        return json.dumps(
            {
                "alpha_max": self.alpha_max,
                "alpha_min": self.alpha_min,
                "tau": self.tau,
                "bucket_starts": list(self.bucket_starts),
                "alphas": list(self.alphas),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> AlphaSchedule:
        """Inverse of :meth:`to_json`; bad text raises :class:`InvalidInputError`."""
        try:
            raw = json.loads(text)
        except (TypeError, json.JSONDecodeError) as exc:
            raise InvalidInputError(f"alpha schedule is not JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise InvalidInputError(
                f"alpha schedule must be a JSON object, got {raw!r}"
            )
        known = {"alpha_max", "alpha_min", "tau", "bucket_starts", "alphas"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise InvalidInputError(f"alpha schedule has unknown fields {unknown}")
        try:
            return cls(
                alpha_max=float(raw.get("alpha_max", 0.9)),
                alpha_min=float(raw.get("alpha_min", 0.3)),
                tau=float(raw.get("tau", 5.0)),
                bucket_starts=tuple(int(b) for b in raw.get("bucket_starts", ())),
                alphas=tuple(float(a) for a in raw.get("alphas", ())),
            )
        except (TypeError, ValueError) as exc:
            if isinstance(exc, InvalidInputError):
                raise
            raise InvalidInputError(f"alpha schedule has a bad value: {exc}") from None


def mode_relevance(
    mode: str,
    content: FloatArray,
    collaborative: FloatArray,
    has_collaborative: BoolArray,
    alpha: float,
) -> tuple[BoolArray, FloatArray]:
    """Which candidates a mode may rank, and their relevance.

    ``"content"``: candidates with content > 0, by content.
    ``"collaborative"``: candidates with collaborative data and collaborative
    > 0, by collaborative. ``"hybrid"``: candidates with content > 0 or (with
    data and) collaborative > 0, by :func:`blend` at ``alpha``; an item with
    content evidence only may score 0 there (at ``alpha = 0``) and is still
    ranked, after every positive score. Candidates with no evidence in the mode
    are left out, so lists are never padded with unsupported 0-score rows.

    Returns
    -------
    valid : numpy.ndarray of bool, shape ``(m,)``
    relevance : numpy.ndarray of float32, shape ``(m,)``
    """
    mode = str(getattr(mode, "value", mode))
    c = np.asarray(content, np.float32)
    f = np.asarray(collaborative, np.float32)
    has = np.asarray(has_collaborative, bool)
    c_evidence = c > 0
    f_evidence = has & (f > 0)
    if mode == "content":
        return c_evidence, c
    if mode == "collaborative":
        return f_evidence, f
    if mode == "hybrid":
        return c_evidence | f_evidence, blend(c, f, has, alpha)
    raise InvalidInputError(
        f"mode must be content, collaborative or hybrid, got {mode!r}"
    )
