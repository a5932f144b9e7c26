"""Scoring on a Dask cluster: ``dask.dataframe`` over partitioned CSV or Parquet.

Each worker process loads the model once (cached by directory) and scores whole
partitions; partitions come back in input order and go through the same part files,
resumption and assembly as the local engine, so both engines write identical output.
Without ``--scheduler`` a ``LocalCluster`` of ``jobs`` single-threaded workers is started.

Workers need: the same nlp-contact and library versions, the model directory at the same
path (or a shared filesystem), and read access to the input path.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from nlp_contact.batch.readers import UNDECODABLE, Chunk
from nlp_contact.data import file_format
from nlp_contact.errors import BackendNotInstalledError, ConfigError

_MODELS: dict[str, Any] = {}


def _model(model_dir: str) -> Any:
    if model_dir not in _MODELS:
        from nlp_contact.classifier import ContactClassifier

        _MODELS[model_dir] = ContactClassifier.load(Path(model_dir))
    return _MODELS[model_dir]


def score_partition(
    frame: pd.DataFrame,
    model_dir: str,
    text_column: str,
    options: dict[str, Any],
    partition_info: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Score one partition on a worker (the model is loaded once per worker process)."""
    from nlp_contact.batch.local import score_chunk

    texts = frame[text_column].tolist() if len(frame) else []
    errors = [UNDECODABLE if _undecodable(t) else None for t in texts]
    texts = [None if e else t for t, e in zip(texts, errors, strict=True)]
    ids = frame["id"].tolist() if "id" in frame.columns else None
    index = partition_info["number"] if partition_info else 0
    chunk = Chunk(index, 0, texts, ids, errors)
    return score_chunk(_model(model_dir), chunk, **options)


def _undecodable(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def read_partitions(input: Path, text_column: str, blocksize: str) -> Any:
    """A dask DataFrame over the input (CSV or Parquet)."""
    try:
        import dask.dataframe as dd
    except ImportError as exc:
        raise BackendNotInstalledError("dask", exc.name or "dask", "dask") from None
    fmt = file_format(input)
    if fmt == "csv":
        return dd.read_csv(
            str(input),
            dtype=object,
            keep_default_na=False,
            na_values=[],
            blocksize=blocksize,
            encoding="utf-8",
            encoding_errors="surrogateescape",
        )
    if fmt == "parquet":
        columns = [text_column]
        import pyarrow.parquet as pq

        if "id" in pq.ParquetFile(input).schema_arrow.names:
            columns.append("id")
        return dd.read_parquet(str(input), columns=columns, split_row_groups=True)
    raise ConfigError(
        f"The dask engine reads CSV and Parquet; '{input}' is {fmt}. Convert it, or use "
        "--engine local (which streams JSONL)."
    )


def _client(scheduler: str | None, jobs: int) -> tuple[Any, Any]:
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(
        n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return Client(cluster), cluster


def score_partitions_dask(
    input: Path,
    model_dir: Path,
    jobs: int,
    text_column: str,
    options: dict[str, Any],
    scheduler: str | None,
    done: set[int],
    blocksize: str = "16MB",
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Yield (partition index, scored rows) in order for partitions not in ``done``."""
    ddf = read_partitions(input, text_column, blocksize)
    if text_column not in ddf.columns:
        raise ConfigError(
            f"Column '{text_column}' not found in '{input}'; its columns are {list(ddf.columns)}."
        )
    parts = ddf.to_delayed()
    client, cluster = _client(scheduler, jobs)
    try:
        yield from _compute_in_order(
            client, parts, str(model_dir.resolve()), text_column, options, done, jobs
        )
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _compute_in_order(
    client: Any,
    parts: list[Any],
    model_dir: str,
    text_column: str,
    options: dict[str, Any],
    done: set[int],
    jobs: int,
) -> Iterator[tuple[int, pd.DataFrame]]:
    window: deque[tuple[int, Any]] = deque()
    for i, part in enumerate(parts):
        if i in done:
            yield i, pd.DataFrame()  # already written; the runner only counts it
            continue
        future = client.compute(part)
        window.append(
            (
                i,
                client.submit(
                    score_partition, future, model_dir, text_column, options, {"number": i}
                ),
            )
        )
        if len(window) >= 2 * jobs:
            j, fut = window.popleft()
            yield j, fut.result()
    while window:
        j, fut = window.popleft()
        yield j, fut.result()
