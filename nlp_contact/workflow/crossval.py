"""``nlp-contact cross-validate``: stratified K-fold out-of-fold predictions and metric spread.

Every row is predicted by a model that did not see it: the data is split into K folds,
stratified on the first head's labels, and rows whose texts are the same (after
lower-casing and collapsing spaces) always share a fold so that a duplicate cannot leak
into its own test fold. Each fold's model is a full :class:`ContactClassifier` (with its
own calibration and flag thresholds), trained with the given config.

Example:
    >>> from nlp_contact.taxonomy import taxonomy_from_columns
    >>> from nlp_contact.data import validate_labelled
    >>> import pandas as pd
    >>> df = pd.DataFrame({"text": ["card lost", "card stolen", "pay late", "pay missing"] * 5,
    ...                    "topic": ["card", "card", "pay", "pay"] * 5})
    >>> df["text"] = df["text"] + " " + pd.Series(range(20)).astype(str).map(lambda s: "x" * int(s))
    >>> tax = taxonomy_from_columns({"topic": df["topic"]})
    >>> result = cross_validate(validate_labelled(df, tax, "doc"), tax, folds=2)
    >>> sorted(result.summary["heads"]["topic"])
    ['accuracy', 'ece', 'macro_f1']
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nlp_contact.calibration import expected_calibration_error
from nlp_contact.classifier import ContactClassifier
from nlp_contact.config import TrainConfig
from nlp_contact.data import LabelledData, normalise_for_dedup, read_table, validate_labelled
from nlp_contact.errors import ConfigError
from nlp_contact.metrics import flag_metrics, head_metrics
from nlp_contact.taxonomy import Taxonomy
from nlp_contact.workflow._eval import truth_of

log = logging.getLogger(__name__)

HEAD_KEYS = ("accuracy", "macro_f1", "ece")
FLAG_KEYS = ("precision", "recall", "f1", "ece")


@dataclass
class CrossValResult:
    """Out-of-fold predictions of every row and the metrics of every fold.

    Attributes:
        folds: the fold of each row (0-based).
        truth: head -> label indices; flag -> booleans (the given labels).
        probs: head -> (n, K) out-of-fold probabilities; flag -> (n,) P(true).
        pred: head -> predicted label indices; flag -> decision at its fold's threshold.
        thresholds: flag -> (n,) the threshold of the fold model that predicted the row.
        labels: head -> its labels, in order.
        fold_metrics: the metrics of each fold's model on its test fold.
        summary: mean and standard deviation over folds, and pooled out-of-fold metrics.
    """

    folds: np.ndarray
    truth: dict[str, np.ndarray]
    probs: dict[str, np.ndarray]
    pred: dict[str, np.ndarray]
    thresholds: dict[str, np.ndarray]
    labels: dict[str, list[str]]
    fold_metrics: list[dict[str, Any]]
    summary: dict[str, Any]


def read_labelled_for_cv(
    path: str | Path, taxonomy: Taxonomy, text_column: str = "text", label_map: Any = None
) -> LabelledData:
    """Read and validate one labelled file, every row kept (duplicates share a fold instead)."""
    df = read_table(path)
    if label_map is not None:
        df = label_map.apply(df, source=str(path))
    return validate_labelled(df, taxonomy, str(path), text_column)


def assign_folds(strata: np.ndarray, groups: list[str], k: int, seed: int) -> np.ndarray:
    """The fold of each row: groups kept whole, each stratum spread evenly over the folds.

    Groups are shuffled, ordered by stratum and dealt to the folds in turn, so a stratum
    with ``c`` groups puts ``c // k`` or ``c // k + 1`` of them in every fold, and rare
    labels still reach several folds.

    Raises:
        ConfigError: there are fewer distinct texts than folds.
    """
    uniq, first, inverse = np.unique(
        np.asarray(groups, dtype=object), return_index=True, return_inverse=True
    )
    if len(uniq) < k:
        raise ConfigError(
            f"Cross-validation needs at least as many distinct texts as folds; found "
            f"{len(uniq)} distinct texts for {k} folds. Use fewer --folds or more data."
        )
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(uniq))
    order = order[np.argsort(strata[first][order], kind="stable")]
    fold_of_group = np.empty(len(uniq), dtype=int)
    fold_of_group[order] = (np.arange(len(uniq)) + int(rng.integers(k))) % k
    return fold_of_group[inverse]


def _strata(truth: dict[str, np.ndarray]) -> np.ndarray:
    if not truth:
        raise ConfigError("The data has no label column to cross-validate; add a head or a flag.")
    return np.asarray(next(iter(truth.values())), dtype=int)


def cross_validate(
    data: LabelledData,
    taxonomy: Taxonomy,
    config: TrainConfig | None = None,
    folds: int = 5,
    seed: int | None = None,
) -> CrossValResult:
    """Train one model per fold and predict its held-out rows.

    Args:
        data: validated labelled data (every head and flag of ``taxonomy``).
        taxonomy: what to learn.
        config: training settings of every fold's model (default: the defaults).
        folds: K, at least 2.
        seed: the fold split's seed (default: the config's ``train.seed``).
    """
    if folds < 2:
        raise ConfigError(f"--folds must be at least 2; found {folds}.")
    config = config or TrainConfig()
    seed = config.train.seed if seed is None else seed
    truth = truth_of(data, taxonomy)
    fold_of = assign_folds(
        _strata(truth), [normalise_for_dedup(t) for t in data.texts], folds, seed
    )
    state = _empty_state(taxonomy, len(data))
    fold_metrics = []
    for k in range(folds):
        started = time.perf_counter()
        train_idx, test_idx = np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        clf = ContactClassifier(taxonomy, config).fit_data(data.subset(train_idx))
        fold_metrics.append(_predict_fold(clf, data, test_idx, truth, state))
        log.info(
            "fold %d/%d: %d rows held out, %.1f s",
            k + 1,
            folds,
            len(test_idx),
            time.perf_counter() - started,
        )
    labels = {h: taxonomy.heads[h].label_names for h in taxonomy.head_names}
    result = CrossValResult(
        fold_of, truth, state["probs"], state["pred"], state["thresholds"], labels, fold_metrics, {}
    )
    result.summary = summarise(result)
    return result


def _empty_state(taxonomy: Taxonomy, n: int) -> dict[str, dict[str, np.ndarray]]:
    probs: dict[str, np.ndarray] = {
        h: np.zeros((n, len(s.labels))) for h, s in taxonomy.heads.items()
    }
    probs.update({f: np.zeros(n) for f in taxonomy.flag_names})
    pred = {h: np.zeros(n, dtype=int) for h in taxonomy.head_names}
    pred.update({f: np.zeros(n, dtype=bool) for f in taxonomy.flag_names})
    return {
        "probs": probs,
        "pred": pred,
        "thresholds": {f: np.zeros(n) for f in taxonomy.flag_names},
    }


def _predict_fold(
    clf: ContactClassifier,
    data: LabelledData,
    idx: np.ndarray,
    truth: dict[str, np.ndarray],
    state: dict[str, dict[str, np.ndarray]],
) -> dict[str, Any]:
    result = clf.predict_labels([data.texts[i] for i in idx])
    out: dict[str, Any] = {"n": len(idx), "heads": {}, "flags": {}}
    for head, names in clf.labels_.items():
        state["probs"][head][idx] = result["probs"][head]
        state["pred"][head][idx] = result["pred"][head]
        out["heads"][head] = head_metrics(
            truth[head][idx], result["probs"][head], result["pred"][head], names
        )
    for flag in clf.taxonomy_.flag_names:
        threshold = clf.calibration_.flag_threshold[flag]
        state["probs"][flag][idx] = result["probs"][flag]
        state["pred"][flag][idx] = result["probs"][flag] >= threshold
        state["thresholds"][flag][idx] = threshold
        out["flags"][flag] = flag_metrics(truth[flag][idx], result["probs"][flag], threshold)
    return out


def _spread(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=float)
    return {"mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0}


def summarise(result: CrossValResult) -> dict[str, Any]:
    """Per head and flag: each metric's mean and sample standard deviation over the folds,
    and the metrics of all out-of-fold predictions pooled."""
    fm = result.fold_metrics
    heads = {
        h: {k: _spread([m["heads"][h][k] for m in fm]) for k in HEAD_KEYS} for h in result.labels
    }
    flags = {
        f: {k: _spread([m["flags"][f][k] for m in fm]) for k in FLAG_KEYS}
        for f in result.thresholds
    }
    pooled: dict[str, Any] = {"heads": {}, "flags": {}}
    for h, names in result.labels.items():
        pooled["heads"][h] = head_metrics(result.truth[h], result.probs[h], result.pred[h], names)
    for f in result.thresholds:
        y, pred = result.truth[f], result.pred[f]
        m = flag_metrics(y, pred.astype(float), 0.5)
        m.pop("threshold")
        m["ece"] = expected_calibration_error(result.probs[f], y.astype(float))
        pooled["flags"][f] = m
    n = int(len(result.folds))
    return {"n": n, "folds": len(fm), "heads": heads, "flags": flags, "pooled": pooled}


def oof_frame(result: CrossValResult, data: LabelledData) -> pd.DataFrame:
    """One row per input row: the given labels, the out-of-fold predictions and probabilities.

    Columns: ``row`` (1-based), ``id``, ``fold``; per head ``HEAD`` (given), ``HEAD_pred``,
    ``HEAD_confidence`` and ``HEAD_p_LABEL``; per flag ``FLAG`` (given), ``FLAG_pred``,
    ``FLAG_probability`` and ``FLAG_threshold``.
    """
    n = len(data)
    cols: dict[str, Any] = {"row": np.arange(1, n + 1), "id": data.ids, "fold": result.folds}
    for head, names in result.labels.items():
        p, pred = result.probs[head], result.pred[head]
        cols[head] = [names[i] for i in result.truth[head]]
        cols[f"{head}_pred"] = [names[i] for i in pred]
        cols[f"{head}_confidence"] = np.round(p[np.arange(n), pred], 6)
        for j, label in enumerate(names):
            cols[f"{head}_p_{label}"] = np.round(p[:, j], 6)
    for flag in result.thresholds:
        cols[flag] = result.truth[flag]
        cols[f"{flag}_pred"] = result.pred[flag]
        cols[f"{flag}_probability"] = np.round(result.probs[flag], 6)
        cols[f"{flag}_threshold"] = result.thresholds[flag]
    return pd.DataFrame(cols)
