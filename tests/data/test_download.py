"""Download against a real HTTP server on 127.0.0.1 serving generated files."""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkpick_desktop import cli
from inkpick_desktop.data import download, download_checks, registry
from inkpick_desktop.data.download import DownloadError, check_file, download_dataset
from inkpick_desktop.data.registry import (
    DatasetFile,
    DatasetSpec,
    DownloadSource,
    DownloadSpec,
    FileFormat,
)
from inkpick_desktop.engine.errors import (
    CancelledError,
    DataFormatError,
    InvalidInputError,
)
from inkpick_desktop.engine.progress import CancelToken


@dataclass
class ServerState:
    files: dict[str, bytes] = field(default_factory=dict)
    cut_first: set[str] = field(default_factory=set)  # first GET stops halfway
    ignore_range: bool = False
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    # Hostile behaviours; every loop ends when the client goes away or at `stop`.
    endless: set[str] = field(default_factory=set)  # no length, never-ending body
    drip: dict[str, float] = field(default_factory=dict)  # name -> s between bytes
    hang: set[str] = field(default_factory=set)  # never answers
    redirects: dict[str, str] = field(default_factory=dict)  # name -> Location
    announce: dict[str, int] = field(default_factory=dict)  # fake Content-Length
    stop: threading.Event = field(default_factory=threading.Event)
    endless_sent: int = 0


def _handler(state: ServerState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            name = self.path.lstrip("/")
            rng = self.headers.get("Range")
            state.requests.append((name, rng))
            if name in state.hang:
                state.stop.wait(30)
                self.close_connection = True
                return
            if name in state.redirects:
                self.send_response(302)
                self.send_header("Location", state.redirects[name])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if name in state.endless:
                self._endless()
                return
            if name in state.announce:
                self.send_response(200)
                self.send_header("Content-Length", str(state.announce[name]))
                self.end_headers()
                self.close_connection = True
                self._write_until_gone(b"1,A,3.0\n" * 1000, limit=1 << 20)
                return
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
            if name in state.drip:
                self.close_connection = True
                for i in range(len(payload)):
                    if state.stop.wait(state.drip[name]):
                        return
                    if not self._send(payload[i : i + 1]):
                        return
                return
            if name in state.cut_first:
                state.cut_first.discard(name)
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(payload)

        def _send(self, data: bytes) -> bool:
            try:
                self.wfile.write(data)
                self.wfile.flush()
            except OSError:  # the client hung up: what the tests expect
                return False
            return True

        def _write_until_gone(self, block: bytes, limit: int) -> int:
            sent = 0
            while sent < limit and not state.stop.is_set():
                if not self._send(block):
                    break
                sent += len(block)
            return sent

        def _endless(self) -> None:
            self.send_response(200)
            self.end_headers()  # no Content-Length: the body ends when we close
            self.close_connection = True
            # Capped at 64 MiB so that a client ignoring its bound still ends.
            block = b"7,C001,3.0\n" * 6000
            state.endless_sent = self._write_until_gone(block, limit=64 << 20)

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
        state.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _ratings_csv(n: int) -> bytes:
    lines = ["user,item,rating"] + [f"{i % 37},C{i % 11:03d},3.0" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def _spec(
    rows: int = 5000,
    *,
    archive: bool = False,
    size: int = 0,
    sha256: str = "",
    sha256_lf: str = "",
    max_bytes: int | None = None,
) -> DatasetSpec:
    fmt = FileFormat(header=("user", "item", "rating"))
    files = (
        DatasetFile(
            "ratings.csv",
            rows,
            sha256,
            format=fmt,
            size=size,
            sha256_lf=sha256_lf,
        ),
        DatasetFile("extra.csv", 3, "", required=False, format=fmt),
    )
    if archive:
        source = DownloadSource(
            "https://example.invalid/pub/bundle.zip",
            members=(
                ("bundle/ratings.csv", "ratings.csv"),
                ("bundle/extra.csv", "extra.csv"),
            ),
            max_bytes=max_bytes,
        )
    else:
        source = DownloadSource(
            "https://example.invalid/pub/ratings.csv",
            file="ratings.csv",
            max_bytes=max_bytes,
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


# ------------------------------------------------------------ hostile servers


def _files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_download_bound_derived_from_registry_sizes():
    small = registry.get("movielens-latest-small")
    # 197979 + 494431 + 2483723 + 118660 bytes expected; + 16 MiB beats 4x.
    assert download.download_bound(small, small.download.sources[0]) == 20_072_009
    big = registry.get("movielens-32m-movies")
    assert download.download_bound(big, big.download.sources[0]) == 400_000_000
    oulad = registry.get("oulad-registrations")
    assert download.download_bound(oulad, oulad.download.sources[0]) == 200_000_000
    toy = _spec(size=10 << 20)
    assert download.download_bound(toy, toy.download.sources[0]) == 40 << 20
    assert download.member_bound(_spec().file("ratings.csv")) == 16 << 20
    assert download.member_bound(toy.file("ratings.csv")) == 40 << 20


def test_download_dataset_endless_stream_stops_at_bound(server, tmp_path):
    base, state = server
    state.endless.add("ratings.csv")
    bound = 1000 + (16 << 20)
    with pytest.raises(
        DownloadError,
        match=rf"/ratings\.csv: the server sent more than the {bound} bytes allowed",
    ):
        download_dataset(_spec(size=1000), tmp_path, base_url_override=base)
    assert _files_under(tmp_path) == []  # partial garbage discarded too
    assert len(state.requests) == 1


def test_download_dataset_announced_length_over_bound_refused(server, tmp_path):
    base, state = server
    state.announce["ratings.csv"] = 10**9
    with pytest.raises(
        DownloadError,
        match="announces 1000000000 bytes, more than the 100000 allowed",
    ):
        download_dataset(_spec(max_bytes=100_000), tmp_path, base_url_override=base)
    assert _files_under(tmp_path) == []
    assert len(state.requests) == 1


def test_download_dataset_zip_member_declared_too_big_keeps_old(server, tmp_path):
    base, state = server
    state.files["bundle.zip"] = _zip({"bundle/ratings.csv": b"1,A,3.0\n" * (17 << 17)})
    old = tmp_path / "toy-set"
    old.mkdir()
    (old / "ratings.csv").write_text("previous copy")
    bound = 1000 + (16 << 20)
    with pytest.raises(
        DownloadError,
        match=rf"bundle\.zip, member bundle/ratings\.csv: member declares "
        rf"{17 << 20} bytes, more than the {bound} allowed for ratings\.csv",
    ):
        download_dataset(
            _spec(archive=True, size=1000), tmp_path, base_url_override=base
        )
    assert (old / "ratings.csv").read_text() == "previous copy"
    assert _files_under(tmp_path) == ["toy-set", "toy-set/ratings.csv"]


def test_download_dataset_zip_member_compression_ratio_refused(server, tmp_path):
    base, state = server
    body = b"user,item,rating\n" + b"1,A,3.0\n" * (1 << 18)  # 2 MiB, deflates ~1000x
    state.files["bundle.zip"] = _zip({"bundle/ratings.csv": body})
    with pytest.raises(DownloadError, match=r"member expands \d+-fold .* than the 100"):
        download_dataset(
            _spec(1 << 18, archive=True, size=len(body)),
            tmp_path,
            base_url_override=base,
        )
    assert _files_under(tmp_path) == []


def test_download_dataset_dripping_server_too_slow_keeps_partial(server, tmp_path):
    base, state = server
    body = _ratings_csv(5000)
    state.files["ratings.csv"] = body
    state.drip["ratings.csv"] = 0.02  # ~50 bytes/s
    with pytest.raises(DownloadError, match="slower than 1000 bytes/s 2 times"):
        download_dataset(
            _spec(),
            tmp_path,
            base_url_override=base,
            timeout=0.25,
            retries=1,
            min_rate=1000,
            deadline=20,  # only bounds the test should the rate check regress
        )
    part = tmp_path / download.WORK_DIR / "toy-set" / "1-ratings.csv.part"
    kept = part.stat().st_size
    assert 0 < kept < len(body)
    assert part.read_bytes() == body[:kept]
    (first, second) = state.requests
    assert first == ("ratings.csv", None)
    assert second[0] == "ratings.csv" and second[1] is not None
    assert not (tmp_path / "toy-set").exists()


def test_download_dataset_deadline_stops_drip_then_resumes(server, tmp_path):
    base, state = server
    body = _ratings_csv(5000)
    state.files["ratings.csv"] = body
    state.drip["ratings.csv"] = 0.02
    with pytest.raises(DownloadError, match=r"within the 0\.6 s deadline.* kept"):
        download_dataset(
            _spec(),
            tmp_path,
            base_url_override=base,
            timeout=0.25,
            min_rate=0,
            deadline=0.6,
        )
    part = tmp_path / download.WORK_DIR / "toy-set" / "1-ratings.csv.part"
    kept = part.stat().st_size
    assert 0 < kept < len(body)

    del state.drip["ratings.csv"]
    result = download_dataset(_spec(), tmp_path, base_url_override=base)
    assert (result.folder / "ratings.csv").read_bytes() == body
    assert state.requests[-1] == ("ratings.csv", f"bytes={kept}-")
    assert result.bytes_fetched == len(body) - kept


def test_download_dataset_hung_server_retries_within_deadline(server, tmp_path):
    base, state = server
    state.hang.add("ratings.csv")
    with pytest.raises(DownloadError, match=r"within the 0\.8 s deadline"):
        download_dataset(
            _spec(),
            tmp_path,
            base_url_override=base,
            timeout=0.25,
            retries=20,
            deadline=0.8,
        )
    # each attempt waits min(timeout, time left): at most ceil(0.8 / 0.25) + 1
    assert 1 <= len(state.requests) <= 5
    assert _files_under(tmp_path) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": 0}, "timeout must be > 0 seconds, got 0"),
        ({"deadline": -1.0}, r"deadline must be > 0 seconds or None, got -1\.0"),
        ({"min_rate": -5}, "min_rate must be >= 0 bytes/s, got -5"),
        ({"retries": -1}, "retries must be >= 0, got -1"),
        ({"base_url_override": "not a url"}, "mirror must be an http"),
        ({"base_url_override": "http://[::1"}, "Invalid IPv6 URL"),
        ({"base_url_override": "file:///srv/mirror"}, "got 'file:///srv/mirror'"),
        ({"base_url_override": "http://127.0.0.1:99999"}, "Port out of range"),
    ],
)
def test_download_dataset_bad_parameters_invalid_input(tmp_path, kwargs, message):
    with pytest.raises(InvalidInputError, match=message):
        download_dataset(_spec(), tmp_path / "root", **kwargs)
    assert not (tmp_path / "root").exists()


def test_download_dataset_dest_is_a_file_invalid_input(tmp_path):
    dest = tmp_path / "datasets"
    dest.write_text("not a folder")
    with pytest.raises(InvalidInputError, match="exists but is not a folder"):
        download_dataset(_spec(), dest)


def test_fetch_refuses_non_http_url(tmp_path):
    with pytest.raises(InvalidInputError, match="got 'ftp://example.invalid/a'"):
        download.fetch("ftp://example.invalid/a", tmp_path / "a.part")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        # urllib itself refuses file://; ftp:// it would follow, our handler not
        ("file:///etc/hostname", "Redirection to url 'file:///etc/hostname' is not"),
        ("ftp://127.0.0.1/x.csv", "redirected to 'ftp://127.0.0.1/x.csv', which is"),
    ],
)
def test_download_dataset_redirect_off_http_refused(server, tmp_path, target, message):
    base, state = server
    state.redirects["ratings.csv"] = target
    with pytest.raises(DownloadError) as info:
        download_dataset(_spec(), tmp_path, base_url_override=base)
    assert str(info.value).startswith(f"{base}/ratings.csv: ")
    assert message in str(info.value)
    assert _files_under(tmp_path) == []


def test_download_dataset_reports_url_after_redirect(server, tmp_path):
    base, state = server
    state.redirects["ratings.csv"] = f"{base}/moved/ratings.csv"
    state.files["moved/ratings.csv"] = _ratings_csv(4999)
    with pytest.raises(
        DataFormatError,
        match=rf"refused: {base}/moved/ratings\.csv: has 4999 data rows",
    ):
        download_dataset(_spec(), tmp_path, base_url_override=base)


def test_download_dataset_html_archive_names_mirror_url(server, tmp_path):
    base, state = server
    state.files["bundle.zip"] = b"<!DOCTYPE html>\n<html><body>Sign in</body></html>"
    with pytest.raises(DownloadError) as info:
        download_dataset(_spec(archive=True), tmp_path, base_url_override=base)
    text = str(info.value)
    assert text.startswith(f"{base}/bundle.zip: not a readable zip archive")
    assert text.endswith("the server sent an HTML page, not the data file")
    assert "example.invalid" not in text


def test_download_dataset_html_plain_file_names_mirror_url(server, tmp_path):
    base, state = server
    state.files["ratings.csv"] = b"<html><head><title>404</title></head></html>\n"
    with pytest.raises(DataFormatError) as info:
        download_dataset(_spec(), tmp_path, base_url_override=base)
    assert str(info.value) == (
        f"download of 'toy-set' refused: {base}/ratings.csv, line 1: header is "
        "['<html><head><title>404</title></head></html>'], expected "
        "['user', 'item', 'rating']; the server sent an HTML page, not the data file"
    )


def test_download_dataset_404_leaves_no_work_folder(server, tmp_path):
    base, _ = server
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_dataset(_spec(), tmp_path, base_url_override=base)
    assert _files_under(tmp_path) == []


# ------------------------------------------------------------------ digests


def test_download_dataset_digest_verified_raw_or_lf(server, tmp_path):
    base, state = server
    lf = _ratings_csv(5000)
    crlf = lf.replace(b"\n", b"\r\n")
    lf_sha = hashlib.sha256(lf).hexdigest()
    crlf_sha = hashlib.sha256(crlf).hexdigest()
    cases = [
        (lf, _spec(sha256=lf_sha)),  # same bytes
        (crlf, _spec(sha256=lf_sha)),  # publisher re-saved with CRLF
        (lf, _spec(sha256=crlf_sha, sha256_lf=lf_sha)),  # reference is CRLF
        (crlf, _spec(sha256=crlf_sha, sha256_lf=lf_sha)),
    ]
    for body, spec in cases:
        state.files["ratings.csv"] = body
        result = download_dataset(spec, tmp_path, base_url_override=base)
        assert result.unverified == () and result.warnings == ()
        assert (result.folder / "ratings.csv").read_bytes() == body


def test_download_dataset_digest_mismatch_installs_unverified(server, tmp_path):
    base, state = server
    body = _ratings_csv(5000)
    state.files["ratings.csv"] = body.replace(b"3.0", b"4.0")
    spec = _spec(sha256=hashlib.sha256(body).hexdigest())
    result = download_dataset(spec, tmp_path, base_url_override=base)
    assert result.unverified == ("ratings.csv",)
    assert result.warnings == (
        f"{base}/ratings.csv: sha256 matches neither the reference copy nor its "
        "LF-normalised form; installed as unverified (the publisher may have "
        "re-issued the file)",
    )
    assert (result.folder / "ratings.csv").read_bytes() == body.replace(b"3.0", b"4.0")


@pytest.fixture(scope="module")
def digest_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("digests")


@settings(deadline=None, max_examples=60)
@given(
    data=st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b"a", b"bc"])).map(b"".join),
    block=st.integers(min_value=1, max_value=7),
)
def test_file_digests_lf_matches_replace_any_block_size(digest_dir, data, block):
    path = digest_dir / "f.bin"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(download_checks, "_BLOCK", block)
        raw, lf = download_checks.file_digests(path)
    assert raw == hashlib.sha256(data).hexdigest()
    assert lf == hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def test_registry_sizes_and_digests_match_reference_copies(datasets_root):
    for spec in registry.DATASETS.values():
        for dfile in spec.files:
            path = datasets_root / spec.key / dfile.name
            raw, lf = download_checks.file_digests(path)
            assert dfile.size == path.stat().st_size, path
            assert raw == dfile.sha256, path
            assert lf == (dfile.sha256_lf or dfile.sha256), path
            assert download_checks.digest_matches(path, dfile) is True


# --------------------------------------------------------- loader validation


def _ml_small_members(ratings: str | None = None) -> dict[str, bytes]:
    movies = "movieId,title,genres\n" + "".join(
        f'{i},"Film {i}, The (2000)",Drama\n' for i in range(9742)
    )
    links = "movieId,imdbId,tmdbId\n" + "".join(f"{i},{i:07d},\n" for i in range(9742))
    if ratings is None:
        ratings = "userId,movieId,rating,timestamp\n" + "".join(
            f"{i % 610},{i % 9742},4.0,{1_000_000 + i}\n" for i in range(100836)
        )
    tags = "userId,movieId,tag,timestamp\n" + "".join(
        f'1,{i},"tag, {i}",5\n' for i in range(3683)
    )
    return {
        "ml-latest-small/movies.csv": movies.encode(),
        "ml-latest-small/links.csv": links.encode(),
        "ml-latest-small/ratings.csv": ratings.encode(),
        "ml-latest-small/tags.csv": tags.encode(),
    }


def test_download_dataset_junk_rows_right_shape_keep_good_folder(server, tmp_path):
    base, state = server
    junk = "userId,movieId,rating,timestamp\n" + "x,y,z,w\n" * 100836
    state.files["ml-latest-small.zip"] = _zip(_ml_small_members(junk))
    good = tmp_path / "movielens-latest-small"
    good.mkdir()
    (good / "ratings.csv").write_text("the good copy")
    with pytest.raises(DataFormatError) as info:
        download_dataset("movielens-latest-small", tmp_path, base_url_override=base)
    text = str(info.value)
    assert text.startswith(
        "download of 'movielens-latest-small' refused: the MovieLens 32M + "
        "latest-small loader refuses the new files: movielens-latest-small/"
        "ratings.csv, line 2, field 'userId': 100836 of 100836 data rows are bad"
    )
    assert (good / "ratings.csv").read_text() == "the good copy"
    assert _files_under(tmp_path) == [
        "movielens-latest-small",
        "movielens-latest-small/ratings.csv",
    ]


def test_download_dataset_loader_validates_real_spec_shape(server, tmp_path):
    base, state = server
    state.files["ml-latest-small.zip"] = _zip(_ml_small_members())
    result = download_dataset(
        "movielens-latest-small", tmp_path, base_url_override=base
    )
    assert result.rows["ratings.csv"] == 100836
    # generated content: every file differs from the GroupLens reference copy
    assert result.unverified == ("links.csv", "movies.csv", "ratings.csv", "tags.csv")
    assert not any("loader" in w for w in result.warnings)


def _ibm_catalog(root: Path, n: int = 11) -> None:
    folder = root / "ibm-skillsnetwork-courses"
    folder.mkdir(parents=True)
    topics = "Database,Python,CloudComputing,DataAnalysis,Containers,MachineLearning"
    topics += ",ComputerVision,DataScience,BigData,Chatbot,R,BackendDev,FrontendDev"
    topics += ",Blockchain"
    flags = ",".join("0" * 14)
    (folder / "course_genre.csv").write_text(
        f"COURSE_ID,TITLE,{topics}\n"
        + "".join(f"C{i:03d},course {i},{flags}\n" for i in range(n))
    )
    (folder / "course_processed.csv").write_text(
        "COURSE_ID,TITLE,DESCRIPTION\n"
        + "".join(f"C{i:03d},course {i},about {i}\n" for i in range(n))
    )


def test_download_dataset_ratings_junk_ids_refused_with_catalog(server, tmp_path):
    base, state = server
    state.files["rs_content_test.csv"] = _ratings_csv(9402).replace(b",C0", b",Z0")
    _ibm_catalog(tmp_path)
    with pytest.raises(DataFormatError, match="is not in the IBM catalog"):
        download_dataset(
            "ibm-skillsnetwork-rs-content-test", tmp_path, base_url_override=base
        )
    assert not (tmp_path / "ibm-skillsnetwork-rs-content-test").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ibm-skillsnetwork-courses"]


def test_download_dataset_ratings_valid_with_catalog_installed(server, tmp_path):
    base, state = server
    state.files["rs_content_test.csv"] = _ratings_csv(9402)
    _ibm_catalog(tmp_path)
    result = download_dataset(
        "ibm-skillsnetwork-rs-content-test", tmp_path, base_url_override=base
    )
    assert dict(result.rows) == {"rs_content_test.csv": 9402}
    assert result.unverified == ("rs_content_test.csv",)
    assert len(result.warnings) == 1  # the digest only: the loader ran clean
    assert not any(p.is_symlink() for p in tmp_path.rglob("*"))


def test_download_dataset_without_other_folder_row_checks_only(server, tmp_path):
    base, state = server
    state.files["rs_content_test.csv"] = _ratings_csv(9402).replace(b",C0", b",Z0")
    result = download_dataset(
        "ibm-skillsnetwork-rs-content-test", tmp_path, base_url_override=base
    )
    assert result.warnings[1] == (
        "not checked with the Coursera, edX, Udemy, IBM Skills Network, Free "
        "Programming Books loader: it also needs ibm-skillsnetwork-courses (not "
        "installed); row checks only"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ibm-skillsnetwork-rs-content-test"
    ]


# ---------------------------------------------------------------------- CLI


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--mirror", "not a url"], "mirror must be an http:// or https:// URL"),
        (["--mirror", "http://[::1"], "'http://[::1' is not a valid URL"),
        (["--mirror", "file:///srv/m"], "got 'file:///srv/m'"),
        (["--timeout", "0"], "deadline must be > 0 seconds"),
    ],
)
def test_cli_download_bad_input_one_line(tmp_path, capsys, extra, message):
    code = cli.main(["download", "freemusi-cc", "--dest", str(tmp_path), *extra])
    err = capsys.readouterr().err
    assert code == 2
    lines = [x for x in err.splitlines() if not x.startswith("note:")]
    assert len(lines) == 1 and lines[0].startswith("inkpick: ")
    assert message in lines[0]
    assert "Traceback" not in err
    assert _files_under(tmp_path) == []


def test_cli_download_dest_is_file_one_line(tmp_path, capsys):
    dest = tmp_path / "f"
    dest.write_text("x")
    code = cli.main(["download", "freemusi-cc", "--dest", str(dest)])
    err = capsys.readouterr().err.splitlines()
    assert code == 2
    assert err == [f"inkpick: datasets folder {str(dest)!r} exists but is not a folder"]


def test_cli_download_prints_warnings(server, tmp_path, capsys):
    base, state = server
    state.files["rs_content_test.csv"] = _ratings_csv(9402)
    code = cli.main(
        [
            "download",
            "ibm-skillsnetwork-rs-content-test",
            "--dest",
            str(tmp_path),
            "--mirror",
            base,
            "--timeout",
            "60",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0
    assert "installed ibm-skillsnetwork-rs-content-test into" in out
    warnings = [x for x in err.splitlines() if x.startswith("warning: ")]
    assert warnings[0].startswith(f"warning: {base}/rs_content_test.csv: sha256 ")
    assert "row checks only" in warnings[1]
