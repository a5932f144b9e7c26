"""``nlp-contact redact`` end to end.

Three runs are real subprocesses (``python -m nlp_contact``): a text, a CSV file with bad
rows, and a usage error. Each costs seconds of start-up (spaCy, scikit-learn), so the
other formats and errors go through the same entry point in-process,
``nlp_contact.cli.main(argv)``, which returns the exit code the process would have.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nlp_contact.cli import main
from nlp_contact.cli.redact import BAD_CSV_ROW, UNDECODABLE, redact_file
from nlp_contact.errors import ConfigError, DataValidationError
from nlp_contact.redact import Redactor

ROOT = Path(__file__).resolve().parents[2]
RAW = ("Jane Smith", "QQ 12 34 56 C", "07700 900123", "Sharon", "jane@example.com")
CSV_BYTES = (
    b"id,text,channel\n"
    b'1,"Mrs Jane Smith rang, NI QQ 12 34 56 C",phone\n'
    b"2,,letter\n"
    b'3,"too",many,fields\n'
    b'4,"Dear Sharon \xff\xfe",email\n'
    b'5,"   ",phone\n'
    b'6,"Call 07700 900123 or jane@example.com",webchat\n'
)
JSONL_BYTES = (
    b'{"id": 1, "text": "Mrs Jane Smith QQ123456C", "channel": "phone"}\n'
    b"not json\n"
    b"\n"
    b"[1, 2]\n"
    b'{"id": 4, "text": 5}\n'
    b'{"id": 5}\n'
    b'{"id": 6, "text": "Dear Sharon \xff"}\n'
    b'{"id": 7, "text": "Call 07700 900123"}\n'
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nlp_contact", "redact", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
    )


def run_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["redact", *args])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def _no_raw(*texts: str) -> None:
    for text in texts:
        for raw in RAW:
            assert raw not in text, raw


def test_text_argument_prints_the_redacted_text() -> None:
    res = run("Spoke to Mrs Jane Smith, NI QQ 12 34 56 C")
    assert (res.returncode, res.stdout) == (0, "Spoke to Mrs [PERSON_1], NI [NINO_1]\n"), res.stderr
    _no_raw(res.stderr)


def test_csv_every_row_written_in_order_with_errors(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_bytes(CSV_BYTES)
    out = tmp_path / "out.csv"
    res = run("--input", str(tmp_path / "in.csv"), "--out", str(out), "--chunk-rows", "2")
    assert res.returncode == 0, res.stderr
    frame = pd.read_csv(out, dtype=object, keep_default_na=False)
    assert list(frame.columns) == ["id", "text", "channel", "error"]
    assert frame["text"].tolist() == [
        "Mrs [PERSON_1] rang, NI [NINO_1]",
        "",
        "",
        "",
        "",
        "Call [PHONE_1] or [EMAIL_1]",
    ]
    assert frame["error"].tolist() == ["", "empty text", BAD_CSV_ROW, UNDECODABLE, "empty text", ""]
    assert frame["id"].tolist() == ["1", "2", "", "4", "5", "6"]
    assert "Redacted 6 rows" in res.stderr and "4 with a problem" in res.stderr
    _no_raw(out.read_text(encoding="utf-8"), res.stdout, res.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


def test_usage_error_exits_2_without_traceback(tmp_path: Path) -> None:
    res = run("--input", "in.csv", "--out", "out.jsonl")
    assert res.returncode == 2
    assert "redact writes the format it reads; found --input csv and --out jsonl" in res.stderr
    assert "Traceback" not in res.stderr


def test_dash_reads_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Dear Sharon, call 07700 900123\n"))
    assert run_in_process(capsys, "-") == (0, "Dear [PERSON_1], call [PHONE_1]\n", "")


def test_jsonl_bad_lines_kept_blank_lines_skipped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "in.jsonl").write_bytes(JSONL_BYTES)
    out = tmp_path / "out.jsonl"
    rc, _, err = run_in_process(
        capsys, "-i", str(tmp_path / "in.jsonl"), "-o", str(out), "--chunk-rows", "3"
    )
    assert rc == 0, err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r.get("id") for r in rows] == [1, None, None, 4, 5, None, 7]
    assert rows[0] == {
        "id": 1,
        "text": "Mrs [PERSON_1] [NINO_1]",
        "channel": "phone",
        "error": None,
    }
    assert [r["error"] for r in rows[1:]] == [
        "not JSON: Expecting value at character 0",
        "a line must be a JSON object, found list",
        "text must be a string, found int",
        "missing text",
        UNDECODABLE,
        None,
    ]
    assert [r["text"] for r in rows[1:6]] == [None] * 5
    _no_raw(out.read_text(), err)


def test_parquet_batches_streamed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    table = pa.table(
        {"id": [1, 2, 3, 4], "text": ["Mrs Jane Smith QQ123456C", None, "", "Dear Sharon"]}
    )
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=2)
    out = tmp_path / "out.parquet"
    rc, _, err = run_in_process(capsys, "--input", str(tmp_path / "in.parquet"), "--out", str(out))
    assert rc == 0, err
    written = pq.read_table(out)
    assert written.column_names == ["id", "text", "error"]
    assert written.to_pydict() == {
        "id": [1, 2, 3, 4],
        "text": ["Mrs [PERSON_1] [NINO_1]", None, None, "Dear [PERSON_1]"],
        "error": [None, "missing text", "empty text", None],
    }


def test_parquet_non_string_text_column(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pq.write_table(pa.table({"text": [5, 6]}), tmp_path / "in.parquet")
    rc, _, _ = run_in_process(
        capsys, "-i", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "o.parquet")
    )
    assert rc == 0
    assert pq.read_table(tmp_path / "o.parquet").to_pydict() == {
        "text": [None, None],
        "error": ["text must be a string, found int"] * 2,
    }


def test_failed_run_leaves_existing_output_untouched(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pd.DataFrame({"text": ["Dear Gary"], "error": ["x"]}).to_csv(tmp_path / "in.csv", index=False)
    (tmp_path / "old.csv").write_text("untouched\n")
    rc, _, err = run_in_process(
        capsys, "--input", str(tmp_path / "in.csv"), "--out", str(tmp_path / "old.csv")
    )
    assert rc == 2
    assert "already has one. Pass --error-column" in err
    assert (tmp_path / "old.csv").read_text() == "untouched\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "old.csv"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "expects TEXT (or '-' for standard input) or --input FILE --out FILE"),
        (
            ["x", "--input", "{d}/in.csv", "--out", "{d}/o.csv"],
            "expects either TEXT or --input FILE; found both",
        ),
        (["--input", "{d}/in.csv"], "expects --input and --out together; found only --input"),
        (
            ["--input", "{d}/in.csv", "--out", "{d}/o.csv", "--text-column", "body"],
            "Column 'body' not found",
        ),
        (["--input", "{d}/nope.csv", "--out", "{d}/o.csv"], "--input expects an existing file"),
        (["--input", "{d}/in.txt", "--out", "{d}/o.txt"], "unsupported file type"),
        (["hello", "--ner-model", "no_such_model_xyz"], "'no_such_model_xyz' could not be loaded"),
    ],
)
def test_user_errors_exit_2_with_a_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "in.csv").write_text("text\nDear Gary\n")
    rc, out, err = run_in_process(capsys, *(a.format(d=tmp_path) for a in args))
    assert rc == 2, (out, err)
    assert message in err
    assert out == ""


# --------------------------------------------------------------------------- in-process
@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


def test_crash_mid_file_keeps_old_output_and_removes_temp(
    tmp_path: Path, redactor: Redactor
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": f"Dear Gary {i}"}) + "\n" for i in range(10)))
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    calls = []

    def flaky(texts: list[str]) -> list[str]:
        calls.append(len(texts))
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return redactor.redact_batch(texts)

    with pytest.raises(RuntimeError, match="disk on fire"):
        redact_file(src, out, redact_batch=flaky, chunk_rows=4)
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_jsonl_error_key_already_present_is_a_config_error(
    tmp_path: Path, redactor: Redactor
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "a"}\n{"text": "b", "error": null}\n')
    with pytest.raises(ConfigError, match="--error-column"):
        redact_file(src, tmp_path / "out.jsonl", redact_batch=redactor.redact_batch)
    assert not (tmp_path / "out.jsonl").exists()


def test_empty_csv_with_header_and_csv_without_header(tmp_path: Path, redactor: Redactor) -> None:
    (tmp_path / "head.csv").write_text("id,text\n")
    summary = redact_file(
        tmp_path / "head.csv", tmp_path / "o.csv", redact_batch=redactor.redact_batch
    )
    assert (summary.rows, summary.errors) == (0, 0)
    assert (tmp_path / "o.csv").read_text().strip() == "id,text,error"
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataValidationError, match="the CSV file is empty"):
        redact_file(tmp_path / "empty.csv", tmp_path / "o2.csv", redact_batch=redactor.redact_batch)


def test_missing_output_folder_is_a_config_error(tmp_path: Path, redactor: Redactor) -> None:
    (tmp_path / "in.csv").write_text("text\nhi\n")
    with pytest.raises(ConfigError, match="--out expects an existing folder"):
        redact_file(
            tmp_path / "in.csv", tmp_path / "no" / "o.csv", redact_batch=redactor.redact_batch
        )
