"""Building blocks of :mod:`inkpick_desktop.engine.tfidf` (private).

Tokenising the fields into a term-count matrix, document-frequency filtering,
weighting and row normalisation, and the sanity checks on restored arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from inkpick_desktop.engine.errors import InvalidInputError
from inkpick_desktop.engine.progress import CancelToken, ProgressCallback
from inkpick_desktop.engine.sparse import CsrMatrix, FloatArray
from inkpick_desktop.engine.text import ENGLISH_STOP_WORDS, normalize_label, tokenize

if TYPE_CHECKING:
    from inkpick_desktop.engine.tfidf import TfidfConfig

#: Must equal ``inkpick_desktop.data.model.LABEL_SEP`` (not imported: the engine
#: does not depend on the data layer at run time).
LABEL_SEP = "|"
#: Separates the field name from the token in a term string.
TERM_SEP = ":"
STAGE = "building TF-IDF index"
_CANCEL_EVERY = 4096  # items between cancel checks while tokenising


def _field_display(name: str) -> str:
    """``"genres"`` -> ``"genre"``: the singular used in readable term labels."""
    if len(name) > 3 and name.endswith("s") and not name.endswith(("ss", "us")):
        return name[:-1]
    return name


def count_terms(
    fields: Mapping[str, Sequence[str]],
    config: TfidfConfig,
    report: ProgressCallback,
    cancel: CancelToken | None,
) -> tuple[CsrMatrix, list[str], list[str]]:
    """Tokenise every indexed field into an items x terms count matrix.

    Returns the counts with columns in sorted term order, the sorted term strings
    and each term's readable label (a label field shows the label as first
    written, a text field the token).
    """
    missing = [name for name in config.field_weights if name not in fields]
    if missing:
        raise InvalidInputError(
            f"field {missing[0]!r} of field_weights is missing from the fields "
            f"given ({', '.join(map(repr, fields)) or 'none'})"
        )
    lengths = {name: len(fields[name]) for name in config.field_weights}
    if len(set(lengths.values())) > 1:
        raise InvalidInputError(f"fields differ in length: {lengths}")
    n_items = next(iter(lengths.values()))
    stop = ENGLISH_STOP_WORDS if config.stop_words else None
    vocab: dict[str, int] = {}
    displays: list[str] = []
    rows: list[int] = []
    cols: list[int] = []
    n_steps = max(1, n_items * len(lengths))

    for f_no, name in enumerate(config.field_weights):
        is_label = name in config.label_fields
        shown = _field_display(name)
        prefix = name + TERM_SEP
        for i, value in enumerate(fields[name]):
            if i % _CANCEL_EVERY == 0:
                if cancel is not None:
                    cancel.raise_if_cancelled("TF-IDF index build")
                report(STAGE, 0.9 * (f_no * n_items + i) / n_steps)
            if not isinstance(value, str):
                raise InvalidInputError(
                    f"field {name!r}, item {i}: expected str, got {value!r}"
                )
            if is_label:
                raw = [" ".join(v.split()) for v in value.split(LABEL_SEP)]
                pairs = [(normalize_label(v), v) for v in raw]
            else:
                pairs = [(t, t) for t in tokenize(value, stop_words=stop)]
            for token, display in pairs:
                if not token:
                    continue
                key = prefix + token
                term = vocab.get(key)
                if term is None:
                    term = vocab[key] = len(displays)
                    displays.append(f"{shown} {display}")
                rows.append(i)
                cols.append(term)
    if cancel is not None:
        cancel.raise_if_cancelled("TF-IDF index build")

    keys = list(vocab)  # insertion order = provisional term numbers
    order = sorted(range(len(keys)), key=keys.__getitem__)
    rank = np.empty(len(keys), np.int64)
    rank[order] = np.arange(len(keys))
    counts = CsrMatrix.from_triplets(
        np.asarray(rows, np.int64),
        rank[np.asarray(cols, np.int64)],
        np.ones(len(rows), np.float64),
        (n_items, len(keys)),
    )
    return counts, [keys[j] for j in order], [displays[j] for j in order]


def check_arrays(
    matrix: CsrMatrix,
    terms: npt.NDArray[Any],
    labels: npt.NDArray[Any],
    idf: npt.NDArray[Any],
) -> None:
    """Reject restored arrays that cannot come from :meth:`TfidfIndex.build`."""
    if terms.dtype.kind != "U" or labels.dtype.kind != "U":
        raise InvalidInputError("terms and labels must be unicode arrays")
    if terms.ndim != 1 or labels.ndim != 1 or idf.ndim != 1:
        raise InvalidInputError("terms, labels and idf must be 1-D")
    if idf.dtype != np.float32:
        raise InvalidInputError(f"idf must be float32, got {idf.dtype}")
    if not np.all(np.isfinite(matrix.data)) or np.any(matrix.data < 0):
        raise InvalidInputError("matrix values must be finite and >= 0")
    norms = matrix.row_norms()
    bad = (matrix.row_lengths > 0) & (np.abs(norms - 1.0) > 1e-4)
    if np.any(bad):
        raise InvalidInputError(f"row {int(np.argmax(bad))} is not unit length")


def weigh(
    counts: CsrMatrix, keys: list[str], config: TfidfConfig
) -> tuple[CsrMatrix, list[int], FloatArray]:
    """Filter by document frequency, weigh and normalise a term-count matrix.

    ``counts`` has its columns in ``keys`` order (already sorted). Returns the
    unit-row matrix, the kept column numbers and the kept terms' idf.
    """
    n_items = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
    keep_mask = (df >= config.min_df) & (df <= config.max_df * n_items)
    keep = np.flatnonzero(keep_mask)
    new_col = np.cumsum(keep_mask) - 1
    entry_kept = keep_mask[counts.indices]
    rows = counts.row_of_entry[entry_kept]
    cols = new_col[counts.indices[entry_kept]]
    tf = counts.data[entry_kept].astype(np.float64)
    df = df[keep]

    if config.smooth_idf:
        idf = np.log((1.0 + n_items) / (1.0 + df)) + 1.0
    else:
        idf = np.log(n_items / df) + 1.0
    fw = np.asarray(
        [config.field_weights[keys[j].split(TERM_SEP, 1)[0]] for j in keep],
        dtype=np.float64,
    ).reshape(-1)
    if config.sublinear_tf:
        tf = 1.0 + np.log(tf)
    values = tf * (idf * fw)[cols]
    sq = np.bincount(rows, weights=values * values, minlength=n_items)
    norms = np.sqrt(sq)
    values = values / norms[rows]  # rows with entries have a positive norm

    indptr = np.zeros(n_items + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n_items), out=indptr[1:])
    matrix = CsrMatrix(
        values.astype(np.float32), cols.astype(np.int32), indptr, (n_items, len(keep))
    )
    return matrix, keep.tolist(), idf.astype(np.float32)
