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
        names = ("NLP_CONTACT_MODEL_DIR", "PROMETHEUS_MULTIPROC_DIR")
        calls["env"] = {k: os.environ.get(k) for k in names}
        calls.update(kwargs)

    def run_workers(host: str, port: int, workers: int, options: dict[str, Any]) -> None:
        run(
            "service.main:create_app (SO_REUSEPORT workers)",
            host=host,
            port=port,
            workers=workers,
            **options,
        )

    import uvicorn

    import service.server

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setattr(service.server, "run_workers", run_workers)
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.delenv("NLP_CONTACT_MODEL_DIR", raising=False)
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
    assert fake_uvicorn["app"] == "service.main:create_app (SO_REUSEPORT workers)"
    assert (fake_uvicorn["host"], fake_uvicorn["port"], fake_uvicorn["workers"]) == (
        "127.0.0.1",
        8123,
        2,
    )
    assert fake_uvicorn["env"]["NLP_CONTACT_MODEL_DIR"] == str(model_dir.resolve())
    metrics_dir = fake_uvicorn["env"]["PROMETHEUS_MULTIPROC_DIR"]
    assert metrics_dir and not Path(metrics_dir).exists()  # made for the run, then removed
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    assert "nlp_contact.service" in fake_uvicorn["log_config"]["loggers"]
    assert "Serving model tiny-service" in capsys.readouterr().err


def test_serve_with_one_worker_runs_uvicorn_with_the_factory(
    model_dir: Path, fake_uvicorn: dict[str, Any]
) -> None:
    assert main(["serve", "--model", str(model_dir)]) == 0
    assert fake_uvicorn["app"] == "service.main:create_app" and fake_uvicorn["factory"] is True
    assert fake_uvicorn["workers"] == 1 and fake_uvicorn["env"]["PROMETHEUS_MULTIPROC_DIR"] is None


def test_serve_help() -> None:
    assert main(["serve", "--help"]) == 0


WORKERS_SCRIPT = """
import sys
from service.server import run_workers
run_workers("127.0.0.1", int(sys.argv[1]), 2, {"log_config": None, "access_log": False},
            app="tests.service.worker_app:create_app")
"""


def test_reuse_port_workers_share_the_connections(tmp_path: Path) -> None:
    """Two real workers on one port: a burst of connections reaches both; SIGTERM stops all."""
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    from service.server import bind, reuse_port_supported

    if not reuse_port_supported():
        pytest.skip("SO_REUSEPORT is not available on this platform")
    probe = bind("127.0.0.1", 0)
    port = probe.getsockname()[1]
    probe.close()
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKERS_SCRIPT, str(port)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        pids: set[str] = set()
        deadline = time.monotonic() + 30
        while len(pids) < 2 and time.monotonic() < deadline:
            clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}") for _ in range(16)]
            try:
                pids |= {c.get("/").text for c in clients}
            except httpx.HTTPError:
                time.sleep(0.2)
            finally:
                for c in clients:
                    c.close()
        assert len(pids) == 2
        with pytest.raises(OSError):  # the port is held by the workers
            with socket.create_server(("127.0.0.1", port)):
                pass
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
