"""Last.fm loader: real figures (Latin-1 tags) and synthetic bad input."""

from __future__ import annotations

import numpy as np
import pytest

from inkpick_desktop.data.loaders.lastfm import load
from inkpick_desktop.engine.errors import DataFormatError


@pytest.fixture(scope="module")
def lastfm(datasets_root):
    return load(datasets_root)


@pytest.mark.realdata
def test_lastfm_real_counts(lastfm):
    cat, inter = lastfm.catalog, lastfm.interactions
    assert cat.n_items == 17_632 and cat.domain == "music"
    assert (inter.n_users, inter.n_events) == (1_892, 92_834)
    assert inter.value_kind == "playcount" and inter.timestamps is None
    assert (float(inter.values.min()), float(inter.values.max())) == (1.0, 352_698.0)
    assert int(cat.years.max()) == 0
    (w,) = lastfm.warnings
    assert w.message == (
        "ignored 1538 tag assignments to 390 artist ids that are not in artists.dat"
    )


@pytest.mark.realdata
def test_lastfm_real_latin1_tag_and_order(lastfm):
    cat = lastfm.catalog
    i = cat.lookup("5750")
    assert cat.titles[i] == "Chay Suede"
    assert "tropicália" in cat.labels("tags", i)
    gaga = cat.lookup("89")
    assert cat.titles[gaga] == "Lady Gaga"
    assert cat.labels("tags", gaga)[:3] == ["pop", "dance", "electronic"]
    assert sum(1 for t in cat.fields["tags"] if t) == 12_133


@pytest.mark.realdata
def test_lastfm_real_literal_quotes_kept(lastfm):
    names = lastfm.catalog.titles.tolist()
    assert sum('"' in n for n in names) >= 1


def _folder(root, artists=None, tags=None, tagged=None, plays=None):
    folder = root / "hetrec2011-lastfm-2k"
    folder.mkdir()
    (folder / "artists.dat").write_text(
        artists
        or 'id\tname\turl\tpictureURL\n1\tThe "Band"\thttp://a\t\n2\tSolo\thttp://b\tx\n',
        encoding="utf-8",
    )
    (folder / "tags.dat").write_bytes(
        tags or "tagID\ttagValue\n1\trock\n2\tmúsica\n".encode("latin-1")
    )
    (folder / "user_taggedartists.dat").write_text(
        tagged
        or "userID\tartistID\ttagID\tday\tmonth\tyear\n"
        "5\t1\t2\t1\t1\t2009\n6\t1\t1\t1\t1\t2009\n7\t1\t1\t1\t1\t2009\n"
        "5\t99\t1\t1\t1\t2009\n"
    )
    (folder / "user_artists.dat").write_text(
        plays or "userID\tartistID\tweight\n5\t1\t300\n6\t2\t7\n"
    )
    return root


def test_lastfm_synthetic_tags_order_latin1_and_unknown_artist(tmp_path):
    ds = load(_folder(tmp_path))
    cat = ds.catalog
    assert cat.titles.tolist() == ['The "Band"', "Solo"]
    assert cat.fields["tags"].tolist() == ["rock|música", ""]
    assert ds.interactions.values.tolist() == [300.0, 7.0]
    assert [w.message for w in ds.warnings] == [
        "ignored 1 tag assignments to 1 artist ids that are not in artists.dat"
    ]


def test_lastfm_tags_not_latin1_text_is_still_decoded(tmp_path):
    # Latin-1 maps every byte, so UTF-8 bytes decode (as mojibake), never fail.
    ds = load(_folder(tmp_path, tags="tagID\ttagValue\n1\tmúsica\n2\tx\n".encode()))
    assert ds.catalog.fields["tags"][0] == "mÃºsica|x"


def test_lastfm_artists_undecodable_refused(tmp_path):
    bad = b"id\tname\turl\tpictureURL\n1\t\xff\tu\tp\n"
    folder = _folder(tmp_path) / "hetrec2011-lastfm-2k"
    (folder / "artists.dat").write_bytes(bad)
    with pytest.raises(DataFormatError, match="artists.dat, line 2"):
        load(tmp_path)


def test_lastfm_duplicate_play_pair_skipped(tmp_path):
    plays = (
        "userID\tartistID\tweight\n"
        + "".join(f"{u}\t1\t{u}\n" for u in range(40))
        + "3\t1\t9\n"
    )
    ds = load(_folder(tmp_path, plays=plays))
    assert ds.interactions.n_events == 40
    assert any("duplicate" in w.message and w.line == 42 for w in ds.warnings)


def test_lastfm_play_count_overflowing_float32_skipped(tmp_path):
    plays = (
        "userID\tartistID\tweight\n"
        + "".join(f"{u}\t1\t{u + 1}\n" for u in range(40))
        + "77\t2\t1e39\n"
    )
    ds = load(_folder(tmp_path, plays=plays))
    inter = ds.interactions
    assert inter.n_events == 40 and np.isfinite(inter.values).all()
    (w,) = [w for w in ds.warnings if w.field == "weight"]
    assert w.path.endswith("user_artists.dat") and w.line == 42
    assert "number 1e39 is too large" in w.message


def test_lastfm_dat_files_with_utf8_bom_load(tmp_path):
    folder = _folder(tmp_path) / "hetrec2011-lastfm-2k"
    for name in ("artists.dat", "user_artists.dat", "user_taggedartists.dat"):
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(b"\xef\xbb\xbf" + data)
    ds = load(tmp_path)
    assert ds.catalog.ids.tolist() == ["1", "2"]
    assert ds.catalog.fields["tags"].tolist() == ["rock|música", ""]
    assert ds.interactions.values.tolist() == [300.0, 7.0]
