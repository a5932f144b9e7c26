"""What to label next: uncertainty per output, diversity, and the difference from random."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from nlp_contact import ContactClassifier
from nlp_contact.errors import ConfigError
from nlp_contact.workflow.active import (
    diverse_top,
    embed,
    flag_uncertainty,
    head_uncertainty,
    select_for_labelling,
    suggest_labels,
)
from tests.workflow.conftest import TOPICS

DUPES = [
    "my card was lost yesterday and the app is blocked, please help",
    "my card was lost yesterday and the app is blocked, please help!",
    "my card was lost yesterday and the app is blocked please help",
]
OTHERS = [
    "why was my transfer declined",
    "how do I reset my password",
    "what is the interest rate on a loan",
    "refund for a duplicate charge",
    "update my home address",
]


def test_head_and_flag_uncertainty_by_hand() -> None:
    probs = np.array([[0.5, 0.3, 0.2], [1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    assert head_uncertainty(probs, "margin") == pytest.approx([0.8, 0.0, 1.0])
    assert head_uncertainty(probs, "entropy")[1:] == pytest.approx([0.0, 1.0], abs=1e-6)
    assert flag_uncertainty(np.array([0.2, 0.0, 1.0, 0.6, 0.1]), 0.2) == pytest.approx(
        [1.0, 0.0, 0.0, 0.5, 0.5]
    )
    with pytest.raises(ConfigError, match="Unknown uncertainty strategy 'random'"):
        head_uncertainty(probs, "random")


def test_near_duplicates_are_not_picked_together() -> None:
    texts = DUPES + OTHERS
    scores = np.array([0.9, 0.89, 0.88, 0.5, 0.45, 0.4, 0.35, 0.3])
    picked, sims = diverse_top(scores, embed(texts), n=3)
    assert picked[0] == 0
    assert not {1, 2} & set(picked.tolist())
    assert sims[0] == 0.0 and (sims < 0.9).all()


def test_candidates_widen_past_near_duplicates_and_fall_back_when_only_they_remain() -> None:
    texts = DUPES + OTHERS
    scores = np.array([0.9, 0.89, 0.88, 0.5, 0.45, 0.4, 0.35, 0.3])
    picked, _ = diverse_top(scores, embed(texts), n=2, pool_factor=1)
    assert picked.tolist() == [0, 3]
    picked, sims = diverse_top(scores[:3], embed(DUPES), n=3)
    assert sorted(picked.tolist()) == [0, 1, 2] and sims[1] >= 0.9


def _pool(seed: int = 3) -> list[str]:
    """Clear texts of each topic, texts mixing two topics, and copies of one mixed text."""
    rng = random.Random(seed)
    names = list(TOPICS)
    clear = [" ".join(rng.sample(TOPICS[t], 4)) for t in names for _ in range(15)]
    mixed = [
        " ".join(rng.sample(TOPICS[a], 2) + rng.sample(TOPICS[b], 2))
        for a, b in zip(names, names[1:] + names[:1], strict=True)
        for _ in range(5)
    ]
    return clear + mixed + [mixed[0]] * 5


def test_selection_is_more_uncertain_than_random_and_diverse(
    topic_model: ContactClassifier,
) -> None:
    pool = _pool()
    sel = select_for_labelling(topic_model, pool, n=10)
    probs = topic_model.predict_proba(pool)
    everyone = head_uncertainty(probs["topic"])
    random_pick = np.random.default_rng(0).choice(len(pool), 10, replace=False)
    assert set(sel.index.tolist()) != set(random_pick.tolist())
    assert everyone[sel.index].mean() > everyone[random_pick].mean() + 0.1
    copies = [i for i, t in enumerate(pool) if t == pool[60]]
    assert len(set(copies) & set(sel.index.tolist())) <= 1
    assert (sel.max_similarity < 0.9).all()
    assert set(sel.most_uncertain) <= {"topic", "urgent"}


def test_suggest_labels_table(topic_model: ContactClassifier) -> None:
    pool = _pool()
    df = pd.DataFrame({"id": [f"u{i}" for i in range(len(pool))], "text": pool})
    df.loc[0, "text"] = "   "
    out = suggest_labels(topic_model, df, n=5)
    assert out["rank"].tolist() == [1, 2, 3, 4, 5]
    assert set(out.columns) >= {
        "row",
        "uncertainty",
        "most_uncertain",
        "topic_pred",
        "urgent_pred",
        "id",
    }
    assert 1 not in out["row"].tolist()
    assert (out["text"] == [pool[r - 1] for r in out["row"]]).all()
    with pytest.raises(ConfigError, match="no 'body' column"):
        suggest_labels(topic_model, df, n=5, text_column="body")
    with pytest.raises(ConfigError, match="--n must be at least 1"):
        suggest_labels(topic_model, df, n=0)
