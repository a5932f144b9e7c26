"""The Typer application that every command module registers on.

Each command is a thin wrapper over a plain library function. Errors that are the
user's to fix (``NlpContactError``, bad files) exit 2 with a one-paragraph message
and no traceback; anything unexpected exits 1.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(
    name="nlp-contact",
    help="Classify free-text customer contacts: train, classify, score, evaluate, serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_BAD_INPUT = 2
EXIT_UNEXPECTED = 1


def default_model_dir() -> Path:
    """``$NLP_CONTACT_MODEL`` or ``models/default`` of the project."""
    env = os.environ.get("NLP_CONTACT_MODEL")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "models" / "default"


def print_json(obj: Any) -> None:
    """Write one JSON document to stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def echo_err(message: str) -> None:
    """Write a message to stderr (never contact text)."""
    typer.echo(message, err=True)
