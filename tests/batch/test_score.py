"""Batch scoring: formats, bad rows, reconciliation, atomic output, kill and resume, dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from nlp_contact import ResumeError
from nlp_contact.batch import score_file

ROOT = Path(__file__).resolve().parents[2]
BASE = [
    "cust rang chasing UC payment not arrived",
    "I want to make a formal complaint about rude staff",
    "reporting a change of address, moved house",
    "thank you so much, staff were brilliant",
    "where is my PIP decision, waited weeks",
]


def _rows(n: int) -> list[dict]:
    return [
        {"id": f"r{i}", "text": f"{BASE[i % len(BASE)]} ref {i * 7919 % 100000}"} for i in range(n)
    ]


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype={"id": str})
    if path.suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype={"id": str})
    return pd.read_parquet(path)


def _write(rows: list[dict], path: Path) -> Path:
    frame = pd.DataFrame(rows)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False, row_group_size=50)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.mark.parametrize("fmt_in", [".csv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("fmt_out", [".csv", ".jsonl", ".parquet"])
def test_every_format_in_and_out(
    tiny_model: Path, tmp_path: Path, fmt_in: str, fmt_out: str
) -> None:
    src = _write(_rows(120), tmp_path / f"in{fmt_in}")
    out = tmp_path / f"out{fmt_out}"
    summary = score_file(src, out, tiny_model, jobs=1, chunk_rows=50, quiet=True)
    df = _read(out)
    assert summary.rows_read == summary.rows_written == len(df) == 120
    assert df["id"].astype(str).tolist() == [f"r{i}" for i in range(120)]
    assert df["error"].isna().all()
    assert set(df["routing"]) <= {
        "refer_to_crt",
        "record_compliment",
        "resolve_at_source",
        "record_suggestion",
        "no_feedback_action",
    }
    assert not (out.parent / (out.name + ".job")).exists()


def test_bad_rows_are_written_with_errors(tiny_model: Path, tmp_path: Path) -> None:
    src = tmp_path / "bad.jsonl"
    lines = [
        json.dumps({"id": "ok", "text": "chasing my payment"}).encode(),
        json.dumps({"id": "empty", "text": "  "}).encode(),
        json.dumps({"id": "missing"}).encode(),
        json.dumps({"id": "number", "text": 12}).encode(),
        json.dumps({"id": "long", "text": "x" * 500}).encode(),
        b"{this is not json",
        b'{"id": "latin1", "text": "caf\xe9"}',
        b"[1, 2, 3]",
    ]
    src.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    summary = score_file(src, out, tiny_model, jobs=1, max_chars=100, quiet=True)
    df = _read(out)
    assert summary.rows_read == summary.rows_written == 8
    assert summary.rows_with_errors == 7
    errors = df["error"].tolist()
    assert errors[0] is None or pd.isna(errors[0])
    assert errors[1] == "empty text"
    assert errors[2] == "missing text"
    assert errors[3] == "text must be a string, found int"
    assert errors[4] == "text has 500 characters; the limit is 100"
    assert errors[5].startswith("not JSON")
    assert errors[6].startswith("undecodable bytes") and df["id"][6] == "latin1"
    assert errors[7] == "a line must be a JSON object, found list"


def test_undecodable_csv_cell(tiny_model: Path, tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    src.write_bytes(b"id,text\na,chasing payment\nb,caf\xe9 complaint\nc,thanks\n")
    out = tmp_path / "out.csv"
    score_file(src, out, tiny_model, jobs=1, quiet=True)
    df = _read(out)
    assert df["id"].tolist() == ["a", "b", "c"]
    assert df["error"][1].startswith("undecodable bytes")
    assert df["error"].isna().sum() == 2


def test_parallel_equals_single_process(tiny_model: Path, tmp_path: Path) -> None:
    src = _write(_rows(400), tmp_path / "in.csv")
    score_file(src, tmp_path / "one.csv", tiny_model, jobs=1, chunk_rows=60, quiet=True)
    score_file(src, tmp_path / "two.csv", tiny_model, jobs=2, chunk_rows=60, quiet=True)
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "nlp_contact", "score", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("fmt", [".csv", ".parquet"])
def test_kill_9_then_resume_gives_identical_output(
    tiny_model: Path, tmp_path: Path, fmt: str
) -> None:
    src = _write(_rows(6000), tmp_path / f"in{fmt}")
    reference = tmp_path / f"reference{fmt}"
    score_file(src, reference, tiny_model, jobs=1, chunk_rows=100, quiet=True)

    out = tmp_path / f"out{fmt}"
    args = [
        str(src),
        "--out",
        str(out),
        "--model",
        str(tiny_model),
        "--jobs",
        "1",
        "--chunk-rows",
        "100",
        "--quiet",
    ]
    proc = _cli(*args)
    job_dir = out.with_name(out.name + ".job")
    deadline = time.time() + 60
    while time.time() < deadline and len(list(job_dir.glob("part-*"))) < 5:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists(), "no output under the final name after a kill"
    parts_before = len(list(job_dir.glob(f"part-*{fmt}")))
    assert 0 < parts_before < 60

    resumed = _cli(*args, "--resume")
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert "rows written 6,000 (equal to rows read)" in err
    assert out.read_bytes() == reference.read_bytes()
    assert not job_dir.exists()


def test_resume_refused_with_another_model_or_input(tiny_model: Path, tmp_path: Path) -> None:
    import shutil

    from nlp_contact.batch.job import Job

    src = _write(_rows(300), tmp_path / "in.csv")
    out = tmp_path / "out.csv"
    job_dir = out.with_name("out.csv.job")
    # leave a started job behind, as a killed run would
    from nlp_contact.batch import runner

    real_finish = runner._finish
    runner._finish = lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt())  # type: ignore[assignment]
    try:
        with pytest.raises(KeyboardInterrupt):
            score_file(src, out, tiny_model, jobs=1, chunk_rows=50, quiet=True)
    finally:
        runner._finish = real_finish  # type: ignore[assignment]
    assert job_dir.is_dir() and Job(out, {}).done()

    other = tmp_path / "other_model"
    shutil.copytree(tiny_model, other)
    manifest = json.loads((other / "manifest.json").read_text())
    manifest["note"] = "another model"
    (other / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ResumeError, match="different model"):
        score_file(src, out, other, jobs=1, chunk_rows=50, quiet=True, resume=True)

    _write(_rows(301), src)
    with pytest.raises(ResumeError, match="different or changed input"):
        score_file(src, out, tiny_model, jobs=1, chunk_rows=50, quiet=True, resume=True)

    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "nlp_contact",
            "score",
            str(src),
            "--out",
            str(out),
            "--model",
            str(tiny_model),
            "--chunk-rows",
            "50",
            "--resume",
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2 and "Cannot resume" in res.stderr


def test_dask_engine_equals_local_engine(tiny_model: Path, tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    src = _write(_rows(900), tmp_path / "in.parquet")
    score_file(src, tmp_path / "local.csv", tiny_model, jobs=1, quiet=True)
    summary = score_file(src, tmp_path / "dask.csv", tiny_model, jobs=2, engine="dask", quiet=True)
    assert summary.rows_written == 900
    local = pd.read_csv(tmp_path / "local.csv")
    dask = pd.read_csv(tmp_path / "dask.csv")
    pd.testing.assert_frame_equal(local, dask)
