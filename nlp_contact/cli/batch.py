"""``nlp-contact score``: batch scoring of CSV, JSONL or Parquet files."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from nlp_contact.cli._app import app, default_model_dir, echo_err

EXIT_MISMATCH = 3


@app.command("score")
def score_cmd(
    input: Annotated[Path, typer.Argument(help="CSV, JSONL or Parquet file of contacts.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output file; format from its extension.")
    ],
    model: Annotated[
        Path | None,
        typer.Option("--model", "-m", help="Model directory (default: models/default)."),
    ] = None,
    text_column: Annotated[
        str, typer.Option("--text-column", help="Column with the text.")
    ] = "text",
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Processes (default: every core).")
    ] = None,
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="Rows per chunk.")] = 10_000,
    max_chars: Annotated[
        int, typer.Option("--max-chars", help="Longer texts get an error instead of a score.")
    ] = 100_000,
    probabilities: Annotated[
        bool, typer.Option("--probabilities", help="Add a HEAD_p_LABEL column per label.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue a killed run from its last completed chunk.")
    ] = False,
    engine: Annotated[str, typer.Option("--engine", help="local (default) or dask.")] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address; a local cluster when omitted."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Score every row of a file, in order; bad rows are written with `error` filled.

    Streams the input in chunks (bounded memory), uses every core, writes the output
    aside and renames it, and with --resume continues a killed run exactly.
    """
    from nlp_contact.batch.runner import RowCountMismatch, score_file

    if not quiet:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    try:
        summary = score_file(
            input,
            out,
            model or default_model_dir(),
            text_column=text_column,
            jobs=jobs,
            chunk_rows=chunk_rows,
            max_chars=max_chars,
            probabilities=probabilities,
            resume=resume,
            engine=engine,
            scheduler=scheduler,
            quiet=quiet,
        )
    except RowCountMismatch as exc:
        echo_err(f"Error: {exc}")
        raise typer.Exit(EXIT_MISMATCH) from None
    echo_err(
        f"rows read {summary.rows_read:,}, scored {summary.rows_scored:,}, with errors "
        f"{summary.rows_with_errors:,}; rows written {summary.rows_written:,} "
        f"({'equal to' if summary.rows_written == summary.rows_read else 'DIFFERENT FROM'} rows "
        f"read); {summary.seconds:.1f} s; output {summary.output}"
    )
