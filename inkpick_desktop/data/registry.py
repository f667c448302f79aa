"""What every dataset folder is: files, row counts, licence, publisher download.

One :class:`DatasetSpec` per folder of the datasets root, keyed by the folder's
published name (``movielens-latest-small``, ``hetrec2011-lastfm-2k``, ...). The
facts (row counts, headers, sizes, licences) come from the datasets README. The
sha256 of each file is that of the reference copy; because a publisher's copy may
differ in line endings (MovieLens ships CRLF in some copies), files whose
reference copy has CRLF line endings also carry the digest of their LF-normalised
content (the README states it for ml-latest-small; for the other CRLF files it
was computed from the reference copy). A download matching neither is reported
as unverified, not refused: a publisher may legitimately re-issue a file.

The download code checks a fetched file against its :class:`FileFormat` (header
and row count); the About screen shows ``attribution`` and the licence line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from inkpick_desktop.engine.errors import InvalidInputError

#: How a file's records are counted and checked.
#: ``csv``: delimited with standard double-quote quoting (records may span lines);
#: ``plain``: delimited, quoting disabled, one record a line (``::`` files, TSV
#: with stray quotes); ``markdown-links``: one record per bullet ``* [title](url)``
#: that is not an in-page anchor.
FILE_KINDS = ("csv", "plain", "markdown-links")


@dataclass(frozen=True)
class FileFormat:
    """Layout of one data file, enough to check a download before using it.

    Attributes
    ----------
    kind
        One of :data:`FILE_KINDS`.
    delimiter
        Field separator (may be several characters for ``plain``, e.g. ``"::"``).
    header
        Expected header fields, or ``None`` when the file has no header line.
    n_columns
        Fields per record; defaults to ``len(header)``; 0 means not checked.
    encoding
        Text encoding (``"utf-8-sig"`` accepts and drops a BOM).
    """

    kind: str = "csv"
    delimiter: str = ","
    header: tuple[str, ...] | None = None
    n_columns: int | None = None
    encoding: str = "utf-8"

    def __post_init__(self) -> None:
        if self.kind not in FILE_KINDS:
            raise InvalidInputError(
                f"kind must be one of {FILE_KINDS}, got {self.kind!r}"
            )
        if self.n_columns is not None and self.n_columns < 1:
            raise InvalidInputError(f"n_columns must be >= 1, got {self.n_columns!r}")

    @property
    def columns(self) -> int:
        if self.n_columns is not None:
            return self.n_columns
        return len(self.header) if self.header else 0


@dataclass(frozen=True)
class DatasetFile:
    """One file of a dataset folder.

    ``rows`` counts data records (the header line excluded), as stated by the
    dataset's documentation; ``required`` files must be present for the folder to
    count as complete. ``sha256`` is the digest of the reference copy (``""``:
    unknown), ``sha256_lf`` that of its content with CRLF turned into LF when it
    differs (``""`` otherwise), and ``size`` its length in bytes (0: unknown),
    from which the download derives its size bounds.
    """

    name: str
    rows: int
    sha256: str
    required: bool = True
    format: FileFormat = field(default_factory=FileFormat)
    #: Accept more rows than ``rows`` (a list that grows upstream).
    rows_at_least: bool = False
    size: int = 0
    sha256_lf: str = ""

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name or "\\" in self.name or ".." in self.name:
            raise InvalidInputError(
                f"file name must be a plain name, got {self.name!r}"
            )
        if self.rows < 0:
            raise InvalidInputError(f"rows must be >= 0, got {self.rows!r}")
        if self.size < 0:
            raise InvalidInputError(f"size must be >= 0, got {self.size!r}")
        for name in ("sha256", "sha256_lf"):
            value = getattr(self, name)
            if value and not _is_sha256(value):
                raise InvalidInputError(
                    f"{name} of {self.name!r} must be 64 lowercase hex digits or "
                    f"empty, got {value!r}"
                )

    @property
    def digests(self) -> frozenset[str]:
        """Known digests of acceptable copies (raw and LF-normalised)."""
        return frozenset(d for d in (self.sha256, self.sha256_lf) if d)


@dataclass(frozen=True)
class DownloadSource:
    """One publisher URL.

    A plain file names the dataset file it becomes in ``file``; a zip archive maps
    archive members to dataset files in ``members`` (pairs ``(member, file)``).
    ``max_bytes`` is a hard bound on the transfer for an archive that carries much
    more than the files kept (ml-32m, OULAD); ``None`` lets the download derive
    the bound from the sizes of the files this source provides.
    """

    url: str
    file: str | None = None
    members: tuple[tuple[str, str], ...] = ()
    max_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.max_bytes is not None and self.max_bytes < 1:
            raise InvalidInputError(
                f"{self.url}: max_bytes must be >= 1 or None, got {self.max_bytes!r}"
            )
        if not self.url.startswith(("http://", "https://")):
            raise InvalidInputError(f"download url must be http(s), got {self.url!r}")
        if (self.file is None) == (not self.members):
            raise InvalidInputError(
                f"{self.url}: give either file= (plain file) or members= (zip)"
            )

    @property
    def is_archive(self) -> bool:
        return bool(self.members)

    @property
    def targets(self) -> tuple[str, ...]:
        """Dataset file names this source provides."""
        return (self.file,) if self.file else tuple(f for _, f in self.members)


@dataclass(frozen=True)
class DownloadSpec:
    """Where the publisher serves a dataset; ``note`` warns about size or terms."""

    sources: tuple[DownloadSource, ...]
    note: str = ""


@dataclass(frozen=True)
class DatasetSpec:
    """Everything known about one dataset folder.

    ``download`` is ``None`` when no direct download exists; ``manual`` then says
    how to get the files by hand.
    """

    key: str
    domain: str
    title: str
    files: tuple[DatasetFile, ...]
    licence: str
    licence_url: str
    attribution: str
    redistributable: bool
    homepage: str
    download: DownloadSpec | None = None
    manual: str = ""

    def __post_init__(self) -> None:
        names = [f.name for f in self.files]
        if len(set(names)) != len(names):
            raise InvalidInputError(f"dataset {self.key!r} lists a file twice: {names}")
        if self.download is not None:
            provided = [t for s in self.download.sources for t in s.targets]
            unknown = sorted(set(provided) - set(names))
            if unknown:
                raise InvalidInputError(
                    f"dataset {self.key!r}: download targets {unknown} are not "
                    f"among its files {names}"
                )
            missing = [
                f.name for f in self.files if f.required and f.name not in provided
            ]
            if missing:
                raise InvalidInputError(
                    f"dataset {self.key!r}: download provides no source for {missing}"
                )
        elif not self.manual:
            raise InvalidInputError(f"dataset {self.key!r} needs download or manual")

    def file(self, name: str) -> DatasetFile:
        for f in self.files:
            if f.name == name:
                return f
        raise InvalidInputError(f"dataset {self.key!r} has no file {name!r}")

    @property
    def licence_line(self) -> str:
        """One line for listings: ``"<title>: <licence> (<url>)"``."""
        return f"{self.title}: {self.licence} ({self.licence_url})"


# ---------------------------------------------------------------- the datasets

_GROUPLENS = "https://files.grouplens.org/datasets"
_GROUPLENS_TERMS = (
    "GroupLens usage licence: research only, no commercial use, "
    "redistribution only under the same terms"
)
_GROUPLENS_ATTR = (
    "MovieLens data by GroupLens Research, University of Minnesota. F. Maxwell "
    "Harper and Joseph A. Konstan, The MovieLens Datasets: History and Context, "
    "ACM TiiS 5(4):19, 2015. Not endorsed by the University of Minnesota or GroupLens."
)
_IBM = (
    "https://cf-courses-data.s3.us.cloud-object-storage.appdomain.cloud/"
    "IBM-ML321EN-SkillsNetwork/labs/datasets"
)
# Search pages: the README names the Kaggle sets but not their exact addresses.
_KAGGLE_COURSERA = "https://www.kaggle.com/search?q=course+reviews+on+coursera"
_KAGGLE_MOOC = "https://www.kaggle.com/search?q=udemy+courses+edx+courses"
_NO_LICENCE = "no licence stated; internal research/test use only"
_ML_MOVIES = FileFormat(header=("movieId", "title", "genres"))
_LASTFM_TSV = "\t"


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _cols(names: str) -> tuple[str, ...]:
    return tuple(names.split(","))


def _tsv(*header: str, encoding: str = "utf-8") -> FileFormat:
    return FileFormat(
        kind="plain", delimiter=_LASTFM_TSV, header=header, encoding=encoding
    )


_SPECS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        key="movielens-32m-movies",
        domain="cinema",
        title="MovieLens 32M (movies)",
        files=(
            DatasetFile(
                "movies.csv",
                87585,
                "d634b29ca4083aedf118c088f1ce20f13d689495ae166a32240804989a33ba1a",
                size=4155328,
                format=_ML_MOVIES,
            ),
        ),
        licence=_GROUPLENS_TERMS,
        licence_url="https://files.grouplens.org/datasets/movielens/ml-32m-README.html",
        attribution=_GROUPLENS_ATTR,
        redistributable=False,
        homepage="https://grouplens.org/datasets/movielens/",
        download=DownloadSpec(
            (
                DownloadSource(
                    f"{_GROUPLENS}/movielens/ml-32m.zip",
                    members=(("ml-32m/movies.csv", "movies.csv"),),
                    # about 240 MB of ratings/tags/links around the 4 MB kept
                    max_bytes=400_000_000,
                ),
            ),
            note="the archive is about 240 MB; only movies.csv is kept",
        ),
    ),
    DatasetSpec(
        key="movielens-latest-small",
        domain="cinema",
        title="MovieLens latest-small",
        files=(
            DatasetFile(
                "links.csv",
                9742,
                "97ad18e4e56a09363c65676b6cb3482ce3e2cea2372a24620c1599c843325f31",
                size=197979,
                sha256_lf="028a4a1d17751ca9276e0e0718cfc22356350f224a996e1ec348c23274b9209d",
                format=FileFormat(header=("movieId", "imdbId", "tmdbId")),
            ),
            DatasetFile(
                "movies.csv",
                9742,
                "5a5f32dd9bb3797b8e728a1b98958789d2b13f294a69fdfbc5727f8a9611aa07",
                size=494431,
                sha256_lf="c47b783f23eb304413307e1bb05335e427737da20ec8d3c0e96335567dd5f3dc",
                format=_ML_MOVIES,
            ),
            DatasetFile(
                "ratings.csv",
                100836,
                "aa289ca83157595d0df6aea1be6a4ded676ddc4385472e8313a8ed9805352646",
                size=2483723,
                sha256_lf="80da8b3393dae325bbba5a31f291a6ba55d8d4f4396de3c456f2c1635b1b70e8",
                format=FileFormat(header=("userId", "movieId", "rating", "timestamp")),
            ),
            DatasetFile(
                "tags.csv",
                3683,
                "92a9f8bb7916dceef6151209845788c3643f794dfa79d1feaec7121b5960399d",
                size=118660,
                sha256_lf="68eec00a0820c2faa8863a6df7032f13d5899a4462bce9a97213905297ff3d34",
                format=FileFormat(header=("userId", "movieId", "tag", "timestamp")),
            ),
        ),
        licence=_GROUPLENS_TERMS,
        licence_url="https://files.grouplens.org/datasets/movielens/ml-latest-small-README.html",
        attribution=_GROUPLENS_ATTR,
        redistributable=False,
        homepage="https://grouplens.org/datasets/movielens/latest/",
        download=DownloadSpec(
            (
                DownloadSource(
                    f"{_GROUPLENS}/movielens/ml-latest-small.zip",
                    members=tuple(
                        (f"ml-latest-small/{n}", n)
                        for n in ("links.csv", "movies.csv", "ratings.csv", "tags.csv")
                    ),
                ),
            )
        ),
    ),
    DatasetSpec(
        key="movietweetings-100k",
        domain="cinema",
        title="MovieTweetings 100K snapshot",
        files=(
            DatasetFile(
                "movies.dat",
                10506,
                "e63fb84bc734e3c574f135634a40d3cbafab22b8f94f5fc0b80f80d1d2076efc",
                size=542192,
                format=FileFormat(kind="plain", delimiter="::", n_columns=3),
            ),
            DatasetFile(
                "ratings.dat",
                100000,
                "c0dd868c2632d10002ebc928ddc5345f33adeaa59eca52c2941c26a2c5e36fd6",
                size=2945101,
                format=FileFormat(kind="plain", delimiter="::", n_columns=4),
            ),
        ),
        licence="MIT",
        licence_url="https://github.com/sidooms/MovieTweetings/blob/master/LICENSE",
        attribution=(
            "MovieTweetings, Copyright (c) 2013 Simon Dooms, MIT licence. S. Dooms, "
            "T. De Pessemier, L. Martens, MovieTweetings: a Movie Rating Dataset "
            "Collected From Twitter, CrowdRec workshop at RecSys 2013."
        ),
        redistributable=True,
        homepage="https://github.com/sidooms/MovieTweetings",
        download=DownloadSpec(
            tuple(
                DownloadSource(
                    "https://raw.githubusercontent.com/sidooms/MovieTweetings/"
                    f"master/snapshots/100K/{n}",
                    file=n,
                )
                for n in ("movies.dat", "ratings.dat")
            )
        ),
    ),
    DatasetSpec(
        key="hetrec2011-lastfm-2k",
        domain="music",
        title="HetRec 2011 Last.fm 2K",
        files=(
            DatasetFile(
                "artists.dat",
                17632,
                "c173881362c6b28551368fecb3c0be5a6a30a6cd859e1f5775413dfe46d48648",
                size=1925879,
                format=_tsv("id", "name", "url", "pictureURL"),
            ),
            DatasetFile(
                "tags.dat",
                11946,
                "c815d7216101fd0ba9b9c59fa2a011998d2fd076e0064d281ec4153d95ae8095",
                size=222521,
                format=_tsv("tagID", "tagValue", encoding="latin-1"),
            ),
            DatasetFile(
                "user_artists.dat",
                92834,
                "254272fa721c3935e8be286d28c051b206844307128698ab4eaa41d483379416",
                size=1203620,
                format=_tsv("userID", "artistID", "weight"),
            ),
            DatasetFile(
                "user_friends.dat",
                25434,
                "0360883a3557776e04fdebda851f2e5dd23e796cad7059b968acdebd528d13fa",
                size=226130,
                required=False,
                format=_tsv("userID", "friendID"),
            ),
            DatasetFile(
                "user_taggedartists.dat",
                186479,
                "c4a9ffae9ab47a9f9b2f0678ab1f7e5c1db4ca818837d8cddd1f5699c5bbf048",
                size=4180216,
                format=_tsv("userID", "artistID", "tagID", "day", "month", "year"),
            ),
        ),
        licence="non-commercial use only (Last.fm); commercial use needs Last.fm",
        licence_url="https://grouplens.org/datasets/hetrec-2011/",
        attribution=(
            "Last.fm data from the HetRec 2011 workshop (GroupLens, Universidad "
            "Autonoma de Madrid): I. Cantador, P. Brusilovsky, T. Kuflik, 2nd "
            "Workshop on Information Heterogeneity and Fusion in Recommender Systems, "
            "RecSys 2011. Music data courtesy of Last.fm (http://www.last.fm)."
        ),
        redistributable=False,
        homepage="https://grouplens.org/datasets/hetrec-2011/",
        download=DownloadSpec(
            (
                DownloadSource(
                    f"{_GROUPLENS}/hetrec2011/hetrec2011-lastfm-2k.zip",
                    members=tuple(
                        (n, n)
                        for n in (
                            "artists.dat",
                            "tags.dat",
                            "user_artists.dat",
                            "user_friends.dat",
                            "user_taggedartists.dat",
                        )
                    ),
                ),
            )
        ),
    ),
    DatasetSpec(
        key="freemusi-cc",
        domain="music",
        title="freemusi.cc database",
        files=(
            DatasetFile(
                "releases.csv",
                2289,
                "377944de351f0f463a6f701187778ae1d55adeaf4f758f85cf3c87e98a4cdbb3",
                size=470306,
                format=FileFormat(
                    header=_cols(
                        "activity,album,artist,catalog,duration,genre,id,label,licenseurl,rating,style,totaldiscs,totaltracks,url,year"
                    )
                ),
            ),
            DatasetFile(
                "tracks.csv",
                21502,
                "47e27a3d9dcfc44154621e1d93a5e42ba0d69f7a2b15e8c46db8a68beb2305e6",
                size=3032932,
                format=FileFormat(
                    header=_cols(
                        "activity,disc,duration,id,rating,title,track,trackartist,trackurl"
                    )
                ),
            ),
        ),
        licence="CC BY-SA 4.0",
        licence_url="https://creativecommons.org/licenses/by-sa/4.0/",
        attribution="freemusi.cc database by ojdo, CC BY-SA 4.0",
        redistributable=True,
        homepage="https://github.com/ojdo/freemusi.cc-database",
        download=DownloadSpec(
            tuple(
                DownloadSource(
                    "https://raw.githubusercontent.com/ojdo/freemusi.cc-database/"
                    f"master/{n}",
                    file=n,
                )
                for n in ("releases.csv", "tracks.csv")
            )
        ),
    ),
    DatasetSpec(
        key="coursera-courses-imuhammad",
        domain="courses",
        title="Coursera courses (Kaggle, imuhammad)",
        files=(
            DatasetFile(
                "Coursera_courses.csv",
                623,
                "23fc0417a6304bedc97f561e51527e9fe9036b474b5e17478264549b634bbab3",
                size=89672,
                format=FileFormat(
                    header=("name", "institution", "course_url", "course_id")
                ),
            ),
        ),
        licence=_NO_LICENCE,
        licence_url=_KAGGLE_COURSERA,
        attribution="Course table of 'Course Reviews on Coursera' by imuhammad "
        "(Kaggle), scraped from coursera.org.",
        redistributable=False,
        homepage=_KAGGLE_COURSERA,
        manual=(
            "Kaggle needs a login: sign in, find 'Course Reviews on Coursera' by "
            f"imuhammad ({_KAGGLE_COURSERA}), download it and put Coursera_courses.csv "
            "into a folder named coursera-courses-imuhammad inside your datasets "
            "folder."
        ),
    ),
    DatasetSpec(
        key="mooc-catalogs-kaggle",
        domain="courses",
        title="edX and Udemy course catalogs (Kaggle)",
        files=(
            DatasetFile(
                "edx_courses.csv",
                975,
                "394bdb7edc43b3a5b1d1512c0aab64e38abf197d9b38babfa669598eac68c4f3",
                size=1983770,
                sha256_lf="ef101ecfebfd801ec027c905ac829cdea41736ad138148d0be39436389629f9a",
                format=FileFormat(
                    header=_cols(
                        "title,summary,n_enrolled,course_type,institution,instructors,Level,subject,language,subtitles,course_effort,course_length,price,course_description,course_syllabus,course_url"
                    )
                ),
            ),
            DatasetFile(
                "udemy_courses.csv",
                3678,
                "2848cb0830792f98085077b71fa06c90f3d79a1e8fc0ba8ab9225f02d3d85905",
                size=693946,
                format=FileFormat(
                    header=_cols(
                        "course_id,course_title,url,is_paid,price,num_subscribers,num_reviews,num_lectures,level,content_duration,published_timestamp,subject"
                    )
                ),
            ),
        ),
        licence=_NO_LICENCE,
        licence_url=_KAGGLE_MOOC,
        attribution="edX course scrape and 'Udemy Courses' datasets on Kaggle.",
        redistributable=False,
        homepage=_KAGGLE_MOOC,
        manual=(
            "Kaggle needs a login: sign in, find an edX courses scrape "
            "(edx_courses.csv) and 'Udemy Courses' (udemy_courses.csv) on "
            f"{_KAGGLE_MOOC}, and put both files into a folder named "
            "mooc-catalogs-kaggle inside your datasets folder."
        ),
    ),
    DatasetSpec(
        key="ibm-skillsnetwork-courses",
        domain="courses",
        title="IBM Skills Network course catalog (ML321EN lab data)",
        files=(
            DatasetFile(
                "course_genre.csv",
                307,
                "f28691b1a5c2b2a91feb575d198101cabbc7b493370734db3f0e2ee049937b21",
                size=25368,
                sha256_lf="9fcea4734f709069a717e7cc12bce9b94f25ac9db7bb28ac82f4641165da1e72",
                format=FileFormat(
                    encoding="utf-8-sig",
                    header=_cols(
                        "COURSE_ID,TITLE,Database,Python,CloudComputing,DataAnalysis,Containers,MachineLearning,ComputerVision,DataScience,BigData,Chatbot,R,BackendDev,FrontendDev,Blockchain"
                    ),
                ),
            ),
            DatasetFile(
                "course_processed.csv",
                307,
                "92c054c5abaa1e8b1bcaf26e7e9898ee150e0b51b7515247b391c8134c653aee",
                size=163126,
                format=FileFormat(header=("COURSE_ID", "TITLE", "DESCRIPTION")),
            ),
        ),
        licence=_NO_LICENCE,
        licence_url="https://skills.network/",
        attribution="IBM Skills Network, Machine Learning Capstone (ML321EN) lab data.",
        redistributable=False,
        homepage="https://skills.network/",
        download=DownloadSpec(
            tuple(
                DownloadSource(f"{_IBM}/{n}", file=n)
                for n in ("course_genre.csv", "course_processed.csv")
            )
        ),
    ),
    DatasetSpec(
        key="ibm-skillsnetwork-rs-content-test",
        domain="courses",
        title="IBM Skills Network test ratings (ML321EN lab data)",
        files=(
            DatasetFile(
                "rs_content_test.csv",
                9402,
                "68dde789878c5bde7829a3b8eb58a253ec46fc6175f26fd2443e5b0fa4a2f4e3",
                size=194093,
                format=FileFormat(header=("user", "item", "rating")),
            ),
        ),
        licence=_NO_LICENCE,
        licence_url="https://skills.network/",
        attribution="IBM Skills Network, Machine Learning Capstone (ML321EN) lab data, "
        "(c) IBM Corporation.",
        redistributable=False,
        homepage="https://skills.network/",
        download=DownloadSpec(
            (DownloadSource(f"{_IBM}/rs_content_test.csv", file="rs_content_test.csv"),)
        ),
    ),
    DatasetSpec(
        key="oulad-registrations",
        domain="courses",
        title="Open University Learning Analytics Dataset (registrations)",
        files=(
            DatasetFile(
                "courses.csv",
                22,
                "4f16eee7454b15e109b0a21a0e43be820e6846ed6f9301bb7feb5ab5ad737a75",
                size=526,
                sha256_lf="8d2767c4a43a04d48f2e52b6aae3d4c596d57030e6b87d759aee0d20c5ffc96a",
                format=FileFormat(
                    header=_cols(
                        "code_module,code_presentation,module_presentation_length"
                    )
                ),
            ),
            DatasetFile(
                "studentInfo.csv",
                32593,
                "7e6f3e474a5eee00639d2a414a6c7e928745823c2d2c2563ca1780145f99b0d6",
                size=3461652,
                sha256_lf="3f063c980f0e39bce4886e1adc85ee51bf8678e6ec4181339d58664a43766e52",
                format=FileFormat(
                    header=_cols(
                        "code_module,code_presentation,id_student,gender,region,highest_education,imd_band,age_band,num_of_prev_attempts,studied_credits,disability,final_result"
                    )
                ),
            ),
            DatasetFile(
                "studentRegistration.csv",
                32593,
                "0d32676285372aaf2e7a80304e5b274b4fba24313e2ca4c04317225e1ec90170",
                size=1109984,
                sha256_lf="bf0e34ab44bab1108021c35bd74fc264b6cd34f6f6ec91ee072b6c571da4dcbd",
                format=FileFormat(
                    header=_cols(
                        "code_module,code_presentation,id_student,date_registration,date_unregistration"
                    )
                ),
            ),
        ),
        licence="CC BY 4.0",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
        attribution=(
            "Open University Learning Analytics Dataset, The Open University "
            "(Kuzilek, Hlosta, Zdrahal, Scientific Data 4, 170171, 2017), CC BY 4.0"
        ),
        redistributable=True,
        homepage="https://analyse.kmi.open.ac.uk/open_dataset",
        download=DownloadSpec(
            (
                DownloadSource(
                    "https://analyse.kmi.open.ac.uk/open_dataset/download",
                    # every OULAD table, zipped (~450 MB unpacked), 4.6 MB kept
                    max_bytes=200_000_000,
                    members=tuple(
                        (n, n)
                        for n in (
                            "courses.csv",
                            "studentInfo.csv",
                            "studentRegistration.csv",
                        )
                    ),
                ),
            ),
            note="the archive holds every OULAD table (about 450 MB unpacked); "
            "only three files are kept",
        ),
    ),
    DatasetSpec(
        key="free-programming-books-courses",
        domain="courses",
        title="Free Programming Books: free courses (English)",
        files=(
            DatasetFile(
                "free-courses-en.md",
                1383,
                "44fba3d2e47eff3d8e36a58fc6a2306b2541487f3da550bdb920225ad654a744",
                size=174067,
                format=FileFormat(kind="markdown-links"),
                rows_at_least=True,
            ),
        ),
        licence="CC BY 4.0",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
        attribution="Free Programming Books (EbookFoundation) contributors, CC BY 4.0",
        redistributable=True,
        homepage="https://github.com/EbookFoundation/free-programming-books",
        download=DownloadSpec(
            (
                DownloadSource(
                    "https://raw.githubusercontent.com/EbookFoundation/"
                    "free-programming-books/main/courses/free-courses-en.md",
                    file="free-courses-en.md",
                ),
            ),
            note="the list grows upstream, so a newer copy may hold more entries",
        ),
    ),
)

#: Folder key -> spec, in a stable order (cinema, music, courses).
DATASETS: Mapping[str, DatasetSpec] = MappingProxyType({s.key: s for s in _SPECS})


def get(key: str) -> DatasetSpec:
    """The spec of a dataset folder; :class:`InvalidInputError` names the known keys."""
    try:
        return DATASETS[key]
    except KeyError:
        raise InvalidInputError(
            f"unknown dataset {key!r}; known: {', '.join(DATASETS)}"
        ) from None


def by_domain(domain: str) -> tuple[DatasetSpec, ...]:
    """Specs of one domain, in registry order."""
    return tuple(s for s in DATASETS.values() if s.domain == domain)
