"""Micro-batching of concurrent single requests: same answers, fewer classifier calls."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from service.batching import MicroBatcher
from tests.service.conftest import CONTACTS, SettingsFactory, app_with


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    def __call__(self, texts: Sequence[str], ids: Sequence[str | None]) -> list[dict[str, Any]]:
        self.calls.append(list(texts))
        if self.fail:
            raise RuntimeError("predict failed")
        return [{"text": t, "id": i} for t, i in zip(texts, ids, strict=True)]


def test_requests_of_one_turn_share_a_call() -> None:
    predict = Recorder()
    sizes: list[int] = []
    batcher = MicroBatcher(predict, max_items=4, on_batch=sizes.append)

    async def run() -> list[dict[str, Any]]:
        return await asyncio.gather(*(batcher.submit(f"t{i}", f"id{i}") for i in range(10)))

    answers = asyncio.run(run())
    assert answers == [{"text": f"t{i}", "id": f"id{i}"} for i in range(10)]
    assert [len(c) for c in predict.calls] == [4, 4, 2] and sizes == [4, 4, 2]


def test_a_lone_request_is_not_kept_waiting() -> None:
    predict = Recorder()
    batcher = MicroBatcher(predict)

    async def run() -> None:
        assert await asyncio.wait_for(batcher.submit("only"), timeout=1) == {
            "text": "only",
            "id": None,
        }
        assert await batcher.submit("next") == {"text": "next", "id": None}

    asyncio.run(run())
    assert predict.calls == [["only"], ["next"]]


def test_long_texts_are_split_by_characters() -> None:
    predict = Recorder()
    batcher = MicroBatcher(predict, max_chars=10)

    async def run() -> None:
        await asyncio.gather(
            *(batcher.submit(t) for t in ["aaaaaaaa", "bbbbbbbb", "c", "ddddddddddddd"])
        )

    asyncio.run(run())
    assert predict.calls == [["aaaaaaaa"], ["bbbbbbbb", "c"], ["ddddddddddddd"]]


def test_errors_reach_every_request_and_cancelled_ones_are_skipped() -> None:
    predict = Recorder(fail=True)
    batcher = MicroBatcher(predict)

    async def run() -> None:
        cancelled = batcher.submit("gone")
        cancelled.cancel()
        results = await asyncio.gather(
            batcher.submit("a"), batcher.submit("b"), return_exceptions=True
        )
        assert all(isinstance(r, RuntimeError) for r in results)

    asyncio.run(run())
    assert predict.calls == [["a", "b"]]


def test_concurrent_api_requests_are_batched_with_identical_answers(
    make_settings: SettingsFactory,
) -> None:
    app = app_with(make_settings())
    texts = [row[0] for row in CONTACTS]

    async def run() -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://test") as client,
        ):
            together = await asyncio.gather(
                *(
                    client.post("/v1/classify", json={"text": t, "id": f"c{i}"})
                    for i, t in enumerate(texts)
                )
            )
            alone = [
                await client.post("/v1/classify", json={"text": t, "id": f"c{i}"})
                for i, t in enumerate(texts)
            ]
            metrics = (await client.get("/metrics")).text
        return [r.json() for r in together], [r.json() for r in alone], metrics

    together, alone, metrics = asyncio.run(run())
    assert together == alone
    count = next(
        float(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith("nlp_contact_micro_batch_size_count")
    )
    assert count < 2 * len(texts)  # fewer classifier calls than requests
    assert 'nlp_contact_micro_batch_size_bucket{le="1.0"}' in metrics


@pytest.mark.parametrize("explain", [True, False])
def test_explained_and_long_requests_bypass_the_batcher(client: Any, explain: bool) -> None:
    text = "chasing my payment " * (1 if explain else 200)
    body = client.post("/v1/classify", json={"text": text, "explain": explain}).json()
    assert ("evidence" in body) is explain
