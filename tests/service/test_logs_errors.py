"""Structured access logs that never carry contact text, and the JSON 500."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from service.deps import get_model
from service.monitoring import ACCESS_LOGGER, SERVICE_LOGGER

SECRET = "Zebedee Quixotic-Marchbanks of 14 Acacia Avenue"


def access_lines(caplog: pytest.LogCaptureFixture) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER]


def test_access_log_lines_are_json_without_text(
    client_for: Callable[..., TestClient],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG, logger="nlp_contact")
    client = client_for(store_text=True, redact=False)
    text = f"{SECRET} rang chasing a payment that has not arrived"
    prediction = client.post(
        "/v1/classify", json={"text": text, "id": "log-1", "explain": True}
    ).json()
    client.post("/v1/classify/batch", json={"items": [{"text": text}, {"text": SECRET * 1000}]})
    client.post("/v1/classify", json={"text": SECRET * 1000})
    client.post("/v1/classify", json={"text": text, "channel": "fax"})
    client.post(
        "/v1/classify",
        content=f'{{"text": "{SECRET}"'.encode(),
        headers={"content-type": "application/json"},
    )
    client.post(
        "/v1/feedback",
        json={
            "suggestion_id": "log-1",
            "model_version": prediction["model"]["version"],
            "shown": {
                "heads": {h: v["label"] for h, v in prediction["heads"].items()},
                "flags": {f: v["value"] for f, v in prediction["flags"].items()},
            },
            "chosen": {},
            "user": "cw-1",
            "text": text,
        },
    )
    client.get("/v1/feedback/export")
    captured = capsys.readouterr()
    for output in (caplog.text, captured.out, captured.err):
        assert "Zebedee" not in output and "Acacia" not in output

    lines = access_lines(caplog)
    assert len(lines) == 7
    first = lines[0]
    assert first["event"] == "request" and first["route"] == "/v1/classify"
    assert first["status"] == 200 and first["request_id"] and first["latency_ms"] > 0
    assert first["model_version"] == prediction["model"]["version"]
    assert first["labels"]["contact_reason"] == prediction["heads"]["contact_reason"]["label"]
    assert lines[1]["items"] == 2 and lines[1]["item_errors"] == 1
    assert [line["status"] for line in lines[2:5]] == [422, 422, 422]
    assert lines[5]["route"] == "/v1/feedback" and lines[5]["feedback_id"] == 1


def test_health_checks_log_at_debug_only(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="nlp_contact")
    client.get("/healthz")
    client.get("/readyz")
    assert access_lines(caplog) == []


def test_unexpected_error_is_a_json_500_without_internals(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        version = "broken"
        channels = None

        async def predict_one(self, *args: object, **kwargs: object) -> dict:
            raise RuntimeError(f"boom with {SECRET}")

    client.app.dependency_overrides[get_model] = lambda: Broken()  # type: ignore[attr-defined]
    caplog.set_level(logging.INFO, logger="nlp_contact")
    response = client.post(
        "/v1/classify", json={"text": "hello"}, headers={"X-Request-ID": "err-1"}
    )
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error", "request_id": "err-1"}
    assert response.headers["x-request-id"] == "err-1"
    assert "boom" not in response.text and "Traceback" not in response.text
    errors = [json.loads(r.getMessage()) for r in caplog.records if r.name == SERVICE_LOGGER]
    assert errors and errors[0]["event"] == "unhandled_exception"
    assert errors[0]["error"] == "RuntimeError" and errors[0]["request_id"] == "err-1"
    assert "Zebedee" not in caplog.text and "boom" not in caplog.text
    assert access_lines(caplog)[-1]["status"] == 500
