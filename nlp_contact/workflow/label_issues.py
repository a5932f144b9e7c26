"""``nlp-contact find-label-issues``: rows whose given label is likely wrong.

Confident learning (cleanlab's ``find_label_issues``) on out-of-fold probabilities, for
every head and every flag (a flag is a two-class problem: false, true). Issues are
ranked by self-confidence, the out-of-fold probability of the given label: the lower,
the more likely the label is wrong. Each comes with the suggested label (the most
probable other label) and its probability.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from nlp_contact.data import LabelledData
from nlp_contact.errors import ConfigError
from nlp_contact.workflow._extras import require
from nlp_contact.workflow.crossval import CrossValResult

log = logging.getLogger(__name__)

COLUMNS = [
    "rank",
    "row",
    "id",
    "output",
    "given",
    "suggested",
    "self_confidence",
    "suggested_probability",
    "text",
]
FLAG_VALUES = ["false", "true"]
FILTERS = (
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_self_confidence",
    "low_normalized_margin",
)


def class_probabilities(result: CrossValResult, output: str) -> tuple[np.ndarray, list[str]]:
    """``(n, K)`` out-of-fold probabilities of an output and its class names."""
    if output in result.labels:
        return result.probs[output], result.labels[output]
    p = result.probs[output]
    return np.column_stack([1.0 - p, p]), FLAG_VALUES


def output_issues(
    labels: np.ndarray, probs: np.ndarray, filter_by: str = "prune_by_noise_rate"
) -> dict[str, np.ndarray]:
    """cleanlab's verdict for one output (``filter_by``: cleanlab's method, see :data:`FILTERS`).

    Classes never given are left out (cleanlab needs every class to occur) and the
    probabilities renormalised over the rest.

    Returns:
        ``issue`` (boolean per row), ``self_confidence`` (P(given label)), ``suggested``
        (the most probable other class, as an index into ``probs``' columns) and
        ``suggested_probability``.
    """
    if filter_by not in FILTERS:
        raise ConfigError(f"Unknown --filter-by '{filter_by}'; expected one of {list(FILTERS)}.")
    present = np.unique(labels)
    n = len(labels)
    rows = np.arange(n)
    given_p = probs[rows, labels]
    others = probs.copy()
    others[rows, labels] = -1.0
    suggested = others.argmax(axis=1)
    out = {
        "issue": np.zeros(n, dtype=bool),
        "self_confidence": given_p,
        "suggested": suggested,
        "suggested_probability": probs[rows, suggested],
    }
    if len(present) < 2:
        return out
    sub = probs[:, present]
    sub = sub / np.maximum(sub.sum(axis=1, keepdims=True), 1e-12)
    remapped = np.searchsorted(present, labels)
    cleanlab_filter = require("cleanlab.filter", "cleanlab")
    out["issue"] = np.asarray(
        cleanlab_filter.find_label_issues(
            labels=remapped, pred_probs=sub, filter_by=filter_by, n_jobs=1
        ),
        dtype=bool,
    )
    return out


def find_label_issues(
    result: CrossValResult, data: LabelledData, filter_by: str = "prune_by_noise_rate"
) -> pd.DataFrame:
    """Every likely label error of every head and flag, most likely first.

    Args:
        result: out-of-fold probabilities (:func:`~nlp_contact.workflow.crossval.cross_validate`).
        data: the data cross-validated (for ids and texts).
        filter_by: cleanlab's rule for flagging a row (default: its own default).

    Returns:
        One row per issue with the columns of :data:`COLUMNS`; ``rank`` 1 is the row whose
        given label had the lowest out-of-fold probability.
    """
    frames = []
    for output in [*result.labels, *result.thresholds]:
        probs, names = class_probabilities(result, output)
        labels = np.asarray(result.truth[output], dtype=int)
        found = output_issues(labels, probs, filter_by)
        idx = np.flatnonzero(found["issue"])
        log.info("%s: %d likely label issue(s) among %d rows", output, len(idx), len(labels))
        if len(idx):
            frames.append(_issue_rows(output, idx, labels, names, found, data))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    table = pd.concat(frames, ignore_index=True)
    table = table.sort_values(["self_confidence", "row"], kind="stable").reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return table[COLUMNS]


def _issue_rows(
    output: str,
    idx: np.ndarray,
    labels: np.ndarray,
    names: list[str],
    found: dict[str, np.ndarray],
    data: LabelledData,
) -> pd.DataFrame:
    cols: dict[str, Any] = {
        "rank": np.zeros(len(idx), dtype=int),
        "row": idx + 1,
        "id": [data.ids[i] for i in idx],
        "output": output,
        "given": [names[labels[i]] for i in idx],
        "suggested": [names[found["suggested"][i]] for i in idx],
        "self_confidence": np.round(found["self_confidence"][idx], 6),
        "suggested_probability": np.round(found["suggested_probability"][idx], 6),
        "text": [data.texts[i] for i in idx],
    }
    return pd.DataFrame(cols, columns=COLUMNS)


def issue_summary(table: pd.DataFrame, n_rows: int) -> dict[str, Any]:
    """Counts for the command's JSON: rows checked, issues in all and per output."""
    per_output = table.groupby("output", sort=False).size().to_dict() if len(table) else {}
    return {
        "rows": n_rows,
        "issues": int(len(table)),
        "rows_with_issues": int(table["row"].nunique()) if len(table) else 0,
        "per_output": {str(k): int(v) for k, v in per_output.items()},
    }
