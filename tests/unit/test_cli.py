"""The CLI end to end, as real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import write_records

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nlp_contact", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        input=stdin,
        timeout=180,
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from tests.conftest import tiny_records

    tmp = tmp_path_factory.mktemp("cli")
    data = write_records(tiny_records() * 3, tmp / "train.jsonl")
    out = tmp / "model"
    res = run("train", str(data), "--out", str(out), "--train.validation_fraction", "0.34")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert set(summary["validation"]["heads"]) == {
        "contact_reason",
        "value_status",
        "avoidable_reason",
        "feedback_type",
    }
    return data, out


def test_classify_prints_the_documented_json(trained: tuple[Path, Path]) -> None:
    _, model = trained
    res = run("classify", "cust rang chasing UC payment", "--model", str(model), "--explain")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert set(out) >= {
        "model",
        "heads",
        "flags",
        "routing",
        "priority",
        "needs_review",
        "evidence",
    }
    head = out["heads"]["contact_reason"]
    assert set(head) == {"label", "confidence", "top"} and len(head["top"]) == 3
    assert set(out["flags"]["vulnerability"]) == {"value", "probability", "threshold"}
    assert out["model"]["name"] == "model"


def test_classify_reads_stdin(trained: tuple[Path, Path]) -> None:
    res = run("classify", "-", "--model", str(trained[1]), stdin="where is my PIP decision")
    assert res.returncode == 0
    assert json.loads(res.stdout)["heads"]["contact_reason"]["label"]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_score_writes_every_row_in_order(
    trained: tuple[Path, Path], tmp_path: Path, suffix: str
) -> None:
    _, model = trained
    rows = [
        {"id": "a", "text": "chasing my UC payment"},
        {"id": "b", "text": ""},
        {"id": "c", "text": "thank you for your help"},
    ]
    src = write_records(rows, tmp_path / f"in{suffix}")
    out = tmp_path / f"out{suffix}"
    res = run("score", str(src), "--out", str(out), "--model", str(model))
    assert res.returncode == 0, res.stderr
    df = (
        pd.read_json(out, lines=True)
        if suffix == ".jsonl"
        else (pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out))
    )
    assert df["id"].tolist() == ["a", "b", "c"]
    assert list(df.columns[:3]) == ["id", "contact_reason", "contact_reason_confidence"]
    assert df.columns[-1] == "error" and "routing" in df.columns
    assert df.loc[1, "error"] == "empty text"
    assert pd.isna(df.loc[0, "error"]) or df.loc[0, "error"] in ("", None)


def test_evaluate_prints_metrics(trained: tuple[Path, Path]) -> None:
    data, model = trained
    res = run("evaluate", str(data), "--model", str(model))
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["n"] == 72
    assert set(out["heads"]["feedback_type"]) >= {"accuracy", "macro_f1", "ece", "per_label"}
    assert set(out["flags"]["third_party"]) >= {"precision", "recall", "f1", "threshold"}


def test_info_prints_metadata(trained: tuple[Path, Path]) -> None:
    res = run("info", "--model", str(trained[1]))
    assert res.returncode == 0
    info = json.loads(res.stdout)
    assert info["versions"]["numpy"] and info["training_data"]["rows"] == 24  # duplicates dropped


def test_train_with_head_column(tmp_path: Path) -> None:
    rows = [
        {"text": f"please {w} my account {i}", "intent": w}
        for i in range(6)
        for w in ("close", "open", "freeze")
    ]
    data = write_records(rows, tmp_path / "intents.csv")
    res = run("train", str(data), "--head", "intent", "--out", str(tmp_path / "m"))
    assert res.returncode == 0, res.stderr
    res = run("classify", "please freeze my account", "--model", str(tmp_path / "m"))
    out = json.loads(res.stdout)
    assert out["heads"]["intent"]["label"] == "freeze"
    assert "routing" not in out and out["flags"] == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "missing.jsonl", "--out", "x"], "file does not exist"),
        (["train", "README.md", "--out", "x"], "unsupported file type"),
        (["classify", "   "], "empty text"),
        (["classify", "hello", "--model", "/nonexistent"], "does not exist"),
        (["evaluate", "nope.csv", "--model", "/nonexistent"], "does not exist"),
        (["train", "x.jsonl", "--linear.C"], "has no value"),
        (["train", "x.jsonl", "--train.bogus", "1"], "Invalid training config"),
        (["nosuchcommand"], "No such command"),
    ],
)
def test_bad_input_exits_2_with_message(args: list[str], message: str) -> None:
    res = run(*args)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert message in res.stderr
    assert "Traceback" not in res.stderr


def test_invalid_labels_exit_2_listing_every_problem(tmp_path: Path) -> None:
    from tests.conftest import tiny_records

    recs = tiny_records()
    recs[1]["contact_reason"] = "moaning"
    recs[4]["vulnerability"] = "sometimes"
    data = write_records(recs, tmp_path / "bad.csv")
    res = run("train", str(data), "--out", str(tmp_path / "m"))
    assert res.returncode == 2
    assert "2 problems found" in res.stderr
    assert "row 2, column 'contact_reason': unknown label" in res.stderr
    assert "row 5, column 'vulnerability': a flag must be true or false" in res.stderr


def test_unknown_channel_exit_2(trained: tuple[Path, Path]) -> None:
    res = run("classify", "hello", "--channel", "fax", "--model", str(trained[1]))
    assert res.returncode == 2 and "Unknown --channel 'fax'" in res.stderr


def test_help_for_every_command() -> None:
    for cmd in ("train", "classify", "score", "evaluate", "info"):
        res = run(cmd, "--help")
        assert res.returncode == 0 and "Usage" in res.stdout
