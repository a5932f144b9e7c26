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

PREDICT_BATCH = 2_000


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


def column_types(
    clf: ContactClassifier, with_id: bool, probabilities: bool = False
) -> dict[str, str]:
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
    columns = score_columns(clf, texts, ids, max_chars, errors, probabilities)
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def score_columns(
    clf: ContactClassifier,
    texts: Sequence[Any],
    ids: Sequence[Any] | None = None,
    max_chars: int | None = None,
    errors: Sequence[str | None] | None = None,
    probabilities: bool = False,
) -> dict[str, list[Any]]:
    """:func:`score_texts` by column: output column -> one value per input row.

    The values are the very ones :func:`score_texts` puts in its rows, computed a column
    at a time (batch scoring builds its DataFrames from this).
    """
    problems = _problems(texts, max_chars, errors)
    n = len(problems)
    out: dict[str, list[Any]] = {
        c: [None] * n for c in output_columns(clf, ids is not None, probabilities)
    }
    out["error"] = [p or None for p in problems]
    good = [i for i, p in enumerate(problems) if p is None]
    if good:
        pred, probs = _predict(clf, [texts[i] for i in good])
        filled = _prediction_columns(clf, pred, probs, probabilities)
        source = _source_rows(good, n)
        for col, values in filled.items():
            out[col] = _placed(values, source)
    if ids is not None:
        ids = list(ids)
        if len(ids) != n:
            raise ValueError(f"{len(ids)} ids for {n} texts; they must match.")
        out["id"] = ids
    return out


def _problems(
    texts: Sequence[Any], max_chars: int | None, errors: Sequence[str | None] | None
) -> list[str | None]:
    """Per text: the upstream error, else :func:`text_problem`'s verdict (computed only
    for values that are not plainly fine: a non-blank str within ``max_chars``)."""
    limit = max_chars if max_chars is not None else float("inf")
    problems: list[str | None] = [
        None
        if type(t) is str and len(t) <= limit and t and not t.isspace()
        else text_problem(t, max_chars)
        for t in texts
    ]
    if errors is not None:
        problems = [e or p for e, p in zip(errors, problems, strict=True)]
    return problems


def _predict(
    clf: ContactClassifier, texts: list[str]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Label indices and probabilities, ``PREDICT_BATCH`` texts at a time.

    Every step is row by row, so the results equal one call on all the texts; the
    feature matrices of a batch stay small (a 10,000-row chunk at once peaks at about
    five times the memory).
    """
    parts: list[dict[str, Any]] = [
        clf.predict_labels(texts[i : i + PREDICT_BATCH])
        for i in range(0, len(texts), PREDICT_BATCH)
    ]
    if len(parts) == 1:
        return parts[0]["pred"], parts[0]["probs"]
    pred = {k: np.concatenate([p["pred"][k] for p in parts]) for k in parts[0]["pred"]}
    probs = {k: np.concatenate([p["probs"][k] for p in parts]) for k in parts[0]["probs"]}
    return pred, probs


def _source_rows(good: list[int], n: int) -> list[int] | None:
    """Per row, its place among the scored rows (``len(good)`` for a row not scored), or
    None when every row was scored."""
    if len(good) == n:
        return None
    source = [len(good)] * n
    for j, i in enumerate(good):
        source[i] = j
    return source


def _placed(values: list[Any], source: list[int] | None) -> list[Any]:
    """The scored rows' values in their rows, None in the others."""
    if source is None:
        return values
    return list(map([*values, None].__getitem__, source))


def _rounded(values: np.ndarray) -> list[float]:
    """``round(float(v), 4)`` of every value, as Python floats (identical to per-row).

    Vectorised as ``rint(v * 1e4) / 1e4``, which equals ``round`` unless ``v * 1e4`` lies
    within rounding error of a tie (or is huge, or not finite): those few values go
    through ``round`` itself.
    """
    x = np.asarray(values, dtype=np.float64)
    scaled = x * 1e4
    with np.errstate(invalid="ignore"):
        near_tie = ~(np.abs(scaled - np.floor(scaled) - 0.5) > 1e-6)
    risky = near_tie | ~(np.abs(scaled) < 2.0**50)
    out: list[float] = (np.rint(scaled) / 1e4).tolist()
    for i in np.flatnonzero(risky).tolist():
        out[i] = round(float(x[i]), 4)
    return out


def _prediction_columns(
    clf: ContactClassifier,
    pred: dict[str, np.ndarray],
    probs: dict[str, np.ndarray],
    probabilities: bool,
) -> dict[str, list[Any]]:
    """Every prediction column for the scored rows, computed a column at a time."""
    tax = clf.taxonomy_
    thresholds = clf.calibration_.flag_threshold
    n = len(next(iter(pred.values()))) if pred else len(next(iter(probs.values())))
    cols: dict[str, list[Any]] = {}
    review = np.zeros(n, dtype=bool)
    for head, spec in tax.heads.items():
        names = spec.label_names
        k = np.asarray(pred[head]).astype(np.int64)
        conf = np.asarray(probs[head], dtype=np.float64)[np.arange(n), k]
        cols[head] = [names[i] for i in k.tolist()]
        cols[f"{head}_confidence"] = _rounded(conf)
        review |= conf < clf.review_threshold(head)
        if spec.out_of_scope_label is not None:
            review |= k == names.index(spec.out_of_scope_label)
        if probabilities:
            for m, label in enumerate(names):
                cols[f"{head}_p_{label}"] = _rounded(probs[head][:, m])
    for flag in tax.flag_names:
        p = np.asarray(probs[flag], dtype=np.float64)
        cols[flag] = (p >= thresholds[flag]).tolist()
        cols[f"{flag}_probability"] = _rounded(p)
    cols.update(_derived_columns(clf, cols, n))
    cols["needs_review"] = review.tolist()
    return cols


def _derived_columns(
    clf: ContactClassifier, cols: dict[str, list[Any]], n: int
) -> dict[str, list[Any]]:
    """The derived values per row, each distinct combination of labels derived once."""
    tax = clf.taxonomy_
    heads, flags = tax.head_names, tax.flag_names
    cache: dict[tuple[Any, ...], dict[str, str]] = {}

    def derive(key: tuple[Any, ...]) -> dict[str, str]:
        labels = dict(zip(heads, key[: len(heads)], strict=True))
        flag_values = dict(zip(flags, key[len(heads) :], strict=True))
        derived = cache[key] = tax.derive(labels, flag_values)
        return derived

    keys = zip(*(cols[h] for h in heads), *(cols[f] for f in flags), strict=True)
    rows = [cache.get(key) or derive(key) for key in keys]
    return {name: [row.get(name) for row in rows] for name in tax.derived}
