"""The output contract of ``nlp-contact score``: one row per input row, in order.

Columns: ``id`` (when the input has one), for each head ``HEAD`` and
``HEAD_confidence``, for each flag ``FLAG`` and ``FLAG_probability``, then each derived
value (``routing``, ``priority``), ``needs_review`` and ``error``. A row that cannot be
scored keeps its place with every prediction column empty and ``error`` filled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nlp_contact.classifier import ContactClassifier
from nlp_contact.data import text_problem


def output_columns(clf: ContactClassifier, with_id: bool, probabilities: bool = False) -> list[str]:
    """The scored file's columns, in order."""
    tax = clf.taxonomy_
    cols = ["id"] if with_id else []
    for head in tax.head_names:
        cols += [head, f"{head}_confidence"]
        if probabilities:
            cols += [f"{head}_p_{label}" for label in tax.heads[head].label_names]
    for flag in tax.flag_names:
        cols += [flag, f"{flag}_probability"]
    return cols + list(tax.derived) + ["needs_review", "error"]


def column_types(clf: ContactClassifier, with_id: bool, probabilities: bool = False) -> dict[str, str]:
    """Each output column's type: ``string``, ``float`` or ``bool``."""
    flags = set(clf.taxonomy_.flag_names)
    types = {}
    for col in output_columns(clf, with_id, probabilities):
        if col.endswith(("_confidence", "_probability")) or (
            probabilities and "_p_" in col and col not in flags
        ):
            types[col] = "float"
        elif col in flags or col == "needs_review":
            types[col] = "bool"
        else:
            types[col] = "string"
    return types


def score_texts(
    clf: ContactClassifier,
    texts: Sequence[Any],
    ids: Sequence[Any] | None = None,
    max_chars: int | None = None,
    errors: Sequence[str | None] | None = None,
    probabilities: bool = False,
) -> list[dict[str, Any]]:
    """Score raw values (not yet checked); bad ones get ``error`` and keep their place.

    Args:
        clf: a fitted classifier.
        texts: the raw text cells.
        ids: the id cells, echoed back when given.
        max_chars: texts longer than this get an error instead of a prediction.
        errors: errors already found upstream (e.g. a JSONL line that is not JSON).
        probabilities: add one ``HEAD_p_LABEL`` column per label.
    """
    problems = [
        (errors[i] if errors is not None and errors[i] else None) or text_problem(t, max_chars)
        for i, t in enumerate(texts)
    ]
    good = [i for i, p in enumerate(problems) if p is None]
    rows = [_error_row(clf, p or "", probabilities) for p in problems]
    if good:
        result = clf.predict_labels([texts[i] for i in good])
        _fill_rows(clf, rows, good, result["pred"], result["probs"], probabilities)
    if ids is not None:
        for row, value in zip(rows, ids, strict=True):
            row["id"] = value
    cols = output_columns(clf, ids is not None, probabilities)
    return [{c: row.get(c) for c in cols} for row in rows]


def _error_row(clf: ContactClassifier, problem: str, probabilities: bool) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(output_columns(clf, False, probabilities))
    row["error"] = problem or None
    return row


def _fill_rows(
    clf: ContactClassifier,
    rows: list[dict[str, Any]],
    good: list[int],
    pred: dict[str, np.ndarray],
    probs: dict[str, np.ndarray],
    probabilities: bool,
) -> None:
    tax = clf.taxonomy_
    thresholds = clf.calibration_.flag_threshold
    for j, i in enumerate(good):
        row = rows[i]
        labels: dict[str, str] = {}
        review = False
        for head, spec in tax.heads.items():
            names = spec.label_names
            k = int(pred[head][j])
            conf = float(probs[head][j, k])
            labels[head] = names[k]
            row[head] = names[k]
            row[f"{head}_confidence"] = round(conf, 4)
            review |= conf < clf.review_threshold(head) or names[k] == spec.out_of_scope_label
            if probabilities:
                for m, label in enumerate(names):
                    row[f"{head}_p_{label}"] = round(float(probs[head][j, m]), 4)
        flags: dict[str, bool] = {}
        for flag in tax.flag_names:
            p = float(probs[flag][j])
            flags[flag] = p >= thresholds[flag]
            row[flag] = flags[flag]
            row[f"{flag}_probability"] = round(p, 4)
        row.update(tax.derive(labels, flags))
        row["needs_review"] = bool(review)
