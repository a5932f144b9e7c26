"""The ``synth`` command: generate labelled contact records for training."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from nlp_contact.cli._app import app, echo_err


@app.command("synth")
def synth_cmd(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output file; .csv, .jsonl or .parquet.")
    ],
    n: Annotated[int, typer.Option("--n", min=0, help="How many records to generate.")] = 1000,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed; the same seed gives the same records.")
    ] = 0,
    proportions: Annotated[
        Path | None,
        typer.Option(
            "--proportions",
            help="YAML file of shares, merged over nlp_contact/synth/proportions.yaml.",
        ),
    ] = None,
) -> None:
    """Generate N labelled contacts (phone notes, letters, emails...) in the labelled format."""
    from nlp_contact.synth import generate, load_proportions, write
    from nlp_contact.synth._writers import output_format

    output_format(out)
    props = load_proportions(proportions)
    start = time.perf_counter()
    count = write(generate(n, seed, props), out)
    seconds = time.perf_counter() - start
    echo_err(f"synth: wrote {count} records to {out} (seed {seed}) in {seconds:.1f}s")
