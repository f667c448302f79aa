"""Own engine parts next to the libraries they replace, in the same run.

* own :class:`CsrMatrix` products vs ``scipy.sparse`` (its fastest form for the
  same question, several forms timed and the best taken as the reference);
* own TF-IDF build vs scikit-learn ``TfidfVectorizer`` (same analyzer, so the
  same matrix, and with its own regex analyzer for reference);
* own title search vs a ``rapidfuzz.process.extract`` full scan of every key
  (rapidfuzz is the edit-distance kernel of both, so this measures the
  candidate filter);
* (in :mod:`benchmarks.training`) own ALS and BPR training vs ``implicit``.

Ratios are own / reference p50: below 1 the own code is faster. Results of both
sides are compared (allclose, nnz, loss) so a fast wrong answer is caught.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import scipy.sparse as sp

from benchmarks._stats import Timing, measure, measure_calls
from benchmarks.latency import misspelt_queries
from benchmarks.report import Section, Table, fmt_ms, fmt_ratio
from inkpick_desktop.engine.recommender import Recommender
from inkpick_desktop.engine.sparse import CsrMatrix
from inkpick_desktop.engine.tfidf import TfidfConfig, TfidfIndex, _titles_without_year

logger = logging.getLogger(__name__)


def to_scipy(m: CsrMatrix) -> sp.csr_matrix:
    return sp.csr_matrix((m.data, m.indices, m.indptr), shape=m.shape)


class Comparison:
    """Rows of ``own vs reference`` with the ratio of their p50."""

    def __init__(self, what: str) -> None:
        self.table = Table(
            (
                "question",
                "own p50 / p95 ms",
                f"{what} p50 / p95 ms",
                "ratio own/ref",
                "check",
            )
        )
        self.timings: list[Timing] = []
        self.ratios: dict[str, float] = {}

    def add(self, question: str, own: Timing, refs: list[Timing], check: str) -> None:
        best = min(refs, key=lambda t: t.p50)
        ratio = own.p50 / best.p50 if best.p50 > 0 else float("nan")
        self.ratios[question] = ratio
        self.timings.extend([own, *refs])
        ref_text = f"{fmt_ms(best.p50)} / {fmt_ms(best.p95)} ({best.name})"
        if len(refs) > 1:
            others = ", ".join(
                f"{r.name} {fmt_ms(r.p50)}" for r in refs if r is not best
            )
            ref_text += f"; also {others}"
        self.table.add(
            question,
            f"{fmt_ms(own.p50)} / {fmt_ms(own.p95)}",
            ref_text,
            fmt_ratio(ratio),
            check,
        )


def _same(a: Any, b: Any, rtol: float = 1e-4, atol: float = 1e-6) -> str:
    """Whether two results (dense or scipy sparse) hold the same values."""
    if sp.issparse(a) or sp.issparse(b):
        a, b = sp.csr_matrix(a), sp.csr_matrix(b)
        if a.shape != b.shape:
            return "**results differ**"
        diff = abs(a - b).max() if a.nnz or b.nnz else 0.0
        scale = abs(b).max() if b.nnz else 0.0
        ok = diff <= atol + rtol * scale
    else:
        x, y = np.asarray(a, np.float64), np.asarray(b, np.float64)
        ok = x.shape == y.shape and np.allclose(x, y, rtol=rtol, atol=atol)
    return "same result" if ok else "**results differ**"


def csr_section(
    rec: Recommender,
    ratings: CsrMatrix,
    factors: np.ndarray,
    *,
    n: int,
    warmup: int,
    seed: int,
) -> Section:
    """Own CSR operations vs scipy.sparse on the cinema TF-IDF and rating matrices."""
    rng = np.random.default_rng(seed)
    content = rec._parts._content
    x_own, inv_own = content.matrix_, content.inverted_
    x_csr, inv_csr = to_scipy(x_own), to_scipy(inv_own)
    x_csc = x_csr.tocsc()
    with_terms = np.flatnonzero(np.diff(x_own.indptr) > 0)
    items = rng.choice(with_terms, size=n).tolist()
    queries = [x_own.row(i) for i in items]
    comp = Comparison("scipy.sparse")

    def dense_q(q: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        v = np.zeros(x_own.shape[1], np.float32)
        v[q[0]] = q[1]
        return v

    own = measure(
        "own inverted.weighted_row_sum",
        lambda q: inv_own.weighted_row_sum(*q),
        queries,
        warmup=warmup,
    )
    refs = [
        measure(
            "CSC[:, terms] @ w", lambda q: x_csc[:, q[0]] @ q[1], queries, warmup=warmup
        ),
        measure(
            "w @ inverted CSR[terms]",
            lambda q: q[1] @ inv_csr[q[0]],
            queries,
            warmup=warmup,
        ),
        measure("CSR @ dense q", lambda q: x_csr @ dense_q(q), queries, warmup=warmup),
    ]
    q0 = queries[0]
    comp.add(
        "score all items for one item's terms (inverted-index query)",
        own,
        refs,
        _same(inv_own.weighted_row_sum(*q0), x_csc[:, q0[0]] @ q0[1]),
    )

    vecs = [rng.random(x_own.shape[1]).astype(np.float32) for _ in range(8)]
    own = measure("own CsrMatrix.dot(vector)", x_own.dot, vecs, warmup=2)
    ref = measure("CSR @ vector", lambda v: x_csr @ v, vecs, warmup=2)
    comp.add(
        f"items x terms @ dense vector ({x_own.nnz:,} nnz)",
        own,
        [ref],
        _same(x_own.dot(vecs[0]), x_csr @ vecs[0]),
    )

    r_csr = to_scipy(ratings)
    reps = max(5, n // 20)
    own = measure_calls(
        "own CsrMatrix.dot(matrix)", lambda: ratings.dot(factors), repeats=reps
    )
    ref = measure_calls("CSR @ dense", lambda: r_csr @ factors, repeats=reps)
    comp.add(
        f"users x items @ item factors {factors.shape}",
        own,
        [ref],
        _same(ratings.dot(factors), r_csr @ factors, rtol=1e-3, atol=1e-4),
    )

    own = measure_calls("own transpose", x_own.transpose, repeats=reps)
    refs = [
        measure_calls(".T.tocsr()", lambda: x_csr.T.tocsr(), repeats=reps),
        measure_calls(".tocsc()", x_csr.tocsc, repeats=reps),
    ]
    t_own = x_own.transpose()
    comp.add(
        "transpose items x terms to CSR",
        own,
        refs,
        _same(to_scipy(t_own), x_csr.T.tocsr()),
    )

    rows, cols = x_own.row_of_entry, x_own.indices
    vals = x_own.data

    def scipy_triplets() -> sp.csr_matrix:
        m = sp.coo_matrix((vals, (rows, cols)), shape=x_own.shape).tocsr()
        m.sort_indices()
        return m

    own = measure_calls(
        "own from_triplets",
        lambda: CsrMatrix.from_triplets(rows, cols, vals, x_own.shape),
        repeats=reps,
    )
    ref = measure_calls("coo -> csr", scipy_triplets, repeats=reps)
    comp.add(
        "build CSR from triplets",
        own,
        [ref],
        _same(
            to_scipy(CsrMatrix.from_triplets(rows, cols, vals, x_own.shape)),
            scipy_triplets(),
        ),
    )

    picks = [rng.choice(x_own.shape[0], size=100).tolist() for _ in range(n)]
    own = measure("own take_rows(100)", x_own.take_rows, picks, warmup=warmup)
    ref = measure("CSR[rows]", lambda p: x_csr[p], picks, warmup=warmup)
    comp.add(
        "slice 100 rows",
        own,
        [ref],
        _same(to_scipy(x_own.take_rows(picks[0])), x_csr[picks[0]]),
    )

    section = Section("Side by side: own CSR vs scipy.sparse")
    section.text(
        f"Cinema TF-IDF matrix {x_own.shape[0]:,} x {x_own.shape[1]:,} "
        f"({x_own.nnz:,} nnz) and the MovieLens ratings matrix "
        f"{ratings.shape[0]:,} x {ratings.shape[1]:,} ({ratings.nnz:,} nnz). The "
        "reference is the fastest of the scipy forms listed; ratio = own p50 / "
        "that p50."
    )
    section.table(comp.table)
    section.timings.extend(comp.timings)
    ratio = comp.ratios["score all items for one item's terms (inverted-index query)"]
    section.verdict(
        "own CSR query time ≤ scipy's",
        f"{fmt_ratio(ratio)} of scipy's fastest form (p50)",
        ratio <= 1.0,
    )
    return section


def tfidf_section(rec: Recommender, service: Any, *, repeats: int) -> Section:
    """Own TF-IDF build vs scikit-learn on the cinema catalog."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from inkpick_desktop.engine.text import tokenize

    catalog = rec.catalog
    titles = _titles_without_year(catalog)
    one = TfidfConfig({"title": 1.0})
    comp = Comparison("scikit-learn")
    own = measure_calls(
        "own TfidfIndex.build (title)",
        lambda: TfidfIndex.build({"title": titles}, one),
        repeats=repeats,
    )
    same = TfidfVectorizer(analyzer=tokenize, norm="l2", dtype=np.float32)
    regex = TfidfVectorizer(dtype=np.float32)
    refs = [
        measure_calls(
            "TfidfVectorizer(analyzer=tokenize)",
            lambda: same.fit_transform(titles),
            repeats=repeats,
        ),
        measure_calls(
            "TfidfVectorizer() default regex",
            lambda: regex.fit_transform(titles),
            repeats=repeats,
        ),
    ]
    mine = TfidfIndex.build({"title": titles}, one).matrix_
    theirs = same.fit_transform(titles).tocsr()
    theirs.sort_indices()
    check = (
        "same matrix"
        if (mine.nnz == theirs.nnz and np.allclose(mine.data, theirs.data, atol=1e-6))
        else "**matrices differ**"
    )
    comp.add(f"build over {catalog.n_items:,} titles", own, refs, check)
    config = service.tfidf_for("movielens", catalog)
    full = measure_calls(
        "own TfidfIndex.from_catalog (title+genres+tags)",
        lambda: TfidfIndex.from_catalog(catalog, config),
        repeats=repeats,
    )

    section = Section("Side by side: own TF-IDF build vs scikit-learn")
    section.text(
        "One field (titles without the year) so both build the same matrix; the "
        "own build uses the same tokenizer it gives scikit-learn. The app's real "
        "cinema index (title + genres + tags, stop words) is timed below for scale."
    )
    section.table(comp.table)
    section.figures([full])
    section.timings.extend(comp.timings)
    return section


def fuzzy_section(rec: Recommender, *, n: int, warmup: int, seed: int) -> Section:
    """Own TitleSearch vs a rapidfuzz full scan over every normalised key."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    from inkpick_desktop.engine.fuzzy import acceptance_threshold, query_keys

    search = rec._search
    keys = search.keys_
    rng = np.random.default_rng(seed)
    queries = [q for q in misspelt_queries(rec, n, rng) if query_keys(q)]
    qkeys = [query_keys(q)[0] for q in queries]
    comp = Comparison("rapidfuzz")
    own = measure(
        "own TitleSearch.search", lambda q: search.search(q, 10), queries, warmup=warmup
    )

    def scan(q: str) -> list:
        return process.extract(q, keys, scorer=Levenshtein.distance, limit=10)

    def scan_cut(q: str) -> list:
        return process.extract(
            q,
            keys,
            scorer=Levenshtein.distance,
            limit=10,
            score_cutoff=acceptance_threshold(len(q)),
        )

    refs = [
        measure("extract full scan", scan, qkeys, warmup=min(warmup, 5)),
        measure("extract full scan, cutoff", scan_cut, qkeys, warmup=min(warmup, 5)),
    ]
    agree = 0
    for q, k in zip(queries, qkeys, strict=True):
        ours = search.search(q, 1).matches
        agree += bool(ours) and ours[0].distance <= scan(k)[0][1]
    comp.add(
        f"10 closest titles of a misspelt query ({len(keys):,} keys)",
        own,
        refs,
        f"best distance ≤ full scan's in {agree / len(queries):.1%}",
    )
    section = Section("Side by side: own title search vs rapidfuzz full scan")
    section.text(
        "Both use rapidfuzz's Levenshtein kernel; the own search scores only the "
        "trigram candidates, the full scan scores every key (`cutoff` = the "
        "acceptance distance, which lets rapidfuzz stop early). The check counts "
        "queries whose own best distance is no worse than the full scan's."
    )
    section.table(comp.table)
    section.timings.extend(comp.timings)
    return section
