"""The `nlp-contact synth` command: as subprocesses (started together) and in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from nlp_contact.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _start(*args: str, hash_seed: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "nlp_contact", "synth", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def test_synth_same_bytes_whatever_the_hash_seed(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    procs = [
        _start("--n", "150", "--seed", "9", "--out", str(a), hash_seed="1"),
        _start("--n", "150", "--seed", "9", "--out", str(b), hash_seed="12345"),
    ]
    results = [p.communicate(timeout=180) for p in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
    assert a.read_bytes() == b.read_bytes()
    rows = [json.loads(line) for line in a.read_text("utf-8").splitlines()]
    assert len(rows) == 150 and rows[0]["id"] != rows[1]["id"]
    summary = results[0][1].strip().splitlines()
    assert len(summary) == 1 and "150 records" in summary[0] and "seed 9" in summary[0]


def test_synth_parquet_with_proportions(tmp_path: Path) -> None:
    shares = tmp_path / "p.yaml"
    shares.write_text(
        "plan:\n  channel:\n    shares:\n"
        "      {phone: 0, letter: 1, email: 0, face_to_face: 0, webchat: 0}\n",
        "utf-8",
    )
    out = tmp_path / "c.parquet"
    args = ["synth", "--n", "80", "--seed", "1", "--out", str(out), "--proportions", str(shares)]
    assert main(args) == 0
    df = pd.read_parquet(out)
    assert len(df) == 80 and set(df["channel"]) == {"letter"}


def test_synth_bad_extension_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["synth", "--n", "5", "--out", str(tmp_path / "x.txt")])
    assert code == 2
    assert ".csv, .jsonl or .parquet" in capsys.readouterr().err
