"""``build_report``: scored contacts in, ``summary.json``, ``report.csv`` and ``report.html`` out.

The scored file is read once, in chunks and only the columns needed. Every number is an
expected count or share from the calibrated probabilities, with a 95% interval; with an
audit sample, the same numbers corrected for the model's measured error are added
(``method`` ``audit_corrected``). See :mod:`nlp_contact.report.estimate` for the methods.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from nlp_contact.artifacts import CONFIG_FILE, verify_manifest
from nlp_contact.errors import ArtifactError, ConfigError
from nlp_contact.report._accumulate import PERIOD_FORMATS, UNKNOWN, Tally, basis_of, tally
from nlp_contact.report._columns import HARD, Columns, Quantity
from nlp_contact.report._errors import ReportInputError
from nlp_contact.report._plan import COUNT, Cell, plan_cells, report_spec
from nlp_contact.report._read import DEFAULT_CHUNK_ROWS, file_columns, iter_frames
from nlp_contact.report.audit import Audit, load_audit
from nlp_contact.report.estimate import (
    ErrorRates,
    bootstrap_rates,
    corrected_share,
    count_interval,
    share_interval,
)
from nlp_contact.taxonomy import Taxonomy, load_taxonomy, taxonomy_from_dict

SUMMARY_JSON = "summary.json"
REPORT_CSV = "report.csv"
REPORT_HTML = "report.html"
CSV_COLUMNS = ["measure", "group", "estimate", "ci_low", "ci_high", "n", "method"]
DATE_COLUMNS = ("date", "contact_date")
EXPECTED, HARD_LABELS, AUDIT = "expected", "hard_labels", "audit_corrected"
METHODS = {
    EXPECTED: "Expected counts from calibrated probabilities: the sum of P(yes) over "
    "contacts; 95% interval from the Poisson-binomial variance sum p(1-p), normal "
    "approximation (shares: delta method for the ratio). The interval assumes the "
    "probabilities are calibrated on these contacts.",
    HARD_LABELS: "Counts of hard predicted labels (the file has no probabilities for "
    "this output); no interval.",
    AUDIT: "Rogan-Gladen correction of the share of hard predictions for the sensitivity "
    "and specificity measured on the audit sample; 95% percentile bootstrap interval "
    "resampling the audit rows and the scored contacts together.",
}


def report_taxonomy(model: Path | None) -> tuple[Taxonomy, str]:
    """The taxonomy of the model directory (its config), or the packaged default."""
    if model is None:
        return load_taxonomy(), "the packaged default taxonomy"
    if not model.is_dir():
        raise ArtifactError(
            f"Model directory '{model}' does not exist. Pass --model DIR, the model that "
            "scored the file (its taxonomy names the heads the report reads)."
        )
    verify_manifest(model)
    config = json.loads((model / CONFIG_FILE).read_text("utf-8"))
    return taxonomy_from_dict(config["taxonomy"], source=f"'{model / CONFIG_FILE}'"), str(model)


def build_report(
    scored: Path,
    out: Path,
    *,
    model: Path | None = None,
    audit: Path | None = None,
    date_column: str | None = None,
    channel_column: str = "channel",
    period: str = "month",
    n_boot: int = 2000,
    seed: int = 0,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    charts: bool = True,
) -> dict[str, Any]:
    """Write the avoidable-contact report of ``scored`` into directory ``out``.

    Args:
        scored: the output of ``nlp-contact score`` (CSV, JSONL or Parquet), ideally with
            ``--probabilities``; may carry extra columns (channel, date).
        out: the directory to write ``summary.json``, ``report.csv`` and ``report.html``.
        model: the model directory whose taxonomy names the heads (None: the default).
        audit: a labelled sample scored by the same model, truths as ``true_<output>``.
        date_column: the column of contact dates (default: ``date`` when present).
        channel_column: the column of channels, used when present.
        period: ``month``, ``quarter`` or ``week``.
        n_boot: bootstrap replicates for the audit correction.
        seed: the bootstrap's seed.
        chunk_rows: rows read at a time.
        charts: draw the charts (needs matplotlib).

    Returns:
        The summary written to ``summary.json``.
    """
    _check_options(period, n_boot, chunk_rows)
    tax, tax_source = report_taxonomy(model)
    spec = report_spec(tax)
    present = file_columns(scored)
    groups = _group_columns(present, scored, channel_column, date_column)
    cells = plan_cells(tax, spec, list(groups))
    cols = Columns(tax, present, str(scored))
    for cell in cells:
        for q in (cell.event, cell.within):
            if q is not None:
                cols.resolve(q.output, f"for the {cell.measure} of {cell.group or q.name}")
    needed = list(
        dict.fromkeys(
            [*cols.needed(), *groups.values()] + (["error"] if "error" in present else [])
        )
    )
    frames = iter_frames(scored, needed, chunk_rows, floats=cols.floats)
    counts = tally(frames, cols, cells, groups, period)
    if counts.rows_used == 0:
        raise ReportInputError(
            f"'{scored}' has no scored rows ({counts.rows_read} read, "
            f"{counts.rows_with_errors} with errors). Nothing to report."
        )
    rows = model_rows(counts, cols, tax)
    audit_data = None
    if audit is not None:
        audit_data = load_audit(audit, tax, _audit_quantities(cells))
        rows += audit_rows(counts, audit_data, n_boot, seed, tax)
    summary = _summary(scored, tax, tax_source, cols, counts, rows, groups, period, audit_data)
    write_outputs(out, summary, rows, charts)
    return summary


def _check_options(period: str, n_boot: int, chunk_rows: int) -> None:
    if period not in PERIOD_FORMATS:
        raise ConfigError(f"--period must be one of {list(PERIOD_FORMATS)}; found '{period}'.")
    if n_boot < 100:
        raise ConfigError(f"--bootstrap must be at least 100; found {n_boot}.")
    if chunk_rows < 1:
        raise ConfigError(f"chunk_rows must be at least 1; found {chunk_rows}.")


def _group_columns(
    present: list[str], scored: Path, channel_column: str, date_column: str | None
) -> dict[str, str]:
    groups: dict[str, str] = {}
    if channel_column in present:
        groups["channel"] = channel_column
    if date_column is not None:
        if date_column not in present:
            raise ReportInputError(
                f"Date column '{date_column}' is missing from '{scored}'; its columns are "
                f"{present[:25]}. Pass the column holding each contact's date with "
                "--date-column, or add it to the scored file (e.g. join on id)."
            )
        groups["period"] = date_column
    else:
        found = [c for c in DATE_COLUMNS if c in present]
        if found:
            groups["period"] = found[0]
    return groups


def _ordered(counts: Tally, tax: Taxonomy) -> list[tuple[str, str]]:
    """Cells in plan order; observed groups sorted (channels in taxonomy order)."""
    channel_rank = {c: i for i, c in enumerate(tax.channels or [])}

    def rank(key: tuple[str, str]) -> tuple[int, Any]:
        cell = counts.cells[key]
        if cell.by is None:
            return 0, 0
        group = key[1]
        if cell.by == "channel":
            return 0, (group == UNKNOWN, channel_rank.get(group, len(channel_rank)), group)
        return 0, (group == UNKNOWN, group)

    order = {m: i for i, m in enumerate(dict.fromkeys(k[0] for k in counts.sums))}
    return sorted(counts.sums, key=lambda k: (order[k[0]], rank(k)))


def model_rows(counts: Tally, cols: Columns, tax: Taxonomy) -> list[dict[str, Any]]:
    """One row per (measure, group) from the probabilities (or hard labels)."""
    rows = []
    for key in _ordered(counts, tax):
        cell, s = counts.cells[key], counts.sums[key]
        method = EXPECTED if basis_of(cols, cell) == "expected" else HARD_LABELS
        if cell.kind == COUNT:
            est, low, high = count_interval(s)
            n = s.rows
        else:
            est, low, high = share_interval(s)
            n = s.b
        if method == HARD_LABELS:
            low = high = math.nan
        rows.append(_row(key, est, low, high, n, method))
    return rows


def audit_rows(
    counts: Tally, audit: Audit, n_boot: int, seed: int, tax: Taxonomy
) -> list[dict[str, Any]]:
    """The cells the audit can correct, corrected, with bootstrap intervals."""
    rows = []
    for i, key in enumerate(_ordered(counts, tax)):
        cell, s = counts.cells[key], counts.sums[key]
        quantities = _cell_quantities(cell)
        if quantities is None or any(q.name not in audit.true for q in quantities):
            continue
        preds, trues = audit.pairs(quantities)
        rng = np.random.default_rng([seed, i])
        boot = bootstrap_rates(preds, trues, n_boot, rng)
        rates = [ErrorRates.of(p, t) for p, t in zip(preds, trues, strict=True)]
        est, low, high = corrected_share(s, rates, boot, rng, cell.audit_mode == "ratio")
        scale = s.rows if cell.kind == COUNT else 1.0
        n = s.rows if cell.kind == COUNT else s.b
        rows.append(_row(key, est * scale, low * scale, high * scale, n, AUDIT))
    return rows


def _cell_quantities(cell: Cell) -> list[Quantity] | None:
    if cell.audit_mode == "single":
        return [cell.event]
    if cell.audit_mode == "ratio" and cell.within is not None:
        return [cell.event, cell.within]
    return None


def _audit_quantities(cells: list[Cell]) -> list[Quantity]:
    found: dict[str, Quantity] = {}
    for cell in cells:
        for q in _cell_quantities(cell) or []:
            found.setdefault(q.name, q)
    return list(found.values())


def _row(
    key: tuple[str, str], est: float, low: float, high: float, n: float, method: str
) -> dict[str, Any]:
    return {
        "measure": key[0],
        "group": key[1],
        "estimate": _round(est),
        "ci_low": _round(low),
        "ci_high": _round(high),
        "n": _round(n, 1),
        "method": method,
    }


def _round(x: float, digits: int = 6) -> float | int | None:
    if x is None or math.isnan(x):
        return None
    r = round(float(x), digits)
    return int(r) if digits <= 1 and r == int(r) else r


def _summary(
    scored: Path,
    tax: Taxonomy,
    tax_source: str,
    cols: Columns,
    counts: Tally,
    rows: list[dict[str, Any]],
    groups: dict[str, str],
    period: str,
    audit: Audit | None,
) -> dict[str, Any]:
    notes = _notes(cols, counts, groups, audit, rows)
    used = {r["method"] for r in rows}
    return {
        "source": str(scored),
        "taxonomy": {"name": tax.name, "version": tax.version, "from": tax_source},
        "rows": {
            "read": counts.rows_read,
            "used": counts.rows_used,
            "with_errors": counts.rows_with_errors,
            "without_predictions": counts.rows_without_predictions,
        },
        "basis": dict(cols.basis),
        "grouped_by": {**groups, **({"period_format": period} if "period" in groups else {})},
        "methods": {m: text for m, text in METHODS.items() if m in used},
        "headline": _headline(rows),
        "audit": _audit_summary(audit),
        "notes": notes,
        "measures": rows,
    }


def _headline(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The overall numbers (group ``all`` and the counts), best method first."""
    best: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["group"] == "all" or r["measure"] == COUNT:
            name = r["measure"] if r["group"] == "all" else f"count:{r['group']}"
            if name not in best or r["method"] == AUDIT:
                best[name] = {k: r[k] for k in ("estimate", "ci_low", "ci_high", "method")}
    return best


def _audit_summary(audit: Audit | None) -> dict[str, Any] | None:
    if audit is None:
        return None
    return {
        "file": audit.source,
        "rows": audit.rows,
        "error_rates": {
            name: audit.rates(Quantity(*_split(name))).to_dict() for name in audit.true
        },
        "not_corrected": audit.missing,
    }


def _split(name: str) -> tuple[str, str | None]:
    output, _, value = name.partition("=")
    return output, value or None


def _notes(
    cols: Columns,
    counts: Tally,
    groups: dict[str, str],
    audit: Audit | None,
    rows: list[dict[str, Any]],
) -> list[str]:
    notes = []
    hard = [o for o, b in cols.basis.items() if b == HARD]
    if hard:
        notes.append(
            f"No probabilities in the scored file for {hard}: numbers about them use the "
            "hard predicted labels (method hard_labels, no interval; shares grouped by them "
            "are grouped by the predicted label). Rescore with `nlp-contact score "
            "--probabilities` for expected counts with intervals."
        )
    if counts.rows_with_errors or counts.rows_without_predictions:
        notes.append(
            f"{counts.rows_with_errors} row(s) with an error and "
            f"{counts.rows_without_predictions} without predictions were left out."
        )
    if "channel" not in groups:
        notes.append("No channel column: no shares by channel (--channel-column).")
    if "period" not in groups:
        notes.append("No date column: no shares by period (pass --date-column).")
    elif counts.unparsed_dates:
        notes.append(f"{counts.unparsed_dates} row(s) have no readable date (period 'unknown').")
    if audit is not None:
        notes += [f"Not corrected for {q}: {why}." for q, why in audit.missing.items()]
        notes.append(
            "The audit correction applies to shares of all contacts and within channels or "
            "periods, and to the split of avoidable contact by reason; shares within a "
            "predicted group are not corrected. It assumes the audit sample's error rates "
            "hold for the scored contacts."
        )
    if any(r["method"] == EXPECTED for r in rows):
        notes.append(
            "Shares within a predicted group and derived values combine outputs as if "
            "independent given the text."
        )
    return notes


def write_outputs(
    out: Path, summary: dict[str, Any], rows: list[dict[str, Any]], charts: bool
) -> None:
    """Write ``summary.json``, ``report.csv`` and ``report.html`` into ``out``."""
    from nlp_contact.report.html import render_html

    out.mkdir(parents=True, exist_ok=True)
    (out / SUMMARY_JSON).write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    with (out / REPORT_CSV).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    (out / REPORT_HTML).write_text(render_html(summary, rows, charts), "utf-8")
