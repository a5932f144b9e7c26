"""``score_file``: stream an input file through the model into an output file.

Every input row comes out, scored or with ``error`` filled; the output is written aside
and renamed; ``resume=True`` continues a killed run from its last completed chunk and
gives the same bytes as an uninterrupted run.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from nlp_contact.batch.job import Job, input_fingerprint, model_record
from nlp_contact.batch.local import PartFormat, ScoredPart, encode_scored, score_chunks_local
from nlp_contact.batch.progress import Progress
from nlp_contact.batch.readers import Chunk, has_id_column, iter_chunks
from nlp_contact.classifier import ContactClassifier
from nlp_contact.data import file_format
from nlp_contact.errors import ConfigError, NlpContactError
from nlp_contact.scoring import column_types

log = logging.getLogger("nlp_contact.batch")
DEFAULT_CHUNK_ROWS = 10_000
DEFAULT_MAX_CHARS = 100_000


class RowCountMismatch(NlpContactError):
    """Rows written differ from rows read (should never happen; exit 3)."""


@dataclass
class ScoreSummary:
    """What a scoring run did."""

    output: str
    rows_read: int
    rows_scored: int
    rows_with_errors: int
    rows_written: int
    chunks: int
    chunks_resumed: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Stats:
    rows: int = 0
    errors: int = 0


def score_file(
    input: Path,
    out: Path,
    model_dir: Path,
    *,
    text_column: str = "text",
    jobs: int | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    max_chars: int = DEFAULT_MAX_CHARS,
    probabilities: bool = False,
    resume: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
    quiet: bool = False,
) -> ScoreSummary:
    """Score ``input`` into ``out`` (formats from the extensions); see the module docstring."""
    file_format(out)
    file_format(input)
    if not input.is_file():
        raise ConfigError(f"Input file '{input}' does not exist.")
    if chunk_rows < 1:
        raise ConfigError(f"--chunk-rows must be at least 1; found {chunk_rows}.")
    clf = ContactClassifier.load(model_dir)
    with_id = has_id_column(input)
    options = {"with_id": with_id, "max_chars": max_chars, "probabilities": probabilities}
    record = {
        "model": model_record(model_dir, clf.meta_),
        "input": input_fingerprint(input),
        "options": {
            **options,
            "text_column": text_column,
            "chunk_rows": chunk_rows,
            "engine": engine,
        },
    }
    job = Job(out, record)
    done = job.start(resume)
    types = column_types(clf, with_id, probabilities)
    progress = Progress(_total_rows(input), quiet=quiet)
    stats: dict[int, _Stats] = {}
    n_jobs = jobs or os.cpu_count() or 1
    part_format = PartFormat(job.fmt, types)
    if engine == "local":
        todo = _skip_done(iter_chunks(input, text_column, chunk_rows), done, job, stats, progress)
        parts = score_chunks_local(todo, model_dir, n_jobs, options, part_format, clf=clf)
    elif engine == "dask":
        from nlp_contact.batch.dask_engine import score_partitions_dask

        results = score_partitions_dask(
            input, model_dir, n_jobs, text_column, options, scheduler, done
        )
        parts = _encoded(results, part_format, done, job, stats, progress)
    else:
        raise ConfigError(f"Unknown --engine '{engine}'; expected 'local' or 'dask'.")
    for part in parts:
        job.write_part_bytes(part.index, part.data)
        _write_stats(job, part.index, part.rows, part.errors)
        stats[part.index] = _Stats(part.rows, part.errors)
        progress.update(part.rows)
    progress.close()
    return _finish(job, stats, types, len(done), progress.elapsed, progress.read_rows)


def _encoded(
    results: Iterator[tuple[int, pd.DataFrame]],
    part_format: PartFormat,
    done: set[int],
    job: Job,
    stats: dict[int, _Stats],
    progress: Progress,
) -> Iterator[ScoredPart]:
    """Dask's scored partitions, encoded here; those already written are only counted."""
    for index, frame in results:
        if _load_stats(job, index, done, stats):
            progress.read_rows += stats[index].rows
            progress.update(stats[index].rows)
            continue
        progress.read_rows += len(frame)
        yield encode_scored(index, frame, part_format)


def _total_rows(path: Path) -> int | None:
    if file_format(path) == "parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    return None


def _stats_path(job: Job, index: int) -> Path:
    return job.directory / f"stats-{index:08d}.json"


def _write_stats(job: Job, index: int, rows: int, errors: int) -> None:
    _stats_path(job, index).write_text(json.dumps({"rows": rows, "errors": errors}), "utf-8")


def _load_stats(job: Job, index: int, done: set[int], stats: dict[int, _Stats]) -> bool:
    """Load a completed chunk's counts; False when it must be scored (again)."""
    path = _stats_path(job, index)
    if index not in done or not path.is_file():
        return False
    saved = json.loads(path.read_text("utf-8"))
    stats[index] = _Stats(saved["rows"], saved["errors"])
    return True


def _skip_done(
    chunks: Iterator[Chunk], done: set[int], job: Job, stats: dict[int, _Stats], progress: Progress
) -> Iterator[Chunk]:
    """Pass on the chunks still to score; count every chunk read."""
    for chunk in chunks:
        progress.read_rows += len(chunk)
        if _load_stats(job, chunk.index, done, stats):
            progress.update(len(chunk))
            continue
        yield chunk


def _finish(
    job: Job,
    stats: dict[int, _Stats],
    types: dict[str, str],
    resumed: int,
    seconds: float,
    read_rows: int,
) -> ScoreSummary:
    n_chunks = max(stats) + 1 if stats else 0
    missing = [i for i in range(n_chunks) if i not in stats]
    written = sum(s.rows for s in stats.values())
    if missing or written != read_rows:
        raise RowCountMismatch(
            f"Rows written ({written}) differ from rows read ({read_rows}); chunks missing: "
            f"{missing[:10]}. The job directory '{job.directory}' is kept; run again with --resume."
        )
    job.assemble(n_chunks, types)
    errors = sum(s.errors for s in stats.values())
    return ScoreSummary(
        output=str(job.out),
        rows_read=read_rows,
        rows_scored=written - errors,
        rows_with_errors=errors,
        rows_written=written,
        chunks=n_chunks,
        chunks_resumed=resumed,
        seconds=round(seconds, 2),
    )
