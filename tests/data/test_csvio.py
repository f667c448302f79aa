"""Strict CSV reading: every bad-input rule of docs/DATA.md on small files."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inkpick_desktop.data.csvio import (
    FIELD_SIZE_LIMIT,
    MAX_LISTED_WARNINGS,
    TextFormat,
    join_labels,
    read_table,
    repair_mojibake,
    text_array,
)
from inkpick_desktop.engine.errors import (
    DataFormatError,
    DatasetNotFoundError,
    InvalidInputError,
)


def _write(tmp_path, text, name="f.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def _good_rows(n):
    return "".join(f"{i},title {i},{i / 2}\n" for i in range(1, n + 1))


def test_read_table_quoted_multiline_and_crlf(tmp_path):
    path = _write(tmp_path, 'id,text\r\n1,"a, b"\r\n2,"line one\r\nline two"\r\n3,x')
    table = read_table(path, required=("id", "text"))
    assert table.columns == ("id", "text")
    assert table.column("text") == ["a, b", "line one\r\nline two", "x"]
    assert table.lines == [2, 3, 5]


def test_read_table_bom_with_utf8_sig(tmp_path):
    path = _write(tmp_path, "\ufeffid,name\n1,é\n")
    table = read_table(path, TextFormat(encoding="utf-8-sig"), required=("id",))
    assert table.columns == ("id", "name")
    assert table.column("name") == ["é"]


def test_read_table_plain_keeps_quotes_and_multichar_delimiter(tmp_path):
    path = _write(tmp_path, '01::Say "Hi" (1999)::Drama\n02::B::\n')
    fmt = TextFormat(delimiter="::", quoting=False, header=False, names=("a", "b", "c"))
    table = read_table(path, fmt)
    assert table.rows == [["01", 'Say "Hi" (1999)', "Drama"], ["02", "B", ""]]


def test_read_table_missing_file_not_found(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="nope.csv"):
        read_table(tmp_path / "nope.csv")


def test_read_table_undecodable_bytes_refused_with_line(tmp_path):
    path = _write(tmp_path, b"id,name\n1,ok\n2,caf\xe9\n")
    with pytest.raises(DataFormatError, match=r"line 3.*not valid utf-8") as err:
        read_table(path)
    assert err.value.line == 3
    assert err.value.path == str(path)


def test_read_table_latin1_decodes(tmp_path):
    path = _write(tmp_path, b"id\tname\n1\tcaf\xe9\n")
    table = read_table(path, TextFormat(delimiter="\t", encoding="latin-1"))
    assert table.column("name") == ["café"]


def test_read_table_nul_byte_refused(tmp_path):
    path = _write(tmp_path, "id,name\n1,a\x00b\n")
    with pytest.raises(DataFormatError, match="NUL") as err:
        read_table(path)
    assert err.value.line == 2


def test_read_table_unterminated_quote_refused(tmp_path):
    path = _write(tmp_path, 'id,name\n1,"abc\n')
    with pytest.raises(DataFormatError, match="quoting") as err:
        read_table(path)
    assert err.value.line == 2


def test_read_table_empty_file_refused(tmp_path):
    with pytest.raises(DataFormatError, match="empty"):
        read_table(_write(tmp_path, ""))


def test_read_table_missing_required_column_refused(tmp_path):
    path = _write(tmp_path, "id,name\n1,a\n")
    with pytest.raises(DataFormatError, match="'rating' is missing") as err:
        read_table(path, required=("id", "rating"))
    assert (err.value.line, err.value.field) == (1, "rating")


def test_read_table_wrong_column_count_skipped_with_warning(tmp_path):
    path = _write(tmp_path, "id,title,score\n" + _good_rows(40) + "41,truncated\n")
    table = read_table(path)
    keep = table.finish()
    assert len(keep) == 40
    assert table.n_read_bad == 1
    (w,) = table.warnings
    assert (w.line, w.field) == (42, None)
    assert "truncated row: expected 3 fields, got 2" in w.message


def test_read_table_too_many_bad_rows_refused(tmp_path):
    path = _write(tmp_path, "id,title,score\n" + _good_rows(10) + "x,y\n" * 3)
    table = read_table(path)
    with pytest.raises(DataFormatError, match="3 of 13 data rows are bad"):
        table.finish()


def test_read_table_blank_lines_ignored(tmp_path):
    path = _write(tmp_path, "id,title,score\n\n1,a,2\n\n")
    table = read_table(path)
    assert len(table) == 1 and table.n_read_bad == 0


def test_ints_non_numeric_and_range_rows_skipped(tmp_path):
    body = _good_rows(80) + "abc,t,1\n-5,t,1\n4.0,t,1\n"
    table = read_table(_write(tmp_path, "id,title,score\n" + body))
    ids = table.ints("id", lo=0)
    keep = table.finish()
    assert ids[keep].tolist() == list(range(1, 81))
    messages = [(w.line, w.field, w.message) for w in table.warnings]
    assert messages[0] == (82, "id", "expected an integer, got 'abc'; row skipped")
    assert messages[1][0] == 83 and "in [0, None], got -5" in messages[1][2]
    assert messages[2][0] == 84


@pytest.mark.parametrize(
    "bad", ["nan", "inf", "-Infinity", "", "1_0", "٣", "1e999", "--1", "1.2.3"]
)
def test_floats_nan_inf_and_junk_skipped(tmp_path, bad):
    table = read_table(_write(tmp_path, "id,title,score\n" + _good_rows(40)
                              + f"41,t,{bad}\n"))  # fmt: skip
    scores = table.floats("score")
    keep = table.finish()
    assert len(keep) == 40
    assert scores[keep][-1] == 20.0
    assert table.warnings[0].field == "score"
    assert table.warnings[0].line == 42


@pytest.mark.parametrize("bad", ["99999999999999999999", "-", "", "1e3", " 4 2"])
def test_ints_overflow_and_junk_skipped(tmp_path, bad):
    table = read_table(_write(tmp_path, "id,title,score\n" + _good_rows(40)
                              + f"{bad},t,1\n"))  # fmt: skip
    ids = table.ints("id", lo=0)
    keep = table.finish()
    assert ids[keep].tolist() == list(range(1, 41))
    assert (table.warnings[0].line, table.warnings[0].field) == (42, "id")


def test_ints_fast_and_slow_paths_agree(tmp_path):
    fast = read_table(_write(tmp_path, "a\n7\n0012\n", "fast.csv")).ints("a")
    slow = read_table(_write(tmp_path, "a\n7\n 0012 \n", "slow.csv")).ints("a")
    assert fast.tolist() == slow.tolist() == [7, 12]
    assert fast.dtype == slow.dtype == np.int64


def test_ints_range_checked_on_fast_path(tmp_path):
    body = "".join(f"{i}\n" for i in range(1, 41)) + "500\n"
    table = read_table(_write(tmp_path, "a\n" + body))
    table.ints("a", lo=1, hi=100)
    assert len(table.finish()) == 40
    assert table.warnings[0].line == 42


def test_texts_required_empty_title_skipped(tmp_path):
    table = read_table(_write(tmp_path, "id,title,score\n" + _good_rows(40)
                              + "41,  ,1\n"))  # fmt: skip
    table.texts("title", required=True)
    assert len(table.finish()) == 40
    assert table.warnings[0].message.startswith("empty value")


def test_unique_duplicate_id_keeps_first(tmp_path):
    table = read_table(_write(tmp_path, "id,title,score\n" + _good_rows(40)
                              + "7,again,1\n"))  # fmt: skip
    ids = table.ints("id")
    table.unique("id", keys=ids.tolist())
    keep = table.finish()
    titles = table.column("title")
    assert [titles[i] for i in keep if ids[i] == 7] == ["title 7"]
    assert "duplicate id 7 (first on line 8)" in table.warnings[0].message


def test_drop_is_not_counted_as_bad(tmp_path):
    table = read_table(_write(tmp_path, "id,title,score\n" + _good_rows(4)))
    for i in range(3):
        table.drop(i)
    assert len(table.finish()) == 1
    assert table.warnings == []


def test_finish_lists_at_most_the_limit_then_summarises(tmp_path):
    n = MAX_LISTED_WARNINGS + 5
    body = _good_rows(1000) + "x,t,1\n" * n
    table = read_table(_write(tmp_path, "id,title,score\n" + body))
    table.ints("id")
    table.finish()
    assert len(table.warnings) == MAX_LISTED_WARNINGS + 1
    assert table.warnings[-1].message == (
        f"{n} problems in total, the first {MAX_LISTED_WARNINGS} listed"
    )


def test_read_table_never_modifies_source(tmp_path):
    path = _write(tmp_path, "id,title,score\n" + _good_rows(3) + "bad\n")
    before = path.read_bytes()
    with pytest.raises(DataFormatError, match="1 of 4 data rows are bad"):
        read_table(path).finish()
    assert path.read_bytes() == before


def test_text_format_rejects_bad_settings():
    with pytest.raises(InvalidInputError, match="one-character"):
        TextFormat(delimiter="::")
    with pytest.raises(InvalidInputError, match="column names"):
        TextFormat(header=False)
    with pytest.raises(InvalidInputError, match="unknown encoding"):
        TextFormat(encoding="no-such-codec")
    with pytest.raises(InvalidInputError, match="max_bad_fraction"):
        TextFormat(max_bad_fraction=2.0)


def test_join_labels_merges_case_and_separator():
    assert join_labels(["Rock", " rock ", "Post|Rock", "", "Jazz"]) == (
        "Rock|Post/Rock|Jazz"
    )


def test_repair_mojibake_only_fixes_double_encoding():
    assert repair_mojibake("SeÃ±or Acero") == "Señor Acero"
    assert repair_mojibake("presentsâ€¦ A Full Moon") == "presents… A Full Moon"
    assert repair_mojibake("Recórcholis") == "Recórcholis"
    assert repair_mojibake("Ελληνικά") == "Ελληνικά"
    assert repair_mojibake("plain") == "plain"


def test_text_array_is_object_of_str():
    arr = text_array(["a", "bb"])
    assert arr.dtype == np.dtype(object) and arr.tolist() == ["a", "bb"]


# --- float32 range, BOM, canonical ids, long fields -------------------------


@pytest.mark.parametrize(
    "big", ["1e39", "3.5e38", "-1e39", "340282357000000000000000000000000000000"]
)
def test_floats_float32_overflow_skipped(tmp_path, big):
    path = _write(tmp_path, "id,title,score\n" + _good_rows(40) + f"41,t,{big}\n")
    table = read_table(path)
    scores = table.floats("score", lo=-1e40)
    keep = table.finish()
    assert len(keep) == 40
    assert np.isfinite(scores[keep].astype(np.float32)).all()
    (w,) = table.warnings
    assert (w.path, w.line, w.field) == (str(path), 42, "score")
    assert w.message == (
        f"number {big} is too large: values are stored as float32, at most "
        "3.402823e+38 in magnitude; row skipped"
    )


def test_floats_largest_float32_accepted(tmp_path):
    # 3.4028235e38 is above float32's max in float64 but rounds to it, finite.
    table = read_table(_write(tmp_path, "v\n3.4e38\n3.4028235e38\n"))
    values = table.floats("v")
    assert len(table.finish()) == 2
    assert values.astype(np.float32).tolist() == [
        float(np.float32(3.4e38)),
        float(np.finfo(np.float32).max),
    ]


@settings(
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_floats_kept_values_always_finite_as_float32(tmp_path, value):
    path = _write(tmp_path, "v\n" + "1\n" * 40 + f"{value!r}\n")
    table = read_table(path, TextFormat(max_bad_fraction=1.0))
    values = table.floats("v")
    keep = table.finish()
    with np.errstate(over="ignore"):
        cast = np.float32(value)
    assert (len(keep) == 41) == bool(np.isfinite(cast))
    assert np.isfinite(values[keep].astype(np.float32)).all()


@pytest.mark.parametrize(
    "fmt",
    [
        TextFormat(),
        TextFormat(delimiter="\t", quoting=False),
        TextFormat(delimiter="::", quoting=False, header=False, names=("id", "x")),
    ],
)
def test_read_table_utf8_bom_dropped(tmp_path, fmt):
    delim = fmt.delimiter
    head = f"id{delim}x\n" if fmt.header else ""
    path = _write(tmp_path, b"\xef\xbb\xbf" + f"{head}7{delim}a\n".encode())
    table = read_table(path, fmt, required=("id",))
    assert table.columns == ("id", "x")
    assert table.ints("id").tolist() == [7]
    assert table.warnings == []


def test_ints_canonical_refuses_leading_zeros(tmp_path):
    body = "".join(f"{i}\n" for i in range(1, 41)) + "007\n0\n-0\n"
    table = read_table(_write(tmp_path, "a\n" + body), TextFormat(max_bad_fraction=1))
    ids = table.ints("a", canonical=True)
    keep = table.finish()
    assert ids[keep].tolist() == [*range(1, 41), 0]
    assert [(w.line, w.message) for w in table.warnings] == [
        (42, "expected an integer without leading zeros, got '007'; row skipped"),
        (44, "expected an integer without leading zeros, got '-0'; row skipped"),
    ]


def test_read_table_long_quoted_field_accepted(tmp_path):
    long = "word " * 40_000  # 200,000 characters, above csv's 131,072 default
    table = read_table(_write(tmp_path, f'id,text\n1,"{long}"\n2,b\n'))
    assert table.column("text") == [long, "b"]


def test_read_table_field_past_limit_refused_clearly(tmp_path):
    path = _write(tmp_path, 'id,text\n1,a\n2,"' + "x" * (FIELD_SIZE_LIMIT + 1) + '"\n')
    with pytest.raises(DataFormatError) as err:
        read_table(path)
    assert err.value.line == 3
    assert f"a field is longer than {FIELD_SIZE_LIMIT:,} characters" in str(err.value)
