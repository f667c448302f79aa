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

from inkpick_desktop.data.csvio import FIELD_SIZE_LIMIT
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


# ------------------------------------------------- tester's findings (A2 fixes)


def test_import_items_long_description_not_padded(tmp_path):
    long = "x" * 120_000
    rows = "".join(f"{i},T{i},short\n" for i in range(50))
    path = _write(tmp_path, "long.csv", f"id,title,blurb\n{rows}99,Long,{long}\n")
    cat = _items(path).catalog
    for arr in (cat.ids, cat.titles, cat.fields["blurb"]):
        assert arr.dtype == np.dtype(object)
        assert arr.itemsize == np.dtype(object).itemsize  # a pointer, not 480 KB
    assert cat.fields["blurb"][-1] == long and cat.fields["blurb"][0] == "short"
    assert all(type(v) is str for v in cat.fields["blurb"].tolist())


def test_import_interactions_user_ids_are_object_array(tmp_path):
    cat = _catalog(tmp_path)
    path = _write(tmp_path, "h.csv", "u,i\n" + "u" * 5000 + ",858\nb,1\n")
    inter = import_interactions(path, cat, user_column="u", item_column="i")
    assert inter.user_ids.dtype == np.dtype(object)
    assert inter.user_ids.tolist() == ["u" * 5000, "b"]


def _history(tmp_path, row, **kw):
    cat = _catalog(tmp_path)
    path = _write(tmp_path, "h.csv", f"u,i,v,t\n{row}\n")
    return import_interactions(
        path,
        cat,
        user_column="u",
        item_column="i",
        value_column="v",
        timestamp_column="t",
        **kw,
    )


@pytest.mark.parametrize(
    ("row", "match"),
    [
        (
            "a,858,3.5e38,1",
            r"line 2, field 'v': number 3.5e38 is too large: values are stored as "
            r"float32",
        ),
        ("a,858,1e300,1", r"line 2, field 'v': number 1e300 is too large"),
        ("a,858,-1e39,1", r"line 2, field 'v': number -1e39 is too large"),
        ("a,858,1_0,1", r"line 2, field 'v': expected a number, got '1_0'"),
        ("a,858,\u0661\u0662,1", r"line 2, field 'v': expected a number, got '١٢'"),
        ("a,858,0x10,1", r"line 2, field 'v': expected a number, got '0x10'"),
        (
            "a,858,3,99999999999999999999",
            r"line 2, field 't': timestamp 99999999999999999999 is out of the "
            r"64-bit range",
        ),
        ("a,858,3,-9223372036854775809", r"field 't': timestamp .* 64-bit range"),
        ("a,858,3,\u0661\u0662\u0663", r"field 't': expected Unix seconds or an ISO"),
        ("a,858,3,1_000", r"field 't': expected Unix seconds or an ISO"),
        ("a,,3,1", r"line 2, field 'i': empty item id"),
        ('Al"pha,858,3,1', r"line 2, field 'u': stray '\"' in the unquoted value"),
        ('a,858, "3",1', r"line 2, field 'v': stray '\"'"),
    ],
)
def test_import_interactions_strict_values_refused(tmp_path, row, match):
    with pytest.raises(DataFormatError, match=match):
        _history(tmp_path, row)


def test_import_interactions_float32_and_int64_limits_accepted(tmp_path):
    inter = _history(tmp_path, "a,858,3.4e38,9223372036854775807")
    assert inter.values.tolist() == [float(np.float32(3.4e38))]
    assert np.isfinite(inter.values).all()
    assert inter.timestamps is not None
    assert inter.timestamps.tolist() == [2**63 - 1]


def test_import_interactions_quoted_quotes_accepted(tmp_path):
    cat = _catalog(tmp_path)
    path = _write(tmp_path, "h.csv", 'u,i\n"Al""pha",858\n"multi\nline ""x""",1\n')
    inter = import_interactions(path, cat, user_column="u", item_column="i")
    assert inter.user_ids.tolist() == ['Al"pha', 'multi\nline "x"']


def test_import_interactions_repeated_pairs_kept_and_counted(tmp_path):
    cat = _catalog(tmp_path)
    path = _write(tmp_path, "h.csv", "u,i\na,858\nb,858\na,858\na,1\na,858\nb,999\n")
    warnings: list[LoadWarning] = []
    inter = import_interactions(
        path, cat, user_column="u", item_column="i", warnings_out=warnings
    )
    assert inter.users.tolist() == [0, 1, 0, 0, 0]
    assert inter.items.tolist() == [0, 0, 0, 1, 0]
    assert [(w.line, w.field) for w in warnings] == [(7, "i"), (4, "i")]
    assert warnings[1].message == (
        "2 rows repeat the (user, item) pair of an earlier row, e.g. user 'a' and "
        "item '858' (first on line 2); all kept (the collaborative model sums "
        "them or counts the pair once)"
    )


def test_import_interactions_json_repeated_pair_names_record(tmp_path):
    cat = _catalog(tmp_path)
    path = _write(tmp_path, "h.json", '[{"u": "a", "i": 1}, {"u": "a", "i": 1.0}]')
    warnings: list[LoadWarning] = []
    inter = import_interactions(
        path, cat, user_column="u", item_column="i", warnings_out=warnings
    )
    assert inter.items.tolist() == [1, 1]
    (w,) = warnings
    assert "user 'a' and item '1' (first on record 1)" in w.message


def test_import_items_year_non_ascii_digits_refused(tmp_path):
    path = _write(tmp_path, "y.csv", "id,title,year\n1,A,\u0661\u0669\u0667\u0662\n")
    with pytest.raises(
        DataFormatError, match=r"line 2, field 'year': expected a whole year"
    ):
        import_items(
            path,
            id_column="id",
            title_column="title",
            text_columns=(),
            year_column="year",
        )


def test_import_items_json_integral_float_ids_normalised(tmp_path):
    objs = (
        '[{"id": 1.0, "t": "A"}, {"id": 2.5, "t": "B"}, {"id": -0.0, "t": "C"},'
        ' {"id": 1e20, "t": "D"}, {"id": 12345678901234567890, "t": "E"}]'
    )
    path = _write(tmp_path, "ids.json", objs)
    cat = import_items(path, id_column="id", title_column="t", text_columns=()).catalog
    assert cat.ids.tolist() == ["1", "2.5", "0", "1e+20", "12345678901234567890"]


def test_import_items_json_int_and_float_id_are_one_id(tmp_path):
    path = _write(tmp_path, "d.json", '[{"id": 1, "t": "A"}, {"id": 1.0, "t": "B"}]')
    with pytest.raises(DataFormatError, match=r"record 2: duplicate id '1'"):
        import_items(path, id_column="id", title_column="t", text_columns=())


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        (
            "n.json",
            '[{"id": 1, "t": "A"}, {"id": NaN, "t": "B"}]',
            r"field 'id': record 2: expected a finite number, got nan",
        ),
        (
            "n.jsonl",
            '{"id": 1, "t": "A"}\n{"id": -Infinity, "t": "B"}\n',
            r"line 2, field 'id': expected a finite number, got -inf",
        ),
        (
            "n.json",
            '[{"id": 1, "t": "A", "tags": [1, Infinity]}]',
            r"field 'tags': record 1: expected a finite number, got inf",
        ),
        ("big.json", '[{"id": ' + "7" * 5000 + ', "t": "A"}]', r"invalid JSON: "),
    ],
)
def test_import_items_json_non_finite_refused(tmp_path, name, text, match):
    path = _write(tmp_path, name, text)
    with pytest.raises(DataFormatError, match=match):
        import_items(path, id_column="id", title_column="t", text_columns=())


def test_import_items_csv_extension_wins_over_json_sniffing(tmp_path):
    path = _write(tmp_path, "odd.csv", "[id],title\n1,A\n")
    cat = import_items(path, id_column="[id]", title_column="title", text_columns=())
    assert cat.catalog.ids.tolist() == ["1"]
    assert preview(path).format == "csv"
    # an extension that says nothing is still sniffed
    other = _write(tmp_path, "items.txt", '[{"id": 1, "title": "A"}]')
    assert preview(other).format == "json"
    lines = _write(tmp_path, "items.json", '{"id": 1}\n{"id": 2}\n')
    assert preview(lines).format == "jsonl"


def test_import_items_field_over_128_kib_accepted(tmp_path):
    long = "ab, " * 50_000  # 200,000 characters, quoted (holds commas)
    path = _write(tmp_path, "big.csv", f'id,title,blurb\n1,A,"{long}"\n2,B,x\n')
    assert _items(path).catalog.fields["blurb"].tolist() == [long.strip(), "x"]


def test_import_items_field_past_limit_refused_clearly(tmp_path):
    path = _write(
        tmp_path, "huge.csv", 'id,title,blurb\n1,A,"' + "x" * (FIELD_SIZE_LIMIT + 1)
    )
    with pytest.raises(
        DataFormatError,
        match=rf"line 2: a field is longer than {FIELD_SIZE_LIMIT:,} characters",
    ):
        _items(path)
