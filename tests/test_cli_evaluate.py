"""``inkpick evaluate``: argument errors as one line, text and JSON on real data."""

from __future__ import annotations

import json

import pytest

from inkpick_desktop.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["evaluate", "cinema", "--k", "0"], "--k must be a positive integer, got 0"),
        (["evaluate", "cinema", "--k", "ten"], "--k must be a positive integer"),
        (["evaluate", "cinema", "--seed", "-3"], "--seed must be an integer >= 0"),
        (
            ["evaluate", "cinema", "--protocol", "latest"],
            "--protocol must be one of random, temporal, got 'latest'",
        ),
        (["evaluate", "gardening"], "gardening"),
    ],
)
def test_evaluate_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("inkpick: ") and err.count("\n") == 1


@pytest.mark.realdata
def test_evaluate_temporal_without_timestamps_is_refused(datasets_root, capsys):
    argv = [
        "--datasets",
        str(datasets_root),
        "evaluate",
        "courses",
        "--protocol",
        "temporal",
        "--no-reference",
    ]
    assert main(argv) == 2
    assert "needs timestamps" in capsys.readouterr().err


@pytest.mark.realdata
@pytest.mark.slow
def test_evaluate_courses_json_and_text(datasets_root, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    base = ["--datasets", str(datasets_root), "evaluate", "courses", "--no-reference"]
    assert main([*base, "--json", "--k", "5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["config"]["k"] == 5
    assert "per-user random holdout 80/20" in doc["protocol"]
    names = [r["name"] for r in doc["results"]]
    assert names[:5] == ["random", "popularity", "content", "als", "bpr"]
    assert all(0.0 <= r["ndcg"] <= 1.0 for r in doc["results"])
    assert doc["alpha"]["schedule"]["bucket_starts"][0] == 0

    assert main(base) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[1].startswith("protocol: per-user random holdout")
    assert "NDCG@10" in text and "learned α" in text and "cold start" in text
