"""The loaded model as the service uses it: one object, loaded once in ``lifespan``.

:class:`LoadedModel` wraps a :class:`~nlp_contact.classifier.ContactClassifier` and turns
its predictions into the JSON the CLI prints (``Prediction.to_dict``). Short requests are
predicted on the event loop (a thread hop costs more than the prediction), gathered into
micro-batches under concurrent load (:mod:`service.batching`); long texts, explanations
and large batches go to the thread pool so the loop keeps answering.
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from starlette.concurrency import run_in_threadpool

from nlp_contact.classifier import ContactClassifier
from service.batching import MicroBatcher
from service.monitoring import SERVICE_LOGGER, log_json

INLINE_MAX_CHARS = 2_000
"""Requests with at most this many characters in all, and no explanation, run inline."""
MICRO_BATCH_ITEMS = 32
MICRO_BATCH_CHARS = 32_000

log = logging.getLogger(SERVICE_LOGGER)


@dataclass
class LoadedModel:
    """A loaded classifier plus what every request needs from it, computed once."""

    classifier: ContactClassifier
    info: dict[str, Any] = field(init=False)
    channels: tuple[str, ...] | None = field(init=False)
    loaded_at: float = field(default_factory=time.time)
    on_batch: Callable[[int], None] | None = None
    batcher: MicroBatcher = field(init=False)

    def __post_init__(self) -> None:
        self.info = dict(self.classifier.model_info)
        channels = self.classifier.taxonomy_.channels
        self.channels = tuple(channels) if channels else None
        self.batcher = MicroBatcher(
            lambda texts, ids: self.predict(texts, False, ids),
            max_items=MICRO_BATCH_ITEMS,
            max_chars=MICRO_BATCH_CHARS,
            on_batch=self.on_batch,
        )

    @cached_property
    def description(self) -> dict[str, Any]:
        """Metadata, taxonomy and thresholds, as ``GET /v1/model`` shows them."""
        clf = self.classifier
        return {
            "model": self.info,
            "meta": json.loads(json.dumps(getattr(clf, "meta_", {}), default=str)),
            "taxonomy": clf.taxonomy_.to_dict(),
            "review_thresholds": {h: clf.review_threshold(h) for h in clf.taxonomy_.head_names},
            "flag_thresholds": dict(clf.calibration_.flag_threshold),
        }

    @property
    def version(self) -> str:
        """The model version shown in answers and logs."""
        return str(self.info["version"])

    def predict(
        self, texts: Sequence[str], explain: bool = False, ids: Sequence[str | None] | None = None
    ) -> list[dict[str, Any]]:
        """Predictions as JSON-ready dicts (without the model block), in order."""
        # scikit-learn's argument checks cost more than the prediction on one short text;
        # the inputs here are already validated strings.
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            preds = self.classifier.predict(texts, explain=explain, ids=ids)
        return [p.to_dict() for p in preds]

    async def predict_one(
        self, text: str, explain: bool = False, id: str | None = None
    ) -> dict[str, Any]:
        """One text: micro-batched on the loop when short, else in the thread pool."""
        if explain or len(text) > INLINE_MAX_CHARS:
            ids = None if id is None else [id]
            return (await run_in_threadpool(self.predict, [text], explain, ids))[0]
        return await self.batcher.submit(text, id)

    async def predict_async(
        self, texts: Sequence[str], explain: bool = False, ids: Sequence[str | None] | None = None
    ) -> list[dict[str, Any]]:
        """:meth:`predict`, inline when the work is small, else in the thread pool."""
        if not explain and sum(len(t) for t in texts) <= INLINE_MAX_CHARS:
            return self.predict(texts, explain, ids)
        return await run_in_threadpool(self.predict, texts, explain, ids)


@dataclass
class ModelState:
    """Whether the model is loaded, and why not when it is not."""

    model: LoadedModel | None = None
    reason: str = "the model is not loaded yet"


def contiguous_weights(clf: ContactClassifier) -> int:
    """Store linear weight matrices column-major, so ``X @ coef.T`` reads them in place.

    The linear backend multiplies the features by ``coef.T``; with row-major weights
    SciPy copies the whole transposed matrix on every call, which costs more than the
    rest of a prediction. Column-major storage of the same numbers gives the same
    results without the copy. Returns how many matrices were changed (0 for backends
    without ``coef_``). This belongs in the backend's ``load``; until it is there, the
    service does it once after loading.
    """
    coefs = getattr(getattr(clf, "backend_", None), "coef_", None)
    if not isinstance(coefs, dict):
        return 0
    changed = 0
    for name, coef in coefs.items():
        if isinstance(coef, np.ndarray) and coef.ndim == 2 and not coef.T.flags.c_contiguous:
            coefs[name] = np.asfortranarray(coef)
            changed += 1
    return changed


def load_model(model_dir: Path, on_batch: Callable[[int], None] | None = None) -> LoadedModel:
    """Load and warm up the model directory; library warnings are logged, not raised."""
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = ContactClassifier.load(model_dir)
    for w in caught:
        log_json(
            log,
            logging.WARNING,
            "model_warning",
            category=w.category.__name__,
            message=str(w.message),
        )
    contiguous_weights(clf)
    model = LoadedModel(clf, on_batch=on_batch)
    model.predict(["warm up the model"], explain=True)
    log_json(
        log,
        logging.INFO,
        "model_loaded",
        model=model.info,
        seconds=round(time.perf_counter() - started, 3),
    )
    return model
