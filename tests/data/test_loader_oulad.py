"""OULAD loader: presentations as items, final results as grades."""

from __future__ import annotations

import pytest

from inkpick_desktop.data.loaders.oulad import GRADES, load


@pytest.fixture(scope="module")
def oulad(datasets_root):
    return load(datasets_root)


@pytest.mark.realdata
def test_oulad_real_counts_and_grades(oulad):
    cat, inter = oulad.catalog, oulad.interactions
    assert cat.n_items == 22
    assert cat.ids[0] == "AAA-2013J"
    assert cat.titles[0] == "Module AAA, presentation 2013J"
    assert cat.years[0] == 2013
    assert (inter.n_users, inter.n_events) == (28_785, 32_593)
    assert inter.value_kind == "grade"
    counts = {v: int((inter.values == v).sum()) for v in GRADES.values()}
    assert counts == {4.0: 3_024, 3.0: 12_361, 2.0: 7_052, 1.0: 10_156}
    assert oulad.warnings == ()


@pytest.mark.realdata
def test_oulad_real_no_demographics(oulad):
    assert set(oulad.catalog.fields) == {"provider", "module", "description"}
    text = " ".join(" ".join(v.tolist()) for v in oulad.catalog.fields.values())
    for word in ("Region", "HE Qualification", "55<=", "90-100%"):
        assert word not in text
    assert oulad.sources == (
        "oulad-registrations/courses.csv",
        "oulad-registrations/studentInfo.csv",
    )


INFO = (
    '"code_module","code_presentation","id_student","gender","region",'
    '"highest_education","imd_band","age_band","num_of_prev_attempts",'
    '"studied_credits","disability","final_result"\r\n'
)


def test_oulad_synthetic_unknown_result_skipped(tmp_path):
    folder = tmp_path / "oulad-registrations"
    folder.mkdir()
    (folder / "courses.csv").write_bytes(
        b'"code_module","code_presentation","module_presentation_length"\r\n'
        b'"AAA","2013J","268"\r\n"BBB","2014B","234"\r\n'
    )
    rows = "".join(
        f'"AAA","2013J","{s}","M","X","Y","","a","0","60","N","Pass"\r\n'
        for s in range(40)
    )
    rows += '"BBB","2014B","7","F","X","Y","","a","0","60","N","Distinction"\r\n'
    rows += '"BBB","2014B","8","F","X","Y","","a","0","60","N","Excellent"\r\n'
    (folder / "studentInfo.csv").write_text(INFO + rows)
    ds = load(tmp_path)
    cat, inter = ds.catalog, ds.interactions
    assert cat.ids.tolist() == ["AAA-2013J", "BBB-2014B"]
    assert cat.fields["description"][1] == (
        "Open University module BBB, presentation 2014B, starting February 2014, "
        "234 days"
    )
    assert inter.n_events == 41
    assert inter.values[-1] == 4.0
    (w,) = ds.warnings
    assert (w.line, w.field) == (43, "final_result")
