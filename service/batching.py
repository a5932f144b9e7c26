"""Micro-batching: concurrent single predictions become one classifier call.

Predicting 16 texts at once costs about a quarter of 16 single predictions (the
featurizer's and the solver's fixed costs are paid once), so under concurrent load each
worker gathers the requests that are waiting and predicts them together. Nothing waits
for a batch to fill: the first request schedules a flush for the same turn of the event
loop, so a lone request is predicted at once and a batch holds only what had already
arrived. Answers are the same as single predictions (each row is computed on its own).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

Predict = Callable[[Sequence[str], Sequence[str | None]], list[dict[str, Any]]]


class MicroBatcher:
    """Gathers :meth:`submit` calls made in the same event-loop turn into one ``predict``.

    Args:
        predict: ``predict(texts, ids) -> answers`` in order (runs on the event loop).
        max_items: most texts in one call.
        max_chars: most characters in one call (a long text goes alone).
        on_batch: called with the size of every batch (for metrics).
    """

    def __init__(
        self,
        predict: Predict,
        max_items: int = 32,
        max_chars: int = 32_000,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.predict = predict
        self.max_items = max_items
        self.max_chars = max_chars
        self.on_batch = on_batch
        self._pending: list[tuple[str, str | None, asyncio.Future[dict[str, Any]]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduled = False

    def submit(self, text: str, id: str | None = None) -> asyncio.Future[dict[str, Any]]:
        """Queue one text; the future gets its answer (or the prediction's exception)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._pending.append((text, id, future))
        self._schedule(loop)
        return future

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._scheduled:
            self._scheduled, self._loop = True, loop
            loop.call_soon(self._flush)

    def _take(self) -> list[tuple[str, str | None, asyncio.Future[dict[str, Any]]]]:
        pending = [p for p in self._pending if not p[2].done()]  # drop cancelled requests
        size, chars = 0, 0
        while size < min(len(pending), self.max_items):
            chars += len(pending[size][0])
            if size and chars > self.max_chars:
                break
            size += 1
        self._pending = pending[size:]
        return pending[:size]

    def _flush(self) -> None:
        self._scheduled = False
        batch = self._take()
        if self._pending and self._loop is not None:
            self._schedule(self._loop)
        if not batch:
            return
        if self.on_batch is not None:
            self.on_batch(len(batch))
        try:
            answers = self.predict([t for t, _, _ in batch], [i for _, i, _ in batch])
        except Exception as exc:  # every request of the batch gets the error
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, _, future), answer in zip(batch, answers, strict=True):
            if not future.done():
                future.set_result(answer)
