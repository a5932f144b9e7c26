"""Every route of the API, and every bad-input answer with its status and message."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from fastapi.testclient import TestClient

from nlp_contact.classifier import ContactClassifier

NOTE = "Cust rang chasing UC payment, it has not arrived yet"


def assert_error(response: object, status: int, *fragments: str) -> dict:
    """The answer has ``status`` and a ``detail`` holding every fragment."""
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    for fragment in fragments:
        assert fragment in body["detail"], body
    assert body["request_id"]
    return body


# ------------------------------------------------------------------------- classify
def test_classify_answers_what_the_cli_prints(client: TestClient, model_dir: Path) -> None:
    response = client.post("/v1/classify", json={"text": NOTE, "id": "c-1", "channel": "phone"})
    assert response.status_code == 200
    clf = ContactClassifier.load(model_dir)
    expected = clf.predict([NOTE], ids=["c-1"])[0].to_dict(model=clf.model_info)
    assert response.json() == json.loads(json.dumps(expected))
    assert list(response.json())[:2] == ["model", "id"]


def test_classify_fields(client: TestClient) -> None:
    body = client.post("/v1/classify", json={"text": NOTE}).json()
    assert "id" not in body and "evidence" not in body
    assert set(body["heads"]) == {
        "contact_reason",
        "value_status",
        "avoidable_reason",
        "feedback_type",
    }
    head = body["heads"]["contact_reason"]
    assert set(head) == {"label", "confidence", "top"} and len(head["top"]) == 3
    assert set(body["flags"]["vulnerability"]) == {"value", "probability", "threshold"}
    assert isinstance(body["routing"], str) and isinstance(body["priority"], str)
    assert isinstance(body["needs_review"], bool) and isinstance(body["review_reasons"], list)
    assert body["model"]["name"] == "tiny-service"


def test_classify_explain_adds_evidence(client: TestClient) -> None:
    body = client.post("/v1/classify", json={"text": NOTE, "explain": True}).json()
    terms = body["evidence"]["contact_reason"]
    assert terms and {"term", "weight"} == set(terms[0])


def test_batch_answers_in_order_with_item_errors(client: TestClient) -> None:
    items = [
        {"text": NOTE, "id": "a"},
        {"text": "   ", "id": "blank"},
        {"text": "I want to make a complaint, the adviser was rude", "explain": True},
        {"text": "hello", "channel": "carrier pigeon"},
        {"text": 42},
        "not an object",
        {"text": "thanks for your help", "colour": "blue"},
        {"text": "x" * 20_001},
    ]
    response = client.post("/v1/classify/batch", json={"items": items})
    assert response.status_code == 200
    body = response.json()
    assert [e["index"] for e in body["items"]] == list(range(len(items)))
    assert [e["ok"] for e in body["items"]] == [
        True,
        False,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    assert body["errors"] == 6
    ok, blank, explained, channel, wrong_type, not_object, extra, too_long = body["items"]
    assert ok["id"] == "a" and ok["prediction"]["heads"]["contact_reason"]["label"]
    assert "evidence" in explained["prediction"] and "evidence" not in ok["prediction"]
    assert blank == {
        "index": 1,
        "id": "blank",
        "ok": False,
        "error": {"field": "text", "message": blank["error"]["message"]},
    }
    assert "empty text" in blank["error"]["message"]
    assert channel["error"]["field"] == "channel"
    assert "unknown channel 'carrier pigeon'" in channel["error"]["message"]
    assert wrong_type["error"] == {"field": "text", "message": "Input should be a valid string"}
    assert not_object["error"]["field"] == "item"
    assert extra["error"] == {"field": "colour", "message": "unknown field"}
    assert too_long["error"]["field"] == "text"
    assert "the limit is 20000" in too_long["error"]["message"]


def test_batch_predictions_equal_single_predictions(client: TestClient) -> None:
    texts = [NOTE, "thank you, the work coach was kind", "I have moved house"]
    batch = client.post("/v1/classify/batch", json={"items": [{"text": t} for t in texts]})
    for text, entry in zip(texts, batch.json()["items"], strict=True):
        single = client.post("/v1/classify", json={"text": text}).json()
        single.pop("model")
        assert entry["prediction"] == single


def test_batch_empty_is_empty(client: TestClient) -> None:
    body = client.post("/v1/classify/batch", json={"items": []}).json()
    assert body["items"] == [] and body["errors"] == 0


# ------------------------------------------------------------------- bad input: 422
def test_text_too_long_names_the_limit(client: TestClient) -> None:
    response = client.post("/v1/classify", json={"text": "a" * 20_001})
    body = assert_error(
        response,
        422,
        "text:",
        "20001 characters",
        "the limit is 20000",
        "NLP_CONTACT_MAX_TEXT_CHARS",
    )
    assert body["errors"][0]["field"] == "text"
    assert "aaaa" not in response.text  # the input is never echoed


def test_text_at_the_limit_is_accepted(client: TestClient) -> None:
    assert client.post("/v1/classify", json={"text": "a " * 10_000}).status_code == 200


def test_empty_text(client: TestClient) -> None:
    assert_error(
        client.post("/v1/classify", json={"text": ""}), 422, "text:", "at least 1 character"
    )
    assert_error(client.post("/v1/classify", json={"text": " \n\t "}), 422, "text: empty text")


def test_missing_text(client: TestClient) -> None:
    assert_error(
        client.post("/v1/classify", json={"channel": "phone"}), 422, "text: Field required"
    )


def test_malformed_json(client: TestClient) -> None:
    response = client.post(
        "/v1/classify", content=b'{"text": "hello",', headers={"content-type": "application/json"}
    )
    assert_error(response, 422, "body: malformed JSON at position")


def test_body_not_an_object(client: TestClient) -> None:
    assert_error(client.post("/v1/classify", json=["hello"]), 422, "body: expected a JSON object")
    assert_error(client.post("/v1/classify"), 422, "body: a JSON object is required")
    response = client.post(
        "/v1/classify", content=b'{"text": "hi"}', headers={"content-type": "text/plain"}
    )
    assert_error(response, 422, "body:", "Content-Type: application/json")


def test_wrong_types(client: TestClient) -> None:
    assert_error(
        client.post("/v1/classify", json={"text": 12}), 422, "text: Input should be a valid string"
    )
    assert_error(
        client.post("/v1/classify", json={"text": "hi", "explain": "yes"}),
        422,
        "explain: Input should be a valid boolean",
    )
    assert_error(client.post("/v1/classify", json={"text": "hi", "id": 7}), 422, "id:")
    assert_error(
        client.post("/v1/classify/batch", json={"items": "hi"}),
        422,
        "items: Input should be a valid list",
    )


def test_unknown_channel(client: TestClient) -> None:
    response = client.post("/v1/classify", json={"text": "hi", "channel": "fax"})
    assert_error(response, 422, "channel: unknown channel 'fax'", "'phone'")


def test_unknown_field(client: TestClient) -> None:
    assert_error(
        client.post("/v1/classify", json={"text": "hi", "txet": "x"}), 422, "txet: unknown field"
    )


def test_id_too_long(client: TestClient) -> None:
    assert_error(
        client.post("/v1/classify", json={"text": "hi", "id": "i" * 129}),
        422,
        "id: String should have at most 128 characters",
    )


def test_batch_too_big_names_the_limit(client: TestClient) -> None:
    response = client.post("/v1/classify/batch", json={"items": [{"text": "hi"}] * 257})
    assert_error(
        response, 422, "items: the batch has 257 items; the limit is 256", "NLP_CONTACT_MAX_BATCH"
    )


# ------------------------------------------------------------------- bad input: 413
def test_body_too_large_by_content_length(client_for: Callable[..., TestClient]) -> None:
    client = client_for(max_body_bytes=2048)
    response = client.post("/v1/classify", json={"text": "word " * 1000})
    assert_error(response, 413, "the limit is 2048 bytes", "NLP_CONTACT_MAX_BODY_BYTES")
    assert response.headers["x-request-id"]


def test_body_too_large_when_streamed(client_for: Callable[..., TestClient]) -> None:
    client = client_for(max_body_bytes=2048)

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(100):
            yield b"word " * 10
        yield b'"}'

    response = client.post(
        "/v1/classify", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "the limit is 2048 bytes")


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_error(client.get("/v1/nothing"), 404, "Not Found")
    assert_error(client.get("/v1/classify"), 405, "Method Not Allowed")


# ------------------------------------------------------------------- other routes
def test_model_route(client: TestClient) -> None:
    body = client.get("/v1/model").json()
    assert body["model"]["name"] == "tiny-service"
    assert body["meta"]["model_version"] == body["model"]["version"]
    taxonomy = body["taxonomy"]
    assert "progress_chasing" in taxonomy["heads"]["contact_reason"]["labels"]
    assert taxonomy["derived"]["routing"]["descriptions"]["refer_to_crt"]
    assert taxonomy["channels"][0] == "phone"
    assert set(body["flag_thresholds"]) == set(taxonomy["flags"])
    assert body["service"] == {
        "max_text_chars": 20000,
        "max_batch": 256,
        "auth": False,
        "store_text": False,
    }


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["model"]["name"] == "tiny-service"


def test_not_ready_before_the_model_is_loaded(make_settings: Callable) -> None:
    from tests.service.conftest import app_with

    client = TestClient(app_with(make_settings()))  # no `with`: lifespan has not run
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not_ready", "reason": "the model is not loaded yet"}
    assert client.get("/healthz").status_code == 200
    assert_error(
        client.post("/v1/classify", json={"text": "hi"}),
        503,
        "The model is not available: the model is not loaded yet",
    )


def test_not_ready_when_the_model_fails_to_load(
    client_for: Callable[..., TestClient], tmp_path: Path
) -> None:
    client = client_for(model_dir=tmp_path / "missing")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "loading the model failed (ArtifactError)" in response.json()["reason"]
    assert_error(client.post("/v1/classify", json={"text": "hi"}), 503, "loading the model failed")


def test_metrics(client: TestClient) -> None:
    client.post("/v1/classify", json={"text": NOTE})
    client.post("/v1/classify", json={"text": ""})
    client.post("/v1/classify/batch", json={"items": [{"text": NOTE}, {"text": "thanks"}]})
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert (
        'nlp_contact_http_requests_total{method="POST",route="/v1/classify",status="200"} 1.0'
        in text
    )
    assert 'route="/v1/classify",status="422"' in text
    assert (
        'nlp_contact_http_request_duration_seconds_bucket{le="0.1",method="POST",'
        'route="/v1/classify",status="200"}'
    ) in text
    assert "nlp_contact_predictions_total 3.0" in text
    assert 'nlp_contact_predicted_labels_total{head="contact_reason"' in text
    assert "nlp_contact_review_rate " in text


def test_page_and_assets(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<label for="note">' in page.text and 'aria-live="polite"' in page.text
    script = client.get("/static/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "/v1/feedback" in script.text and "sessionStorage" in script.text
    assert client.get("/static/style.css").headers["content-type"].startswith("text/css")


def test_openapi_has_the_taxonomy(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    channel = components["ClassifyRequest"]["properties"]["channel"]
    assert channel["anyOf"][0]["enum"] == ["phone", "letter", "email", "face_to_face", "webchat"]
    heads = components["ShownLabels"]["properties"]["heads"]
    assert "feedback" in heads["properties"]["contact_reason"]["enum"]
    assert heads["required"] == [
        "contact_reason",
        "value_status",
        "avoidable_reason",
        "feedback_type",
    ]
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            assert "200" in operation["responses"] or "201" in operation["responses"], (
                path,
                method,
            )


# ------------------------------------------------------------------------ request id
def test_request_id_is_made_or_echoed(client: TestClient) -> None:
    made = client.get("/healthz").headers["x-request-id"]
    assert len(made) == 32
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    bad = client.get("/healthz", headers={"X-Request-ID": "a b<script>"}).headers["x-request-id"]
    assert bad != "a b<script>" and len(bad) == 32
    error = client.post("/v1/classify", json={}, headers={"X-Request-ID": "req-9"})
    assert error.headers["x-request-id"] == "req-9" and error.json()["request_id"] == "req-9"


def test_weight_layout_keeps_predictions_identical(model_dir: Path) -> None:
    import numpy as np

    from service.inference import contiguous_weights

    clf = ContactClassifier.load(model_dir)
    texts = [NOTE, "thank you, the work coach was kind", "I have moved house"]
    before = [p.to_dict() for p in clf.predict(texts, explain=True)]
    assert contiguous_weights(clf) > 0
    assert all(np.asarray(c).T.flags.c_contiguous for c in clf.backend_.coef_.values())
    assert [p.to_dict() for p in clf.predict(texts, explain=True)] == before
    assert contiguous_weights(clf) == 0  # already done
