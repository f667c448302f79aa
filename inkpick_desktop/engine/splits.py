"""Train/test splits of interaction data for offline evaluation.

The unit of a split is a distinct (user, item) pair: all events of a pair go to
the same side, so a test item is never also a training item of its user. Per
user with ``n`` distinct items, ``round_half_up(test_fraction * n)`` pairs are
held out, at most ``n - 1`` (every user keeps a training item; a user with one
item has no test item and is skipped by the metrics, and counted).

Protocols
    ``"random"``: the held-out pairs are chosen uniformly per user by a seeded
    generator (:func:`numpy.random.default_rng`).
    ``"temporal"``: each user's latest pairs are held out, by the pair's latest
    event timestamp, ties by item index ascending; needs timestamps.

Every held-out pair is a positive (relevant) test item whatever its value; the
training side keeps the raw events so that a domain's value transform applies
to it exactly as in production.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inkpick_desktop.data.model import Interactions
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.sparse import CsrMatrix

PROTOCOLS = ("random", "temporal")

IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, eq=False)
class Split:
    """One train/test split.

    Attributes
    ----------
    train
        Training events (same user ids and catalog size as the source).
    test
        Users x items CsrMatrix, value 1 for every held-out pair.
    protocol
        ``"random"`` or ``"temporal"``.
    test_fraction
        Share of each user's distinct items held out.
    seed
        Seed of the random protocol (``None`` for temporal).
    """

    train: Interactions
    test: CsrMatrix
    protocol: str
    test_fraction: float
    seed: int | None

    @property
    def test_users(self) -> IntArray:
        """Users with at least one held-out item, ascending."""
        return np.flatnonzero(self.test.row_lengths > 0).astype(np.int32)

    def describe(self) -> str:
        """One line naming the protocol, for printing with every result."""
        pct = round(100 * self.test_fraction)
        if self.protocol == "random":
            how = (
                f"per-user random holdout {100 - pct}/{pct} of distinct items "
                f"(seed {self.seed})"
            )
        else:
            how = f"per-user temporal holdout: each user's last {pct}% of items"
        return (
            f"{how}; {self.test.nnz} test pairs of {len(self.test_users)} users; "
            "every held-out pair is relevant"
        )


def holdout_split(
    interactions: Interactions,
    protocol: str = "random",
    *,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> Split:
    """Hold out a share of every user's distinct items.

    Parameters
    ----------
    interactions
        All events.
    protocol
        ``"random"`` or ``"temporal"`` (see the module docstring).
    test_fraction
        In (0, 1).
    seed
        Seed of the random protocol (an int >= 0).

    Returns
    -------
    Split

    Raises
    ------
    InvalidInputError
        Unknown protocol, bad fraction or seed, or ``"temporal"`` on data
        without timestamps.
    """
    if protocol not in PROTOCOLS:
        raise InvalidInputError(
            f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}"
        )
    if (
        isinstance(test_fraction, bool)
        or not isinstance(test_fraction, (int, float))
        or not 0.0 < float(test_fraction) < 1.0
    ):
        raise InvalidInputError(
            f"test_fraction must be a number in (0, 1), got {test_fraction!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidInputError(f"seed must be an int >= 0, got {seed!r}")
    if protocol == "temporal" and interactions.timestamps is None:
        raise InvalidInputError(
            "protocol 'temporal' needs timestamps, and this dataset has none; "
            "use protocol 'random'"
        )

    n_items = max(interactions.n_items, 1)
    users = interactions.users.astype(np.int64)
    keys = users * n_items + interactions.items
    pair_keys, inverse = np.unique(keys, return_inverse=True)
    inverse = inverse.reshape(-1)
    pair_user = pair_keys // n_items
    pair_item = pair_keys - pair_user * n_items
    if protocol == "random":
        rng = np.random.default_rng(int(seed))
        within = rng.random(len(pair_keys))
    else:
        assert interactions.timestamps is not None
        latest = np.full(len(pair_keys), np.iinfo(np.int64).min, np.int64)
        np.maximum.at(latest, inverse, interactions.timestamps.astype(np.int64))
        within = latest.astype(np.float64)
    # Per user: order the pairs (random key, or time then item); the last ones
    # are held out.
    order = np.lexsort((pair_item, within, pair_user))
    sizes = np.bincount(pair_user, minlength=interactions.n_users)
    n_test = np.minimum(
        np.floor(float(test_fraction) * sizes + 0.5).astype(np.int64),
        np.maximum(sizes - 1, 0),
    )
    starts = np.cumsum(sizes) - sizes
    sorted_user = pair_user[order]
    pos = np.arange(len(order)) - starts[sorted_user]
    is_test_sorted = pos >= sizes[sorted_user] - n_test[sorted_user]
    is_test = np.zeros(len(pair_keys), bool)
    is_test[order] = is_test_sorted

    train_events = ~is_test[inverse]
    train = Interactions(
        user_ids=interactions.user_ids,
        users=interactions.users[train_events],
        items=interactions.items[train_events],
        values=interactions.values[train_events],
        n_items=interactions.n_items,
        value_kind=interactions.value_kind,
        timestamps=None
        if interactions.timestamps is None
        else interactions.timestamps[train_events],
    )
    test = CsrMatrix.from_triplets(
        pair_user[is_test],
        pair_item[is_test],
        np.ones(int(is_test.sum())),
        (interactions.n_users, interactions.n_items),
    )
    return Split(
        train,
        test,
        protocol,
        float(test_fraction),
        None if protocol == "temporal" else int(seed),
    )
