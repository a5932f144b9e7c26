"""Probability calibration, flag thresholds and calibration error.

Heads are calibrated by temperature scaling of their logits; flags by Platt scaling
(a logistic fit of the label on the score). Both are fitted on held-out scores.
"""

from __future__ import annotations

import numpy as np


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature T > 0 minimising the NLL of ``softmax(logits / T)``."""
    if len(y) == 0:
        return 1.0
    from scipy.optimize import minimize_scalar  # only when training
    from scipy.special import log_softmax

    def nll(log_t: float) -> float:
        lp = log_softmax(logits / np.exp(log_t), axis=1)
        return float(-lp[np.arange(len(y)), y].mean())

    res = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(res.x))


def apply_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Calibrated class probabilities."""
    z = logits / temperature
    shifted = np.exp(z - z.max(axis=1, keepdims=True))  # scipy.special.softmax's steps
    return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))


def fit_platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(a, b) with P(true) = sigmoid(a * score + b), by regularised maximum likelihood."""
    y = y.astype(float)
    if len(y) == 0 or y.min() == y.max():
        return 1.0, 0.0
    from scipy.optimize import minimize  # only when training

    # Platt's smoothed targets avoid infinite weights on separable data.
    n_pos, n_neg = y.sum(), len(y) - y.sum()
    t = np.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(ab: np.ndarray) -> float:
        z = ab[0] * scores + ab[1]
        return float(np.mean(np.logaddexp(0, z) - t * z))

    res = minimize(loss, x0=np.array([1.0, 0.0]), method="L-BFGS-B")
    return float(res.x[0]), float(res.x[1])


def apply_platt(scores: np.ndarray, a: float, b: float) -> np.ndarray:
    """Calibrated P(true)."""
    x = np.asarray(a * scores + b, dtype=float)
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def threshold_for_recall(prob: np.ndarray, y: np.ndarray, target: float) -> float:
    """The highest threshold whose recall on (prob, y) is at least ``target``."""
    positives = np.sort(prob[y.astype(bool)])[::-1]
    if len(positives) == 0:
        return 0.5
    needed = int(np.ceil(target * len(positives)))
    return float(np.nextafter(positives[max(needed, 1) - 1], 0.0)) if needed else 1.0


def threshold_for_f1(prob: np.ndarray, y: np.ndarray) -> float:
    """The threshold maximising F1 on (prob, y); 0.5 when there are no positives."""
    y = y.astype(bool)
    if not y.any():
        return 0.5
    order = np.argsort(-prob)
    sorted_prob, sorted_y = prob[order], y[order]
    tp = np.cumsum(sorted_y)
    fp = np.cumsum(~sorted_y)
    f1 = 2 * tp / (tp + fp + y.sum())
    best = int(np.argmax(f1))
    return float(np.nextafter(sorted_prob[best], 0.0))


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 15
) -> float:
    """ECE: the support-weighted gap between confidence and accuracy over equal-width bins."""
    if len(confidence) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            ece += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return float(ece)


def reliability_table(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 10
) -> list[dict[str, float]]:
    """Per-bin mean confidence, accuracy and count, for reliability diagrams."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = idx == b
        if mask.any():
            rows.append(
                {
                    "bin_low": float(edges[b]),
                    "bin_high": float(edges[b + 1]),
                    "confidence": float(confidence[mask].mean()),
                    "accuracy": float(correct[mask].mean()),
                    "count": int(mask.sum()),
                }
            )
    return rows
