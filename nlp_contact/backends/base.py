"""The contract every model backend implements.

A backend turns texts into raw scores for every output of a taxonomy, in one pass:
``(n, n_labels)`` logits for each head and ``(n,)`` logits for each flag. Calibration,
thresholds, constraint decoding, routing, saving of config/meta/manifest and the model
card are shared and live in :mod:`nlp_contact.classifier`, so every backend gets them.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from nlp_contact.errors import ConfigError


@dataclass
class Targets:
    """Training targets as integer label indices per head and booleans per flag."""

    heads: dict[str, np.ndarray]
    head_labels: dict[str, list[str]]
    flags: dict[str, np.ndarray]


@dataclass
class Term:
    """An input term and how strongly it pushed a prediction."""

    term: str
    weight: float


@runtime_checkable
class Backend(Protocol):
    """What :class:`~nlp_contact.classifier.ContactClassifier` needs from a model family."""

    name: str

    def fit(
        self, texts: Sequence[str], targets: Targets, sample_weight: np.ndarray | None = None
    ) -> Backend:
        """Learn from texts; returns self."""

    def decision_scores(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Raw scores: head -> (n, n_labels) logits; flag -> (n,) logits."""

    def explain(self, text: str, output: str, label_index: int, k: int) -> list[Term]:
        """The ``k`` input terms that pushed ``output`` most towards ``label_index``."""

    def save(self, directory: Path) -> list[str]:
        """Write weights into ``directory``; returns the file names written."""

    def params(self) -> dict[str, Any]:
        """Hyperparameters, JSON-ready (stored in config.json)."""


BACKENDS = {
    "linear": "nlp_contact.backends.linear:LinearBackend",
    "spacy": "nlp_contact.backends.spacy_textcat:SpacyBackend",
    "transformer": "nlp_contact.backends.hf_transformers:TransformerBackend",
}


def backend_class(name: str) -> Any:
    """Import the backend class registered under ``name`` (lazily: extras stay optional)."""
    if name not in BACKENDS:
        raise ConfigError(
            f"Unknown backend '{name}'; expected one of {sorted(BACKENDS)}. "
            "Pass --backend linear|spacy|transformer."
        )
    module, _, cls = BACKENDS[name].partition(":")
    return getattr(importlib.import_module(module), cls)
