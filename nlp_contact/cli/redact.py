"""``nlp-contact redact``: redact one text, or a CSV / JSONL / Parquet file in chunks.

The Typer command is a thin wrapper over :func:`redact_file`, which can be called from
tests and notebooks. Every input row gives one output row, in order, with the bad-row
rules of ``score`` (:func:`nlp_contact.data.text_problem`, undecodable bytes, JSONL
lines that are not JSON objects; blank JSONL lines are not rows): the text column holds
the redacted text, and the error column says why a row could not be redacted (its text
is then left empty; the raw value is never written). A CSV row with more fields than
the header is kept too, with an error. The output is written to a temporary file beside
``--out`` and renamed over it only when complete. Nothing here prints or logs contact
text except the redacted text itself.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from nlp_contact.cli._app import app, echo_err
from nlp_contact.data import file_format, text_problem
from nlp_contact.errors import ConfigError, DataProblem, DataValidationError

DEFAULT_CHUNK_ROWS = 1000
UNDECODABLE = "undecodable bytes: the text is not valid UTF-8"  # as in nlp_contact.batch
BAD_CSV_ROW = "the row has more fields than the header"
_BAD_CSV_MARK = "\x00nlp-contact: bad CSV row\x00"


@dataclass(frozen=True)
class RedactSummary:
    """What :func:`redact_file` did: rows written and rows with an error."""

    rows: int
    errors: int


@app.command("redact")
def redact_command(
    text: Annotated[
        str | None,
        typer.Argument(help="Text to redact; '-' reads it from standard input (safer than argv)."),
    ] = None,
    input_path: Annotated[
        Path | None,
        typer.Option("--input", "-i", help="CSV, JSONL or Parquet file to redact (by extension)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Output file, same format as --input; replaced atomically."
        ),
    ] = None,
    text_column: Annotated[
        str, typer.Option(help="Column (or JSON key) holding the text.")
    ] = "text",
    error_column: Annotated[
        str, typer.Option(help="Column added to the output with each bad row's problem.")
    ] = "error",
    ner_model: Annotated[
        str | None,
        typer.Option(help="Installed spaCy pipeline whose PERSON entities are used as well."),
    ] = None,
    chunk_rows: Annotated[
        int, typer.Option("--chunk-rows", min=1, help="Rows read, redacted and written at a time.")
    ] = DEFAULT_CHUNK_ROWS,
) -> None:
    """Replace personal data (names, NI numbers, addresses, ...) with [TYPE_n] placeholders."""
    from nlp_contact.redact import Redactor

    _check_mode(text, input_path, out)
    if input_path is not None and out is not None:
        _check_paths(input_path, out)  # before the slower Redactor() build
    redactor = Redactor(ner_model=ner_model)
    if input_path is None:
        raw = sys.stdin.read() if text == "-" else str(text)
        sys.stdout.write(redactor.redact(raw) + ("" if text == "-" else "\n"))
        return
    assert out is not None
    summary = redact_file(
        input_path,
        out,
        redact_batch=redactor.redact_batch,
        text_column=text_column,
        error_column=error_column,
        chunk_rows=chunk_rows,
    )
    echo_err(
        f"Redacted {summary.rows:,} row{'s' if summary.rows != 1 else ''} into {out} "
        f"({summary.errors:,} with a problem, described in the '{error_column}' column)."
    )


def _check_mode(text: str | None, input_path: Path | None, out: Path | None) -> None:
    if text is not None and input_path is not None:
        raise ConfigError(
            "redact expects either TEXT or --input FILE; found both. Drop one of them."
        )
    if text is None and input_path is None:
        raise ConfigError(
            "redact expects TEXT (or '-' for standard input) or --input FILE --out FILE; "
            "found neither."
        )
    if (input_path is None) != (out is None):
        raise ConfigError(
            "redact expects --input and --out together; found only "
            f"{'--input' if out is None else '--out'}. Give both."
        )


def redact_file(
    input_path: Path,
    out: Path,
    *,
    redact_batch: Callable[[list[str]], list[str]],
    text_column: str = "text",
    error_column: str = "error",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> RedactSummary:
    """Redact the text column of a CSV, JSONL or Parquet file into ``out``, in chunks.

    Args:
        input_path: The file to read; its extension chooses the format.
        out: The file to write, in the same format; written to a temporary file in the
            same folder and renamed over ``out`` when complete.
        redact_batch: Redacts a list of texts, usually ``Redactor().redact_batch``.
        text_column: The column (CSV, Parquet) or key (JSONL) holding the text.
        error_column: The column added to every output row: empty, or why the row's
            text could not be redacted (missing, empty, not a string, undecodable, ...).
        chunk_rows: Rows per chunk.

    Returns:
        The number of rows written and of rows with a problem.

    Raises:
        ConfigError: Unknown or mismatched formats, a missing input file or output
            folder, a missing text column, or an error column the input already has.
        DataValidationError: An unsupported file type, or a CSV file with no header.
    """
    fmt = _check_paths(input_path, out)
    with _atomic_output(out) as tmp:
        writer = {"csv": _redact_csv, "jsonl": _redact_jsonl, "parquet": _redact_parquet}[fmt]
        return writer(input_path, tmp, _Job(redact_batch, text_column, error_column, chunk_rows))


@dataclass(frozen=True)
class _Job:
    redact_batch: Callable[[list[str]], list[str]]
    text_column: str
    error_column: str
    chunk_rows: int

    def redact_values(self, values: list[Any]) -> tuple[list[str | None], list[str | None]]:
        """Redacted texts and errors for a chunk of raw values (None where bad)."""
        errors = [_problem(v) for v in values]
        good = [i for i, e in enumerate(errors) if e is None]
        redacted = self.redact_batch([values[i] for i in good]) if good else []
        texts: list[str | None] = [None] * len(values)
        for i, r in zip(good, redacted, strict=True):
            texts[i] = r
        return texts, errors


def _problem(value: Any) -> str | None:
    """Why a text value cannot be redacted (the rules of ``score``), or None when it can."""
    if value == _BAD_CSV_MARK:
        return BAD_CSV_ROW
    problem = text_problem(value)
    if problem is None and not _utf8_ok(value):
        return UNDECODABLE
    return problem


def _utf8_ok(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean(value: Any) -> Any:
    """Undecodable bytes (kept as surrogates while reading) become U+FFFD on output."""
    if isinstance(value, str) and not _utf8_ok(value):
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value


def _check_paths(input_path: Path, out: Path) -> str:
    fmt_in, fmt_out = file_format(input_path), file_format(out)
    if fmt_in != fmt_out:
        raise ConfigError(
            f"redact writes the format it reads; found --input {fmt_in} and --out {fmt_out}. "
            f"Give --out a {input_path.suffix} name."
        )
    if not input_path.is_file():
        raise ConfigError(f"--input expects an existing file; found nothing at '{input_path}'.")
    if not out.parent.is_dir():
        raise ConfigError(
            f"--out expects an existing folder; found no folder '{out.parent}'. Create it first."
        )
    return fmt_in


@contextmanager
def _atomic_output(out: Path) -> Iterator[Path]:
    """A temporary path beside ``out``, renamed over it only if the block succeeds."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.open("x").close()  # a new file with the usual permissions (umask), ours alone
    try:
        yield tmp
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _check_columns(columns: list[str], source: Path, job: _Job) -> None:
    if job.text_column not in columns:
        raise ConfigError(
            f"Column '{job.text_column}' not found in '{source}'; its columns are "
            f"{columns[:20]}. Pass --text-column NAME."
        )
    if job.error_column in columns:
        raise ConfigError(
            f"redact adds an error column '{job.error_column}', but {source} already has one. "
            "Pass --error-column with another name."
        )


# --------------------------------------------------------------------------- CSV
def _redact_csv(source: Path, target: Path, job: _Job) -> RedactSummary:
    import pandas as pd

    columns = _csv_header(source)
    _check_columns(columns, source, job)
    text_at = columns.index(job.text_column)

    def bad_line(fields: list[str]) -> list[str]:
        row = [""] * len(columns)
        row[text_at] = _BAD_CSV_MARK
        return row

    reader = pd.read_csv(
        source,
        dtype=object,
        keep_default_na=False,
        na_filter=False,
        chunksize=job.chunk_rows,
        encoding="utf-8-sig",
        encoding_errors="surrogateescape",
        engine="python",
        on_bad_lines=bad_line,
    )
    rows = errors = 0
    with target.open("w", encoding="utf-8", newline="") as fh:
        pd.DataFrame(columns=[*columns, job.error_column]).to_csv(fh, index=False)
        for chunk in reader:
            texts, problems = job.redact_values(chunk[job.text_column].tolist())
            chunk = chunk.map(_clean)
            chunk[job.text_column] = texts
            chunk[job.error_column] = problems
            chunk.to_csv(fh, header=False, index=False)
            rows, errors = rows + len(chunk), errors + sum(p is not None for p in problems)
    return RedactSummary(rows, errors)


def _csv_header(source: Path) -> list[str]:
    import pandas as pd

    try:
        header = pd.read_csv(
            source, nrows=0, encoding="utf-8-sig", encoding_errors="surrogateescape"
        )
    except pd.errors.EmptyDataError:
        raise DataValidationError(
            [
                DataProblem(
                    str(source), None, None, "", "the CSV file is empty; expected a header row"
                )
            ]
        ) from None
    return [str(c) for c in header.columns]


# --------------------------------------------------------------------------- JSONL
def _redact_jsonl(source: Path, target: Path, job: _Job) -> RedactSummary:
    rows = errors = 0
    with source.open("rb") as fin, target.open("w", encoding="utf-8") as fout:
        for chunk in _chunks(fin, job.chunk_rows):
            parsed = [_parse_line(raw, job) for raw in chunk]
            values = [obj.get(job.text_column) if err is None else None for obj, err in parsed]
            texts, problems = job.redact_values(values)
            for (obj, err), text, problem in zip(parsed, texts, problems, strict=True):
                row = {**obj, job.text_column: text, job.error_column: err or problem}
                fout.write(json.dumps(row, ensure_ascii=False) + "\n")
                errors += (err or problem) is not None
            rows += len(chunk)
    return RedactSummary(rows, errors)


def _chunks(lines: Any, size: int) -> Iterator[list[bytes]]:
    """Lists of up to ``size`` non-blank lines (blank lines are not rows, as in ``score``)."""
    chunk: list[bytes] = []
    for line in lines:
        if not line.strip():
            continue
        chunk.append(line)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _parse_line(raw: bytes, job: _Job) -> tuple[dict[str, Any], str | None]:
    """The JSON object on one line, or an empty object and the reason it is bad."""
    try:
        line = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        return {}, UNDECODABLE
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return {}, f"not JSON: {exc.msg} at character {exc.pos}"
    if not isinstance(obj, dict):
        return {}, f"a line must be a JSON object, found {type(obj).__name__}"
    if job.error_column in obj:
        raise ConfigError(
            f"redact adds an error key '{job.error_column}', but the input's objects already "
            "have one. Pass --error-column with another name."
        )
    return obj, None


# --------------------------------------------------------------------------- Parquet
def _redact_parquet(source: Path, target: Path, job: _Job) -> RedactSummary:
    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(source)
    schema = parquet.schema_arrow
    _check_columns(schema.names, source, job)
    text_at = schema.get_field_index(job.text_column)
    out_schema = (
        schema.set(text_at, pa.field(job.text_column, pa.string()))
        .append(pa.field(job.error_column, pa.string()))
        .remove_metadata()
    )
    rows = errors = 0
    with pq.ParquetWriter(target, out_schema) as writer:
        for batch in parquet.iter_batches(batch_size=job.chunk_rows):
            texts, problems = job.redact_values(batch.column(text_at).to_pylist())
            arrays = list(batch.columns)
            arrays[text_at] = pa.array(texts, type=pa.string())
            arrays.append(pa.array(problems, type=pa.string()))
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=out_schema))
            rows, errors = rows + batch.num_rows, errors + sum(p is not None for p in problems)
    return RedactSummary(rows, errors)
