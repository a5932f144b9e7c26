"""``nlp-contact report``: the avoidable-contact report of a scored file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nlp_contact.cli._app import app, default_model_dir, echo_err, print_json


@app.command("report")
def report_cmd(
    scored: Annotated[
        Path, typer.Argument(help="Output of `nlp-contact score` (best with --probabilities).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write the report to.")],
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            "-m",
            help="Model that scored the file; its taxonomy names the heads (default: "
            "models/default, else the packaged taxonomy).",
        ),
    ] = None,
    audit: Annotated[
        Path | None,
        typer.Option(
            "--audit",
            help="Labelled sample scored by the same model, true labels in true_<head> "
            "columns: corrects the estimates for the model's measured error.",
        ),
    ] = None,
    date_column: Annotated[
        str | None,
        typer.Option("--date-column", help="Column of contact dates (default: 'date' if present)."),
    ] = None,
    period: Annotated[
        str, typer.Option("--period", help="Period of the by-period shares: month, quarter, week.")
    ] = "month",
    channel_column: Annotated[
        str, typer.Option("--channel-column", help="Column of channels, used when present.")
    ] = "channel",
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", help="Bootstrap replicates for the audit correction.")
    ] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
) -> None:
    """Share of avoidable contact (overall, by reason, channel, period) and counts of
    complaints, compliments, referrals, third-party and vulnerable contacts, with 95%
    intervals; writes summary.json, report.csv and report.html into --out.
    """
    from nlp_contact.report import build_report

    if model is None and default_model_dir().is_dir():
        model = default_model_dir()
    summary = build_report(
        scored,
        out,
        model=model,
        audit=audit,
        date_column=date_column,
        period=period,
        channel_column=channel_column,
        n_boot=bootstrap,
        seed=seed,
    )
    for note in summary["notes"]:
        echo_err(f"Note: {note}")
    echo_err(f"Report written to {out} (report.html, report.csv, summary.json).")
    print_json(summary["headline"])
