"""``nlp-contact compare CHAMPION CHALLENGER DATA``: metrics with paired-bootstrap intervals
and the promotion decision.

Both models score the same labelled rows. Every metric (per head: accuracy, macro-F1,
ECE; per label: precision, recall, F1; per flag: precision, recall, F1, ECE; per slice:
each output's accuracy) is computed for both models on the same bootstrap resamples of
the rows, which gives each model's 95% interval and the interval of the difference
(challenger minus champion) with the pairing kept. The gates of
:mod:`nlp_contact.workflow.gates` then decide "promote" or "keep".

Every metric is a ratio of weighted counts, so a resample is a vector of row weights
(how often each row was drawn) and all metrics of all resamples come from one matrix
product of those weights with per-row indicator columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nlp_contact.classifier import ContactClassifier
from nlp_contact.data import LabelledData
from nlp_contact.errors import ConfigError
from nlp_contact.workflow._eval import Scored, score_labelled
from nlp_contact.workflow.gates import Gates, check_gates
from nlp_contact.workflow.slices import slice_order, slice_values
from nlp_contact.workflow.stats import bootstrap_weights, percentile_interval, wilson_interval

ECE_BINS = 15
CHUNK = 200
MAX_WEIGHTS = 20_000_000  # resample weights held at once (160 MB)
Metrics = dict[tuple[str, ...], np.ndarray]


class _Columns:
    """Per-row indicator columns of one model, named by key, stacked into a matrix."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.index: dict[tuple[Any, ...], int] = {}
        self.cols: list[np.ndarray] = []

    def add(self, key: tuple[Any, ...], values: np.ndarray) -> None:
        self.index[key] = len(self.cols)
        self.cols.append(np.asarray(values, dtype=np.float64))

    def matrix(self) -> np.ndarray:
        return np.column_stack(self.cols)


def _bins(confidence: np.ndarray) -> np.ndarray:
    """The ECE bin of each value, exactly as :func:`expected_calibration_error` bins."""
    edges = np.linspace(0.0, 1.0, ECE_BINS + 1)
    return np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, ECE_BINS - 1)


def _add_ece(c: _Columns, output: str, confidence: np.ndarray, outcome: np.ndarray) -> None:
    bins = _bins(confidence)
    for b in range(ECE_BINS):
        mask = bins == b
        c.add(("ece_conf", output, b), confidence * mask)
        c.add(("ece_hit", output, b), outcome * mask)


def columns_of(scored: Scored, slices: dict[str, list[str]]) -> _Columns:
    """Every indicator column the metrics of one model need."""
    n = len(next(iter(scored.truth.values())))
    c = _Columns(n)
    c.add(("rows",), np.ones(n))
    correct = scored.correct()
    for head, names in scored.labels.items():
        y, pred = scored.truth[head], scored.pred[head]
        c.add(("correct", head), correct[head])
        for k in range(len(names)):
            c.add(("support", head, k), y == k)
            c.add(("predicted", head, k), pred == k)
            c.add(("tp", head, k), (y == k) & (pred == k))
        _add_ece(c, head, scored.confidence(head), correct[head].astype(float))
    for flag in scored.flags:
        y, pred = scored.truth[flag], scored.pred[flag]
        c.add(("positives", flag), y)
        c.add(("predicted", flag), pred)
        c.add(("tp", flag), y & pred)
        _add_ece(c, flag, scored.probs[flag], y.astype(float))
    for col, values in slices.items():
        arr = np.asarray(values, dtype=object)
        for value in slice_order(values):
            mask = arr == value
            c.add(("slice_rows", col, value), mask)
            for output, ok in correct.items():
                c.add(("slice_correct", col, value, output), ok & mask)
    return c


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def metrics_from_counts(c: _Columns, counts: np.ndarray, scored: Scored) -> Metrics:
    """Every metric, one value per resample, from weighted counts ``(R, columns)``."""

    def get(*key: Any) -> np.ndarray:
        return counts[:, c.index[key]]

    out: Metrics = {}
    rows = get("rows")
    for head, names in scored.labels.items():
        out[("head", head, "accuracy")] = get("correct", head) / rows
        f1s = []
        for k, label in enumerate(names):
            tp, sup, prd = get("tp", head, k), get("support", head, k), get("predicted", head, k)
            out[("label", head, label, "recall")] = _ratio(tp, sup)
            out[("label", head, label, "precision")] = _ratio(tp, prd)
            f1 = _ratio(2 * tp, sup + prd)
            out[("label", head, label, "f1")] = f1
            f1s.append(f1)
        out[("head", head, "macro_f1")] = np.nanmean(np.column_stack(f1s), axis=1)
        out[("head", head, "ece")] = _ece(c, counts, head, rows)
    for flag in scored.flags:
        tp, pos, prd = get("tp", flag), get("positives", flag), get("predicted", flag)
        precision, recall = _ratio(tp, prd), _ratio(tp, pos)
        out[("flag", flag, "recall")] = recall
        out[("flag", flag, "precision")] = np.nan_to_num(precision)
        out[("flag", flag, "f1")] = np.nan_to_num(_ratio(2 * tp, pos + prd))
        out[("flag", flag, "ece")] = _ece(c, counts, flag, rows)
    for key in c.index:
        if key[0] == "slice_correct":
            _, col, value, output = key
            out[("slice", col, value, output)] = _ratio(get(*key), get("slice_rows", col, value))
    return out


def _ece(c: _Columns, counts: np.ndarray, output: str, rows: np.ndarray) -> np.ndarray:
    conf = counts[:, [c.index[("ece_conf", output, b)] for b in range(ECE_BINS)]]
    hit = counts[:, [c.index[("ece_hit", output, b)] for b in range(ECE_BINS)]]
    return np.asarray(np.abs(conf - hit).sum(axis=1) / rows)


def _replicates(
    matrices: Sequence[np.ndarray], n: int, resamples: int, seed: int
) -> list[np.ndarray]:
    """Weighted counts of each matrix on the same resamples, in chunks to bound memory."""
    out: list[list[np.ndarray]] = [[] for _ in matrices]
    chunk = max(10, min(CHUNK, MAX_WEIGHTS // max(n, 1)))
    done = 0
    while done < resamples:
        size = min(chunk, resamples - done)
        w = bootstrap_weights(n, size, seed + done)
        for k, m in enumerate(matrices):
            out[k].append(w @ m)
        done += size
    return [np.vstack(parts) for parts in out]


def check_compatible(
    champion: ContactClassifier, challenger: ContactClassifier, data: LabelledData
) -> None:
    """Both models must predict every output of the data, with the same labels."""
    for head in data.labels:
        a, b = champion.labels_.get(head), challenger.labels_.get(head)
        if a is None or b is None or a != b:
            raise ConfigError(
                f"Head '{head}' differs between the models: champion labels {a}, challenger "
                f"labels {b}. Compare models of the same taxonomy version; map older "
                "labelled data with --label-map."
            )
    for flag in data.flags:
        missing = [
            w
            for w, m in (("champion", champion), ("challenger", challenger))
            if flag not in m.taxonomy_.flags
        ]
        if missing:
            raise ConfigError(
                f"Flag '{flag}' is in the data but not in the {' and '.join(missing)} model. "
                "Compare models of the same taxonomy version."
            )


def compare_models(
    champion: ContactClassifier,
    challenger: ContactClassifier,
    data: LabelledData,
    gates: Gates,
    slices: Sequence[str] = (),
) -> dict[str, Any]:
    """Score both models on ``data``, bootstrap every metric, apply ``gates``.

    Returns:
        ``{"decision", "gates", "n", "resamples", "heads", "flags", "slices", ...}``;
        decision is "promote" only when every gate passes.
    """
    check_compatible(champion, challenger, data)
    cuts = slice_values(data, slices)
    scored = [score_labelled(champion, data), score_labelled(challenger, data)]
    cols = [columns_of(s, cuts) for s in scored]
    mats = [c.matrix() for c in cols]
    bs = gates.bootstrap
    boot = _replicates(mats, len(data), bs.resamples, bs.seed)
    point = [m.sum(axis=0, keepdims=True) for m in mats]
    found = [metrics_from_counts(c, p, s) for c, p, s in zip(cols, point, scored, strict=True)]
    reps = [metrics_from_counts(c, b, s) for c, b, s in zip(cols, boot, scored, strict=True)]
    summary = _Summary(found, reps, bs.level)
    result = _layout(summary, scored, cuts)
    result.update({"n": len(data), "resamples": bs.resamples, "level": bs.level})
    result["gates"] = check_gates(gates, result)
    result["decision"] = "promote" if all(g["passed"] for g in result["gates"]) else "keep"
    return result


class _Summary:
    """Point values and intervals of both models and of their paired difference."""

    def __init__(self, point: list[Metrics], reps: list[Metrics], level: float) -> None:
        self.point, self.reps, self.level = point, reps, level

    def __call__(self, key: tuple[str, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for who, k in (("champion", 0), ("challenger", 1)):
            out[who] = self._one(self.point[k][key][0], self.reps[k][key])
        diff = self.point[1][key][0] - self.point[0][key][0]
        out["difference"] = self._one(diff, self.reps[1][key] - self.reps[0][key])
        return out

    def _one(self, value: float, reps: np.ndarray) -> dict[str, Any]:
        low, high = percentile_interval(reps, self.level)
        return {"value": _clean(value), "low": _clean(low), "high": _clean(high)}


def _clean(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 6)


def _layout(
    s: Callable[[tuple[str, ...]], dict[str, Any]],
    scored: list[Scored],
    cuts: dict[str, list[str]],
) -> dict[str, Any]:
    a, b = scored
    heads: dict[str, Any] = {}
    for head, names in a.labels.items():
        heads[head] = {m: s(("head", head, m)) for m in ("accuracy", "macro_f1", "ece")}
        heads[head]["labels"] = {
            label: {
                "support": int((a.truth[head] == k).sum()),
                **{m: s(("label", head, label, m)) for m in ("recall", "precision", "f1")},
            }
            for k, label in enumerate(names)
        }
    flags: dict[str, Any] = {}
    for flag in a.flags:
        flags[flag] = {m: s(("flag", flag, m)) for m in ("recall", "precision", "f1", "ece")}
        positives = int(a.truth[flag].sum())
        flags[flag]["positives"] = positives
        flags[flag]["threshold"] = {
            "champion": a.thresholds[flag],
            "challenger": b.thresholds[flag],
        }
        for who, sc in (("champion", a), ("challenger", b)):
            caught = int((sc.truth[flag] & sc.pred[flag]).sum())
            flags[flag]["recall"][who]["wilson_low"] = round(
                wilson_interval(caught, positives)[0], 6
            )
    outputs = [*a.heads, *a.flags]
    slices = {
        col: {
            value: {
                "n": int((np.asarray(values, dtype=object) == value).sum()),
                "accuracy": {o: s(("slice", col, value, o)) for o in outputs},
            }
            for value in slice_order(values)
        }
        for col, values in cuts.items()
    }
    return {"heads": heads, "flags": flags, "slices": slices}
