"""A model's predictions on labelled data, in the shape every workflow step uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nlp_contact.classifier import ContactClassifier
from nlp_contact.data import LabelledData, present_outputs, read_table, validate_labelled
from nlp_contact.errors import ConfigError
from nlp_contact.taxonomy import Taxonomy


@dataclass
class Scored:
    """Truth and predictions for the heads and flags the data has labels for.

    Heads hold label indices (``truth``, ``pred``) and ``(n, K)`` probabilities; flags hold
    booleans (``pred`` at the model's threshold) and ``(n,)`` P(true).
    """

    truth: dict[str, np.ndarray]
    pred: dict[str, np.ndarray]
    probs: dict[str, np.ndarray]
    labels: dict[str, list[str]]
    thresholds: dict[str, float]

    @property
    def heads(self) -> list[str]:
        """The heads scored, in taxonomy order."""
        return list(self.labels)

    @property
    def flags(self) -> list[str]:
        """The flags scored, in taxonomy order."""
        return list(self.thresholds)

    def correct(self) -> dict[str, np.ndarray]:
        """Output -> per-row boolean "prediction equals the given label"."""
        return {o: self.pred[o] == self.truth[o] for o in [*self.heads, *self.flags]}

    def confidence(self, output: str) -> np.ndarray:
        """The probability the model gave its own decision, per row."""
        if output in self.labels:
            p = self.probs[output]
            return np.asarray(p[np.arange(len(p)), self.pred[output]])
        prob = self.probs[output]
        return np.where(self.pred[output], prob, 1.0 - prob)


def truth_of(data: LabelledData, taxonomy: Taxonomy) -> dict[str, np.ndarray]:
    """Label indices per head and booleans per flag, for the outputs ``data`` carries."""
    out: dict[str, np.ndarray] = {}
    for head, values in data.labels.items():
        index = {label: i for i, label in enumerate(taxonomy.heads[head].label_names)}
        out[head] = np.array([index[v] for v in values], dtype=int)
    for flag, values in data.flags.items():
        out[flag] = np.asarray(values, dtype=bool)
    return out


def score_labelled(clf: ContactClassifier, data: LabelledData) -> Scored:
    """Predict ``data`` with ``clf`` and pair the predictions with the given labels."""
    result: dict[str, Any] = clf.predict_labels(data.texts)
    thresholds = {f: clf.calibration_.flag_threshold[f] for f in data.flags}
    pred = {h: np.asarray(result["pred"][h], dtype=int) for h in data.labels}
    for flag, t in thresholds.items():
        pred[flag] = np.asarray(result["probs"][flag]) >= t
    return Scored(
        truth=truth_of(data, clf.taxonomy_),
        pred=pred,
        probs={o: np.asarray(result["probs"][o]) for o in [*data.labels, *data.flags]},
        labels={h: clf.taxonomy_.heads[h].label_names for h in data.labels},
        thresholds=thresholds,
    )


def load_eval_data(
    taxonomy: Taxonomy, path: str | Path, text_column: str = "text", label_map: Any = None
) -> LabelledData:
    """Read and validate a labelled file for evaluation (only the outputs it has columns for).

    Raises:
        ConfigError: the file has no label column of the taxonomy.
        DataValidationError: a row breaks the rules.
    """
    df = read_table(path)
    if label_map is not None:
        df = label_map.apply(df, source=str(path))
    outputs = present_outputs(df, taxonomy)
    if not outputs:
        raise ConfigError(
            f"'{path}' has no label columns of the model's taxonomy {taxonomy.output_names}; "
            f"its columns are {list(df.columns)}. Evaluate on labelled data."
        )
    return validate_labelled(df, taxonomy, str(path), text_column, outputs, False)
