"""Courses loader: the merged five-provider catalog and the IBM ratings."""

from __future__ import annotations

from collections import Counter

import pytest

from inkpick_desktop.data.loaders.courses import NOTE_NO_RATINGS, load
from inkpick_desktop.engine.errors import DataFormatError, DatasetNotFoundError


@pytest.fixture(scope="module")
def courses(datasets_root):
    return load(datasets_root)


@pytest.mark.realdata
def test_courses_real_provider_counts(courses):
    providers = Counter(courses.catalog.fields["provider"].tolist())
    assert providers == {
        "Coursera": 623,
        "edX": 975 - 1,  # one course listed twice with the same URL
        "Udemy": 3_678 - 6,
        "IBM Skills Network": 307,
        "Free Programming Books": 1_383 - 17,  # 17 bullets repeat a URL
    }
    messages = [w.message for w in courses.warnings]
    assert sum("duplicate course_id" in m for m in messages) == 6
    assert sum("duplicate course_url" in m for m in messages) == 1


@pytest.mark.realdata
def test_courses_real_ids_unique_and_namespaced(courses):
    ids = courses.catalog.ids.tolist()
    assert len(set(ids)) == len(ids)
    prefixes = {x.split(":", 1)[0] for x in ids}
    assert prefixes == {"coursera", "edx", "udemy", "ibm", "fpb"}
    cat = courses.catalog
    assert cat.titles[cat.lookup("coursera:machine-learning")] == "Machine Learning"
    assert cat.labels("institution", cat.lookup("coursera:machine-learning")) == [
        "Stanford University"
    ]
    assert cat.titles[cat.lookup("edx:how-to-learn-online")] == "How to Learn Online"
    assert cat.years[cat.lookup("udemy:1070968")] == 2017
    # fpb ids are sha1 prefixes of the normalised URL: fixed across runs/machines
    i = cat.lookup("fpb:027b242de3f2")
    assert cat.titles[i] == "AI School"
    assert cat.fields["url"][i] == "https://lillytechsystems.com/ai-school/"
    assert cat.labels("subjects", i) == ["0 - MOOC"]


@pytest.mark.realdata
def test_courses_real_ibm_title_case_and_topics(courses):
    cat = courses.catalog
    i = cat.lookup("ibm:PY0101EN")
    assert cat.titles[i] == "Python for Data Science"
    assert cat.labels("subjects", i) == ["Python", "Data Science"]
    assert cat.titles[cat.lookup("ibm:GPXX0ZG0EN")] == (
        "Consuming RESTful Services Using the Reactive JAX RS Client"
    )
    assert cat.fields["description"][i]


@pytest.mark.realdata
def test_courses_real_ratings_all_join(courses):
    inter = courses.interactions
    assert (inter.n_users, inter.n_events) == (1_000, 9_402)
    assert inter.value_kind == "implicit" and inter.timestamps is None
    assert sorted(set(inter.values.tolist())) == [2.0, 3.0]
    assert int((inter.values == 3.0).sum()) == 9_207
    items = {courses.catalog.ids[i] for i in inter.items.tolist()}
    assert len(items) == 105 and all(x.startswith("ibm:") for x in items)
    i = courses.catalog.lookup("ibm:PY0101EN")
    assert int((inter.items == i).sum()) == 579


@pytest.mark.realdata
def test_courses_real_edx_multiline_description(courses):
    cat = courses.catalog
    i = cat.lookup("edx:how-to-learn-online")
    desc = cat.fields["description"][i]
    assert desc.startswith("Learn essential strategies for successful online learning")
    assert "Self-care for Learning" in desc


def _ibm(root, titles=("python for data science",)):
    folder = root / "ibm-skillsnetwork-courses"
    folder.mkdir(parents=True)
    rows = "".join(f'C{i},{t},"desc\nof {i}"\n' for i, t in enumerate(titles))
    (folder / "course_processed.csv").write_text("COURSE_ID,TITLE,DESCRIPTION\n" + rows)
    topics = "Database,Python,CloudComputing,DataAnalysis,Containers,MachineLearning,"
    topics += "ComputerVision,DataScience,BigData,Chatbot,R,BackendDev,FrontendDev,"
    topics += "Blockchain"
    flags = "".join(f"C{i},{t},0,1,0,0,0,0,0,1,0,0,0,0,0,0\r\n"
                    for i, t in enumerate(titles))  # fmt: skip
    (folder / "course_genre.csv").write_bytes(
        ("\ufeffCOURSE_ID,TITLE," + topics + "\r\n" + flags).rstrip("\r\n").encode()
    )
    return root


def test_courses_ibm_only_has_note_and_no_interactions(tmp_path):
    ds = load(_ibm(tmp_path, ("sql for r users", "ai basics")))
    cat = ds.catalog
    assert cat.ids.tolist() == ["ibm:C0", "ibm:C1"]
    assert cat.titles.tolist() == ["SQL for R Users", "AI Basics"]
    assert cat.labels("subjects", 0) == ["Python", "Data Science"]
    assert cat.fields["description"][0] == "desc\nof 0"
    assert ds.interactions is None and ds.interactions_note == NOTE_NO_RATINGS


def test_courses_ratings_unknown_item_skipped(tmp_path):
    _ibm(tmp_path)
    folder = tmp_path / "ibm-skillsnetwork-rs-content-test"
    folder.mkdir()
    rows = "".join(f"{u},C0,3.0\n" for u in range(40)) + "5,NOPE,3.0\n"
    (folder / "rs_content_test.csv").write_text("user,item,rating\n" + rows)
    ds = load(tmp_path)
    assert ds.interactions.n_events == 40
    (w,) = ds.warnings
    assert (w.line, w.field) == (42, "item")


def test_courses_free_programming_books_markdown(tmp_path):
    _ibm(tmp_path)
    folder = tmp_path / "free-programming-books-courses"
    folder.mkdir()
    (folder / "free-courses-en.md").write_text(
        "### Index\n\n* [Python](#python)\n\n"
        "### Python\n\n"
        "* [Learn \\[Full Course\\]](https://www.example.org/py/) - Ann (Site) "
        ":card_file_box:\n"
        "#### Django\n\n"
        "* [Django [Beginner]](https://example.org/dj) (YouTube)\n"
        "* [Learn again](https://example.org/py) - Ann\n"
        "* [broken(https://example.org/x)\n"
        "### Filler\n" + "".join(f"* [F{i}](https://f.org/{i})\n" for i in range(30))
    )
    ds = load(tmp_path)
    cat = ds.catalog
    fpb = [i for i in range(cat.n_items) if cat.ids[i].startswith("fpb:")]
    assert len(fpb) == 2 + 30
    assert [cat.titles[i] for i in fpb[:2]] == [
        "Learn [Full Course]",
        "Django [Beginner]",
    ]
    assert cat.labels("subjects", fpb[0]) == ["Python", "Django"]  # merged repeat
    assert cat.labels("institution", fpb[0]) == ["Ann", "Site"]
    assert cat.labels("subjects", fpb[1]) == ["Python", "Django"]
    messages = [(w.line, w.message) for w in ds.warnings]
    assert (12, "bullet is not '[title](url)'; skipped") in messages
    assert cat.labels("subjects", fpb[2]) == ["Filler"]
    # the id is a hash of the normalised URL: stable across runs and http(s)/www
    assert cat.ids[fpb[0]] == load(tmp_path).catalog.ids[fpb[0]]


def test_courses_udemy_duplicate_kept_first(tmp_path):
    _ibm(tmp_path)
    folder = tmp_path / "mooc-catalogs-kaggle"
    folder.mkdir()
    head = "course_id,course_title,url,is_paid,price,num_subscribers,num_reviews,"
    head += "num_lectures,level,content_duration,published_timestamp,subject\n"
    rows = "".join(f"{i},T{i},u,True,1,1,1,1,All,1,2016-01-01T00:00:00Z,Web\n"
                   for i in range(40))  # fmt: skip
    rows += "3,Again,u,True,1,1,1,1,All,1,2017-01-01T00:00:00Z,Web\n"
    (folder / "udemy_courses.csv").write_text(head + rows)
    cat = load(tmp_path).catalog
    i = cat.lookup("udemy:3")
    assert (cat.titles[i], cat.years[i]) == ("T3", 2016)


def test_courses_missing_ibm_folder_not_found(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="course_processed.csv"):
        load(tmp_path)


def test_courses_bad_topic_flag_skipped_then_refused(tmp_path):
    _ibm(tmp_path)
    genre = tmp_path / "ibm-skillsnetwork-courses" / "course_genre.csv"
    genre.write_bytes(genre.read_bytes().replace(b",0,1,0", b",0,7,0", 1))
    with pytest.raises(
        DataFormatError, match="course_genre.csv, line 2, field 'Python'"
    ):
        load(tmp_path)
