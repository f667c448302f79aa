"""freemusi.cc loader: real figures, mojibake repair, no interactions."""

from __future__ import annotations

import pytest

from inkpick_desktop.data.loaders.freemusi import NOTE, load
from inkpick_desktop.engine.errors import DataFormatError


@pytest.fixture(scope="module")
def freemusi(datasets_root):
    return load(datasets_root)


@pytest.mark.realdata
def test_freemusi_real_counts_and_no_interactions(freemusi):
    cat = freemusi.catalog
    # 2,289 releases, 2 with an empty album name skipped
    assert cat.n_items == 2_287
    assert freemusi.interactions is None
    assert freemusi.interactions_note == NOTE
    assert [w.line for w in freemusi.warnings if w.field == "album"] == [1971, 1975]


@pytest.mark.realdata
def test_freemusi_real_release_fields(freemusi):
    cat = freemusi.catalog
    i = cat.lookup("001netlabel-jazz-01-recorcholis")
    assert cat.titles[i] == "Recórcholis — Various Artists"
    assert cat.years[i] == 2010
    assert cat.labels("genres", i) == ["Jazz", "Instrumental", "Modern"]
    assert cat.labels("label", i) == ["001 Records"]
    # track titles repaired from double-encoded UTF-8
    assert cat.fields["description"][i].startswith(
        "Recórcholis (Perdimos a Uno) (Claudio Rubio); Flujo (Sebastián Jordán)"
    )
    assert "Recórcholis" in cat.search_titles[i].split("|")


def _folder(root, releases, tracks):
    folder = root / "freemusi-cc"
    folder.mkdir()
    (folder / "releases.csv").write_text(releases, encoding="utf-8")
    (folder / "tracks.csv").write_text(tracks, encoding="utf-8")
    return root


HEADER = (
    "activity,album,artist,catalog,duration,genre,id,label,licenseurl,rating,style,"
    "totaldiscs,totaltracks,url,year\n"
)
THEADER = "activity,disc,duration,id,rating,title,track,trackartist,trackurl\n"


def test_freemusi_synthetic_fields_and_track_order(tmp_path):
    releases = HEADER + (
        '2,Blue,Ana,?,60,Jazz,r1,Lbl,l,3,"Modern, Cool",1,2,http://u,2011\n'
        "2,Red,Bo,?,60,Rock,r2,Lbl,l,3,,1,0,http://v,?\n"
    )
    tracks = THEADER + (
        "1,1,30,r1,2,Second,2,Ana,t\n1,1,30,r1,2,First,1,Guest,t\n"
        "1,1,30,zz,2,Orphan,1,X,t\n"
    )
    ds = load(_folder(tmp_path, releases, tracks))
    cat = ds.catalog
    assert cat.titles.tolist() == ["Blue — Ana", "Red — Bo"]
    assert cat.fields["genres"].tolist() == ["Jazz|Modern|Cool", "Rock"]
    assert cat.fields["description"].tolist() == ["First (Guest); Second", ""]
    assert cat.years.tolist() == [2011, 0]
    assert ds.warnings == ()


def test_freemusi_missing_column_refused(tmp_path):
    with pytest.raises(DataFormatError, match="'album' is missing"):
        load(_folder(tmp_path, "id,artist\nr1,A\n", THEADER))
