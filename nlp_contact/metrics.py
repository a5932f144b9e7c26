"""Evaluation metrics per head and flag, shared by training, ``evaluate`` and reports."""

from __future__ import annotations

from typing import Any

import numpy as np

from nlp_contact.calibration import expected_calibration_error


def head_metrics(
    y_true: np.ndarray, probs: np.ndarray, y_pred: np.ndarray, labels: list[str]
) -> dict[str, Any]:
    """Accuracy, macro-F1, ECE and per-label precision/recall/F1/support.

    ``y_true`` and ``y_pred`` are label indices; ``probs`` the calibrated (n, K) matrix.
    Macro-F1 averages over the labels present in ``y_true`` or ``y_pred``.
    """
    from sklearn.metrics import f1_score, precision_recall_fscore_support  # ~1 s to import

    idx = list(range(len(labels)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=idx, zero_division=0)
    seen = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    confidence = probs[np.arange(len(y_pred)), y_pred]
    return {
        "n": int(len(y_true)),
        "accuracy": float(np.mean(y_true == y_pred)) if len(y_true) else 0.0,
        "macro_f1": float(f1_score(y_true, y_pred, labels=seen, average="macro", zero_division=0))
        if len(y_true)
        else 0.0,
        "ece": expected_calibration_error(confidence, (y_true == y_pred).astype(float)),
        "per_label": {
            labels[i]: {
                "precision": float(p[i]),
                "recall": float(r[i]),
                "f1": float(f[i]),
                "support": int(s[i]),
            }
            for i in idx
        },
    }


def flag_metrics(y_true: np.ndarray, prob: np.ndarray, threshold: float) -> dict[str, Any]:
    """Precision, recall, F1 at ``threshold``, and the ECE of P(true)."""
    y_true = y_true.astype(bool)
    pred = prob >= threshold
    tp = int((pred & y_true).sum())
    fp = int((pred & ~y_true).sum())
    fn = int((~pred & y_true).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "n": int(len(y_true)),
        "positives": int(y_true.sum()),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "threshold": float(threshold),
        "ece": expected_calibration_error(prob, y_true.astype(float)),
    }
