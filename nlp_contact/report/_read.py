"""Streaming a scored file: only the columns the report needs, a chunk at a time.

CSV cells are read as strings (an empty cell is missing), Parquet through pyarrow's
batch iterator, JSONL line by line. Probability columns are converted to floats by
the caller, so all three formats give the same frames.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from nlp_contact.data import file_format
from nlp_contact.report._errors import ReportInputError

DEFAULT_CHUNK_ROWS = 50_000


def file_columns(path: Path) -> list[str]:
    """The column names of a CSV, JSONL or Parquet file (JSONL: keys of the first row)."""
    fmt = file_format(path)
    if not path.is_file():
        raise ReportInputError(f"Scored file '{path}' does not exist. Pass the output of `score`.")
    if fmt == "csv":
        return list(pd.read_csv(path, nrows=0, encoding_errors="replace").columns)
    if fmt == "parquet":
        return list(pq.ParquetFile(path).schema_arrow.names)
    with path.open("rb") as fh:
        for raw in fh:
            if raw.strip():
                return list(_json_object(raw, path, 1))
    return []


def iter_frames(
    path: Path,
    columns: list[str],
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    floats: list[str] | None = None,
) -> Iterator[pd.DataFrame]:
    """Frames of at most ``chunk_rows`` rows holding ``columns`` (in file order).

    CSV cells are strings, except the ``floats`` columns, read as numbers.
    """
    fmt = file_format(path)
    if fmt == "csv":
        yield from _csv_frames(path, columns, chunk_rows, floats or [])
    elif fmt == "parquet":
        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows, columns=columns):
            yield batch.to_pandas()
    else:
        yield from _jsonl_frames(path, columns, chunk_rows)


def _csv_frames(
    path: Path, columns: list[str], chunk_rows: int, floats: list[str]
) -> Iterator[pd.DataFrame]:
    dtype: dict[str, Any] = {c: str for c in columns}
    dtype.update({c: "float64" for c in floats if c in dtype})
    reader = pd.read_csv(
        path,
        usecols=columns,
        dtype=dtype,
        keep_default_na=False,
        na_values=[""],
        chunksize=chunk_rows,
        encoding="utf-8",
        encoding_errors="replace",
    )
    try:
        yield from reader
    except ValueError as exc:
        raise ReportInputError(
            f"'{path}' has a probability column holding something that is not a number "
            f"({exc}). Probability columns ({floats[:3]}...) must hold numbers or be empty."
        ) from None


def _jsonl_frames(path: Path, columns: list[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
    rows: list[dict[str, object]] = []
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            obj = _json_object(raw, path, lineno)
            rows.append({c: obj.get(c) for c in columns})
            if len(rows) == chunk_rows:
                yield pd.DataFrame.from_records(rows, columns=columns)
                rows = []
    if rows:
        yield pd.DataFrame.from_records(rows, columns=columns)


def _json_object(raw: bytes, path: Path, lineno: int) -> dict[str, object]:
    try:
        obj = json.loads(raw)
    except ValueError as exc:
        raise ReportInputError(
            f"Line {lineno} of '{path}' is not JSON ({exc}). A scored JSONL file has one JSON "
            "object per line, as `nlp-contact score` writes it."
        ) from None
    if not isinstance(obj, dict):
        raise ReportInputError(
            f"Line {lineno} of '{path}' is a JSON {type(obj).__name__}, not an object."
        )
    return obj


def read_whole(path: Path) -> pd.DataFrame:
    """A small file (the audit sample) in one frame, read like the scored file."""
    columns = file_columns(path)
    frames = list(iter_frames(path, columns, chunk_rows=1_000_000))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
