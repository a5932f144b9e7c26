"""``nlp-contact report`` as users run it: a subprocess, exit codes, files and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.report.conftest import avoidable_heads, scored_frame, write

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NLP_CONTACT_MODEL": "/nonexistent/model"}
    return subprocess.run(
        [sys.executable, "-m", "nlp_contact", "report", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_writes_the_report(tmp_path: Path) -> None:
    frame = scored_frame(
        avoidable_heads([0.9, 0.2, 0.6, 0.1] * 5),
        extra={"channel": ["phone", "email"] * 10, "date": ["2024-01-03", "2024-02-09"] * 10},
    )
    src = write(frame, tmp_path / "scored.csv")
    res = _run(str(src), "--out", str(tmp_path / "out"), "--period", "month")
    assert res.returncode == 0, res.stderr
    for name in ("summary.json", "report.csv", "report.html"):
        assert (tmp_path / "out" / name).is_file()
    headline = json.loads(res.stdout)
    assert headline["avoidable_share"]["estimate"] == 0.45
    assert "Report written to" in res.stderr


def test_cli_exits_2_naming_the_missing_column(tmp_path: Path) -> None:
    frame = scored_frame(avoidable_heads([0.5, 0.5])).drop(columns=["vulnerability"])
    src = write(frame, tmp_path / "scored.csv")
    res = _run(str(src), "--out", str(tmp_path / "out"))
    assert res.returncode == 2
    assert "Column 'vulnerability' is missing" in res.stderr
    assert "--probabilities" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()
