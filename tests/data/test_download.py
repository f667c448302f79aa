"""Download against a real HTTP server on 127.0.0.1 serving generated files."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from inkpick_desktop.data import download, registry
from inkpick_desktop.data.download import DownloadError, check_file, download_dataset
from inkpick_desktop.data.registry import (
    DatasetFile,
    DatasetSpec,
    DownloadSource,
    DownloadSpec,
    FileFormat,
)
from inkpick_desktop.engine.errors import CancelledError, DataFormatError
from inkpick_desktop.engine.progress import CancelToken


@dataclass
class ServerState:
    files: dict[str, bytes] = field(default_factory=dict)
    cut_first: set[str] = field(default_factory=set)  # first GET stops halfway
    ignore_range: bool = False
    requests: list[tuple[str, str | None]] = field(default_factory=list)


def _handler(state: ServerState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            name = self.path.lstrip("/")
            rng = self.headers.get("Range")
            state.requests.append((name, rng))
            body = state.files.get(name)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = 0
            if rng and not state.ignore_range:
                start = int(rng.removeprefix("bytes=").split("-")[0])
                self.send_response(206)
                self.send_header(
                    "Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}"
                )
            else:
                self.send_response(200)
            payload = body[start:]
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if name in state.cut_first:
                state.cut_first.discard(name)
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(payload)

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, ServerState]]:
    state = ServerState()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _ratings_csv(n: int) -> bytes:
    lines = ["user,item,rating"] + [f"{i % 37},C{i % 11:03d},3.0" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def _spec(rows: int = 5000, *, archive: bool = False) -> DatasetSpec:
    fmt = FileFormat(header=("user", "item", "rating"))
    files = (
        DatasetFile("ratings.csv", rows, "", format=fmt),
        DatasetFile("extra.csv", 3, "", required=False, format=fmt),
    )
    if archive:
        source = DownloadSource(
            "https://example.invalid/pub/bundle.zip",
            members=(
                ("bundle/ratings.csv", "ratings.csv"),
                ("bundle/extra.csv", "extra.csv"),
            ),
        )
    else:
        source = DownloadSource(
            "https://example.invalid/pub/ratings.csv", file="ratings.csv"
        )
    return DatasetSpec(
        key="toy-set",
        domain="courses",
        title="Toy set",
        files=files,
        licence="CC0",
        licence_url="https://example.invalid/cc0",
        attribution="generated",
        redistributable=True,
        homepage="https://example.invalid",
        download=DownloadSpec((source,)),
    )


def test_download_dataset_full_plain_file(server, tmp_path):
    base, state = server
    body = _ratings_csv(5000)
    state.files["ratings.csv"] = body
    seen: list[tuple[str, float]] = []

    result = download_dataset(
        _spec(),
        tmp_path,
        base_url_override=base,
        progress=lambda s, f: seen.append((s, f)),
    )

    assert result.folder == tmp_path / "toy-set"
    assert (result.folder / "ratings.csv").read_bytes() == body
    assert dict(result.rows) == {"ratings.csv": 5000}
    assert result.bytes_fetched == len(body)
    fractions = [f for s, f in seen if s.startswith("downloading")]
    assert fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert state.requests == [("ratings.csv", None)]
    assert not (tmp_path / download.WORK_DIR).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy-set"]


def test_download_dataset_resumes_after_cut_connection(server, tmp_path):
    base, state = server
    body = _ratings_csv(20000)
    state.files["ratings.csv"] = body
    state.cut_first.add("ratings.csv")

    result = download_dataset(_spec(20000), tmp_path, base_url_override=base)

    assert (result.folder / "ratings.csv").read_bytes() == body
    assert state.requests == [
        ("ratings.csv", None),
        ("ratings.csv", f"bytes={len(body) // 2}-"),
    ]
    assert result.bytes_fetched == len(body)


def test_download_dataset_restarts_when_server_ignores_range(server, tmp_path):
    base, state = server
    body = _ratings_csv(20000)
    state.files["ratings.csv"] = body
    state.cut_first.add("ratings.csv")
    state.ignore_range = True

    result = download_dataset(_spec(20000), tmp_path, base_url_override=base)

    assert (result.folder / "ratings.csv").read_bytes() == body
    assert [r for _, r in state.requests] == [None, f"bytes={len(body) // 2}-"]
    assert result.bytes_fetched == len(body) // 2 + len(body)


def test_download_dataset_discards_inconsistent_partial(server, tmp_path):
    base, state = server
    body = _ratings_csv(5000)
    state.files["ratings.csv"] = body
    part = tmp_path / download.WORK_DIR / "toy-set" / "1-ratings.csv.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"x" * (len(body) + 10))  # longer than the file
    part.with_name(part.name + ".json").write_text(
        f'{{"url": "{base}/ratings.csv", "total": {len(body)}}}'
    )

    result = download_dataset(_spec(), tmp_path, base_url_override=base)

    assert (result.folder / "ratings.csv").read_bytes() == body
    assert state.requests == [("ratings.csv", None)]


def test_download_dataset_404_is_download_error(server, tmp_path):
    base, _ = server
    with pytest.raises(DownloadError, match=r"ratings\.csv: HTTP 404"):
        download_dataset(_spec(), tmp_path, base_url_override=base)
    assert not (tmp_path / "toy-set").exists()


def test_download_dataset_wrong_row_count_refused_and_nothing_installed(
    server, tmp_path
):
    base, state = server
    state.files["ratings.csv"] = _ratings_csv(4999)
    with pytest.raises(
        DataFormatError, match="has 4999 data rows, the registry expects 5000"
    ):
        download_dataset(_spec(5000), tmp_path, base_url_override=base)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_download_dataset_bad_header_refused_keeps_old_folder(server, tmp_path):
    base, state = server
    state.files["ratings.csv"] = _ratings_csv(5000).replace(b"user,", b"learner,", 1)
    old = tmp_path / "toy-set"
    old.mkdir()
    (old / "ratings.csv").write_text("previous copy")
    with pytest.raises(DataFormatError, match=r"header is \['learner'"):
        download_dataset(_spec(), tmp_path, base_url_override=base)
    assert (old / "ratings.csv").read_text() == "previous copy"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy-set"]


def test_download_dataset_cancel_keeps_partial_for_resume(server, tmp_path):
    base, state = server
    body = _ratings_csv(40000)
    assert len(body) > 4 * download.CHUNK
    state.files["ratings.csv"] = body
    token = CancelToken()

    def cancel_after_first_chunk(stage: str, fraction: float) -> None:
        token.cancel()

    with pytest.raises(CancelledError):
        download_dataset(
            _spec(40000),
            tmp_path,
            base_url_override=base,
            progress=cancel_after_first_chunk,
            cancel=token,
        )
    assert not (tmp_path / "toy-set").exists()
    part = tmp_path / download.WORK_DIR / "toy-set" / "1-ratings.csv.part"
    kept = part.stat().st_size
    assert kept == download.CHUNK

    result = download_dataset(_spec(40000), tmp_path, base_url_override=base)
    assert (result.folder / "ratings.csv").read_bytes() == body
    assert state.requests[-1] == ("ratings.csv", f"bytes={kept}-")


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_download_dataset_extracts_zip_members(server, tmp_path):
    base, state = server
    ratings = _ratings_csv(5000)
    state.files["bundle.zip"] = _zip(
        {"bundle/ratings.csv": ratings, "bundle/README.txt": b"ignored"}
    )
    result = download_dataset(_spec(archive=True), tmp_path, base_url_override=base)
    assert sorted(p.name for p in result.folder.iterdir()) == ["ratings.csv"]
    assert (result.folder / "ratings.csv").read_bytes() == ratings


def test_download_dataset_zip_missing_member_names_it(server, tmp_path):
    base, state = server
    state.files["bundle.zip"] = _zip({"other/ratings.csv": _ratings_csv(5000)})
    with pytest.raises(DownloadError, match="no member 'bundle/ratings.csv'"):
        download_dataset(_spec(archive=True), tmp_path, base_url_override=base)


def test_download_dataset_corrupt_zip_is_download_error(server, tmp_path):
    base, state = server
    state.files["bundle.zip"] = b"PK\x03\x04 definitely not a zip"
    with pytest.raises(DownloadError, match="not a readable zip"):
        download_dataset(_spec(archive=True), tmp_path, base_url_override=base)
    assert not (tmp_path / "toy-set").exists()


def test_download_dataset_registry_spec_with_member_layout(server, tmp_path):
    """The real movielens-latest-small spec, fed a generated archive of its shape."""
    base, state = server
    spec = registry.get("movielens-latest-small")
    movies = "movieId,title,genres\n" + "".join(
        f'{i},"Film {i}, The (2000)",Drama\n' for i in range(9742)
    )
    links = "movieId,imdbId,tmdbId\n" + "".join(f"{i},{i:07d},\n" for i in range(9742))
    ratings = "userId,movieId,rating,timestamp\n" + "".join(
        f"{i % 610},{i % 9742},4.0,{1_000_000 + i}\n" for i in range(100836)
    )
    tags = "userId,movieId,tag,timestamp\n" + "".join(
        f'1,{i},"tag, {i}",5\n' for i in range(3683)
    )
    state.files["ml-latest-small.zip"] = _zip(
        {
            "ml-latest-small/movies.csv": movies.encode(),
            "ml-latest-small/links.csv": links.encode(),
            "ml-latest-small/ratings.csv": ratings.encode(),
            "ml-latest-small/tags.csv": tags.encode(),
        }
    )
    result = download_dataset(spec.key, tmp_path, base_url_override=base)
    assert dict(result.rows) == {
        "links.csv": 9742,
        "movies.csv": 9742,
        "ratings.csv": 100836,
        "tags.csv": 3683,
    }


def test_download_dataset_manual_only_explains(tmp_path):
    with pytest.raises(DownloadError, match="Kaggle needs a login"):
        download_dataset("coursera-courses-imuhammad", tmp_path)


def test_check_file_wrong_field_count_names_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("user,item,rating\n1,A,3.0\n2,B\n")
    dfile = DatasetFile(
        "r.csv", 2, "", format=FileFormat(header=("user", "item", "rating"))
    )
    with pytest.raises(
        DataFormatError, match=r"r\.csv, line 3: has 2 fields, expected 3"
    ):
        check_file(path, dfile)


def test_check_file_plain_double_colon(tmp_path):
    path = tmp_path / "movies.dat"
    path.write_text('0068646::The Godfather (1972)::Crime|Drama\n1::"Q" (1)::\n')
    dfile = DatasetFile(
        "movies.dat", 2, "", format=FileFormat("plain", "::", n_columns=3)
    )
    assert check_file(path, dfile) == 2


def test_check_file_undecodable_names_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"user,item,rating\n1,A,3.0\n2,\xff\xfe,1\n")
    dfile = DatasetFile(
        "r.csv", 2, "", format=FileFormat(header=("user", "item", "rating"))
    )
    with pytest.raises(
        DataFormatError, match=r"line 3: cannot be decoded .* offset 27"
    ):
        check_file(path, dfile)
