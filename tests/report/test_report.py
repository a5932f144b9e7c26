"""The report's numbers on a small example checked by hand, its fallbacks and its errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from nlp_contact.report import ReportInputError, build_report
from tests.report.conftest import avoidable_heads, scored_frame, write

Z = 1.959963984540054
P_AVOID = [0.9, 0.2, 0.6, 0.1]


def hand_example() -> pd.DataFrame:
    """Four scored contacts and one that failed to score."""
    heads = {
        "value_status": [{"avoidable": p, "value": 1 - p} for p in P_AVOID],
        "contact_reason": [
            {"progress_chasing": 1.0},
            {"new_claim": 1.0},
            {"progress_chasing": 0.5, "new_claim": 0.5},
            {"new_claim": 1.0},
        ],
        "avoidable_reason": [
            {"progress_chasing": 0.6, "service_failure": 0.3, "not_avoidable": 0.1},
            {"repeat_contact": 0.2, "not_avoidable": 0.8},
            {"progress_chasing": 0.6, "not_avoidable": 0.4},
            {"clarification": 0.1, "not_avoidable": 0.9},
        ],
        "feedback_type": [
            {"complaint": 0.5, "issue": 0.2, "none": 0.3},
            {"complaint": 0.1, "none": 0.9},
            {"none": 1.0},
            {"complaint": 0.2, "none": 0.8},
        ],
    }
    flags = {"staff_behaviour": [0.5, 0.0, 0.0, 0.0]}
    extra = {"channel": ["phone", "phone", "email", "email"]}
    frame = scored_frame(heads, flags, extra)
    failed = frame.iloc[[0]].copy()
    failed[[c for c in frame.columns if c not in ("id", "channel")]] = None
    failed["id"], failed["error"] = "bad", "empty text"
    return pd.concat([frame, failed], ignore_index=True)


def _table(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "report.csv", keep_default_na=False, na_values=[""])


def _get(table: pd.DataFrame, measure: str, group: str, method: str = "expected") -> pd.Series:
    hit = table[(table.measure == measure) & (table.group == group) & (table.method == method)]
    assert len(hit) == 1, (measure, group, method)
    return hit.iloc[0]


def _check(row: pd.Series, est: float, half: float, upper: float = 1.0) -> None:
    assert row.estimate == pytest.approx(est, abs=1e-6)
    assert row.ci_low == pytest.approx(max(0.0, est - half), abs=1e-6)
    assert row.ci_high == pytest.approx(min(upper, est + half), abs=1e-6)


@pytest.fixture(scope="module")
def hand_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict]:
    tmp = tmp_path_factory.mktemp("hand")
    src = write(hand_example(), tmp / "scored.csv")
    summary = build_report(src, tmp / "out", charts=False)
    return _table(tmp / "out"), summary


def test_overall_share_is_the_mean_probability_with_poisson_binomial_interval(
    hand_report: tuple[pd.DataFrame, dict],
) -> None:
    table, summary = hand_report
    # sum p = 1.8 of 4 contacts; var = .09 + .16 + .24 + .09 = .58
    _check(_get(table, "avoidable_share", "all"), 1.8 / 4, Z * math.sqrt(0.58) / 4)
    assert summary["rows"] == {"read": 5, "used": 4, "with_errors": 1, "without_predictions": 0}


def test_share_by_observed_channel(hand_report: tuple[pd.DataFrame, dict]) -> None:
    table, _ = hand_report
    _check(_get(table, "avoidable_share_by_channel", "phone"), 0.55, Z * math.sqrt(0.25) / 2)
    _check(_get(table, "avoidable_share_by_channel", "email"), 0.35, Z * math.sqrt(0.33) / 2)
    assert _get(table, "avoidable_share_by_channel", "phone").n == 2


def test_share_within_a_predicted_reason_uses_the_delta_method(
    hand_report: tuple[pd.DataFrame, dict],
) -> None:
    table, _ = hand_report
    # q = P(progress_chasing) = [1, 0, .5, 0]; A = sum p q = 1.2, B = sum q = 1.5
    # var A = .9*.1 + .3*.7 = .30; var B = .25; cov = sum pq(1-q) = .3*.5 = .15
    r = 1.2 / 1.5
    var = (0.30 - 2 * r * 0.15 + r * r * 0.25) / 1.5**2
    row = _get(table, "avoidable_share_by_contact_reason", "progress_chasing")
    _check(row, r, Z * math.sqrt(var))
    assert row.n == 1.5


def test_avoidable_reasons_as_shares_of_all_and_of_avoidable(
    hand_report: tuple[pd.DataFrame, dict],
) -> None:
    table, _ = hand_report
    _check(
        _get(table, "avoidable_reason_share", "progress_chasing"),
        0.3,
        Z * math.sqrt(0.24 + 0.24) / 4,
    )
    # A = 1.2 (reason), B = 1.8 (avoidable); reason implies avoidable:
    # cov = sum P(r)(1 - P(a)) = .6*.1 + .6*.4 = .30
    r = 1.2 / 1.8
    var = (0.48 - 2 * r * 0.30 + r * r * 0.58) / 1.8**2
    _check(
        _get(table, "avoidable_reason_share_of_avoidable", "progress_chasing"),
        r,
        Z * math.sqrt(var),
    )
    assert set(table[table.measure == "avoidable_reason_share"].group) == {
        "progress_chasing",
        "repeat_contact",
        "clarification",
        "misdirected",
        "service_failure",
    }


def test_counts_of_labels_flags_and_derived_values(hand_report: tuple[pd.DataFrame, dict]) -> None:
    table, summary = hand_report
    _check(
        _get(table, "count", "feedback_type=complaint"),
        0.8,
        Z * math.sqrt(0.25 + 0.09 + 0.16),
        upper=4,
    )
    _check(_get(table, "count", "staff_behaviour"), 0.5, Z * 0.5, upper=4)
    # refer_to_crt: complaint, or staff behaviour unless the feedback is an issue:
    # row 1: .5 + .5 * (1 - .5 - .2) = .65; rows 2-4: .1, 0, .2
    p = [0.65, 0.1, 0.0, 0.2]
    _check(
        _get(table, "count", "routing=refer_to_crt"),
        sum(p),
        Z * math.sqrt(sum(x * (1 - x) for x in p)),
        upper=4,
    )
    assert summary["headline"]["count:routing=refer_to_crt"]["estimate"] == pytest.approx(0.95)


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_every_format_gives_the_same_numbers(
    tmp_path: Path, hand_report: tuple[pd.DataFrame, dict], suffix: str
) -> None:
    src = write(hand_example(), tmp_path / f"scored{suffix}")
    build_report(src, tmp_path / "out", charts=False, chunk_rows=2)
    pd.testing.assert_frame_equal(_table(tmp_path / "out"), hand_report[0])


def test_without_probability_columns(
    tmp_path: Path, hand_report: tuple[pd.DataFrame, dict]
) -> None:
    frame = hand_example()
    frame = frame.drop(
        columns=[c for c in frame if c.startswith(("value_status_p_", "feedback_type_p_"))]
    )
    summary = build_report(write(frame, tmp_path / "s.csv"), tmp_path / "out", charts=False)
    table = _table(tmp_path / "out")
    # a two-label head's probabilities come back from its confidence: same numbers
    expected = _get(hand_report[0], "avoidable_share", "all")
    pd.testing.assert_series_equal(_get(table, "avoidable_share", "all"), expected)
    complaints = _get(table, "count", "feedback_type=complaint", "hard_labels")
    assert complaints.estimate == 1 and pd.isna(complaints.ci_low)  # row 1 is a complaint
    assert any("feedback_type" in note and "--probabilities" in note for note in summary["notes"])


def test_by_period_from_a_date_column(tmp_path: Path) -> None:
    dates = ["2024-01-05", "2024-01-30", "12/02/2024", "not a date"]
    frame = scored_frame(avoidable_heads(P_AVOID), extra={"contact_date": dates})
    src = write(frame, tmp_path / "s.csv")
    summary = build_report(src, tmp_path / "out", date_column="contact_date", charts=False)
    by = _table(tmp_path / "out").query("measure == 'avoidable_share_by_period'")
    assert by.group.tolist() == ["2024-01", "2024-02", "unknown"]
    assert by.estimate.tolist() == pytest.approx([0.55, 0.6, 0.1])
    assert any("1 row(s) have no readable date" in n for n in summary["notes"])
    build_report(src, tmp_path / "q", date_column="contact_date", period="quarter", charts=False)
    assert "2024Q1" in set(_table(tmp_path / "q").group)


def test_missing_column_names_the_column_and_the_fix(tmp_path: Path) -> None:
    frame = hand_example().drop(columns=["value_status"])
    with pytest.raises(
        ReportInputError, match=r"Column 'value_status' is missing .*--probabilities"
    ):
        build_report(write(frame, tmp_path / "s.csv"), tmp_path / "out")
    with pytest.raises(ReportInputError, match=r"Date column 'when' is missing .*--date-column"):
        build_report(write(hand_example(), tmp_path / "t.csv"), tmp_path / "o", date_column="when")


def test_labels_of_another_taxonomy_are_refused(tmp_path: Path) -> None:
    frame = hand_example()
    frame.loc[0, "contact_reason"] = "billing"
    with pytest.raises(ReportInputError, match="'billing'.*--model"):
        build_report(write(frame, tmp_path / "s.csv"), tmp_path / "out")


def test_html_is_self_contained_with_charts(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    frame = pd.concat([hand_example()] * 3, ignore_index=True)
    build_report(write(frame, tmp_path / "s.csv"), tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 3
    assert "src='http" not in html and "<script" not in html
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["measures"][0]["measure"] == "avoidable_share"
