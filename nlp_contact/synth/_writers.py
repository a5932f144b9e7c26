"""Stream records to CSV, JSONL or Parquet, chosen by the file extension.

Records are written in chunks, so memory stays bounded however many there are.
CSV booleans are written ``true``/``false``; nested values (such as ``meta``) become
JSON strings in CSV and Parquet.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

from nlp_contact.errors import ConfigError

CHUNK_SIZE = 10_000
_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def output_format(path: str | Path) -> str:
    """``csv``, ``jsonl`` or ``parquet`` for a file name.

    Raises:
        ConfigError: the extension is none of those.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in _FORMATS:
        raise ConfigError(
            f"Cannot tell the output format of '{path}': expected a name ending in .csv, "
            f".jsonl or .parquet; found '{suffix or '(no extension)'}'."
        )
    return _FORMATS[suffix]


def _chunks(records: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


def _flat(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _flat(value)


def _write_csv(records: Iterable[Mapping[str, Any]], path: Path, size: int) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        header: list[str] | None = None
        for chunk in _chunks(records, size):
            if header is None:
                header = list(chunk[0])
                writer.writerow(header)
            writer.writerows([_csv_cell(r.get(k)) for k in header] for r in chunk)
            count += len(chunk)
    return count


def _write_jsonl(records: Iterable[Mapping[str, Any]], path: Path, size: int) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for chunk in _chunks(records, size):
            fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chunk))
            count += len(chunk)
    return count


def _write_parquet(records: Iterable[Mapping[str, Any]], path: Path, size: int) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    count = 0
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    try:
        for chunk in _chunks(records, size):
            rows = [{k: _flat(v) for k, v in r.items()} for r in chunk]
            table = pa.Table.from_pylist(rows, schema=schema)
            if writer is None:
                schema = table.schema
                writer = pq.ParquetWriter(str(path), schema)
            writer.write_table(table)
            count += len(chunk)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        pq.write_table(pa.table({}), str(path))
    return count


def write(
    records: Iterable[Mapping[str, Any]], path: str | Path, chunk_size: int = CHUNK_SIZE
) -> int:
    """Write records to ``path`` as CSV, JSONL or Parquet (by extension), in chunks.

    Args:
        records: the records (any iterable; consumed once, lazily).
        path: the output file; its folder is created if missing.
        chunk_size: how many records are held in memory at a time.

    Returns:
        The number of records written.

    Raises:
        ConfigError: the extension is not .csv, .jsonl or .parquet.
    """
    fmt = output_format(path)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return _write_csv(records, path, chunk_size)
    if fmt == "parquet":
        return _write_parquet(records, path, chunk_size)
    return _write_jsonl(records, path, chunk_size)
