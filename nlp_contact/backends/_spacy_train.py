"""The spaCy backend's training loop: ``update`` calls driven by the config's [training].

Each step updates every trainable component on the same docs, each with its own
examples, then applies the optimizer once per component, as ``nlp.update`` does (the
shared tok2vec receives its listeners' gradients before its own ``finish_update``).
"""

from __future__ import annotations

import logging
import random
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split
from tqdm.auto import tqdm

from nlp_contact.backends.base import Targets
from nlp_contact.backends.spacy_textcat import _INIT_ROWS, TOK2VEC, _Row, scores_of

log = logging.getLogger(__name__)


def train_pipeline(
    backend: Any, nlp: Any, rows: list[_Row], repeats: np.ndarray, targets: Targets
) -> tuple[Any, list[dict[str, float]]]:
    """Initialise and train ``nlp`` in place; returns it (best epoch's weights) and history."""
    from spacy.schemas import ConfigSchemaTraining
    from spacy.util import fix_random_seed, registry

    settings = registry.resolve(nlp.config.interpolate()["training"], schema=ConfigSchemaTraining)
    fix_random_seed(settings["seed"])
    optimizer = settings["optimizer"]
    train_idx, val_idx = _split(targets, len(rows), backend.validation_fraction, settings["seed"])
    init = [rows[i].base for i in train_idx if i < _INIT_ROWS] or [rows[0].base]
    with nlp.select_pipes(disable=settings["frozen_components"]):
        nlp.initialize(lambda: init, sgd=optimizer)
    trainable = [n for n in nlp.pipe_names if n not in settings["frozen_components"]]
    order = [int(i) for i in train_idx for _ in range(int(repeats[i]))]
    return _epochs(backend, nlp, rows, order, val_idx, targets, settings, trainable)


def _epochs(
    backend: Any,
    nlp: Any,
    rows: list[_Row],
    order: list[int],
    val_idx: np.ndarray,
    targets: Targets,
    settings: dict[str, Any],
    trainable: list[str],
) -> tuple[Any, list[dict[str, float]]]:
    outputs = backend.outputs_
    val_texts = [rows[i].base.predicted.text for i in val_idx]
    best, best_state, waited = -1.0, None, 0
    history: list[dict[str, float]] = []
    bar = tqdm(
        range(settings["max_epochs"]),
        desc="spacy textcat",
        unit="epoch",
        disable=not backend.progress,
    )
    for epoch in bar:
        random.shuffle(order)
        losses: dict[str, float] = {}
        for batch in settings["batcher"]([rows[i] for i in order]):
            _step(nlp, batch, trainable, settings, losses)
        # the shared tok2vec's entry sums its squared gradients, not a loss
        loss = sum(v for k, v in losses.items() if k != TOK2VEC)
        record = {"epoch": epoch + 1, "loss": round(loss, 4)}
        if len(val_idx):
            scores = scores_of(nlp, val_texts, outputs, int(backend.window), int(backend.stride))
            record["val_accuracy"] = _accuracy(scores, targets, val_idx)
        history.append(record)
        bar.set_postfix({k: v for k, v in record.items() if k != "epoch"})
        log.info("spacy epoch %s", record)
        if not len(val_idx):
            continue
        if record["val_accuracy"] > best:
            best, waited = record["val_accuracy"], 0
            best_state = {n: nlp.get_pipe(n).to_bytes() for n in trainable}
        else:
            waited += 1
            if settings["patience"] and waited >= settings["patience"]:
                break
    bar.close()
    for name, data in (best_state or {}).items():
        nlp.get_pipe(name).from_bytes(data)
    return nlp, history


def _step(
    nlp: Any,
    batch: list[_Row],
    trainable: list[str],
    settings: dict[str, Any],
    losses: dict[str, float],
) -> None:
    """One update of every trainable component on the same docs, then the optimizer."""
    for name in trainable:
        examples = [row.examples.get(name, row.base) for row in batch]
        nlp.get_pipe(name).update(examples, drop=settings["dropout"], sgd=None, losses=losses)
    for name in trainable:
        nlp.get_pipe(name).finish_update(settings["optimizer"])


def _split(targets: Targets, n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation row indices (stratified on the first head when possible)."""
    idx = np.arange(n)
    n_val = int(round(n * fraction))
    if fraction <= 0 or n_val < 2 or n - n_val < 2:
        return idx, idx[:0]
    strat = next(iter(targets.heads.values()), None)
    if strat is not None:
        counts = np.bincount(strat)
        if counts[counts > 0].min() < 2 or n_val < len(counts[counts > 0]):
            strat = None
    train_idx, val_idx = train_test_split(idx, test_size=n_val, random_state=seed, stratify=strat)
    return np.sort(train_idx), np.sort(val_idx)


def _accuracy(scores: dict[str, np.ndarray], targets: Targets, idx: np.ndarray) -> float:
    """Mean accuracy over heads (argmax) and flags (logit > 0) on the rows ``idx``."""
    accs = [float(np.mean(scores[h].argmax(axis=1) == y[idx])) for h, y in targets.heads.items()]
    accs += [float(np.mean((scores[f] > 0) == y[idx])) for f, y in targets.flags.items()]
    return round(float(np.mean(accs)), 4) if accs else 0.0
