"""Online courses: one merged catalog of five providers, IBM learner ratings.

Only ``ibm-skillsnetwork-courses`` is required; each other catalog joins when its
folder is present. Ids are namespaced by provider and stable across runs:

========================  =====================================  ==============
provider                  id                                     source
========================  =====================================  ==============
Coursera                  ``coursera:<course_id>`` (URL slug)    Coursera_courses.csv
edX                       ``edx:<last segment of course_url>``   edx_courses.csv
Udemy                     ``udemy:<course_id>``                  udemy_courses.csv
IBM Skills Network        ``ibm:<COURSE_ID>``                    course_processed.csv
Free Programming Books    ``fpb:<first 12 hex of sha1(URL)>``    free-courses-en.md
========================  =====================================  ==============

A repeated id within a provider keeps the first row (warning). Fields:
``provider`` (label), ``subjects`` (label: edX/Udemy subject, IBM topic flags,
book-list topic and sub-topic), ``institution`` (label), ``description`` (free
text: edX summary, description and syllabus; IBM description; book-list author
and platform notes), ``url``. IBM titles are lower case in the source and are
title-cased by :func:`~inkpick_desktop.data.titles.title_case`. Interactions are
the IBM ``rs_content_test.csv`` ratings (2.0 audited, 3.0 completed; value kind
``"implicit"``, no timestamps) joined to ``ibm:<item>``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inkpick_desktop.data.csvio import (
    TextFormat,
    join_labels,
    read_table,
    read_text,
    require_file,
    source_name,
    text_array,
)
from inkpick_desktop.data.loaders import LoaderSpec, register
from inkpick_desktop.data.model import Catalog, Interactions, LoadedDataset, LoadWarning
from inkpick_desktop.data.titles import title_case
from inkpick_desktop.engine.errors import DataFormatError

KEY = "courses"
IBM = "ibm-skillsnetwork-courses"
IBM_RATINGS = "ibm-skillsnetwork-rs-content-test"
COURSERA = "coursera-courses-imuhammad"
MOOC = "mooc-catalogs-kaggle"
FPB = "free-programming-books-courses"

#: IBM topic flag column -> subject label.
IBM_TOPICS = {
    "Database": "Database", "Python": "Python", "CloudComputing": "Cloud Computing",
    "DataAnalysis": "Data Analysis", "Containers": "Containers",
    "MachineLearning": "Machine Learning", "ComputerVision": "Computer Vision",
    "DataScience": "Data Science", "BigData": "Big Data", "Chatbot": "Chatbot",
    "R": "R", "BackendDev": "Backend Development",
    "FrontendDev": "Frontend Development", "Blockchain": "Blockchain",
}  # fmt: skip
BULLET_RE = re.compile(r"^\s*[*-] \[")
EMOJI_RE = re.compile(r":[a-z0-9_+-]+:")
ANCHOR_RE = re.compile(r"<a\b[^>]*>\s*</a>", re.IGNORECASE)
NOTE_NO_RATINGS = (
    "no course ratings found (folder ibm-skillsnetwork-rs-content-test missing), "
    "so recommendations are content-based only"
)


@dataclass
class _Course:
    id: str
    title: str
    provider: str
    subjects: list[str] = field(default_factory=list)
    institution: list[str] = field(default_factory=list)
    description: str = ""
    url: str = ""
    year: int = 0


def _url_slug(url: str) -> str:
    path = url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return path.rsplit("/", 1)[-1].strip()


def _read_coursera(path: Path) -> tuple[list[_Course], list[LoadWarning]]:
    t = read_table(path, required=("name", "institution", "course_url", "course_id"))
    ids, names = t.texts("course_id", required=True), t.texts("name", required=True)
    inst, urls = t.texts("institution"), t.texts("course_url")
    t.unique("course_id", keys=ids)
    return [
        _Course(f"coursera:{ids[i]}", names[i], "Coursera", [], [inst[i]], "", urls[i])
        for i in t.finish().tolist()
    ], t.warnings


def _read_edx(path: Path) -> tuple[list[_Course], list[LoadWarning]]:
    cols = (
        "title",
        "summary",
        "institution",
        "subject",
        "course_description",
        "course_syllabus",
        "course_url",
    )
    t = read_table(path, required=cols)
    title, summary, inst, subject, desc, syllabus, urls = (
        t.texts(c, required=c == "title") for c in cols
    )
    ids = [f"edx:{_url_slug(u)}" if _url_slug(u) else "" for u in urls]
    for i, x in enumerate(ids):
        if not x:
            t.skip(i, "course_url", f"no course key in URL {urls[i]!r}")
    t.unique("course_url", keys=ids)
    out = []
    for i in t.finish().tolist():
        text = "\n".join(p for p in (summary[i], desc[i], syllabus[i]) if p)
        out.append(
            _Course(ids[i], title[i], "edX", [subject[i]], [inst[i]], text, urls[i])
        )
    return out, t.warnings


def _read_udemy(path: Path) -> tuple[list[_Course], list[LoadWarning]]:
    cols = ("course_id", "course_title", "url", "subject", "published_timestamp")
    t = read_table(path, required=cols)
    ids = t.ints("course_id", lo=0)
    title, urls, subject, stamp = (t.texts(c) for c in cols[1:])
    for i, x in enumerate(title):
        if not x:
            t.skip(i, "course_title", "empty value where one is required")
    t.unique("course_id", keys=ids.tolist())
    out = []
    for i in t.finish().tolist():
        year = int(stamp[i][:4]) if stamp[i][:4].isdigit() else 0
        out.append(
            _Course(
                f"udemy:{ids[i]}",
                title[i],
                "Udemy",
                [subject[i]],
                [],
                "",
                urls[i],
                year,
            )
        )
    return out, t.warnings


def _read_ibm(folder: Path) -> tuple[list[_Course], list[LoadWarning], list[Path]]:
    processed = require_file(folder / "course_processed.csv")
    genre = require_file(folder / "course_genre.csv")
    t = read_table(processed, required=("COURSE_ID", "TITLE", "DESCRIPTION"))
    ids = t.texts("COURSE_ID", required=True)
    titles, desc = t.texts("TITLE", required=True), t.texts("DESCRIPTION")
    t.unique("COURSE_ID", keys=ids)
    keep = t.finish().tolist()
    warnings = list(t.warnings)

    g = read_table(
        genre, TextFormat(encoding="utf-8-sig"), required=("COURSE_ID", *IBM_TOPICS)
    )
    gids = g.texts("COURSE_ID", required=True)
    flags = {c: g.ints(c, lo=0, hi=1) for c in IBM_TOPICS}
    g.unique("COURSE_ID", keys=gids)
    topics = {
        gids[i]: [label for c, label in IBM_TOPICS.items() if flags[c][i]]
        for i in g.finish().tolist()
    }
    warnings += g.warnings
    out = [
        _Course(
            f"ibm:{ids[i]}",
            title_case(titles[i]),
            "IBM Skills Network",
            topics.get(ids[i], []),
            ["IBM"],
            desc[i],
        )
        for i in keep
    ]
    return out, warnings, [processed, genre]


def _bracketed(text: str, start: int, open_: str, close: str) -> int:
    """Index just past the group opened at ``text[start]``, -1 when unclosed;
    a backslash escapes the next character."""
    depth, pos = 0, start
    while pos < len(text):
        ch = text[pos]
        if ch == "\\":
            pos += 2
            continue
        if ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    return -1


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _read_fpb(path: Path) -> tuple[list[_Course], list[LoadWarning]]:
    text = read_text(path)
    warnings: list[LoadWarning] = []
    topic, sub = "", ""
    out: list[_Course] = []
    seen: dict[str, int] = {}
    n_bullets = n_bad = n_repeated = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            name = _unescape(ANCHOR_RE.sub("", line[level:])).strip()
            if level <= 3:
                topic, sub = name, ""
            else:
                sub = name
            continue
        if not BULLET_RE.match(line) or topic in ("", "Index"):
            continue
        n_bullets += 1
        body = line.strip()[2:]
        end = _bracketed(body, 0, "[", "]")
        url_end = _bracketed(body, end, "(", ")") if end > 0 else -1
        if url_end < 0 or body[end : end + 1] != "(":
            n_bad += 1
            warnings.append(
                LoadWarning(
                    str(path), number, None, "bullet is not '[title](url)'; skipped"
                )
            )
            continue
        title = _unescape(body[1 : end - 1]).strip()
        url = body[end + 1 : url_end - 1].strip()
        if url.startswith("#") or not title:
            continue
        notes = EMOJI_RE.sub("", _unescape(body[url_end:])).strip(" -–")
        key = re.sub(r"^https?://(www\.)?", "", url).rstrip("/").lower()
        cid = "fpb:" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
        subjects = [s for s in (topic, sub) if s]
        if cid in seen:  # the same course listed under another topic
            out[seen[cid]].subjects += subjects
            n_repeated += 1
            continue
        author = re.split(r"\s\(", notes, maxsplit=1)[0].strip()
        groups = re.findall(r"\(([^()]+)\)", notes)
        seen[cid] = len(out)
        out.append(
            _Course(
                cid,
                title,
                "Free Programming Books",
                subjects,
                [author, *groups] if author else groups,
                notes,
                url,
            )
        )
    if n_bullets and n_bad > 0.05 * n_bullets:
        raise DataFormatError(
            f"{n_bad} of {n_bullets} bullets are not '[title](url)'", path=str(path)
        )
    if n_repeated:
        warnings.append(
            LoadWarning(
                str(path),
                None,
                None,
                f"{n_repeated} bullets repeat the URL of an earlier one; merged "
                "into it (their topics added to its subjects)",
            )
        )
    return out, warnings


def _read_ratings(path: Path, index_of: dict[str, int]) -> tuple[Interactions, list]:
    t = read_table(path, required=("user", "item", "rating"))
    users = t.ints("user", lo=0)
    items_raw = t.texts("item", required=True)
    ratings = t.floats("rating", lo=0.0)
    items = np.full(len(t), -1, dtype=np.int64)
    for i, x in enumerate(items_raw):
        j = index_of.get(f"ibm:{x}")
        if j is None:
            if i not in t.bad:
                t.skip(i, "item", f"course {x!r} is not in the IBM catalog")
        else:
            items[i] = j
    keep = t.finish()
    user_values, user_idx = np.unique(users[keep], return_inverse=True)
    inter = Interactions(
        user_ids=text_array(str(u) for u in user_values.tolist()),
        users=user_idx.astype(np.int32),
        items=items[keep].astype(np.int32),
        values=ratings[keep].astype(np.float32),
        n_items=len(index_of),
        value_kind="implicit",
    )
    return inter, t.warnings


def load(root: Path) -> LoadedDataset:
    """Load every course catalog present under ``root`` into one catalog."""
    root = Path(root)
    courses: list[_Course] = []
    warnings: list[LoadWarning] = []
    sources: list[Path] = []
    readers = (
        (root / COURSERA / "Coursera_courses.csv", _read_coursera),
        (root / MOOC / "edx_courses.csv", _read_edx),
        (root / MOOC / "udemy_courses.csv", _read_udemy),
    )
    for path, reader in readers:
        if path.is_file():
            found, w = reader(path)
            courses += found
            warnings += w
            sources.append(path)
    found, w, paths = _read_ibm(root / IBM)
    courses += found
    warnings += w
    sources += paths
    fpb = root / FPB / "free-courses-en.md"
    if fpb.is_file():
        found, w = _read_fpb(fpb)
        courses += found
        warnings += w
        sources.append(fpb)

    index_of: dict[str, int] = {}
    merged: list[_Course] = []
    for c in courses:
        if c.id in index_of:
            warnings.append(LoadWarning("courses", None, "id", f"repeated id {c.id!r}"))
            continue
        index_of[c.id] = len(merged)
        merged.append(c)

    ratings = root / IBM_RATINGS / "rs_content_test.csv"
    inter: Interactions | None = None
    note = ""
    if ratings.is_file():
        inter, w = _read_ratings(ratings, index_of)
        warnings += w
        sources.append(ratings)
    else:
        note = NOTE_NO_RATINGS

    catalog = Catalog(
        domain="courses",
        ids=text_array(c.id for c in merged),
        titles=text_array(c.title for c in merged),
        years=np.array([c.year for c in merged], dtype=np.int32),
        fields={
            "provider": text_array(join_labels([c.provider]) for c in merged),
            "subjects": text_array(join_labels(c.subjects) for c in merged),
            "institution": text_array(join_labels(c.institution) for c in merged),
            "description": text_array(c.description for c in merged),
            "url": text_array(c.url for c in merged),
        },
        label_fields=("provider", "subjects", "institution"),
        search_titles=text_array("" for _ in merged),
    )
    return LoadedDataset(
        key=KEY,
        catalog=catalog,
        interactions=inter,
        sources=tuple(source_name(root, p) for p in sources),
        warnings=tuple(warnings),
        interactions_note=note,
    )


SPEC = register(
    LoaderSpec(
        key=KEY,
        domain="courses",
        label="Coursera, edX, Udemy, IBM Skills Network, Free Programming Books",
        folders=(IBM,),
        load=load,
        optional_folders=(IBM_RATINGS, COURSERA, MOOC, FPB),
    )
)
