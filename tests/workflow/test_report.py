"""The evaluation report: hand-checked numbers, files written and readable, redaction."""

from __future__ import annotations

import base64
import json
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nlp_contact import ContactClassifier
from nlp_contact.data import LabelledData
from nlp_contact.errors import ConfigError
from nlp_contact.metrics import flag_metrics, head_metrics
from nlp_contact.training import evaluate
from nlp_contact.workflow._eval import Scored
from nlp_contact.workflow.report import build_report, report_texts, write_report
from nlp_contact.workflow.slices import slice_values
from nlp_contact.workflow.stats import wilson_interval

LABELS = ["a", "b"]
Y = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
PRED = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1, 1])  # rows 4 and 5 (1-based) wrong
CONF_WRONG = {3: 0.9, 4: 0.6}
FLAG_Y = np.array([True] * 5 + [False] * 5)
FLAG_P = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1, 0.1, 0.1, 0.1, 0.65])


def _example() -> tuple[Scored, dict[str, object], LabelledData]:
    probs = np.tile([0.8, 0.2], (10, 1))
    probs[5:] = [0.2, 0.8]
    for i, c in CONF_WRONG.items():
        probs[i] = [1 - c, c]
    scored = Scored(
        truth={"topic": Y, "urgent": FLAG_Y},
        pred={"topic": PRED, "urgent": FLAG_P >= 0.5},
        probs={"topic": probs, "urgent": FLAG_P},
        labels={"topic": LABELS},
        thresholds={"urgent": 0.5},
    )
    metrics = {
        "heads": {"topic": head_metrics(Y, probs, PRED, LABELS)},
        "flags": {"urgent": flag_metrics(FLAG_Y, FLAG_P, 0.5)},
    }
    texts = [f"short text {i}" for i in range(8)] + ["x" * 150, "y" * 150]
    data = LabelledData(
        texts=texts,
        labels={"topic": np.array([LABELS[k] for k in Y], dtype=object)},
        flags={"urgent": FLAG_Y},
        ids=[f"r{i}" for i in range(10)],
        channels=["phone"] * 5 + ["letter"] * 5,
        weights=np.ones(10),
        extra=pd.DataFrame({"team": ["north"] * 6 + ["south"] * 4}),
    )
    return scored, metrics, data


def test_hand_checked_numbers() -> None:
    scored, metrics, data = _example()
    rep = build_report(scored, metrics, data, slice_values(data, ["team"]), None, "left out")
    head = rep["heads"]["topic"]
    assert head["confusion"] == [[3, 2], [0, 5]]
    assert head["metrics"]["accuracy"] == pytest.approx(0.8)
    assert head["metrics"]["per_label"]["a"]["recall"] == pytest.approx(0.6)
    assert head["metrics"]["per_label"]["b"]["precision"] == pytest.approx(5 / 7)
    # confidences 0.8 (8 right), 0.9 and 0.6 (wrong): ECE = .1*.6 + .8*.2 + .1*.9
    assert head["metrics"]["ece"] == pytest.approx(0.31)
    bins = [(round(r["confidence"], 3), r["accuracy"], r["count"]) for r in head["reliability"]]
    assert bins == [(0.6, 0.0, 1), (0.8, 1.0, 8), (0.9, 0.0, 1)]
    at = rep["flags"]["urgent"]["at_threshold"]
    assert (at["caught"], at["positives"], at["recall"], at["precision"]) == (4, 5, 0.8, 0.8)
    assert at["recall_low"] == pytest.approx(0.3755, abs=1e-4)
    assert at["recall_high"] == pytest.approx(0.9638, abs=1e-4)


def test_slices_and_confident_mistakes() -> None:
    scored, metrics, data = _example()
    rep = build_report(scored, metrics, data, slice_values(data, ["team"]), None, "left out")
    channel = {r["slice"]: r for r in rep["slices"]["channel"]}
    assert channel["phone"]["accuracy"]["topic"] == pytest.approx(0.6)
    assert channel["letter"]["accuracy"]["topic"] == pytest.approx(1.0)
    assert channel["letter"]["recall"]["urgent"] == {"caught": 0, "positives": 0, "recall": None}
    lengths = {r["slice"]: r["n"] for r in rep["slices"]["text_length"]}
    assert lengths == {"<100 chars": 8, "100-299 chars": 2}
    team = {r["slice"]: r["accuracy"]["topic"] for r in rep["slices"]["team"]}
    assert team == pytest.approx({"north": 4 / 6, "south": 1.0})
    mistakes = [(m["output"], m["row"], m["given"], m["predicted"]) for m in rep["mistakes"]]
    assert mistakes == [
        ("topic", 4, "a", "b"),
        ("topic", 5, "a", "b"),
        ("urgent", 5, "true", "false"),
        ("urgent", 10, "false", "true"),
    ]
    assert rep["mistakes"][2]["confidence"] == pytest.approx(0.8)
    assert all("text" not in m for m in rep["mistakes"])


def test_unknown_slice_column_is_named() -> None:
    _, _, data = _example()
    with pytest.raises(ConfigError, match=r"--slice column 'region' is not in .*'team'"):
        slice_values(data, ["region"])


def test_wilson_interval_edges() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(5, 5)
    assert high == 1.0 and low == pytest.approx(0.5655, abs=1e-4)


def test_report_files_are_written_and_readable(
    tmp_path: Path, topic_model: ContactClassifier, topic_file: Path
) -> None:
    from matplotlib.image import imread

    metrics, data, _ = evaluate(topic_model, topic_file)
    html_path = write_report(topic_model, metrics, data, tmp_path, ["topic"], redact=False)
    html = html_path.read_text("utf-8")
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == [
        "confusion_topic.png",
        "pr_urgent.png",
        "prf_topic.png",
        "reliability_topic.png",
        "reliability_urgent.png",
        "slice_text_length.png",
        "slice_topic.png",
    ]
    for name in pngs:
        raw = (tmp_path / name).read_bytes()
        assert imread(tmp_path / name).shape[0] > 100
        assert base64.b64encode(raw).decode("ascii") in html
    assert html.count("data:image/png;base64,") == len(pngs)
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert report["heads"]["topic"]["metrics"]["accuracy"] == metrics["heads"]["topic"]["accuracy"]
    assert "shown unredacted" in html


class _FakeRedactor:
    """Stands in for nlp_contact.redact.Redactor (whose spaCy import is slow)."""

    def redact(self, text: str) -> str:
        return text.replace("Jane Smith", "[PERSON_1]")


def test_mistake_texts_are_redacted_left_out_or_raw(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["Spoke to Mrs Jane Smith about her claim"]
    raw, note = report_texts(texts, redact=False)
    assert raw is not None and raw(0) == texts[0] and "unredacted" in note
    fake = types.ModuleType("nlp_contact.redact")
    fake.Redactor = _FakeRedactor  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "nlp_contact.redact", fake)
    redacted, note = report_texts(texts, redact=True)
    assert redacted is not None and redacted(0) == "Spoke to Mrs [PERSON_1] about her claim"
    assert note == "Texts are redacted."
    monkeypatch.setitem(sys.modules, "nlp_contact.redact", None)
    missing, note = report_texts(texts, redact=True)
    assert missing is None and note.startswith("Texts are left out: no redactor")
