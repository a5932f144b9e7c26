"""Scored files made by hand: every column `nlp-contact score --probabilities` writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nlp_contact.taxonomy import load_taxonomy

TAX = load_taxonomy()


def scored_frame(
    heads: Mapping[str, Sequence[Mapping[str, float]]],
    flags: Mapping[str, Sequence[float]] | None = None,
    extra: Mapping[str, Sequence[Any]] | None = None,
) -> pd.DataFrame:
    """A scored file for the default taxonomy.

    Args:
        heads: head -> one {label: probability} per row (omitted labels get 0; an omitted
            head puts all its mass on its last label).
        flags: flag -> P(true) per row (omitted: 0.0).
        extra: more columns (channel, date, error, true_*).
    """
    n = len(next(iter(heads.values())))
    cols: dict[str, Any] = {"id": [f"r{i}" for i in range(n)]}
    for head, spec in TAX.heads.items():
        labels = spec.label_names
        rows = heads.get(head) or [{labels[-1]: 1.0}] * n
        p = np.array([[r.get(lab, 0.0) for lab in labels] for r in rows])
        best = p.argmax(axis=1)
        cols[head] = [labels[k] for k in best]
        cols[f"{head}_confidence"] = p.max(axis=1)
        for j, lab in enumerate(labels):
            cols[f"{head}_p_{lab}"] = p[:, j]
    for flag in TAX.flag_names:
        p = np.asarray((flags or {}).get(flag, [0.0] * n), dtype=float)
        cols[flag] = p >= 0.5
        cols[f"{flag}_probability"] = p
    frame = pd.DataFrame(cols)
    labels = frame[TAX.head_names].to_dict("records")
    fl = frame[TAX.flag_names].astype(bool).to_dict("records")
    for name in TAX.derived:
        frame[name] = [TAX.derive(a, b)[name] for a, b in zip(labels, fl, strict=True)]
    frame["needs_review"] = False
    frame["error"] = None
    for key, values in (extra or {}).items():
        frame[key] = list(values)
    return frame


def avoidable_heads(p_avoid: Sequence[float], reason: str = "service_failure") -> dict[str, Any]:
    """value_status and a consistent avoidable_reason from P(avoidable) per row."""
    return {
        "value_status": [{"avoidable": p, "value": 1 - p} for p in p_avoid],
        "avoidable_reason": [{reason: p, "not_avoidable": 1 - p} for p in p_avoid],
    }


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    return path
