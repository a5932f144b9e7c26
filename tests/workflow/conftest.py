"""Fixtures of the workflow tests: small inline data sets and quick models."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

from nlp_contact import ContactClassifier, TrainConfig
from nlp_contact.taxonomy import Taxonomy, taxonomy_from_columns

# Word features only and a short holdout: fast fits for tests.
FAST = {"linear": {"features": {"char_ngram_range": None, "min_df": 1}}}

TOPICS = {
    "card": ["card", "lost", "stolen", "pin", "blocked", "contactless", "expired", "replacement"],
    "payment": ["payment", "transfer", "pending", "declined", "refund", "charged", "amount", "fee"],
    "account": ["account", "password", "login", "verify", "identity", "details", "address", "app"],
    "loan": ["loan", "interest", "repay", "borrow", "credit", "instalment", "rate", "overdue"],
}
FILLER = ["please", "help", "my", "the", "today", "again", "why", "is", "with", "i", "need"]


def topic_records(per_topic: int = 30, seed: int = 0) -> list[dict[str, object]]:
    """Separable short texts: each built from its topic's words; ``urgent`` flags a word."""
    rng = random.Random(seed)
    rows = []
    for topic, words in TOPICS.items():
        for i in range(per_topic):
            urgent = i % 3 == 0
            tokens = rng.sample(words, 4) + rng.sample(FILLER, 2) + (["urgently"] if urgent else [])
            rng.shuffle(tokens)
            rows.append(
                {"id": f"{topic}-{i}", "text": " ".join(tokens), "topic": topic, "urgent": urgent}
            )
    return rows


def topic_taxonomy(rows: list[dict[str, object]]) -> Taxonomy:
    return taxonomy_from_columns({"topic": [r["topic"] for r in rows]}, flags=["urgent"])


def fast_config(**train: object) -> TrainConfig:
    return TrainConfig.model_validate({**FAST, "train": {"validation_fraction": 0.25, **train}})


def fit_topics(rows: list[dict[str, object]]) -> ContactClassifier:
    texts = [str(r["text"]) for r in rows]
    labels = {"topic": [r["topic"] for r in rows], "urgent": [r["urgent"] for r in rows]}
    return ContactClassifier(topic_taxonomy(rows), fast_config()).fit(texts, labels)


@pytest.fixture(scope="session")
def topic_rows() -> list[dict[str, object]]:
    return topic_records()


@pytest.fixture(scope="session")
def topic_model(topic_rows: list[dict[str, object]]) -> ContactClassifier:
    return fit_topics(topic_rows)


@pytest.fixture(scope="session")
def topic_file(
    tmp_path_factory: pytest.TempPathFactory, topic_rows: list[dict[str, object]]
) -> Path:
    path = tmp_path_factory.mktemp("topics") / "topics.csv"
    pd.DataFrame(topic_rows).to_csv(path, index=False)
    return path
