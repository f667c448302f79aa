"""OULAD: Open University module presentations and their students' results.

Items are the 22 module presentations of ``courses.csv`` (id ``"AAA-2013J"``,
title ``"Module AAA, presentation 2013J"``). Interactions are the student
registrations of ``studentInfo.csv`` with ``final_result`` as a grade
(:data:`GRADES`: Distinction 4, Pass 3, Fail 2, Withdrawn 1; value kind
``"grade"``). Only the module, presentation, student id and final result columns
are used: the demographic columns are never read into the catalog or the
interactions. Files are CSV with every field quoted and CRLF line ends.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inkpick_desktop.data.csvio import read_table, require_file, source_name, text_array
from inkpick_desktop.data.loaders import LoaderSpec, register
from inkpick_desktop.data.model import Catalog, Interactions, LoadedDataset

KEY = "oulad"
FOLDER = "oulad-registrations"

#: final_result -> grade value.
GRADES: dict[str, float] = {
    "Distinction": 4.0,
    "Pass": 3.0,
    "Fail": 2.0,
    "Withdrawn": 1.0,
}
#: Presentation letter -> month the presentation starts.
STARTS = {"B": "February", "J": "October"}


def _presentation_year(code: str) -> int:
    head = code[:4]
    return int(head) if head.isascii() and head.isdigit() else 0


def load(root: Path) -> LoadedDataset:
    """Load OULAD from ``root / "oulad-registrations"``."""
    root = Path(root)
    courses_path = require_file(root / FOLDER / "courses.csv")
    info_path = require_file(root / FOLDER / "studentInfo.csv")

    courses = read_table(
        courses_path,
        required=("code_module", "code_presentation", "module_presentation_length"),
    )
    modules = courses.texts("code_module", required=True)
    pres = courses.texts("code_presentation", required=True)
    lengths = courses.ints("module_presentation_length", lo=0)
    ids = [f"{m}-{p}" for m, p in zip(modules, pres, strict=True)]
    courses.unique("code_presentation", keys=ids)
    keep = courses.finish().tolist()
    warnings = list(courses.warnings)
    index_of = {ids[i]: k for k, i in enumerate(keep)}

    info = read_table(
        info_path,
        required=("code_module", "code_presentation", "id_student", "final_result"),
    )
    students = info.ints("id_student", lo=0)
    keys = [
        f"{m}-{p}"
        for m, p in zip(
            info.texts("code_module"), info.texts("code_presentation"), strict=True
        )
    ]
    results = info.texts("final_result", required=True)
    items = np.full(len(info), -1, dtype=np.int64)
    values = np.zeros(len(info), dtype=np.float32)
    for i, (key, result) in enumerate(zip(keys, results, strict=True)):
        if i in info.bad:
            continue
        if key not in index_of:
            info.skip(
                i, "code_presentation", f"presentation {key!r} not in courses.csv"
            )
        elif result not in GRADES:
            info.skip(
                i,
                "final_result",
                f"expected one of {', '.join(GRADES)}, got {result!r}",
            )
        else:
            items[i] = index_of[key]
            values[i] = GRADES[result]
    info.unique("id_student", keys=list(zip(keys, students.tolist(), strict=True)))
    ikeep = info.finish()
    warnings += info.warnings

    def describe(i: int) -> str:
        start = STARTS.get(pres[i][4:5], "")
        when = f", starting {start} {pres[i][:4]}" if start else ""
        return (
            f"Open University module {modules[i]}, presentation {pres[i]}{when}, "
            f"{lengths[i]} days"
        )

    catalog = Catalog(
        domain="courses",
        ids=text_array(ids[i] for i in keep),
        titles=text_array(f"Module {modules[i]}, presentation {pres[i]}" for i in keep),
        years=np.array([_presentation_year(pres[i]) for i in keep], dtype=np.int32),
        fields={
            "provider": text_array("Open University" for _ in keep),
            "module": text_array(modules[i] for i in keep),
            "description": text_array(describe(i) for i in keep),
        },
        label_fields=("provider", "module"),
        search_titles=text_array(ids[i] for i in keep),
    )
    user_values, user_idx = np.unique(students[ikeep], return_inverse=True)
    inter = Interactions(
        user_ids=text_array(str(u) for u in user_values.tolist()),
        users=user_idx.astype(np.int32),
        items=items[ikeep].astype(np.int32),
        values=values[ikeep],
        n_items=catalog.n_items,
        value_kind="grade",
    )
    return LoadedDataset(
        key=KEY,
        catalog=catalog,
        interactions=inter,
        sources=(source_name(root, courses_path), source_name(root, info_path)),
        warnings=tuple(warnings),
    )


SPEC = register(
    LoaderSpec(
        key=KEY,
        domain="courses",
        label="Open University (OULAD) registrations",
        folders=(FOLDER,),
        load=load,
    )
)
