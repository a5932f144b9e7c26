"""The audit sample: contacts with their true labels and the model's predictions.

An audit file is a scored file (the columns ``nlp-contact score`` writes, from the same
model) with the true labels added as ``true_HEAD`` / ``true_FLAG`` columns (and
optionally ``true_DERIVED``; otherwise derived values are computed from the true labels
by the taxonomy's rules). From it the report measures, for every yes/no quantity, how
often the hard prediction is right when the truth is yes (sensitivity) and no
(specificity), and corrects the scored contacts' shares for those errors
(:func:`nlp_contact.report.estimate.rogan_gladen`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from nlp_contact.data import parse_flag
from nlp_contact.report._columns import Columns, Quantity, View
from nlp_contact.report._errors import ReportInputError
from nlp_contact.report._read import read_whole
from nlp_contact.report.estimate import ErrorRates
from nlp_contact.taxonomy import Taxonomy

TRUE_PREFIX = "true_"


@dataclass
class Audit:
    """Hard predictions and truths of each quantity on the audit rows.

    ``valid[name]`` marks the rows whose truth is known; ``missing[name]`` says why a
    quantity cannot be corrected (no truth column).
    """

    source: str
    rows: int
    pred: dict[str, np.ndarray] = field(default_factory=dict)
    true: dict[str, np.ndarray] = field(default_factory=dict)
    valid: dict[str, np.ndarray] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def pairs(self, quantities: list[Quantity]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Predictions and truths of ``quantities`` on the rows where all truths are known."""
        mask = np.logical_and.reduce([self.valid[q.name] for q in quantities])
        return (
            [self.pred[q.name][mask] for q in quantities],
            [self.true[q.name][mask] for q in quantities],
        )

    def rates(self, q: Quantity) -> ErrorRates:
        """The quantity's confusion counts on the audit rows."""
        (pred,), (true,) = self.pairs([q])
        return ErrorRates.of(pred, true)


def load_audit(path: Path, tax: Taxonomy, quantities: list[Quantity]) -> Audit:
    """Read the audit file and line up predictions with truths for ``quantities``."""
    frame = read_whole(path)
    if "error" in frame.columns:
        frame = frame[frame["error"].isna()].reset_index(drop=True)
    cols = Columns(tax, list(frame.columns), f"{path} (the audit file)")
    audit = Audit(str(path), len(frame))
    view = View(cols, frame)
    for q in quantities:
        cols.resolve(q.output, f"the model's predictions on the audit rows, for {q.name}")
        truth = _truth(frame, tax, q, path)
        if truth is None:
            audit.missing[q.name] = f"no column '{TRUE_PREFIX}{q.output}' in the audit file"
            continue
        audit.true[q.name], audit.valid[q.name] = truth
        audit.pred[q.name] = view.hard(q)
    if not audit.true:
        wanted = sorted({TRUE_PREFIX + q.output for q in quantities})
        raise ReportInputError(
            f"The audit file '{path}' has none of the true-label columns the report needs "
            f"({wanted}). Add each contact's true labels as columns named "
            f"'{TRUE_PREFIX}<head or flag>' beside the columns `nlp-contact score` wrote."
        )
    return audit


def _truth(
    frame: pd.DataFrame, tax: Taxonomy, q: Quantity, path: Path
) -> tuple[np.ndarray, np.ndarray] | None:
    """(truth, known) per row, or None when the truth column is absent."""
    column = TRUE_PREFIX + q.output
    if q.output in tax.derived and column not in frame.columns:
        return _derived_truth(frame, tax, q, path)
    if column not in frame.columns:
        return None
    values = frame[column]
    known = values.notna().to_numpy()
    if q.output in tax.flags:
        parsed = [parse_flag(v) if k else False for v, k in zip(values, known, strict=True)]
        _check_values(
            column, values[known & np.array([p is None for p in parsed])], path, "true/false"
        )
        return np.array([bool(p) for p in parsed]), known
    allowed = _allowed(tax, q.output)
    text = values.astype(str)
    _check_values(column, values[known & ~text.isin(allowed).to_numpy()], path, allowed)
    return np.asarray(text == q.value), known


def _allowed(tax: Taxonomy, output: str) -> list[str]:
    if output in tax.heads:
        return tax.heads[output].label_names
    spec = tax.derived[output]
    return sorted({r.value for r in spec.rules} | {spec.default})


def _check_values(column: str, bad: pd.Series, path: Path, allowed: object) -> None:
    if len(bad):
        raise ReportInputError(
            f"Column '{column}' of the audit file '{path}' holds {len(bad)} value(s) that "
            f"are not allowed, e.g. {bad.iloc[0]!r} (allowed: {allowed}). Fix the labels."
        )


def _derived_truth(
    frame: pd.DataFrame, tax: Taxonomy, q: Quantity, path: Path
) -> tuple[np.ndarray, np.ndarray] | None:
    """The derived value given by the taxonomy's rules to the true labels."""
    involved = sorted({o for rule in tax.derived[q.output].rules for o in rule.when})
    columns = [TRUE_PREFIX + o for o in involved]
    if any(c not in frame.columns for c in columns):
        return None
    for o in involved:  # check every true label is allowed
        _truth(
            frame, tax, Quantity(o, None if o in tax.flags else tax.heads[o].label_names[0]), path
        )
    plain = frame[columns].rename(columns=lambda c: c[len(TRUE_PREFIX) :])
    cols = Columns(tax, involved, f"{path} (true labels)")
    cols.resolve(q.output, "the true labels")
    return View(cols, plain).hard(q), plain.notna().all(axis=1).to_numpy()
