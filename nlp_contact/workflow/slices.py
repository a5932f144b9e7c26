"""Slices of evaluation data (channel, text-length band, any column) and metrics per slice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nlp_contact.data import LabelledData, is_missing
from nlp_contact.errors import ConfigError

MISSING = "(missing)"
LENGTH_BANDS = ((100, "<100 chars"), (300, "100-299 chars"), (1000, "300-999 chars"))
LONGEST_BAND = ">=1000 chars"


def length_band(text: str) -> str:
    """The text-length band of ``text`` (by characters)."""
    for limit, name in LENGTH_BANDS:
        if len(text) < limit:
            return name
    return LONGEST_BAND


def _cell(value: Any) -> str:
    if is_missing(value) or str(value).strip() == "":
        return MISSING
    return str(value).strip()


def slice_values(data: LabelledData, columns: Sequence[str] = ()) -> dict[str, list[str]]:
    """Slice name -> each row's slice value: channel (when present), text length, ``columns``.

    A column may be any extra column of the data or one of its label columns.

    Raises:
        ConfigError: a column is not in the data.
    """
    out: dict[str, list[str]] = {}
    if any(c is not None for c in data.channels):
        out["channel"] = [_cell(c) for c in data.channels]
    out["text_length"] = [length_band(t) for t in data.texts]
    for col in columns:
        if col in out:
            continue
        if col in data.extra.columns:
            out[col] = [_cell(v) for v in data.extra[col].tolist()]
        elif col in data.labels:
            out[col] = [_cell(v) for v in data.labels[col]]
        elif col in data.flags:
            out[col] = [str(bool(v)).lower() for v in data.flags[col]]
        else:
            known = sorted({*data.extra.columns, *data.labels, *data.flags, "channel"})
            raise ConfigError(
                f"--slice column '{col}' is not in the evaluation data; its columns are "
                f"{known}. Pass one of them."
            )
    return out


def slice_order(values: Sequence[str]) -> list[str]:
    """Slice values by decreasing row count (ties alphabetically), missing last."""
    uniq, counts = np.unique(np.asarray(values, dtype=object), return_counts=True)
    ranked = sorted(zip(uniq.tolist(), counts.tolist(), strict=True), key=lambda t: (-t[1], t[0]))
    names = [str(u) for u, _ in ranked]
    return [v for v in names if v != MISSING] + [v for v in names if v == MISSING]


def accuracy_by_slice(
    values: Sequence[str],
    correct: Mapping[str, np.ndarray],
    positives: Mapping[str, np.ndarray] | None = None,
) -> list[dict[str, Any]]:
    """Per slice value: rows, accuracy of each output and, for flags, recall.

    Args:
        values: each row's slice value.
        correct: output -> per-row boolean "prediction is right".
        positives: flag -> per-row boolean "truly true" (for recall per slice).
    """
    arr = np.asarray(values, dtype=object)
    rows = []
    for name in slice_order(values):
        mask = arr == name
        row: dict[str, Any] = {"slice": name, "n": int(mask.sum())}
        row["accuracy"] = {o: float(c[mask].mean()) for o, c in correct.items()}
        if positives:
            row["recall"] = {
                f: _recall(correct[f][mask], pos[mask]) for f, pos in positives.items()
            }
        rows.append(row)
    return rows


def _recall(correct: np.ndarray, positive: np.ndarray) -> dict[str, Any]:
    caught = int((correct & positive).sum())
    total = int(positive.sum())
    return {"caught": caught, "positives": total, "recall": caught / total if total else None}
