"""Bayesian personalised ranking (Rendle et al., UAI 2009) by mini-batch SGD.

Every stored entry of the users x items matrix is a positive pair ``(u, i)``
(values only decide presence; BPR learns from order, not from weights). An
epoch visits every positive once in a seeded random order, in mini-batches;
each positive gets a negative ``j`` drawn uniformly from the items ``u`` has no
entry for, and the batch takes one gradient-ascent step on
``ln sigmoid(x_u . (y_i - y_j)) - regularization (|x_u|^2 + |y_i|^2 + |y_j|^2)``.
Updates of a row repeated inside a batch are summed.

Fold-in of a new user maximises the same objective for one vector ``x`` against
the fixed item factors, exactly rather than by sampling: the mean of
``ln sigmoid(x . (y_i - y_j))`` over every pick ``i`` (weighted by its value) and
every item ``j`` with data that is not a pick, minus ``regularization |x|^2``.
It is strictly concave, so a few damped Newton steps reach the unique optimum
with no randomness. At the optimum the gradient vanishes, which writes ``x`` as
a sum of one term per pick; :meth:`BprModel.contributions` reports those terms.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.als_solver import gram
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.factors import FactorModel, FloatArray, IntArray
from inkpick_desktop.engine.progress import CancelToken, ProgressCallback
from inkpick_desktop.engine.sparse import CsrMatrix

logger = logging.getLogger(__name__)

#: Standard deviation of the random initial factors.
INIT_SCALE = 0.1
#: Triples per SGD step.
BATCH_SIZE = 512
#: Redraws of a negative that turned out to be a positive; still-colliding
#: triples are dropped from the batch.
NEGATIVE_REDRAWS = 8
#: Newton steps of the fold-in at most, and the step norm that ends them early.
FOLD_IN_MAX_STEPS = 30
FOLD_IN_TOLERANCE = 1e-6
#: At most this many negatives per fold-in, and at most this many (pick,
#: negative) pairs; beyond either, a subset of the negatives drawn with the
#: config's seed stands in for all of them. The objective is a mean over
#: negatives, so a uniform subset of 1,024 estimates it closely (the gradient's
#: sampling error shrinks as 1/sqrt(1024)), while the exact sum over all 9,724
#: (or 87,873) items took 300-520 ms per fold-in.
FOLD_IN_NEGATIVES = 1024
FOLD_IN_PAIR_BUDGET = 1 << 18
# Batches between two cancellation checks.
_CANCEL_EVERY = 64


@dataclass(frozen=True)
class BprConfig:
    """Settings of :class:`BprModel`."""

    #: Number of latent factors f.
    factors: int = 64
    #: SGD step size.
    learning_rate: float = 0.05
    #: L2 weight on the factors touched by each triple; must be > 0.
    regularization: float = 0.01
    #: Passes over all positive pairs.
    epochs: int = 30
    #: Seed of the initial factors, the visiting order and the negatives.
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("factors", "epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(f"{name} must be a positive int, got {value!r}")
        if (
            isinstance(self.seed, bool)
            or not isinstance(self.seed, int)
            or self.seed < 0
        ):
            raise InvalidInputError(f"seed must be an int >= 0, got {self.seed!r}")
        for name in ("learning_rate", "regularization"):
            value = getattr(self, name)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not ok or not math.isfinite(value) or value <= 0:
                raise InvalidInputError(
                    f"{name} must be a finite number > 0, got {value!r}"
                )


class BprModel(FactorModel):
    """BPR-MF factors; see the module docstring and :class:`FactorModel`."""

    kind = "bpr"
    stage = "training BPR"
    _config_type = BprConfig
    config: BprConfig

    @classmethod
    def _train(
        cls,
        matrix: CsrMatrix,
        config: BprConfig,
        progress: ProgressCallback,
        cancel: CancelToken,
    ) -> tuple[FloatArray, FloatArray]:
        rng = np.random.default_rng(config.seed)
        n_users, n_items = matrix.shape
        f = config.factors
        users = (rng.standard_normal((n_users, f)) * INIT_SCALE).astype(np.float32)
        items = (rng.standard_normal((n_items, f)) * INIT_SCALE).astype(np.float32)
        pos_user = matrix.row_of_entry
        pos_item = matrix.indices.astype(np.int64)
        # CSR is row-major with increasing columns, so these keys are sorted.
        keys = pos_user * n_items + pos_item
        # A user who has every item has no negative to rank below.
        usable = np.flatnonzero(matrix.row_lengths[pos_user] < n_items)
        lr = np.float32(config.learning_rate)
        reg = np.float32(config.regularization)

        progress(cls.stage, 0.0)
        for epoch in range(config.epochs):
            cancel.raise_if_cancelled(cls.stage)
            order = usable[rng.permutation(len(usable))]
            for n_batch, start in enumerate(range(0, len(order), BATCH_SIZE)):
                if n_batch % _CANCEL_EVERY == _CANCEL_EVERY - 1:
                    cancel.raise_if_cancelled(cls.stage)
                batch = order[start : start + BATCH_SIZE]
                u, i = pos_user[batch], pos_item[batch]
                j = _draw_negatives(rng, u, n_items, keys)
                ok = j >= 0
                _sgd_step(users, items, u[ok], i[ok], j[ok], lr, reg)
            progress(cls.stage, (epoch + 1) / config.epochs)
            logger.debug("BPR epoch %d of %d", epoch + 1, config.epochs)
        return users, items

    def fold_in(
        self, items: Sequence[int], values: Sequence[float] | None = None
    ) -> FloatArray:
        """A user vector for a new history: the BPR optimum against fixed items.

        Parameters and errors as :meth:`FactorModel.fold_in`; values weight the
        picks (default 1 each). Picks without training data are ignored. When
        picks x negatives exceeds :data:`FOLD_IN_PAIR_BUDGET`, a subset of the
        negatives drawn with the config's seed stands in for all of them.
        """
        return self._fold_in_state(items, values).x.astype(np.float32)

    def contributions(
        self,
        picks: Sequence[int],
        target: int,
        values: Sequence[float] | None = None,
    ) -> FloatArray:
        """Each pick's share of ``target``'s fold-in score.

        At the optimum ``2 lambda x = sum_i w_i/(W m) sum_j s_ij (y_i - y_j)``
        with ``s_ij = sigmoid(-x . (y_i - y_j))``, so pick ``i``'s share of
        ``y_t . x`` is its term dotted with ``y_t``. Shares sum to the score up
        to the Newton tolerance; duplicated picks split their share equally.
        """
        self._check_item(target)
        st = self._fold_in_state(picks, values)
        yt = self.item_factors_[int(target)].astype(np.float64)
        share = np.zeros(len(st.uniq))
        if st.negatives.size:
            s = st.sigmoid_neg(st.x)  # (picks, negatives)
            t_pos = st.y_pos @ yt
            t_neg = st.y_neg @ yt
            per_pick = s.sum(axis=1) * t_pos - s @ t_neg
            scale = st.weights / (st.total * len(st.negatives) * 2.0 * st.reg)
            share = scale * per_pick
        full = np.zeros(len(st.all_uniq))
        full[np.searchsorted(st.all_uniq, st.uniq)] = share
        idx = np.asarray(picks, dtype=np.int64)
        pos = np.searchsorted(st.all_uniq, idx)
        counts = np.bincount(pos, minlength=len(st.all_uniq))
        return (full[pos] / counts[pos]).astype(np.float32)

    def _fold_in_state(
        self, items: Sequence[int], values: Sequence[float] | None
    ) -> _FoldIn:
        all_uniq, weights = self._picks(items, values, "fold_in")
        keep = self.item_has_data_[all_uniq]
        negative = self.item_has_data_.copy()
        negative[all_uniq] = False
        negatives = np.flatnonzero(negative)
        uniq = all_uniq[keep]
        budget = FOLD_IN_PAIR_BUDGET // max(len(uniq), 1)
        limit = max(256, min(FOLD_IN_NEGATIVES, budget))
        if len(negatives) > limit:
            rng = np.random.default_rng(self.config.seed)
            negatives = np.sort(rng.choice(negatives, limit, replace=False))
        state = _FoldIn(
            all_uniq,
            uniq,
            weights[keep],
            negatives,
            self.item_factors_,
            float(self.config.regularization),
        )
        state.solve()
        return state


class _FoldIn:
    """The one-user BPR problem against fixed item factors, and its solution."""

    def __init__(
        self,
        all_uniq: IntArray,
        uniq: IntArray,
        weights: npt.NDArray[np.float64],
        negatives: npt.NDArray[np.int64],
        item_factors: FloatArray,
        reg: float,
    ) -> None:
        self.all_uniq, self.uniq, self.weights = all_uniq, uniq, weights
        self.negatives = negatives
        self.y_pos32 = item_factors[uniq]
        self.y_neg32 = item_factors[negatives]
        self.y_pos = self.y_pos32.astype(np.float64)
        self.y_neg = self.y_neg32.astype(np.float64)
        self.total = float(weights.sum())
        self.reg = reg
        self.x = np.zeros(item_factors.shape[1])

    def sigmoid_neg(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``sigmoid(-(s_i - s_j))`` for every pick i and negative j."""
        return np.exp(-np.logaddexp(0.0, self._margins(x)))

    def _margins(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        # einsum, not BLAS: see the als_solver module docstring on threads.
        pos = np.einsum("pf,f->p", self.y_pos, x)
        neg = np.einsum("nf,f->n", self.y_neg, x)
        return pos[:, None] - neg[None, :]

    def objective(self, x: npt.NDArray[np.float64]) -> float:
        d = self._margins(x)
        fit = -(self.weights @ np.logaddexp(0.0, -d).sum(axis=1))
        mean = float(fit) / (self.total * len(self.negatives))
        return mean - self.reg * float(x @ x)

    def solve(self) -> None:
        if self.negatives.size == 0 or self.total == 0:
            return  # nothing to rank below the picks: the optimum is x = 0
        scale = 1.0 / (self.total * len(self.negatives))
        x = self.x
        value = self.objective(x)
        for _ in range(FOLD_IN_MAX_STEPS):
            s = self.sigmoid_neg(x)
            ws = self.weights[:, None] * s
            grad = scale * (
                np.einsum("p,pf->f", ws.sum(axis=1), self.y_pos)
                - np.einsum("n,nf->f", ws.sum(axis=0), self.y_neg)
            )
            grad -= 2.0 * self.reg * x
            # Curvature of ln sigmoid(d) is -sigmoid(d) sigmoid(-d) = -s (1 - s).
            # The Hessian only steers the step (the gradient fixes the optimum),
            # so its products run in float32 single-threaded 64-row stacks.
            wq = ws * (1.0 - s)
            a = gram(self.y_pos32, weights=wq.sum(axis=1))
            b = gram(self.y_neg32, weights=wq.sum(axis=0))
            c = self.y_pos.T @ np.einsum("pn,nf->pf", wq, self.y_neg)
            hess = scale * (a + b - c - c.T)
            hess[np.diag_indices_from(hess)] += 2.0 * self.reg
            step = np.linalg.solve(hess, grad)
            t = 1.0
            while t > 1e-4:  # backtrack until the objective does not drop
                candidate = x + t * step
                new_value = self.objective(candidate)
                if new_value >= value:
                    break
                t *= 0.5
            else:
                break
            x, value = candidate, new_value
            if t * float(np.linalg.norm(step)) < FOLD_IN_TOLERANCE:
                break
        self.x = x


MODEL_CLASS = BprModel


def _draw_negatives(
    rng: np.random.Generator,
    users: npt.NDArray[np.int64],
    n_items: int,
    keys: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """One item per user that the user has no entry for; -1 where none was found."""
    j = rng.integers(0, n_items, len(users))
    todo = np.arange(len(users))
    for _ in range(NEGATIVE_REDRAWS):
        probe = users[todo] * n_items + j[todo]
        pos = np.searchsorted(keys, probe)
        hit = (pos < len(keys)) & (keys[np.minimum(pos, len(keys) - 1)] == probe)
        todo = todo[hit]
        if len(todo) == 0:
            return j
        j[todo] = rng.integers(0, n_items, len(todo))
    probe = users[todo] * n_items + j[todo]
    pos = np.searchsorted(keys, probe)
    hit = (pos < len(keys)) & (keys[np.minimum(pos, len(keys) - 1)] == probe)
    j[todo[hit]] = -1
    return j


def _sgd_step(
    users: FloatArray,
    items: FloatArray,
    u: npt.NDArray[np.int64],
    i: npt.NDArray[np.int64],
    j: npt.NDArray[np.int64],
    lr: np.float32,
    reg: np.float32,
) -> None:
    """One ascent step on a batch of triples, in place."""
    xu, yi, yj = users[u], items[i], items[j]
    diff = yi - yj
    x = np.einsum("bf,bf->b", xu, diff)
    # d/dx ln sigmoid(x) = sigmoid(-x), written so large |x| cannot overflow.
    g = np.exp(-np.logaddexp(0.0, x)).astype(np.float32)[:, None]
    np.add.at(users, u, lr * (g * diff - reg * xu))
    np.add.at(items, i, lr * (g * xu - reg * yi))
    np.add.at(items, j, lr * (-g * xu - reg * yj))
