"""One pass over a scored file: the sums behind every cell, group by group.

Memory is bounded by the chunk size and the number of groups (labels, channels,
periods), never by the number of rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nlp_contact.report._columns import HARD, Columns, View
from nlp_contact.report._errors import ReportInputError
from nlp_contact.report._plan import Cell
from nlp_contact.report.estimate import Sums, row_terms, sums_from

UNKNOWN = "unknown"
PERIOD_FORMATS = ("month", "quarter", "week")


@dataclass
class Tally:
    """The sums of every (measure, group), and the rows read, used and left out."""

    sums: dict[tuple[str, str], Sums] = field(default_factory=dict)
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    rows_read: int = 0
    rows_with_errors: int = 0
    rows_without_predictions: int = 0
    unparsed_dates: int = 0

    @property
    def rows_used(self) -> int:
        return self.rows_read - self.rows_with_errors - self.rows_without_predictions

    def add(self, key: tuple[str, str], cell: Cell, sums: Sums) -> None:
        if key not in self.sums:
            self.sums[key] = Sums()
            self.cells[key] = cell
        self.sums[key] += sums


def tally(
    frames: Iterable[pd.DataFrame],
    cols: Columns,
    cells: list[Cell],
    group_columns: dict[str, str],
    period: str,
) -> Tally:
    """Read every frame once and add its contacts to every cell's sums.

    Args:
        frames: chunks of the scored file.
        cols: how outputs are read from the columns.
        cells: the report's cells.
        group_columns: observed grouping (``channel``/``period``) -> the file's column.
        period: ``month``, ``quarter`` or ``week``.
    """
    out = Tally()
    for frame in frames:
        out.rows_read += len(frame)
        frame = _usable(frame, cols, out)
        if not len(frame):
            continue
        view = View(cols, frame)
        keys = _group_keys(frame, group_columns, period, out)
        for cell in cells:
            terms = cell_terms(view, cell)
            if cell.by is None:
                out.add((cell.measure, str(cell.group)), cell, sums_from(terms))
                continue
            grouped = pd.DataFrame(terms).groupby(keys[cell.by], sort=False).sum()
            for group, row in zip(grouped.index, grouped.to_numpy(), strict=True):
                values = dict(zip(grouped.columns, map(float, row), strict=True))
                out.add((cell.measure, str(group)), cell, Sums(**values))
    return out


def cell_terms(view: View, cell: Cell) -> dict[str, np.ndarray]:
    """Per-contact terms of a cell (see :mod:`nlp_contact.report.estimate`)."""
    p, h = view.prob(cell.event), view.hard(cell.event)
    one = np.ones(view.n)
    if cell.within is None:
        return row_terms(p, one, p, h, one, h)
    pw, hw = view.prob(cell.within), view.hard(cell.within)
    if cell.implies:
        return row_terms(p, pw, p, h, hw, h & hw)
    both = p * pw
    return row_terms(both, pw, both, h & hw, hw, h & hw)


def _usable(frame: pd.DataFrame, cols: Columns, out: Tally) -> pd.DataFrame:
    """The rows that were scored: no ``error`` and every prediction present."""
    keep = np.ones(len(frame), dtype=bool)
    if "error" in frame.columns:
        failed = frame["error"].notna().to_numpy()
        out.rows_with_errors += int(failed.sum())
        keep &= ~failed
    predicted = [c for c in cols.needed() if c in frame.columns]
    missing = ~frame[predicted].notna().all(axis=1).to_numpy() & keep
    out.rows_without_predictions += int(missing.sum())
    frame = frame[keep & ~missing]
    _check_labels(frame, cols)
    return frame


def _check_labels(frame: pd.DataFrame, cols: Columns) -> None:
    for head, spec in cols.tax.heads.items():
        if cols.basis.get(head) is None or head not in frame.columns:
            continue
        unknown = set(frame[head].astype(str).unique()) - set(spec.label_names)
        if unknown:
            raise ReportInputError(
                f"Column '{head}' of '{cols.source}' holds {sorted(unknown)[:5]}, which are "
                f"not labels of '{head}' in taxonomy '{cols.tax.name}' ({spec.label_names}). "
                "The file was scored with another model: pass that model with --model."
            )


def _group_keys(
    frame: pd.DataFrame, group_columns: dict[str, str], period: str, out: Tally
) -> dict[str, np.ndarray]:
    keys: dict[str, np.ndarray] = {}
    for by, column in group_columns.items():
        values = frame[column]
        if by == "period":
            labels = period_labels(values, period)
            out.unparsed_dates += int((labels == UNKNOWN).sum())
            keys[by] = labels.to_numpy()
        else:
            text = values.astype(str).str.strip()
            keys[by] = text.where(values.notna() & (text != ""), UNKNOWN).to_numpy()
    return keys


def period_labels(values: pd.Series, period: str) -> pd.Series:
    """``2024-03`` (month), ``2024Q1`` (quarter) or ``2024-W05`` (ISO week) per date;
    ``unknown`` where the cell is not a date. Dates with a time zone are taken in UTC.

    Example:
        >>> period_labels(pd.Series(["2024-03-31", "1/2/2024", "soon"]), "quarter").tolist()
        ['2024Q1', '2024Q1', 'unknown']
    """
    stamps = _to_datetime(values)
    if period == "month":
        labels = stamps.dt.strftime("%Y-%m")
    elif period == "quarter":
        labels = (
            stamps.dt.year.astype("Int64").astype(str)
            + "Q"
            + stamps.dt.quarter.astype("Int64").astype(str)
        )
    else:
        iso = stamps.dt.isocalendar()
        labels = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    return labels.where(stamps.notna(), UNKNOWN).astype(str)


def _to_datetime(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = values
    else:
        text = values.astype("string").str.strip()
        stamps = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        retry = stamps.isna() & text.notna() & (text != "")
        if retry.any():
            stamps[retry] = pd.to_datetime(
                text[retry], errors="coerce", utc=True, format="mixed", dayfirst=True
            )
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps


def basis_of(cols: Columns, cell: Cell) -> str:
    """``hard labels`` when the cell's event has no probabilities, else ``expected``."""
    return HARD if cols.basis[cell.event.output] == HARD else "expected"
