"""A small stand-in domain service for UI-mechanics tests.

Same methods and result types as the real ``Recommender``, over a hand-made
catalog of six items, so a test can check the window's plumbing (threads,
coalescing, cancellation) without training anything. Scores are simple and
deterministic: content = 1 / (1 + |i - j|), collaborative = (i * 7 % 6) / 5.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Sequence

import numpy as np

from inkpick_desktop.data.model import Catalog
from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.progress import CancelToken
from inkpick_desktop.engine.results import (
    ComponentScores,
    Mode,
    Recommendation,
    Resolution,
    ResultRow,
    TitleMatch,
)

TITLES = ("Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta")


def _catalog(domain: str) -> Catalog:
    n = len(TITLES)
    return Catalog(
        domain=domain,
        ids=np.array([f"id{i}" for i in range(n)]),
        titles=np.array(TITLES),
        years=np.arange(2000, 2000 + n, dtype=np.int32),
        fields={"genres": np.array(["A|B", "B", "C", "A", "C|D", "D"])},
        label_fields=("genres",),
    )


class FakeRecommender:
    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.catalog = _catalog(domain)
        self.interactions = None
        self.has_collaborative = True
        self.dataset_label = "Fake data"
        self.calls: list[str] = []

    def suggest(self, prefix: str, limit: int = 10) -> list[TitleMatch]:
        self.calls.append(f"suggest:{prefix}")
        p = prefix.strip().lower()
        return [
            self._match(i, 0) for i, t in enumerate(TITLES) if t.lower().startswith(p)
        ][:limit]

    def search(self, text: str, limit: int = 10) -> list[TitleMatch]:
        return self.suggest(text, limit)

    def resolve(self, text: str) -> Resolution:
        t = text.strip().lower()
        for i, title in enumerate(TITLES):
            if title.lower() == t:
                return Resolution(
                    text, i, f"id{i}", title, False, 0, (self._match(i, 0),)
                )
        for i, title in enumerate(TITLES):
            if title.lower()[:3] == t[:3]:
                cands = (self._match(i, 1), self._match((i + 1) % 6, 3))
                return Resolution(text, i, f"id{i}", title, True, 1, cands)
        raise InvalidInputError(f"no title matches {text!r} in {self.domain}")

    def recommend_title(self, text: str, **kw: object) -> Recommendation:
        res = self.resolve(text)
        return dataclasses.replace(self.recommend_item(res.index, **kw), query=res)

    def recommend_item(self, item: int, **kw: object) -> Recommendation:
        self.calls.append(f"item:{item}")
        return self._rec([item], **kw)

    def recommend_profile(self, items: Sequence[int], **kw: object) -> Recommendation:
        self.calls.append(f"profile:{list(items)}")
        rec = self._rec(list(items), **kw)
        return dataclasses.replace(rec, picks=tuple(f"id{i}" for i in items))

    def recommend_user(self, user_id: str, **kw: object) -> Recommendation:
        return dataclasses.replace(self._rec([int(user_id) % 6], **kw), user=user_id)

    def user_history(self, user_id: str) -> list[ResultRow]:
        i = int(user_id) % 6
        return [ResultRow(1, i, f"id{i}", TITLES[i], 2000 + i, "", 1.0, None, None, "")]

    def auto_alpha(self, history_size: int) -> float:
        return 0.8 if history_size <= 1 else 0.5

    def reblend(
        self, rec: Recommendation, *, alpha=None, diversity=None, k=None, mode=None
    ):
        self.calls.append(f"reblend:{alpha}")
        comp = rec.components
        assert comp is not None
        return self._finish(
            list(comp.source_items),
            mode or rec.mode,
            alpha,
            rec.diversity if diversity is None else diversity,
            rec.k if k is None else k,
        )

    def _match(self, i: int, d: int) -> TitleMatch:
        return TitleMatch(i, f"id{i}", TITLES[i], 2000 + i, d, 1.0 / (1 + d))

    def _rec(
        self, sources: list[int], *, mode=Mode.HYBRID, alpha=None, diversity=1.0, k=10
    ):
        return self._finish(sources, Mode(mode), alpha, diversity, k)

    def _finish(self, sources, mode, alpha, diversity, k) -> Recommendation:
        n = len(TITLES)
        cands = np.array([i for i in range(n) if i not in sources], np.int32)
        content = np.array(
            [max(1.0 / (1 + min(abs(i - s) for s in sources)), 0) for i in cands],
            np.float32,
        )
        collab = np.array([(i * 7 % 6) / 5 for i in cands], np.float32)
        auto = alpha is None or alpha == "auto"
        used = {Mode.CONTENT: 1.0, Mode.COLLABORATIVE: 0.0}.get(
            mode, self.auto_alpha(len(sources)) if auto else float(alpha)
        )
        score = used * content + (1 - used) * collab
        order = sorted(range(len(cands)), key=lambda j: (-score[j], cands[j]))[:k]
        rows = tuple(
            ResultRow(
                r + 1,
                int(cands[j]),
                f"id{cands[j]}",
                TITLES[cands[j]],
                2000 + int(cands[j]),
                str(self.catalog.fields["genres"][cands[j]]),
                float(score[j]),
                float(content[j]),
                float(collab[j]),
                f"close to {TITLES[sources[0]]}",
            )
            for r, j in enumerate(order)
        )
        comp = ComponentScores(
            cands,
            content,
            collab,
            np.ones(len(cands), bool),
            len(sources),
            tuple(sources),
        )
        return Recommendation(
            self.domain,
            mode,
            used,
            auto and mode == Mode.HYBRID,
            diversity,
            k,
            rows,
            {
                "total": 1.0,
                "resolve": 0.1,
                "content": 0.2,
                "collaborative": 0.3,
                "blend": 0.1,
                "diversity": 0.1,
            },
            components=comp,
        )


@dataclasses.dataclass
class FakeService:
    key: str
    label: str
    datasets: tuple[str, ...] = ("fake",)
    example_query: str = "Gamm"
    item_noun: str = "thing"
    gate: threading.Event | None = None  # build waits on it (checking cancel)
    builds: list[str] = dataclasses.field(default_factory=list)

    def build(
        self,
        root,
        dataset=None,
        cache_dir=None,
        progress=None,
        cancel=None,
        learn_alpha=False,
    ):
        cancel = cancel or CancelToken()
        self.builds.append(str(dataset))
        step = 0
        while self.gate is not None and not self.gate.is_set():
            cancel.raise_if_cancelled("fake training")
            if progress is not None:
                progress("training fake", (step % 100) / 100)
            step += 1
            time.sleep(0.002)  # the fake's training loop, not a test wait
        return FakeRecommender(self.key)
