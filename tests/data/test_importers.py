"""User-file importers: mapping, sniffing, errors with file/line/field, properties."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inkpick_desktop.data.importers import (
    import_interactions,
    import_items,
    preview,
    sniff_delimiter,
)
from inkpick_desktop.data.model import LoadWarning
from inkpick_desktop.engine.errors import (
    DataFormatError,
    DatasetNotFoundError,
    InkpickError,
    InvalidInputError,
)

ITEMS_CSV = (
    "id,title,year,genres,blurb\n"
    '858,"Godfather, The",1972,Crime|Drama,"A family, a\n""business"""\n'
    "1,Toy Story,1995,Animation; Children,toys\n"
    "2,Unknown year,,,\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _items(path: Path, **kw):
    kw.setdefault("id_column", "id")
    kw.setdefault("title_column", "title")
    kw.setdefault("text_columns", ("blurb",))
    return import_items(path, **kw)


def test_import_items_csv_maps_columns(tmp_path):
    path = _write(tmp_path, "mine.csv", ITEMS_CSV)
    ds = _items(path, label_columns=("genres",), year_column="year", domain="cinema")
    cat = ds.catalog
    assert cat.domain == "cinema"
    assert cat.ids.tolist() == ["858", "1", "2"]
    assert cat.titles.tolist() == ["Godfather, The", "Toy Story", "Unknown year"]
    assert cat.years.tolist() == [1972, 1995, 0]
    assert cat.fields["blurb"].tolist() == ['A family, a\n"business"', "toys", ""]
    assert cat.labels("genres", 0) == ["Crime", "Drama"]
    assert cat.labels("genres", 1) == ["Animation", "Children"]
    assert cat.label_fields == ("genres",)
    assert ds.interactions is None and "collaborative" in ds.interactions_note
    assert ds.key == "import:mine.csv"


@pytest.mark.parametrize("delim", [";", "\t"])
def test_import_items_sniffs_delimiter(tmp_path, delim):
    text = delim.join(["id", "title", "blurb"]) + "\n"
    text += delim.join(["858", "Godfather, The", "x"]) + "\n"
    path = _write(tmp_path, "mine.txt", text)
    assert sniff_delimiter(text) == delim
    ds = _items(path)
    assert ds.catalog.titles.tolist() == ["Godfather, The"]


def test_import_items_tsv_extension_defaults_to_tab(tmp_path):
    path = _write(tmp_path, "one.tsv", "id\n7\n")
    assert sniff_delimiter("id\n7\n", path) == "\t"


def test_import_items_json_list_and_lines(tmp_path):
    objs = [
        {"id": 7, "name": "Kind of Blue", "tags": ["jazz", "modal"], "year": 1959},
        {"id": "8", "name": "Blue Train", "tags": None},
    ]
    a = _write(tmp_path, "a.json", json.dumps(objs))
    b = _write(tmp_path, "b.jsonl", "\n".join(json.dumps(o) for o in objs) + "\n\n")
    for path in (a, b):
        ds = import_items(
            path,
            id_column="id",
            title_column="name",
            text_columns=(),
            label_columns=("tags",),
            year_column="year",
        )
        assert ds.catalog.ids.tolist() == ["7", "8"]
        assert ds.catalog.labels("tags", 0) == ["jazz", "modal"]
        assert ds.catalog.years.tolist() == [1959, 0]


def test_import_items_utf8_bom_is_dropped(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfid,title,blurb\n1,A\xc3\xa9,x\n")
    assert _items(path).catalog.titles.tolist() == ["A\u00e9"]


def test_import_items_latin1_encoding(tmp_path):
    path = tmp_path / "l1.csv"
    path.write_bytes(b"id,title,blurb\n1,Caf\xe9,x\n")
    assert _items(path, encoding="latin-1").catalog.titles.tolist() == ["Caf\u00e9"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "id,title,blurb\n1,A,x\n2,B\n",
            r"line 3: truncated row: 2 fields, the header has 3",
        ),
        ("id,title,blurb\n1,A,x,extra\n", r"line 2: 4 fields, the header has 3"),
        (
            "id,title,blurb\n1,A,x\n1,B,y\n",
            r"line 3, field 'id': duplicate id '1' \(first on line 2\)",
        ),
        ("id,title,blurb\n1, ,x\n", r"line 2, field 'title': empty title"),
        ("id,title,blurb\n,A,x\n", r"line 2, field 'id': empty id"),
        ('id,title,blurb\n1,"A\n', r"line 2: malformed CSV"),
        (
            "id,name,blurb\n1,A,x\n",
            r"line 1, field 'title': title column 'title' is not in",
        ),
        ("id,title,blurb\n", r"has a header but no data rows"),
        ("", r"is empty, expected a header row"),
        ("id,title,title\n1,A,B\n", r"header repeats column 'title'"),
    ],
)
def test_import_items_refuses_with_location(tmp_path, text, match):
    path = _write(tmp_path, "bad.csv", text)
    with pytest.raises(DataFormatError, match=match) as info:
        _items(path)
    assert str(path) in str(info.value)


def test_import_items_bad_year_names_field(tmp_path):
    path = _write(tmp_path, "y.csv", "id,title,year\n1,A,1972\n2,B,nineteen\n")
    with pytest.raises(
        DataFormatError, match=r"line 3, field 'year': expected a whole year"
    ):
        import_items(
            path,
            id_column="id",
            title_column="title",
            text_columns=(),
            year_column="year",
        )


def test_import_items_undecodable_bytes_give_offset_and_line(tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes(b"id,title,blurb\n1,A,x\n2,B\xff,y\n")
    with pytest.raises(DataFormatError, match=r"line 3: .*at byte offset 24"):
        _items(path)


def test_import_items_nul_byte_refused(tmp_path):
    path = tmp_path / "n.csv"
    path.write_bytes(b"id,title,blurb\n1,A\x00,x\n")
    with pytest.raises(DataFormatError, match="line 2: NUL byte at byte offset 18"):
        _items(path)


def test_import_items_json_errors(tmp_path):
    with pytest.raises(DataFormatError, match=r"line 2: invalid JSON"):
        _items(_write(tmp_path, "x.json", '[{"id": 1,\n "title": }]'))
    with pytest.raises(DataFormatError, match=r"record 2 is a JSON list"):
        _items(_write(tmp_path, "y.json", '[{"id": 1, "title": "A"}, [1]]'))
    with pytest.raises(DataFormatError, match=r"line 2, field 'title': empty title"):
        _items(
            _write(tmp_path, "z.jsonl", '{"id": 1, "title": "A"}\n{"id": 2}\n'),
            text_columns=(),
        )
    with pytest.raises(DataFormatError, match=r"record 2: duplicate id '1'"):
        _items(
            _write(
                tmp_path, "w.json", '[{"id": 1, "title": "A"}, {"id": 1, "title": "B"}]'
            ),
            text_columns=(),
        )


def test_import_items_parameter_errors(tmp_path):
    path = _write(tmp_path, "ok.csv", ITEMS_CSV)
    with pytest.raises(InvalidInputError, match="both text and labels"):
        _items(path, label_columns=("blurb",))
    with pytest.raises(InvalidInputError, match="delimiter must be one of"):
        _items(path, delimiter="|")
    with pytest.raises(InvalidInputError, match="unknown encoding 'klingon'"):
        _items(path, encoding="klingon")
    with pytest.raises(DatasetNotFoundError, match="file not found"):
        _items(tmp_path / "absent.csv")


def test_preview_returns_first_rows(tmp_path):
    path = _write(
        tmp_path, "p.csv", "a;b\n" + "".join(f"{i};x{i}\n" for i in range(50))
    )
    pv = preview(path, n=3)
    assert pv.columns == ("a", "b")
    assert pv.rows == (("0", "x0"), ("1", "x1"), ("2", "x2"))
    assert (pv.delimiter, pv.encoding, pv.format) == (";", "utf-8", "csv")
    pj = preview(_write(tmp_path, "p.json", '[{"a": 1}, {"b": "z"}]'))
    assert pj.columns == ("a", "b") and pj.rows == (("1", ""), ("", "z"))
    assert pj.delimiter is None and pj.format == "json"


def _catalog(tmp_path):
    return _items(_write(tmp_path, "cat.csv", ITEMS_CSV)).catalog


def test_import_interactions_maps_and_skips_unknown(tmp_path):
    cat = _catalog(tmp_path)
    path = _write(
        tmp_path,
        "h.csv",
        "who,what,stars,when\n"
        "u1,858,5,100\nu2,1,3.5,2020-01-01T00:00:00Z\nu1,999,4,5\nu1,2,1,7\n",
    )
    warnings: list[LoadWarning] = []
    inter = import_interactions(
        path,
        cat,
        user_column="who",
        item_column="what",
        value_column="stars",
        timestamp_column="when",
        warnings_out=warnings,
    )
    assert inter.user_ids.tolist() == ["u1", "u2"]
    assert inter.users.tolist() == [0, 1, 0]
    assert inter.items.tolist() == [0, 1, 2]
    assert inter.values.tolist() == [5.0, 3.5, 1.0]
    assert inter.timestamps is not None
    assert inter.timestamps.tolist() == [100, 1577836800, 7]
    assert inter.value_kind == "rating" and inter.n_items == 3
    assert len(warnings) == 1
    assert warnings[0].line == 4 and warnings[0].field == "what"
    assert (
        "skipped 1 of 4 rows" in warnings[0].message and "'999'" in warnings[0].message
    )


def test_import_interactions_implicit_without_value(tmp_path):
    cat = _catalog(tmp_path)
    path = _write(tmp_path, "h.csv", "u,i\na,858\nb,858\n")
    inter = import_interactions(path, cat, user_column="u", item_column="i")
    assert inter.value_kind == "implicit" and inter.timestamps is None
    assert inter.values.dtype == np.float32 and inter.values.tolist() == [1.0, 1.0]


def test_import_interactions_all_unknown_refused(tmp_path):
    cat = _catalog(tmp_path)
    path = _write(tmp_path, "h.csv", "u,i\na,x1\nb,x2\n")
    with pytest.raises(
        DataFormatError, match=r"field 'i': none of the 2 rows names an item"
    ):
        import_interactions(path, cat, user_column="u", item_column="i")


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("a,858,abc,1", r"line 2, field 'v': expected a number, got 'abc'"),
        ("a,858,nan,1", r"line 2, field 'v': expected a finite number, got 'nan'"),
        ("a,858,inf,1", r"expected a finite number"),
        ("a,858,3,yesterday", r"line 2, field 't': expected Unix seconds or an ISO"),
        (",858,3,1", r"line 2, field 'u': empty user id"),
    ],
)
def test_import_interactions_bad_values_refused(tmp_path, row, match):
    cat = _catalog(tmp_path)
    path = _write(tmp_path, "h.csv", f"u,i,v,t\n{row}\n")
    with pytest.raises(DataFormatError, match=match):
        import_interactions(
            path,
            cat,
            user_column="u",
            item_column="i",
            value_column="v",
            timestamp_column="t",
        )


# ------------------------------------------------------------------ properties

_field_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() == s and s != "")
_extras = st.sampled_from([",", '"', "\n", "\r\n", ";", "\t", "é", "名", "🎬", "''"])


@st.composite
def _tables(draw):
    n = draw(st.integers(1, 12))
    ids = draw(st.lists(_field_text, min_size=n, max_size=n, unique=True))
    titles = []
    for _ in range(n):
        core = draw(_field_text)
        extra = draw(_extras)
        titles.append((core + extra + core).strip() or core)
    return ids, titles


@settings(
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(table=_tables(), delim=st.sampled_from([",", ";", "\t"]))
def test_import_items_roundtrip_property(tmp_path, table, delim):
    ids, titles = table
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delim, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["item id", "title", "notes"])
    for i, t in zip(ids, titles, strict=True):
        writer.writerow([i, t, t])
    path = tmp_path / "prop.csv"
    path.write_bytes(buf.getvalue().encode("utf-8"))
    ds = import_items(
        path,
        id_column="item id",
        title_column="title",
        text_columns=("notes",),
        delimiter=delim,
    )
    assert ds.catalog.ids.tolist() == ids
    assert ds.catalog.titles.tolist() == titles


@settings(
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    raw=st.binary(max_size=300), name=st.sampled_from(["r.csv", "r.json", "r.jsonl"])
)
def test_import_random_bytes_only_inkpick_errors(tmp_path, raw, name):
    path = tmp_path / name
    path.write_bytes(raw)
    for call in (
        lambda: _items(path, text_columns=()),
        lambda: preview(path),
    ):
        try:
            call()
        except InkpickError:
            pass


@settings(
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=st.text(alphabet='ab,;\t"\n\r{}[]:1 ', max_size=80))
def test_import_structured_noise_only_inkpick_errors(tmp_path, text):
    path = tmp_path / "noise.csv"
    path.write_text("id,title\n" + text, encoding="utf-8", newline="")
    try:
        ds = import_items(path, id_column="id", title_column="title", text_columns=())
    except InkpickError:
        return
    assert ds.catalog.n_items >= 1
