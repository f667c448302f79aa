"""``inkpick datasets`` and ``inkpick download`` through ``cli.main``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from inkpick_desktop.cli import main
from inkpick_desktop.data import locate
from inkpick_desktop.data.registry import DATASETS


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv(locate.ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.delenv(locate.ENV_DATASETS, raising=False)
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))


def test_cli_datasets_empty_folder_reports_starter(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["--datasets", str(empty), "datasets", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["root"] == str(empty) and data["source"] == "explicit"
    assert data["present"] == [] and data["missing"] == list(DATASETS)
    assert not any(e["found"] for d in data["domains"].values() for e in d.values())
    assert data["starter"]["cinema"]["items"] == 105
    assert data["starter"]["cinema"]["users"] == 48
    assert "Synthetic" in data["starter"]["music"]["interactions_note"]
    assert "inkpick download movielens-latest-small" in "\n".join(data["how_to_get"])

    assert main(["--datasets", str(empty), "datasets"]) == 0
    text = capsys.readouterr().out
    assert "No dataset found: the app uses the starter catalog." in text
    assert "cinema   105 items, 48 users, 493 interactions" in text
    assert "Kaggle needs a login" in text


def test_cli_datasets_missing_folder_is_user_error(tmp_path, capsys):
    assert main(["--datasets", str(tmp_path / "nope"), "datasets"]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.realdata
@pytest.mark.slow
def test_cli_datasets_real_data_counts(datasets_root, capsys):
    assert main(["--datasets", str(datasets_root), "datasets", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["root"] == str(datasets_root)
    assert data["present"] == list(DATASETS) and data["missing"] == []
    assert "starter" not in data
    ml = data["domains"]["cinema"]["movielens"]
    assert ml["found"] and ml["items"] >= 87585
    assert (ml["users"], ml["interactions"]) == (610, 100836)
    assert ml["optional_found"] == ["movielens-32m-movies"]
    assert any("GroupLens" in line for line in ml["licences"])
    lastfm = data["domains"]["music"]["lastfm"]
    assert (lastfm["items"], lastfm["users"], lastfm["interactions"]) == (
        17632,
        1892,
        92834,
    )
    assert data["datasets"]["freemusi-cc"]["licence"] == "CC BY-SA 4.0"

    assert main(["--datasets", str(datasets_root), "datasets"]) == 0  # cached now
    text = capsys.readouterr().out
    assert "610 users, 100,836 interactions" in text
    assert "licence: MovieTweetings 100K snapshot: MIT" in text
    # load problems come back from the dataset cache and are listed by name
    assert len(lastfm["problems"]) == lastfm["warnings"] >= 1
    assert "390 artist ids that are not in artists.dat" in text


def test_cli_datasets_no_load_lists_folders(tmp_path, capsys):
    root = tmp_path / "r"
    folder = root / "freemusi-cc"
    folder.mkdir(parents=True)
    for f in DATASETS["freemusi-cc"].files:
        (folder / f.name).write_text("x\n")
    assert main(["--datasets", str(root), "datasets", "--json", "--no-load"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["present"] == ["freemusi-cc"]
    entry = data["domains"]["music"]["freemusi"]
    assert entry["found"] and "items" not in entry
    assert "starter" not in data


@pytest.fixture
def mirror() -> Iterator[tuple[str, dict[str, bytes]]]:
    files: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            body = files.get(self.path.lstrip("/"))
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", files
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_cli_download_installs_and_saves_setting(mirror, tmp_path, capsys, monkeypatch):
    base, files = mirror
    monkeypatch.setattr(locate, "checkout_datasets_dir", lambda: None)
    rows = [f"{1000 + i % 97},C{i % 13}EN,3.0" for i in range(9402)]
    files["rs_content_test.csv"] = (
        "user,item,rating\n" + "\n".join(rows) + "\n"
    ).encode()
    code = main(["download", "ibm-skillsnetwork-rs-content-test", "--mirror", base])
    out = capsys.readouterr().out
    assert code == 0, out
    dest = locate.user_datasets_dir()
    assert (
        dest / "ibm-skillsnetwork-rs-content-test" / "rs_content_test.csv"
    ).is_file()
    assert "9,402 rows checked" in out and "licence: IBM Skills Network" in out
    assert locate.load_saved_root() == dest.resolve()


def test_cli_download_wrong_rows_refused(mirror, tmp_path, capsys):
    base, files = mirror
    files["rs_content_test.csv"] = b"user,item,rating\n1,A,3.0\n"
    dest = tmp_path / "d"
    code = main(
        [
            "download",
            "ibm-skillsnetwork-rs-content-test",
            "--dest",
            str(dest),
            "--mirror",
            base,
        ]
    )
    assert code == 2
    assert "has 1 data rows, the registry expects 9402" in capsys.readouterr().err
    assert not (dest / "ibm-skillsnetwork-rs-content-test").exists()


def test_cli_download_manual_and_unknown_keys(tmp_path, capsys):
    assert main(["download", "mooc-catalogs-kaggle", "--dest", str(tmp_path)]) == 2
    assert "Kaggle needs a login" in capsys.readouterr().err
    assert main(["download", "netflix-prize", "--dest", str(tmp_path)]) == 2
    assert "unknown dataset 'netflix-prize'" in capsys.readouterr().err
