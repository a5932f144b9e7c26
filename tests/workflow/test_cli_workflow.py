"""The workflow commands end to end, as real subprocesses: exit codes 0, 2 and 3."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from nlp_contact import ContactClassifier
from tests.workflow.conftest import fit_topics

ROOT = Path(__file__).resolve().parents[2]
GATES = """\
[bootstrap]
resamples = 200
[[flag_recall]]
flag = "urgent"
target = 0.5
"""


def run_all(commands: dict[str, list[str]]) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every command at once (they are independent) and wait for all of them."""
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "nlp_contact", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for name, args in commands.items()
    }
    done = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done


@pytest.fixture(scope="module")
def models(
    tmp_path_factory: pytest.TempPathFactory,
    topic_model: ContactClassifier,
    topic_rows: list[dict[str, object]],
) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("cli_workflow")
    topic_model.save(tmp / "champion")
    rng = random.Random(0)
    topics = [r["topic"] for r in topic_rows]
    rng.shuffle(topics)
    shuffled = [{**r, "topic": t} for r, t in zip(topic_rows, topics, strict=True)]
    fit_topics(shuffled).save(tmp / "worse")
    (tmp / "gates.toml").write_text(GATES, encoding="utf-8")
    (tmp / "broken.toml").write_text("[label_recall]\nmax_dorp = 0.1\n", encoding="utf-8")
    return {"champion": tmp / "champion", "worse": tmp / "worse", "dir": tmp}


@pytest.fixture(scope="module")
def results(
    models: dict[str, Path], topic_file: Path
) -> dict[str, subprocess.CompletedProcess[str]]:
    tmp, data = models["dir"], str(topic_file)
    champion, gates = str(models["champion"]), str(tmp / "gates.toml")
    labels = ["--head", "topic", "--flag", "urgent", "--folds", "3", "-q"]
    return run_all(
        {
            "evaluate": [
                "evaluate",
                data,
                "--model",
                champion,
                "--report",
                str(tmp / "report"),
                "--slice",
                "topic",
                "--no-redact",
            ],
            "cv": ["cross-validate", data, *labels, "--out", str(tmp / "oof.parquet")],
            "issues": ["find-label-issues", data, *labels, "--out", str(tmp / "issues.csv")],
            "suggest": [
                "suggest-labels",
                data,
                "--model",
                champion,
                "--n",
                "5",
                "--out",
                str(tmp / "suggested.jsonl"),
            ],
            "same": ["compare", champion, champion, data, "--gates", gates],
            "worse": [
                "compare",
                champion,
                str(models["worse"]),
                data,
                "--gates",
                gates,
                "--slice",
                "topic",
            ],
            "broken": ["compare", champion, champion, data, "--gates", str(tmp / "broken.toml")],
            "folds": ["cross-validate", data, *labels, "--folds", "1"],
        }
    )


Results = dict[str, subprocess.CompletedProcess[str]]


def test_evaluate_writes_the_report(results: Results, models: dict[str, Path]) -> None:
    res, out = results["evaluate"], models["dir"] / "report"
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["heads"]["topic"]["accuracy"] > 0.9
    html = (out / "report.html").read_text("utf-8")
    assert html.count("data:image/png;base64,") == len(list(out.glob("*.png"))) == 7


def test_cross_validate_saves_every_row(results: Results, models: dict[str, Path]) -> None:
    res = results["cv"]
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert set(summary["heads"]["topic"]["accuracy"]) == {"mean", "std"}
    assert len(pd.read_parquet(models["dir"] / "oof.parquet")) == 120


def test_find_label_issues_writes_ranked_issues(results: Results, models: dict[str, Path]) -> None:
    res = results["issues"]
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["rows"] == 120
    columns = list(pd.read_csv(models["dir"] / "issues.csv").columns)
    assert columns[:4] == ["rank", "row", "id", "output"]


def test_suggest_labels_writes_n_rows(results: Results, models: dict[str, Path]) -> None:
    res = results["suggest"]
    assert res.returncode == 0, res.stderr
    assert len((models["dir"] / "suggested.jsonl").read_text("utf-8").splitlines()) == 5


def test_compare_promotes_with_exit_0(results: Results) -> None:
    assert results["same"].returncode == 0, results["same"].stderr
    assert json.loads(results["same"].stdout)["decision"] == "promote"


def test_compare_keeps_with_exit_3(results: Results) -> None:
    res = results["worse"]
    assert res.returncode == 3, res.stderr
    result = json.loads(res.stdout)
    assert result["decision"] == "keep" and "topic" in result["slices"]
    assert "Decision: keep." in res.stderr


def test_bad_input_exits_2_with_the_problem_named(results: Results) -> None:
    assert results["broken"].returncode == 2 and results["broken"].stdout == ""
    assert "label_recall.max_dorp" in results["broken"].stderr
    assert results["folds"].returncode == 2
    assert "--folds must be at least 2; found 1" in results["folds"].stderr
