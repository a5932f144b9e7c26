"""Fixtures of the service tests: a tiny model trained once, apps with overridden settings,
and a real uvicorn server on 127.0.0.1 for the fuzz and browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.deps import get_settings
from service.main import create_app
from service.settings import Settings

# (text, contact_reason, value_status, avoidable_reason, feedback_type,
#  staff_behaviour, third_party, vulnerability)
CONTACTS = [
    (
        "Cust rang chasing UC payment, not arrived yet",
        "progress_chasing",
        "avoidable",
        "progress_chasing",
        "none",
        False,
        False,
        False,
    ),
    (
        "Where is my PIP decision? I have waited 14 weeks",
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
        "change_of_circumstances",
        "value",
        "not_avoidable",
        "none",
        False,
        False,
        False,
    ),
    (
        "cust reporting change of circs, started a new job",
        "change_of_circumstances",
        "value",
        "not_avoidable",
        "none",
        False,
        False,
        False,
    ),
    (
        "The adviser was rude and hung up, I want to make a formal complaint",
        "feedback",
        "avoidable",
        "service_failure",
        "complaint",
        True,
        False,
        False,
    ),
    (
        "Complaint: staff member shouted at me, escalate it",
        "feedback",
        "avoidable",
        "service_failure",
        "complaint",
        True,
        False,
        False,
    ),
    (
        "Thank you so much, the work coach was brilliant and kind",
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
        "feedback",
        "value",
        "not_avoidable",
        "compliment",
        False,
        False,
        False,
    ),
    (
        "I have not eaten for days, no gas or electric, payment not arrived",
        "progress_chasing",
        "avoidable",
        "progress_chasing",
        "none",
        False,
        False,
        True,
    ),
    (
        "cust sleeping rough, no money for food, chasing UC advance",
        "progress_chasing",
        "avoidable",
        "progress_chasing",
        "none",
        False,
        False,
        True,
    ),
    (
        "I am writing on behalf of my constituent about her PIP claim",
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
        "progress_chasing",
        "avoidable",
        "progress_chasing",
        "none",
        False,
        True,
        False,
    ),
]
OUTPUTS = [
    "contact_reason",
    "value_status",
    "avoidable_reason",
    "feedback_type",
    "staff_behaviour",
    "third_party",
    "vulnerability",
]


def contact_labels() -> tuple[list[str], dict[str, list[Any]]]:
    """Texts and labels of the tiny training set (each contact three times)."""
    rows = CONTACTS * 3
    return [r[0] for r in rows], {o: [r[i + 1] for r in rows] for i, o in enumerate(OUTPUTS)}


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny linear model, trained once per session."""
    from nlp_contact import ContactClassifier, TrainConfig

    texts, labels = contact_labels()
    cfg = TrainConfig.model_validate({"train": {"validation_fraction": 0.34}})
    clf = ContactClassifier(config=cfg).fit(texts, labels)
    out = tmp_path_factory.mktemp("service_model") / "tiny"
    clf.save(out, name="tiny-service")
    return out


SettingsFactory = Callable[..., Settings]


@pytest.fixture
def make_settings(model_dir: Path, tmp_path: Path) -> SettingsFactory:
    """Settings for a test: the tiny model, a SQLite file in tmp_path, auth off."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "model_dir": model_dir,
            "database_url": f"sqlite:///{tmp_path / 'feedback.db'}",
            "api_keys_sha256": [],
            "store_text": False,
            "redact": True,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


def app_with(settings: Settings) -> FastAPI:
    """A fresh app whose settings dependency answers ``settings``."""
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: settings
    return app


@pytest.fixture
def client_for(make_settings: SettingsFactory) -> Iterator[Callable[..., TestClient]]:
    """``client_for(**settings)``: a started TestClient (lifespan run); closed afterwards."""
    opened: list[TestClient] = []

    def open_client(**overrides: Any) -> TestClient:
        client = TestClient(app_with(make_settings(**overrides)), raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(client_for: Callable[..., TestClient]) -> TestClient:
    """A started client with the default test settings."""
    return client_for()


class LiveServer:
    """uvicorn serving an app on 127.0.0.1 in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        import uvicorn

        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the live server did not become ready within 30 s")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="module")
def live_server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real uvicorn on a free port; feedback text stored (redaction off) for the tests."""
    db = tmp_path_factory.mktemp("live") / "feedback.db"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        model_dir=model_dir,
        database_url=f"sqlite:///{db}",
        api_keys_sha256=[],
        store_text=True,
        redact=False,
    )
    with LiveServer(app_with(settings)) as server:
        yield server
