from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nlp_contact import DataValidationError, load_taxonomy, read_labelled
from nlp_contact.data import combine_sources, read_table
from tests.conftest import write_records


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_reads_every_format(tmp_path: Path, records: list[dict], suffix: str) -> None:
    path = write_records(records, tmp_path / f"data{suffix}")
    data = read_labelled(path, load_taxonomy())
    assert len(data) == len(records)
    assert data.texts[0] == records[0]["text"]
    assert data.labels["contact_reason"][0] == records[0]["contact_reason"]
    assert data.flags["vulnerability"].dtype == bool
    assert data.flags["vulnerability"].sum() == sum(r["vulnerability"] for r in records)
    assert data.ids[0] == "t000"
    assert data.sources[0]["sha256"]


def test_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_text("x")
    with pytest.raises(DataValidationError, match="unsupported file type"):
        read_table(path)


def _problems(tmp_path: Path, records: list[dict], suffix: str = ".jsonl") -> str:
    path = write_records(records, tmp_path / f"bad{suffix}")
    with pytest.raises(DataValidationError) as info:
        read_labelled(path, load_taxonomy())
    return str(info.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"contact_reason": "complaining"},
            "row 3, column 'contact_reason': unknown label; allowed: ['new_claim'",
        ),
        ({"text": None}, "row 3, column 'text': missing text"),
        ({"text": "   "}, "row 3, column 'text': empty text"),
        ({"text": 42}, "row 3, column 'text': text must be a string, found int"),
        (
            {"vulnerability": "maybe"},
            "row 3, column 'vulnerability': a flag must be true or false (found 'maybe')",
        ),
        (
            {"avoidable_reason": "not_avoidable"},
            "row 3, column 'avoidable_reason': inconsistent with value_status='avoidable'",
        ),
        ({"channel": "pigeon"}, "row 3, column 'channel': unknown channel"),
    ],
)
def test_each_validation_error_names_file_row_column_value(
    tmp_path: Path, records: list[dict], change: dict, expected: str
) -> None:
    records[2].update(change)
    message = _problems(tmp_path, records)
    assert "bad.jsonl" in message
    assert expected in message


def test_all_errors_reported_together(tmp_path: Path, records: list[dict]) -> None:
    records[0]["text"] = ""
    records[5]["feedback_type"] = "angry"
    records[7]["third_party"] = "perhaps"
    message = _problems(tmp_path, records)
    assert message.startswith("3 problems found")
    assert "row 1" in message and "row 6" in message and "row 8" in message


def test_error_list_is_capped(tmp_path: Path, records: list[dict]) -> None:
    many = [dict(r, feedback_type="x") for r in records * 4]
    message = _problems(tmp_path, many)
    assert "96 problems found" in message
    assert "and 46 more" in message


def test_head_with_one_label_is_refused(tmp_path: Path, records: list[dict]) -> None:
    for r in records:
        r["feedback_type"] = "none"
    message = _problems(tmp_path, records)
    assert "column 'feedback_type': a head needs at least two different labels" in message


def test_missing_label_column(tmp_path: Path, records: list[dict]) -> None:
    for r in records:
        del r["third_party"]
    assert "column 'third_party': required column is missing" in _problems(tmp_path, records)


def test_bad_jsonl_line_is_reported_with_line_number(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"text": "ok"}\n{not json\n[1, 2]\n')
    with pytest.raises(DataValidationError) as info:
        read_table(path)
    assert "row 2: not JSON" in str(info.value)
    assert "row 3: a line must be a JSON object" in str(info.value)


def test_csv_flags_as_strings(tmp_path: Path, records: list[dict]) -> None:
    path = tmp_path / "flags.csv"
    df = pd.DataFrame(records)
    df["vulnerability"] = df["vulnerability"].map({True: "yes", False: "no"})
    df.to_csv(path, index=False)
    data = read_labelled(path, load_taxonomy())
    assert data.flags["vulnerability"].sum() == 3


def test_combine_sources_weights_and_later_source_wins(tmp_path: Path, records: list[dict]) -> None:
    tax = load_taxonomy()
    a = read_labelled(write_records(records, tmp_path / "a.jsonl"), tax)
    corrected = [dict(records[0], feedback_type="issue", text=records[0]["text"].upper())]
    b = read_labelled(write_records(corrected, tmp_path / "b.jsonl"), tax, check_label_count=False)
    both = combine_sources([(a, 1.0), (b, 3.0)])
    assert len(both) == len(records)
    i = both.texts.index(records[0]["text"].upper())
    assert both.labels["feedback_type"][i] == "issue"
    assert both.weights[i] == 3.0
