"""Feedback: stored through SQLAlchemy, exported as data that `nlp-contact train` accepts."""

from __future__ import annotations

import csv
import io
import json
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from nlp_contact.config import SourceEntry
from nlp_contact.taxonomy import load_taxonomy
from nlp_contact.training import load_sources
from service.db import Feedback
from tests.service.conftest import CONTACTS, OUTPUTS
from tests.service.test_api import assert_error


def shown_of(prediction: dict[str, Any]) -> dict[str, Any]:
    """The labels a caseworker saw for a prediction."""
    return {
        "heads": {h: v["label"] for h, v in prediction["heads"].items()},
        "flags": {f: v["value"] for f, v in prediction["flags"].items()},
    }


def feedback_for(
    client: TestClient, text: str, chosen: dict[str, Any], suggestion_id: str, **extra: Any
) -> dict[str, Any]:
    """Classify ``text`` and build the feedback body choosing ``chosen``."""
    prediction = client.post("/v1/classify", json={"text": text, "id": suggestion_id}).json()
    return {
        "suggestion_id": suggestion_id,
        "model_version": prediction["model"]["version"],
        "shown": shown_of(prediction),
        "chosen": chosen,
        "user": "cw-0042",
        "text": text,
        **extra,
    }


def rows_in(db: Path) -> list[Feedback]:
    with Session(create_engine(f"sqlite:///{db}")) as session:
        return list(session.scalars(select(Feedback).order_by(Feedback.id)))


def true_labels(row: tuple[Any, ...]) -> dict[str, Any]:
    labels = dict(zip(OUTPUTS, row[1:], strict=True))
    return {
        "heads": {k: v for k, v in labels.items() if isinstance(v, str)},
        "flags": {k: v for k, v in labels.items() if isinstance(v, bool)},
    }


def test_feedback_round_trip_and_export(
    client_for: Callable[..., TestClient], tmp_path: Path
) -> None:
    client = client_for(store_text=True, redact=False)
    for i, row in enumerate(CONTACTS):
        body = feedback_for(client, row[0], true_labels(row), f"s-{i}", channel="phone")
        response = client.post("/v1/feedback", json=body)
        assert response.status_code == 201, response.text
        stored = response.json()
        assert stored["suggestion_id"] == f"s-{i}" and stored["text_stored"] is True
        assert isinstance(stored["id"], int) and stored["created_at"]
    rows = rows_in(tmp_path / "feedback.db")
    assert len(rows) == len(CONTACTS)
    first = rows[0]
    assert first.user_ref == "cw-0042" and first.channel == "phone"
    assert first.text == CONTACTS[0][0]
    assert first.chosen == true_labels(CONTACTS[0])
    assert set(first.shown["heads"]) == set(first.chosen["heads"])
    assert first.model_version == client.get("/v1/model").json()["model"]["version"]

    export = client.get("/v1/feedback/export")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert export.headers["x-export-rows"] == str(len(CONTACTS))
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert list(lines[0]) == ["id", "text", "channel", *OUTPUTS]
    assert lines[0]["text"] == CONTACTS[0][0] and lines[0]["vulnerability"] is False

    jsonl = tmp_path / "feedback.jsonl"
    jsonl.write_text(export.text, encoding="utf-8")
    csv_text = client.get("/v1/feedback/export?format=csv")
    assert csv_text.headers["content-type"].startswith("text/csv")
    csv_path = tmp_path / "feedback.csv"
    csv_path.write_text(csv_text.text, encoding="utf-8")
    taxonomy = load_taxonomy()
    for path in (jsonl, csv_path):
        data = load_sources([SourceEntry(path=str(path))], taxonomy, "text")
        assert len(data) == len(CONTACTS)
        assert list(data.labels["feedback_type"]) == [r[4] for r in CONTACTS]


def test_export_trains_a_model(client_for: Callable[..., TestClient], tmp_path: Path) -> None:
    client = client_for(store_text=True, redact=False)
    for i, row in enumerate(CONTACTS * 3):
        text = f"{row[0]} (note {i})"
        response = client.post(
            "/v1/feedback", json=feedback_for(client, text, true_labels(row), f"t-{i}")
        )
        assert response.status_code == 201
    path = tmp_path / "feedback.csv"
    path.write_text(client.get("/v1/feedback/export?format=csv").text, encoding="utf-8")
    from nlp_contact.cli import main

    out = tmp_path / "retrained"
    argv = [str(path), "--out", str(out), "--train.validation_fraction", "0.34"]
    assert main(["train", *argv]) == 0
    assert (out / "meta.json").is_file()


def test_partial_choice_keeps_shown_labels_and_latest_wins(
    client_for: Callable[..., TestClient], tmp_path: Path
) -> None:
    client = client_for(store_text=True, redact=False)
    body = feedback_for(client, CONTACTS[6][0], {"heads": {"contact_reason": "feedback"}}, "p-1")
    first = client.post("/v1/feedback", json=body).json()
    body["chosen"] = {"heads": {"contact_reason": "other", "feedback_type": "complaint"}}
    second = client.post("/v1/feedback", json=body).json()
    shown = body["shown"]["heads"]
    expected = [
        h for h in ("contact_reason", "feedback_type") if body["chosen"]["heads"][h] != shown[h]
    ]
    assert second["corrected"] == expected
    assert first["id"] < second["id"]
    stored = rows_in(tmp_path / "feedback.db")[-1]
    assert stored.chosen["heads"]["value_status"] == shown["value_status"]
    assert stored.chosen["flags"] == body["shown"]["flags"]
    export = client.get("/v1/feedback/export").text.splitlines()
    rows = [json.loads(line) for line in export]
    exported = [r for r in rows if r["id"] == "p-1"]
    assert len(rows) <= 1 and len(exported) == len(rows)
    if exported:
        assert exported[0]["contact_reason"] == "other"


def test_export_leaves_out_rows_that_break_a_constraint(
    client_for: Callable[..., TestClient],
) -> None:
    client = client_for(store_text=True, redact=False)
    labels = true_labels(CONTACTS[0])  # avoidable / progress_chasing
    labels["heads"]["value_status"] = "value"  # inconsistent with avoidable_reason
    response = client.post("/v1/feedback", json=feedback_for(client, CONTACTS[0][0], labels, "x"))
    assert response.status_code == 201
    export = client.get("/v1/feedback/export")
    assert export.text == "" and export.headers["x-export-skipped"] == "1"
    csv_rows = list(csv.reader(io.StringIO(client.get("/v1/feedback/export?format=csv").text)))
    assert csv_rows == [["id", "text", "channel", *OUTPUTS]]


def test_corrected_only_export(client_for: Callable[..., TestClient]) -> None:
    client = client_for(store_text=True, redact=False)
    accepted = feedback_for(client, CONTACTS[2][0], {}, "accepted")
    assert client.post("/v1/feedback", json=accepted).status_code == 201
    body = client.get("/v1/feedback/export?corrected_only=true")
    assert body.status_code == 200
    assert "accepted" not in body.text


def test_text_not_stored_when_store_text_is_off(client: TestClient, tmp_path: Path) -> None:
    body = feedback_for(client, CONTACTS[0][0], true_labels(CONTACTS[0]), "n-1")
    response = client.post("/v1/feedback", json=body)
    assert response.status_code == 201 and response.json()["text_stored"] is False
    stored = rows_in(tmp_path / "feedback.db")
    assert len(stored) == 1 and stored[0].text is None
    assert client.get("/v1/feedback/export").text == ""


def _fake_redact(monkeypatch: pytest.MonkeyPatch, redact: Callable[[str], str]) -> None:
    module = types.ModuleType("nlp_contact.redact")

    class Redactor:
        def redact(self, text: str) -> str:
            return redact(text)

    module.Redactor = Redactor  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "nlp_contact.redact", module)


def test_text_is_redacted_before_it_is_stored(
    client_for: Callable[..., TestClient], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_redact(monkeypatch, lambda text: text.replace("Mrs Patel", "[PERSON]"))
    client = client_for(store_text=True, redact=True)
    text = "Mrs Patel rang chasing her UC payment"
    response = client.post("/v1/feedback", json=feedback_for(client, text, {}, "r-1"))
    assert response.json()["text_stored"] is True
    assert rows_in(tmp_path / "feedback.db")[0].text == "[PERSON] rang chasing her UC payment"


def test_text_is_not_stored_when_redaction_fails(
    client_for: Callable[..., TestClient], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(text: str) -> str:
        raise RuntimeError(text)

    _fake_redact(monkeypatch, broken)
    client = client_for(store_text=True, redact=True)
    response = client.post("/v1/feedback", json=feedback_for(client, "Mrs Patel rang", {}, "r-2"))
    assert response.status_code == 201 and response.json()["text_stored"] is False
    assert rows_in(tmp_path / "feedback.db")[0].text is None


def test_text_is_not_stored_when_redaction_is_missing(
    client_for: Callable[..., TestClient], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "nlp_contact.redact", None)  # import fails
    client = client_for(store_text=True, redact=True)
    response = client.post("/v1/feedback", json=feedback_for(client, "Mrs Patel rang", {}, "r-3"))
    assert response.status_code == 201 and response.json()["text_stored"] is False
    assert rows_in(tmp_path / "feedback.db")[0].text is None


def valid_body(client: TestClient) -> dict[str, Any]:
    return feedback_for(client, CONTACTS[0][0], {}, "v-1")


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (
            lambda b: b["chosen"].update(heads={"contact_reason": "nonsense"}),
            ["chosen.heads.contact_reason: unknown label 'nonsense'", "'new_claim'"],
        ),
        (
            lambda b: b["chosen"].update(heads={"mood": "happy"}),
            ["chosen.heads.mood: unknown head"],
        ),
        (
            lambda b: b["chosen"].update(flags={"urgent": True}),
            ["chosen.flags.urgent: unknown flag"],
        ),
        (
            lambda b: b["shown"]["heads"].pop("feedback_type"),
            ["shown.heads: no label for ['feedback_type']"],
        ),
        (
            lambda b: b["shown"]["flags"].pop("vulnerability"),
            ["shown.flags: no value for ['vulnerability']"],
        ),
        (
            lambda b: b["chosen"].update(flags={"vulnerability": "yes"}),
            ["chosen.flags.vulnerability: Input should be a valid boolean"],
        ),
        (lambda b: b.pop("user"), ["user: Field required"]),
        (lambda b: b.update(user=""), ["user: String should have at least 1 character"]),
        (
            lambda b: b.update(suggestion_id="s" * 129),
            ["suggestion_id: String should have at most"],
        ),
        (lambda b: b.update(channel="pigeon"), ["channel: unknown channel 'pigeon'"]),
        (
            lambda b: b.update(text="t" * 20_001),
            ["text: text has 20001 characters", "the limit is 20000"],
        ),
        (lambda b: b.update(extra=1), ["extra: unknown field"]),
    ],
)
def test_feedback_errors(client: TestClient, change: Callable, fragments: list[str]) -> None:
    body = valid_body(client)
    change(body)
    assert_error(client.post("/v1/feedback", json=body), 422, *fragments)


def test_feedback_without_a_database(client_for: Callable[..., TestClient]) -> None:
    client = client_for(database_url="sqlite:////nonexistent-dir/x/feedback.db")
    assert client.get("/readyz").status_code == 200  # classification still works
    response = client.post("/v1/feedback", json=valid_body(client))
    assert_error(response, 503, "feedback database is not available")


def test_real_redactor_removes_personal_data(
    client_for: Callable[..., TestClient], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("nlp_contact.redact", reason="nlp_contact.redact is not available")
    client = client_for(store_text=True, redact=True)
    text = "Mrs Jane Smith rang from 07700 900123 chasing her UC payment, NI AB123456C"
    response = client.post("/v1/feedback", json=feedback_for(client, text, {}, "real-1"))
    assert response.json()["text_stored"] is True
    stored = rows_in(tmp_path / "feedback.db")[0].text
    assert stored is not None
    for personal in ("Smith", "07700", "AB123456C"):
        assert personal not in stored
    assert "chasing her UC payment" in stored
    client.post("/v1/classify", json={"text": text})
    exported = client.get("/v1/feedback/export").text
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for personal in ("Smith", "07700", "AB123456C"):
        assert personal not in exported
        assert personal not in logged
