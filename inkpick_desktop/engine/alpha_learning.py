"""Profile simulations: cold-start curves and the learned α schedule.

A *profile simulation* asks what a person with only ``n`` known items would
get. For every user with at least ``n`` training positives (entries of the
transformed training matrix) and at least one held-out item, ``n`` of those
positives are drawn (seeded generator, per ``(seed, n)``) and used as picks,
exactly as :meth:`Recommender.recommend_profile` uses picks: the content side is
the TF-IDF profile of the picks (all weights 1), the collaborative side the
fold-in of the picks into the fixed item factors. Every training item of the
user, picked or not, is removed from the ranking; the held-out items are the
relevant ones. At most ``max_users`` users per size are used (a seeded subset).

Learned α
    On a *validation* split (a holdout of the training split, never the test
    split) the simulation runs for the sizes ``(1, 2, 3, 5, 10, 20, 50)``; for
    each size the hybrid blend is swept over α = 0, 0.05, ..., 1 and the α with
    the best mean NDCG@K is kept (ties to the lower α). Size ``n_i`` stands for
    history sizes ``[n_i, n_{i+1})``, the first for ``[0, n_2)``; a size with
    fewer than ``min_users`` users inherits the α of the size before it (or
    the default curve's α for a first size). The result is an
    :class:`~.hybrid.AlphaSchedule` with buckets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.hybrid import AlphaSchedule, candidate_size
from inkpick_desktop.engine.metrics import relevant_rows, user_metrics
from inkpick_desktop.engine.progress import CancelToken
from inkpick_desktop.engine.scoring import (
    Candidates,
    blend_rank,
    block_rows,
    blocks,
    candidates,
    content_block,
    factor_block,
    fold_in_vectors,
    rank_excluding,
    seen_mask,
)
from inkpick_desktop.engine.sparse import CsrMatrix

#: History sizes simulated to learn α (bucket i covers [size_i, size_{i+1})).
ALPHA_SIZES = (1, 2, 3, 5, 10, 20, 50)
#: Cold-start sizes of the issue's curve.
COLD_START_SIZES = (1, 2, 3, 5, 10, 20)
#: α grid of the sweep.
ALPHA_GRID = tuple(round(i / 20, 2) for i in range(21))


@dataclass(frozen=True)
class SimulationResult:
    """Mean NDCG@K per size of a profile simulation.

    ``curves[name][i]`` is the mean NDCG of method ``name`` at ``sizes[i]``
    over ``n_users[i]`` users (NaN when there were none). Methods:
    ``"content"``, ``"collaborative"`` and one ``"alpha=<a>"`` per swept α
    or ``"hybrid <label>"`` per named schedule.
    """

    sizes: tuple[int, ...]
    n_users: tuple[int, ...]
    curves: dict[str, tuple[float, ...]]


def simulate_profiles(
    train_matrix: CsrMatrix,
    seen: CsrMatrix,
    held_out: CsrMatrix,
    content: object,
    model: object,
    *,
    sizes: Sequence[int],
    k: int,
    seed: int,
    max_users: int,
    alphas: Sequence[float] = (),
    schedules: dict[str, Callable[[int], float]] | None = None,
    components: bool = True,
    cancel: CancelToken | None = None,
    progress: Callable[[float], None] | None = None,
) -> SimulationResult:
    """Run the profile simulation of the module docstring.

    Parameters
    ----------
    train_matrix
        Transformed training matrix (its entries are the positives to pick).
    seen
        Every training pair (removed from the ranking).
    held_out
        Relevant items per user.
    content, model
        The TF-IDF index and the factor model trained on ``train_matrix``.
    sizes
        History sizes to simulate.
    alphas
        Fixed α values to blend at (one curve each, named ``alpha=<a>``).
    schedules
        Named history size -> α functions (curves ``hybrid <name>``).
    components
        Also rank by each component alone (curves ``content`` and
        ``collaborative``).
    """
    schedules = schedules or {}
    names = ["content", "collaborative"] if components else []
    names += [f"alpha={a:g}" for a in alphas]
    names += [f"hybrid {n}" for n in schedules]
    sums: dict[str, list[float]] = {n: [] for n in names}
    counts: list[int] = []
    has = np.asarray(model.item_has_data_, bool)  # type: ignore[attr-defined]
    item_f = model.item_factors_  # type: ignore[attr-defined]
    n_items = train_matrix.shape[1]
    pos_len = train_matrix.row_lengths
    eligible_all = held_out.row_lengths > 0
    size_c = candidate_size(k)
    with_data = np.flatnonzero(has).astype(np.int32)
    for step, n in enumerate(sizes):
        rng = np.random.default_rng([int(seed), int(n)])
        users = np.flatnonzero(eligible_all & (pos_len >= n))
        if len(users) > max_users:
            users = np.sort(rng.choice(users, max_users, replace=False))
        totals = dict.fromkeys(names, 0.0)
        for a, b in blocks(len(users), block_rows(n_items)):
            if cancel is not None:
                cancel.raise_if_cancelled("evaluation")
            rows = users[a:b]
            picks = [
                np.sort(rng.choice(train_matrix.row(int(u))[0], n, replace=False))
                for u in rows
            ]
            relevant = relevant_rows(held_out, rows)
            exclude = seen_mask(seen, rows)
            c, c_ok = content_block(content, picks, None)
            vec, f_ok = fold_in_vectors(model, picks)
            f = factor_block(vec, item_f, has)
            f[~f_ok] = -np.inf
            ranked = {}
            if components:
                ranked["content"] = rank_excluding(c, exclude | (c <= 0), k)
                ranked["collaborative"] = rank_excluding(f, exclude, k, with_data)
            cands = candidates(c, c_ok, f, f_ok, has, exclude, size_c)
            blends = [(f"alpha={a:g}", float(a)) for a in alphas]
            blends += [
                (f"hybrid {m}", float(fn(int(n)))) for m, fn in schedules.items()
            ]
            if blends:
                # Every α at once: one stacked ranking and one metric pass.
                m = len(rows)
                stacked = blend_rank(
                    _tile(cands, len(blends)), np.repeat([a for _, a in blends], m), k
                )
                for j, (name, _) in enumerate(blends):
                    ranked[name] = stacked[j * m : (j + 1) * m]
            for name, lists in ranked.items():
                totals[name] += float(np.sum(user_metrics(lists, relevant, k)["ndcg"]))
        counts.append(len(users))
        for name in names:
            sums[name].append(totals[name] / len(users) if len(users) else np.nan)
        if progress is not None:
            progress((step + 1) / len(sizes))
    return SimulationResult(
        tuple(int(s) for s in sizes),
        tuple(counts),
        {name: tuple(values) for name, values in sums.items()},
    )


def _tile(cands: Candidates, times: int) -> Candidates:
    """The candidate block repeated ``times`` times along the rows."""
    return Candidates(
        np.tile(cands.items, (times, 1)),
        np.tile(cands.content, (times, 1)),
        np.tile(cands.collaborative, (times, 1)),
        np.tile(cands.has, (times, 1)),
    )


@dataclass(frozen=True)
class AlphaLearning:
    """A learned α schedule and the sweep it came from.

    Attributes
    ----------
    schedule
        Buckets ``(0, sizes[1], sizes[2], ...)`` with the chosen α each.
    sizes, n_users
        Simulated history sizes and users per size.
    grid
        The α values swept.
    curves
        ``curves[i][j]``: validation NDCG@K at ``sizes[i]`` and ``grid[j]``.
    inherited
        Sizes whose α was inherited (too few users).
    protocol
        How the validation split was made.
    """

    schedule: AlphaSchedule
    sizes: tuple[int, ...]
    n_users: tuple[int, ...]
    grid: tuple[float, ...]
    curves: tuple[tuple[float, ...], ...]
    inherited: tuple[int, ...]
    protocol: str

    def to_dict(self) -> dict[str, object]:
        return {
            "schedule": {
                "bucket_starts": list(self.schedule.bucket_starts),
                "alphas": list(self.schedule.alphas),
            },
            "sizes": list(self.sizes),
            "n_users": list(self.n_users),
            "grid": list(self.grid),
            "curves": [list(c) for c in self.curves],
            "inherited": list(self.inherited),
            "protocol": self.protocol,
        }


def choose_alphas(
    sim: SimulationResult,
    grid: Sequence[float],
    *,
    min_users: int,
    fallback: AlphaSchedule,
    protocol: str,
) -> AlphaLearning:
    """Pick the best α per simulated size (see the module docstring)."""
    curves = []
    alphas: list[float] = []
    inherited = []
    for i, n in enumerate(sim.sizes):
        curve = tuple(sim.curves[f"alpha={a:g}"][i] for a in grid)
        curves.append(curve)
        if sim.n_users[i] < min_users or not np.isfinite(curve).any():
            alphas.append(alphas[-1] if alphas else float(fallback(int(n))))
            inherited.append(int(n))
            continue
        values = np.nan_to_num(np.asarray(curve, np.float64), nan=-1.0)
        alphas.append(float(grid[int(np.argmax(values))]))  # first max: lower α
    starts = (0, *sim.sizes[1:])
    return AlphaLearning(
        schedule=AlphaSchedule(bucket_starts=starts, alphas=tuple(alphas)),
        sizes=sim.sizes,
        n_users=sim.n_users,
        grid=tuple(float(a) for a in grid),
        curves=tuple(curves),
        inherited=tuple(inherited),
        protocol=protocol,
    )


FloatArray = npt.NDArray[np.float32]
