"""Shared fixtures: tiny labelled contacts written inline, and a tiny trained model."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="slow test: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


# (text, channel, contact_reason, value_status, avoidable_reason, feedback_type,
#  staff_behaviour, third_party, vulnerability)
_ROWS = [
    (
        "Cust rang chasing UC payment, not arrived yet",
        "phone",
        "progress_chasing",
        "avoidable",
        "progress_chasing",
        "none",
        False,
        False,
        False,
    ),
    (
        "Where is my PIP decision? Waited 14 weeks now",
        "email",
        "progress_chasing",
        "avoidable",
        "progress_chasing",
        "none",
        False,
        False,
        False,
    ),
    (
        "clmt chasing ESA decision, no update since March",
        "phone",
        "progress_chasing",
        "avoidable",
        "progress_chasing",
        "none",
        False,
        False,
        False,
    ),
    (
        "I want to apply for Universal Credit, how do I start a claim",
        "webchat",
        "new_claim",
        "value",
        "not_avoidable",
        "none",
        False,
        False,
        False,
    ),
    (
        "cust wants to make a new claim for Pension Credit",
        "phone",
        "new_claim",
        "value",
        "not_avoidable",
        "none",
        False,
        False,
        False,
    ),
    (
        "Please help me start a claim for Carer's Allowance",
        "letter",
        "new_claim",
        "value",
        "not_avoidable",
        "none",
        False,
        False,
        False,
    ),
    (
        "I have moved house, my new address is below",
        "letter",
        "change_of_circumstances",
        "value",
        "not_avoidable",
        "none",
        False,
        False,
        False,
    ),
    (
        "cust reporting change of circs, started new job",
        "phone",
        "change_of_circumstances",
        "value",
        "not_avoidable",
        "none",
        False,
        False,
        False,
    ),
    (
        "My partner has moved in with me, reporting a change",
        "email",
        "change_of_circumstances",
        "value",
        "not_avoidable",
        "none",
        False,
        False,
        False,
    ),
    (
        "The adviser was rude and hung up on me, I want to make a formal complaint",
        "email",
        "feedback",
        "avoidable",
        "service_failure",
        "complaint",
        True,
        False,
        False,
    ),
    (
        "Complaint: staff member shouted at me, escalate to CRT",
        "phone",
        "feedback",
        "avoidable",
        "service_failure",
        "complaint",
        True,
        False,
        False,
    ),
    (
        "formal complaint, lost my documents again, refer to complaints team",
        "letter",
        "feedback",
        "avoidable",
        "service_failure",
        "complaint",
        False,
        False,
        False,
    ),
    (
        "Thank you so much, the work coach was brilliant and kind",
        "email",
        "feedback",
        "value",
        "not_avoidable",
        "compliment",
        False,
        False,
        False,
    ),
    (
        "Just wanted to say thanks, the lady on the phone was so helpful",
        "phone",
        "feedback",
        "value",
        "not_avoidable",
        "compliment",
        False,
        False,
        False,
    ),
    (
        "Wonderful service, please pass my thanks to Gary",
        "letter",
        "feedback",
        "value",
        "not_avoidable",
        "compliment",
        False,
        False,
        False,
    ),
    (
        "I have not eaten for days and have no gas on the meter, payment not arrived",
        "phone",
        "progress_chasing",
        "avoidable",
        "progress_chasing",
        "none",
        False,
        False,
        True,
    ),
    (
        "cust sofa surfing, no money for food, chasing UC advance",
        "phone",
        "progress_chasing",
        "avoidable",
        "progress_chasing",
        "none",
        False,
        False,
        True,
    ),
    (
        "I feel I'd be better off not here, where is my ESA money",
        "webchat",
        "progress_chasing",
        "avoidable",
        "progress_chasing",
        "none",
        False,
        False,
        True,
    ),
    (
        "I am writing on behalf of my constituent to ask about her PIP claim",
        "letter",
        "progress_chasing",
        "avoidable",
        "progress_chasing",
        "none",
        False,
        True,
        False,
    ),
    (
        "Citizens Advice calling for client, chasing HB decision",
        "phone",
        "progress_chasing",
        "avoidable",
        "progress_chasing",
        "none",
        False,
        True,
        False,
    ),
    (
        "Support worker rang on behalf of cust re missing payment",
        "phone",
        "progress_chasing",
        "avoidable",
        "progress_chasing",
        "none",
        False,
        True,
        False,
    ),
    (
        "Your payment is wrong, deduction of 50 pounds is not right",
        "email",
        "payment_query",
        "avoidable",
        "service_failure",
        "none",
        False,
        False,
        False,
    ),
    (
        "cust querying amount of UC pmt, deduction not explained",
        "phone",
        "payment_query",
        "value",
        "not_avoidable",
        "none",
        False,
        False,
        False,
    ),
    (
        "Why has my payment gone down this month, how was it worked out",
        "webchat",
        "payment_query",
        "value",
        "not_avoidable",
        "none",
        False,
        False,
        False,
    ),
]

COLUMNS = [
    "text",
    "channel",
    "contact_reason",
    "value_status",
    "avoidable_reason",
    "feedback_type",
    "staff_behaviour",
    "third_party",
    "vulnerability",
]


def tiny_records() -> list[dict]:
    """24 labelled contacts, each label pattern three times."""
    out = []
    for i, row in enumerate(_ROWS):
        rec = dict(zip(COLUMNS, row, strict=True))
        out.append({"id": f"t{i:03d}", **rec})
    return out


@pytest.fixture
def records() -> list[dict]:
    return tiny_records()


def write_records(records: list[dict], path: Path) -> Path:
    """Write records as CSV, JSONL or Parquet by the path's extension."""
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    elif path.suffix == ".csv":
        pd.DataFrame(records).to_csv(path, index=False)
    else:
        pd.DataFrame(records).to_parquet(path, index=False)
    return path


@pytest.fixture
def tiny_jsonl(tmp_path: Path, records: list[dict]) -> Path:
    return write_records(records * 2, tmp_path / "tiny.jsonl")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small linear model trained once per test session."""
    from nlp_contact import ContactClassifier, TrainConfig

    recs = tiny_records() * 3
    texts = [r["text"] for r in recs]
    labels = {c: [r[c] for r in recs] for c in COLUMNS[2:]}
    cfg = TrainConfig.model_validate({"train": {"validation_fraction": 0.34}})
    clf = ContactClassifier(config=cfg).fit(texts, labels)
    out = tmp_path_factory.mktemp("models") / "tiny"
    clf.save(out, name="tiny")
    return out
