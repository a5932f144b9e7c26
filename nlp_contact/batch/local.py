"""Scoring chunks on this machine: a pool of processes, each loading the model once.

At most ``2 * jobs`` chunks are in flight, so memory stays bounded whatever the input
size, and results are yielded in input order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from nlp_contact.batch.readers import Chunk

_WORKER: dict[str, Any] = {}


def _init_worker(model_dir: str, options: dict[str, Any]) -> None:
    from nlp_contact.classifier import ContactClassifier

    _WORKER["clf"] = ContactClassifier.load(Path(model_dir))
    _WORKER["options"] = options


def score_chunk_in_worker(chunk: Chunk) -> tuple[int, pd.DataFrame]:
    """Score one chunk with the worker's model (module-level so it can be pickled)."""
    return chunk.index, score_chunk(_WORKER["clf"], chunk, **_WORKER["options"])


def score_chunk(
    clf: Any, chunk: Chunk, with_id: bool, max_chars: int, probabilities: bool
) -> pd.DataFrame:
    """A chunk's output rows as a DataFrame with the contract's columns."""
    from nlp_contact.scoring import output_columns, score_columns

    ids = chunk.ids if with_id else None
    if with_id and ids is None:
        ids = [None] * len(chunk)
    columns = score_columns(
        clf,
        chunk.texts,
        ids=ids,
        max_chars=max_chars,
        errors=chunk.errors,
        probabilities=probabilities,
    )
    names = output_columns(clf, with_id, probabilities)
    # an empty chunk keeps the object columns an empty list of rows gives
    return pd.DataFrame(columns if len(chunk) else [], columns=names)


def score_chunks_local(
    chunks: Iterable[Chunk], model_dir: Path, jobs: int, options: dict[str, Any], clf: Any = None
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Yield (chunk index, rows) in input order, using ``jobs`` processes."""
    if jobs <= 1:
        if clf is None:
            _init_worker(str(model_dir), options)
            clf = _WORKER["clf"]
        for chunk in chunks:
            yield chunk.index, score_chunk(clf, chunk, **options)
        return
    window: deque[Future[tuple[int, pd.DataFrame]]] = deque()
    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_init_worker, initargs=(str(model_dir), options)
    ) as pool:
        for chunk in chunks:
            window.append(pool.submit(score_chunk_in_worker, chunk))
            if len(window) >= 2 * jobs:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
