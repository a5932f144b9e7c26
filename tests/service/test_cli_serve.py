"""``nlp-contact serve``: refuses a bad model before starting; runs uvicorn with the factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from nlp_contact.cli import main


@pytest.fixture
def fake_uvicorn(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    calls: dict[str, Any] = {}

    def run(app: str, **kwargs: Any) -> None:
        calls["app"] = app
        names = ("NLP_CONTACT_MODEL_DIR", "PROMETHEUS_MULTIPROC_DIR", "UV_TCP_SINGLE_ACCEPT")
        calls["env"] = {k: os.environ.get(k) for k in names}
        calls.update(kwargs)

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.delenv("NLP_CONTACT_MODEL_DIR", raising=False)
    monkeypatch.delenv("UV_TCP_SINGLE_ACCEPT", raising=False)
    return calls


def test_serve_refuses_a_missing_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_uvicorn: dict[str, Any]
) -> None:
    assert main(["serve", "--model", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "Model directory" in err and "does not exist" in err
    assert fake_uvicorn == {}


def test_serve_refuses_an_invalid_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_uvicorn: dict[str, Any]
) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    assert main(["serve", "--model", str(tmp_path)]) == 2
    assert "is not an nlp-contact model directory" in capsys.readouterr().err
    assert fake_uvicorn == {}


def test_serve_refuses_invalid_settings(
    model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fake_uvicorn: dict[str, Any],
) -> None:
    monkeypatch.setenv("NLP_CONTACT_MAX_BATCH", "0")
    assert main(["serve", "--model", str(model_dir)]) == 2
    assert "NLP_CONTACT_MAX_BATCH" in capsys.readouterr().err
    assert fake_uvicorn == {}


def test_serve_runs_the_app_factory(
    model_dir: Path, capsys: pytest.CaptureFixture[str], fake_uvicorn: dict[str, Any]
) -> None:
    argv = ["serve", "--model", str(model_dir), "--port", "8123", "--workers", "2"]
    assert main(argv) == 0
    assert fake_uvicorn["app"] == "service.main:create_app" and fake_uvicorn["factory"] is True
    assert (fake_uvicorn["host"], fake_uvicorn["port"], fake_uvicorn["workers"]) == (
        "127.0.0.1",
        8123,
        2,
    )
    assert fake_uvicorn["env"]["NLP_CONTACT_MODEL_DIR"] == str(model_dir.resolve())
    metrics_dir = fake_uvicorn["env"]["PROMETHEUS_MULTIPROC_DIR"]
    assert metrics_dir and not Path(metrics_dir).exists()  # made for the run, then removed
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    assert fake_uvicorn["env"]["UV_TCP_SINGLE_ACCEPT"] == "1"
    assert "nlp_contact.service" in fake_uvicorn["log_config"]["loggers"]
    assert "Serving model tiny-service" in capsys.readouterr().err


def test_serve_with_one_worker_keeps_single_process_metrics(
    model_dir: Path, fake_uvicorn: dict[str, Any]
) -> None:
    assert main(["serve", "--model", str(model_dir)]) == 0
    assert fake_uvicorn["workers"] == 1 and fake_uvicorn["env"]["PROMETHEUS_MULTIPROC_DIR"] is None


def test_serve_help() -> None:
    assert main(["serve", "--help"]) == 0
