"""``nlp-contact serve``: the HTTP API and the caseworker page, under uvicorn."""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from nlp_contact.cli._app import app, echo_err
from nlp_contact.errors import ConfigError

SERVICE_LOGGER = "nlp_contact.service"


def _service_settings(model: Path | None) -> Any:
    """The service settings from the environment, with ``--model`` applied; exit 2 if invalid."""
    try:
        from pydantic import ValidationError

        from service.settings import Settings
    except ImportError as exc:
        raise ConfigError(
            f"The service needs the Python package '{exc.name}', which is not installed. "
            "Install it with: pip install 'nlp-contact[service]'"
        ) from None
    try:
        settings = Settings() if model is None else Settings(model_dir=model)
    except ValidationError as exc:
        problems = "; ".join(
            f"NLP_CONTACT_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigError(f"Invalid service settings: {problems}.") from None
    return settings


def check_model(directory: Path) -> dict[str, Any]:
    """Load the model once so a missing or broken directory stops us before uvicorn starts."""
    from nlp_contact.classifier import ContactClassifier

    if not directory.is_dir():
        raise ConfigError(
            f"Model directory '{directory}' does not exist. Train one with `nlp-contact "
            "train DATA --out DIR` and pass --model DIR (or set NLP_CONTACT_MODEL_DIR)."
        )
    clf = ContactClassifier.load(directory)
    return dict(clf.model_info)


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging config plus the service's JSON lines (one per line, on stderr)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json_lines"] = {"format": "%(message)s"}
    config["handlers"]["json_lines"] = {
        "formatter": "json_lines",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"][SERVICE_LOGGER] = {
        "handlers": ["json_lines"],
        "level": level,
        "propagate": False,
    }
    return config


@app.command("serve")
def serve_cmd(
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            "-m",
            help="Model directory (default: $NLP_CONTACT_MODEL_DIR, $NLP_CONTACT_MODEL, "
            "else models/default).",
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")
    ] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Worker processes (one per core).")
    ] = 1,
) -> None:
    """Serve the classification API and the caseworker page (settings: NLP_CONTACT_*)."""
    settings = _service_settings(model)
    directory = Path(settings.model_dir).resolve()
    info = check_model(directory)
    os.environ["NLP_CONTACT_MODEL_DIR"] = str(directory)
    metrics_dir = None
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    elif workers > 1:
        metrics_dir = tempfile.mkdtemp(prefix="nlp-contact-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    echo_err(
        f"Serving model {info['name']} (version {info['version']}) on http://{host}:{port} "
        f"with {workers} worker(s); the caseworker page is at /, the API docs at /docs."
    )
    options: dict[str, Any] = {
        "log_config": log_config(settings.log_level),
        "log_level": settings.log_level.lower(),
        "access_log": False,
    }
    try:
        _run(host, port, workers, options)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


def _run(host: str, port: int, workers: int, options: dict[str, Any]) -> None:
    """One uvicorn process, or N workers each with its own SO_REUSEPORT socket."""
    import uvicorn

    from service.server import APP_FACTORY, reuse_port_supported, run_workers

    if workers > 1 and reuse_port_supported():
        try:
            run_workers(host, port, workers, options)
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on {host}:{port}: {exc.strerror}. Pass another --port."
            ) from None
        return
    uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers, **options)
