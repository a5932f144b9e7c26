"""Helpers shared by the backend tests: tiny targets and a long letter."""

from __future__ import annotations

import random

import numpy as np

from nlp_contact import load_taxonomy
from nlp_contact.backends.base import Targets
from tests.conftest import COLUMNS, tiny_records

HEADS = COLUMNS[2:6]
FLAGS = COLUMNS[6:]
DECISIVE = "The adviser was rude and hung up on me, I want to make a formal complaint"
NEUTRAL = {
    "contact_reason": "other",
    "value_status": "value",
    "avoidable_reason": "not_avoidable",
    "feedback_type": "none",
    "staff_behaviour": False,
    "third_party": False,
    "vulnerability": False,
}
# Words that appear in none of the 24 contacts: a long, neutral letter body.
_FILLER = (
    "weather garden river autumn kettle biscuit neighbour cricket holiday seaside "
    "orchard pottery library bicycle sunflower lantern meadow harbour violin puzzle"
).split()


def tiny_texts_and_targets(times: int = 1, neutral: int = 0) -> tuple[list[str], Targets]:
    """The 24 shared test contacts (``times`` over) as texts and backend targets, plus
    ``neutral`` letters of filler words labelled as saying nothing in particular."""
    tax = load_taxonomy()
    recs = tiny_records() * times
    recs += [
        {"text": long_letter(60, ending="Yours faithfully", seed=100 + i), **NEUTRAL}
        for i in range(neutral)
    ]
    heads = {h: np.array([tax.heads[h].label_names.index(r[h]) for r in recs]) for h in HEADS}
    flags = {f: np.array([bool(r[f]) for r in recs]) for f in FLAGS}
    labels = {h: tax.heads[h].label_names for h in HEADS}
    return [r["text"] for r in recs], Targets(heads, labels, flags)


def long_letter(words: int = 3000, ending: str = DECISIVE, seed: int = 0) -> str:
    """``words`` neutral words in sentences, then the decisive sentence at the very end."""
    rng = random.Random(seed)
    body = [rng.choice(_FILLER) for _ in range(words)]
    sentences = [" ".join(body[i : i + 12]).capitalize() + "." for i in range(0, words, 12)]
    return "Dear Sir or Madam,\n\n" + " ".join(sentences) + "\n\n" + ending + "."


def label_index(head: str, label: str) -> int:
    return load_taxonomy().heads[head].label_names.index(label)
