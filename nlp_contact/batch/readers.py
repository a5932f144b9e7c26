"""Streaming readers: any input size in bounded memory, bad rows kept in place.

Each reader yields :class:`Chunk` objects of at most ``chunk_rows`` rows. A row that
cannot be read as text (undecodable bytes, a JSONL line that is not a JSON object) keeps
its place with ``errors[i]`` set, so every input row comes out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from nlp_contact.data import file_format, is_missing
from nlp_contact.errors import ConfigError

UNDECODABLE = "undecodable bytes: the text is not valid UTF-8"


@dataclass
class Chunk:
    """Consecutive input rows: raw text cells, ids, and errors found while reading."""

    index: int
    start_row: int
    texts: list[Any]
    ids: list[Any] | None
    errors: list[str | None]

    def __len__(self) -> int:
        return len(self.texts)


def iter_chunks(path: Path, text_column: str, chunk_rows: int) -> Iterator[Chunk]:
    """Chunks of ``path`` (CSV, JSONL or Parquet by extension), in input order."""
    fmt = file_format(path)
    if not path.is_file():
        raise ConfigError(f"Input file '{path}' does not exist.")
    if fmt == "csv":
        return _csv_chunks(path, text_column, chunk_rows)
    if fmt == "parquet":
        return _parquet_chunks(path, text_column, chunk_rows)
    return _jsonl_chunks(path, text_column, chunk_rows)


def has_id_column(path: Path) -> bool:
    """Whether the input has an ``id`` column (JSONL: whether its first object has ``id``)."""
    fmt = file_format(path)
    if fmt == "csv":
        return "id" in pd.read_csv(path, nrows=0, encoding_errors="surrogateescape").columns
    if fmt == "parquet":
        return "id" in pq.ParquetFile(path).schema_arrow.names
    with path.open("rb") as fh:
        for raw in fh:
            if raw.strip():
                try:
                    obj = json.loads(raw)
                except ValueError:
                    return False
                return isinstance(obj, dict) and "id" in obj
    return False


def _check_column(columns: list[str], text_column: str, path: Path) -> None:
    if text_column not in columns:
        raise ConfigError(
            f"Column '{text_column}' not found in '{path}'; its columns are {columns[:20]}. "
            "Pass --text-column NAME."
        )


def _undecodable(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _all_utf8_str(values: list[Any]) -> bool:
    """Whether every value is a str that encodes as UTF-8 (checked at once: the usual case)."""
    try:
        "".join(values).encode("utf-8")
    except (TypeError, UnicodeEncodeError):
        return False
    return True


def _csv_chunks(path: Path, text_column: str, chunk_rows: int) -> Iterator[Chunk]:
    options: dict[str, Any] = {"encoding": "utf-8", "encoding_errors": "surrogateescape"}
    header = list(pd.read_csv(path, nrows=0, **options).columns)
    wanted = [c for c in header if c in (text_column, "id")] if text_column in header else None
    reader = pd.read_csv(
        path,
        dtype=object,
        keep_default_na=False,
        na_values=[],
        chunksize=chunk_rows,
        usecols=wanted,  # convert only the columns used
        **options,
    )
    start = 0
    for i, frame in enumerate(reader):
        _check_column(list(frame.columns), text_column, path)
        texts, errors = _checked_texts(frame[text_column].tolist())
        ids = _clean_ids(frame["id"].tolist()) if "id" in frame.columns else None
        yield Chunk(i, start, texts, ids, errors)
        start += len(frame)


def _checked_texts(texts: list[Any]) -> tuple[list[Any], list[str | None]]:
    """The texts with undecodable ones replaced by None, and the per-row errors."""
    if _all_utf8_str(texts):
        return texts, [None] * len(texts)
    errors = [UNDECODABLE if _undecodable(t) else None for t in texts]
    return [None if e else t for t, e in zip(texts, errors, strict=True)], errors


def _clean_ids(ids: list[Any]) -> list[Any]:
    if _all_utf8_str(ids):
        return ids
    out: list[Any] = []
    for v in ids:
        if is_missing(v):
            out.append(None)
        elif isinstance(v, str) and _undecodable(v):
            out.append(v.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
        else:
            out.append(v)
    return out


def _parquet_chunks(path: Path, text_column: str, chunk_rows: int) -> Iterator[Chunk]:
    pf = pq.ParquetFile(path)
    names = pf.schema_arrow.names
    _check_column(names, text_column, path)
    columns = [text_column] + (["id"] if "id" in names else [])
    start = 0
    for i, batch in enumerate(pf.iter_batches(batch_size=chunk_rows, columns=columns)):
        data = batch.to_pydict()
        texts = data[text_column]
        ids = _clean_ids(data["id"]) if "id" in data else None
        yield Chunk(i, start, texts, ids, [None] * len(texts))
        start += len(texts)


def _jsonl_chunks(path: Path, text_column: str, chunk_rows: int) -> Iterator[Chunk]:
    texts: list[Any] = []
    ids: list[Any] = []
    errors: list[str | None] = []
    index = start = 0
    with path.open("rb") as fh:
        for raw in fh:
            if not raw.strip():
                continue
            text, rid, error = _parse_line(raw, text_column)
            texts.append(text)
            ids.append(rid)
            errors.append(error)
            if len(texts) == chunk_rows:
                yield Chunk(index, start, texts, ids, errors)
                index, start = index + 1, start + len(texts)
                texts, ids, errors = [], [], []
    if texts or index == 0:
        yield Chunk(index, start, texts, ids, errors)


def _parse_line(raw: bytes, text_column: str) -> tuple[Any, Any, str | None]:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, _salvage_id(raw), UNDECODABLE
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, None, f"not JSON: {exc.msg} at character {exc.pos}"
    if not isinstance(obj, dict):
        return None, None, f"a line must be a JSON object, found {type(obj).__name__}"
    return obj.get(text_column), obj.get("id"), None


def _salvage_id(raw: bytes) -> Any:
    """The id of a line whose text is not UTF-8, so the error row can still be matched."""
    try:
        obj = json.loads(raw.decode("utf-8", "replace"))
    except json.JSONDecodeError:
        return None
    return obj.get("id") if isinstance(obj, dict) else None
