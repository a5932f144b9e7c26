"""API keys on and off, settings from the environment and through dependency overrides,
and the app module loading nothing at import."""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.deps import key_matches
from service.settings import Settings
from tests.service.test_api import assert_error

KEY = "s3cret-key-for-tests"
KEY_HASH = hashlib.sha256(KEY.encode()).hexdigest()
PROTECTED = [
    ("post", "/v1/classify", {"text": "hello"}),
    ("post", "/v1/classify/batch", {"items": [{"text": "hello"}]}),
    ("get", "/v1/model", None),
    ("get", "/v1/feedback/export", None),
    ("get", "/metrics", None),
]


@pytest.fixture
def secured(client_for: Callable[..., TestClient]) -> TestClient:
    return client_for(api_keys_sha256=[KEY_HASH, "0" * 64])


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_auth_required_when_keys_are_set(
    secured: TestClient, method: str, path: str, body: dict | None
) -> None:
    send = getattr(secured, method)
    kwargs = {"json": body} if body is not None else {}
    missing = send(path, **kwargs)
    assert_error(missing, 401, "Missing API key: send it in the X-API-Key header")
    assert missing.headers["www-authenticate"] == 'ApiKey header="X-API-Key"'
    wrong = send(path, headers={"X-API-Key": "guess"}, **kwargs)
    assert_error(wrong, 401, "Invalid API key")
    assert send(path, headers={"X-API-Key": KEY}, **kwargs).status_code == 200
    bearer = send(path, headers={"Authorization": f"Bearer {KEY}"}, **kwargs)
    assert bearer.status_code == 200


def test_feedback_needs_the_key(secured: TestClient) -> None:
    assert_error(secured.post("/v1/feedback", json={}), 401, "Missing API key")


def test_open_routes_stay_open(secured: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/", "/static/app.js", "/openapi.json"):
        assert secured.get(path).status_code == 200, path


def test_model_route_says_auth_is_on(secured: TestClient) -> None:
    body = secured.get("/v1/model", headers={"X-API-Key": KEY}).json()
    assert body["service"]["auth"] is True


def test_auth_off_by_default(client: TestClient) -> None:
    assert client.post("/v1/classify", json={"text": "hello"}).status_code == 200


def test_key_matching() -> None:
    assert key_matches(KEY, [KEY_HASH])
    assert not key_matches(KEY + "x", [KEY_HASH])
    assert not key_matches(KEY, [])


def test_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    other = "b" * 64
    monkeypatch.setenv("NLP_CONTACT_API_KEYS_SHA256", f"{KEY_HASH.upper()}, {other}")
    assert Settings(_env_file=None).api_keys_sha256 == [KEY_HASH, other]  # type: ignore[call-arg]
    monkeypatch.setenv("NLP_CONTACT_API_KEYS_SHA256", f'["{KEY_HASH}"]')
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.api_keys_sha256 == [KEY_HASH] and settings.auth_enabled


def test_a_plain_key_is_refused_as_a_hash() -> None:
    with pytest.raises(ValidationError, match="entry 1 is not a 64-character hex SHA-256"):
        Settings(_env_file=None, api_keys_sha256=[KEY])  # type: ignore[call-arg]


def test_settings_from_env_and_dotenv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory
) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    (tmp_path / ".env").write_text(  # type: ignore[operator]
        "NLP_CONTACT_MAX_BATCH=12\nNLP_CONTACT_STORE_TEXT=true\nOTHER=1\n", encoding="utf-8"
    )
    monkeypatch.setenv("NLP_CONTACT_MAX_TEXT_CHARS", "500")
    settings = Settings()
    assert (settings.max_batch, settings.store_text, settings.max_text_chars) == (12, True, 500)
    assert settings.redact is True and settings.database_url.startswith("sqlite:///")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_text_chars", 0, "greater than or equal to 1"),
        ("max_batch", 10**6, "less than or equal to 10000"),
        ("database_url", "not a url", "not a SQLAlchemy URL"),
        ("log_level", "LOUD", "Input should be"),
    ],
)
def test_invalid_settings_name_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        Settings(_env_file=None, **{field: value})  # type: ignore[arg-type]
    assert info.value.errors()[0]["loc"] == (field,)


def test_settings_override_applies_to_routes(client_for: Callable[..., TestClient]) -> None:
    client = client_for(max_text_chars=10, max_batch=2)
    assert_error(client.post("/v1/classify", json={"text": "eleven char"}), 422, "the limit is 10")
    assert client.post("/v1/classify", json={"text": "ten chars!"}).status_code == 200
    assert_error(
        client.post("/v1/classify/batch", json={"items": [{"text": "a"}] * 3}),
        422,
        "the limit is 2",
    )
    assert client.get("/v1/model").json()["service"]["max_text_chars"] == 10


def test_importing_the_app_loads_nothing() -> None:
    import service.main

    module = importlib.reload(service.main)
    assert module.app.state.model_state.model is None
    assert module.app.state.database is None
    assert TestClient(module.app).get("/readyz").status_code == 503
