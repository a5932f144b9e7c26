"""Prometheus metrics and JSON log lines of the service.

Metrics live in a registry owned by each app (so apps built in tests do not collide).
With several uvicorn workers, set ``PROMETHEUS_MULTIPROC_DIR`` (``nlp-contact serve``
does it for you) and ``/metrics`` aggregates every worker's values.

Log lines never carry contact text: only request ids, routes, statuses, latencies,
model versions and predicted labels.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import Counter as CountOf
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

ACCESS_LOGGER = "nlp_contact.service.access"
SERVICE_LOGGER = "nlp_contact.service"
LATENCY_BUCKETS = (
    0.001,
    0.002,
    0.003,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)
PREDICTIONS = "nlp_contact_predictions"
NEEDS_REVIEW = "nlp_contact_needs_review"


def multiprocess_dir() -> str | None:
    """``PROMETHEUS_MULTIPROC_DIR`` when it names a directory (multi-worker mode)."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return path if path and os.path.isdir(path) else None


class ServiceMetrics:
    """Request counts and latencies by route and status; predictions by head and label."""

    def __init__(self) -> None:
        disable_created_metrics()  # type: ignore[no-untyped-call,unused-ignore]
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.requests = Counter(
            "nlp_contact_http_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=reg,
        )
        self.latency = Histogram(
            "nlp_contact_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=reg,
        )
        self.predictions = Counter(PREDICTIONS, "Contacts classified.", registry=reg)
        self.batch_size = Histogram(
            "nlp_contact_micro_batch_size",
            "Single requests predicted together in one classifier call.",
            buckets=(1, 2, 4, 8, 16, 32),
            registry=reg,
        )
        self.needs_review = Counter(
            NEEDS_REVIEW, "Contacts whose prediction asks for human review.", registry=reg
        )
        self.labels = Counter(
            "nlp_contact_predicted_labels",
            "Predicted label per head.",
            ["head", "label"],
            registry=reg,
        )
        self.flags = Counter(
            "nlp_contact_predicted_flags", "Flags predicted true.", ["flag"], registry=reg
        )
        self.feedback = Counter(
            "nlp_contact_feedback",
            "Feedback received, by whether a label was changed.",
            ["corrected"],
            registry=reg,
        )
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency."""
        key = (method, route, str(status))
        child = self._children.get(key)
        if child is None:
            child = (self.requests.labels(*key), self.latency.labels(*key))
            self._children[key] = child
        child[0].inc()
        child[1].observe(seconds)

    def observe_predictions(self, predictions: Iterable[Mapping[str, Any]]) -> None:
        """Count predicted labels, true flags and reviews of answered predictions."""
        n = review = 0
        labels: CountOf[tuple[str, str]] = CountOf()
        flags: CountOf[str] = CountOf()
        for p in predictions:
            n += 1
            review += bool(p["needs_review"])
            labels.update((h, v["label"]) for h, v in p["heads"].items())
            flags.update(f for f, v in p["flags"].items() if v["value"])
        self.predictions.inc(n)
        if review:
            self.needs_review.inc(review)
        for (head, label), count in labels.items():
            self.labels.labels(head, label).inc(count)
        for flag, count in flags.items():
            self.flags.labels(flag).inc(count)

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric (all workers in multiprocess mode)."""
        if (path := multiprocess_dir()) is not None:
            source = CollectorRegistry()
            MultiProcessCollector(source, path=path)  # type: ignore[no-untyped-call,unused-ignore]
        else:
            source = self.registry
        derived = CollectorRegistry()
        derived.register(_ReviewRate(source))
        return generate_latest(source) + generate_latest(derived)


class _ReviewRate:
    """``nlp_contact_review_rate``: share of predictions that asked for review so far."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        totals = {PREDICTIONS: 0.0, NEEDS_REVIEW: 0.0}
        for metric in self.source.collect():
            for sample in metric.samples:
                name = sample.name.removesuffix("_total")
                if name in totals and sample.name.endswith("_total"):
                    totals[name] += sample.value
        rate = totals[NEEDS_REVIEW] / totals[PREDICTIONS] if totals[PREDICTIONS] else 0.0
        yield GaugeMetricFamily(
            "nlp_contact_review_rate",
            "Share of predictions since start that asked for human review.",
            value=rate,
        )


def configure_logging(level: str) -> None:
    """Set the service loggers' level; add a stderr handler only if nothing would print."""
    logger = logging.getLogger(SERVICE_LOGGER)
    logger.setLevel(level)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)


def log_json(logger: logging.Logger, level: int, event: str, **fields: Any) -> None:
    """Write one JSON line (``ts``, ``level``, ``event`` and the fields) to ``logger``."""
    if not logger.isEnabledFor(level):
        return
    record = {
        "ts": round(time.time(), 3),
        "level": logging.getLevelName(level).lower(),
        "event": event,
        **fields,
    }
    logger.log(level, json.dumps(record, ensure_ascii=False, default=str))
