"""Scoring chunks on this machine: a pool of processes, each holding the model once.

At most ``2 * jobs`` chunks are in flight, so memory stays bounded whatever the input
size, and results are yielded in input order. Each process also encodes its chunk's
output rows (CSV, JSONL or Parquet bytes), so the parent only reads input and writes
bytes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from nlp_contact.batch.encode import columns_frame, encode_columns
from nlp_contact.batch.job import encode_part
from nlp_contact.batch.readers import Chunk

_WORKER: dict[str, Any] = {}


@dataclass
class ScoredPart:
    """A scored chunk: its row and error counts and its part file's bytes."""

    index: int
    rows: int
    errors: int
    data: bytes


@dataclass
class PartFormat:
    """How scored rows are encoded: the output format and the column types."""

    fmt: str
    types: dict[str, str]


def _init_worker(model_dir: str, options: dict[str, Any], part_format: PartFormat) -> None:
    if _WORKER.get("model_dir") != model_dir:  # a forked process inherits the parent's
        from nlp_contact.classifier import ContactClassifier

        _WORKER["clf"] = ContactClassifier.load(Path(model_dir))
        _WORKER["model_dir"] = model_dir
    _WORKER["options"] = options
    _WORKER["part_format"] = part_format


def score_chunk_in_worker(chunk: Chunk) -> ScoredPart:
    """Score and encode one chunk with the worker's model (module-level for pickling)."""
    return score_and_encode(_WORKER["clf"], chunk, _WORKER["options"], _WORKER["part_format"])


def score_chunk_columns(
    clf: Any, chunk: Chunk, with_id: bool, max_chars: int, probabilities: bool
) -> dict[str, list[Any]]:
    """A chunk's output columns (the contract's, in order): column -> one value per row."""
    from nlp_contact.scoring import score_columns

    ids = chunk.ids if with_id else None
    if with_id and ids is None:
        ids = [None] * len(chunk)
    return score_columns(
        clf,
        chunk.texts,
        ids=ids,
        max_chars=max_chars,
        errors=chunk.errors,
        probabilities=probabilities,
    )


def score_chunk(
    clf: Any, chunk: Chunk, with_id: bool, max_chars: int, probabilities: bool
) -> pd.DataFrame:
    """A chunk's output rows as a DataFrame with the contract's columns."""
    from nlp_contact.scoring import output_columns

    columns = score_chunk_columns(clf, chunk, with_id, max_chars, probabilities)
    return columns_frame(columns, output_columns(clf, with_id, probabilities))


def encode_scored(index: int, frame: pd.DataFrame, part_format: PartFormat) -> ScoredPart:
    """A scored chunk's rows encoded for its part file."""
    errors = int(frame["error"].notna().sum())
    data = encode_part(frame, part_format.fmt, part_format.types)
    return ScoredPart(index, len(frame), errors, data)


def score_and_encode(
    clf: Any, chunk: Chunk, options: dict[str, Any], part_format: PartFormat
) -> ScoredPart:
    """Score one chunk and encode its columns directly (no DataFrame on the way)."""
    columns = score_chunk_columns(clf, chunk, **options)
    errors = columns["error"]
    data = encode_columns(columns, part_format.fmt, part_format.types)
    return ScoredPart(chunk.index, len(errors), len(errors) - errors.count(None), data)


def score_chunks_local(
    chunks: Iterable[Chunk],
    model_dir: Path,
    jobs: int,
    options: dict[str, Any],
    part_format: PartFormat,
    clf: Any = None,
) -> Iterator[ScoredPart]:
    """Yield the scored, encoded chunks in input order, using ``jobs`` processes.

    ``clf``, when given, is the model loaded from ``model_dir``: used directly with one
    job, and inherited rather than loaded again by forked worker processes.
    """
    _WORKER.clear()
    if clf is not None:
        _WORKER.update(clf=clf, model_dir=str(model_dir))
    try:
        if jobs <= 1:
            _init_worker(str(model_dir), options, part_format)
            yield from map(score_chunk_in_worker, chunks)
        else:
            yield from _in_pool(chunks, jobs, (str(model_dir), options, part_format))
    finally:
        _WORKER.clear()


def _in_pool(
    chunks: Iterable[Chunk], jobs: int, initargs: tuple[str, dict[str, Any], PartFormat]
) -> Iterator[ScoredPart]:
    window: deque[Future[ScoredPart]] = deque()
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=initargs) as pool:
        for chunk in chunks:
            window.append(pool.submit(score_chunk_in_worker, chunk))
            if len(window) >= 2 * jobs:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
