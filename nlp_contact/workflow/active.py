"""``nlp-contact suggest-labels``: which unlabelled contacts to label next.

Uncertainty sampling with diversity. Each contact gets an uncertainty in [0, 1] per
head (``margin``: one minus the gap between the two most probable labels, or
``entropy``: the normalised entropy) and per flag (one at the flag's own threshold,
falling to zero at probability 0 or 1), averaged over the heads and flags. The picks
are then made greedily among the most uncertain candidates: each step takes the
candidate with the highest uncertainty times its TF-IDF cosine distance to everything
already picked, and never takes a near-duplicate (cosine similarity at or above
``near_duplicate``) of an earlier pick while any other candidate is left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from nlp_contact.classifier import ContactClassifier
from nlp_contact.data import text_problem
from nlp_contact.errors import ConfigError

STRATEGIES = ("margin", "entropy")
POOL_FACTOR = 10
NEAR_DUPLICATE = 0.9


def head_uncertainty(probs: np.ndarray, strategy: str = "margin") -> np.ndarray:
    """Per row, in [0, 1]: 1 - (p1 - p2) for ``margin``, entropy / log(K) for ``entropy``."""
    if strategy == "margin":
        top2 = -np.sort(-probs, axis=1)[:, :2]
        return np.asarray(1.0 - (top2[:, 0] - top2[:, 1]))
    if strategy == "entropy":
        p = np.clip(probs, 1e-12, 1.0)
        return np.asarray(-(p * np.log(p)).sum(axis=1) / np.log(probs.shape[1]))
    raise ConfigError(f"Unknown uncertainty strategy '{strategy}'; expected one of {STRATEGIES}.")


def flag_uncertainty(prob: np.ndarray, threshold: float) -> np.ndarray:
    """1 at the flag's threshold, falling linearly to 0 at probability 0 and at 1."""
    t = min(max(threshold, 1e-6), 1 - 1e-6)
    span = np.where(prob < t, t, 1.0 - t)
    return np.asarray(1.0 - np.abs(prob - t) / span)


def uncertainties(
    probs: Mapping[str, np.ndarray], thresholds: Mapping[str, float], strategy: str = "margin"
) -> dict[str, np.ndarray]:
    """Output -> per-row uncertainty; heads are the 2-D entries, flags the 1-D ones."""
    out = {}
    for name, p in probs.items():
        if p.ndim == 2:
            out[name] = head_uncertainty(p, strategy)
        else:
            out[name] = flag_uncertainty(p, thresholds[name])
    return out


def embed(texts: Sequence[str]) -> sp.csr_matrix:
    """Unit-length TF-IDF rows (words 1-2 and character 3-5-grams), fitted on ``texts``."""
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1)
    X = sp.hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    return normalize(X)


def diverse_top(
    scores: np.ndarray,
    X: sp.csr_matrix,
    n: int,
    pool_factor: int = POOL_FACTOR,
    near_duplicate: float = NEAR_DUPLICATE,
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy picks among the most uncertain rows, spread out in ``X``'s cosine space.

    Args:
        scores: per-row uncertainty.
        X: unit-length row vectors.
        n: how many to pick.
        pool_factor: candidates are the ``pool_factor * n`` most uncertain rows, widened
            by as many again whenever only near-duplicates of picks are left.
        near_duplicate: the cosine similarity from which a row counts as a near-duplicate.

    Returns:
        The picked row indices, in pick order, and each pick's largest similarity to the
        rows picked before it.
    """
    n = min(n, len(scores))
    order = np.argsort(-scores, kind="stable")
    step = max(pool_factor * n, n)
    size = min(step, len(order))
    Xc = X[order[:size]]
    max_sim = np.zeros(len(order))
    taken = np.zeros(len(order), dtype=bool)
    picked: list[int] = []
    sims_at_pick: list[float] = []
    while len(picked) < n:
        gain = scores[order[:size]] * (1.0 - max_sim[:size])
        gain[(max_sim[:size] >= near_duplicate) | taken[:size]] = -np.inf
        if not np.isfinite(gain).any() and size < len(order):
            size, Xc = _widen(order, size, step, X, Xc, picked, max_sim)
            continue
        if not np.isfinite(gain).any():  # only near-duplicates of picks are left anywhere
            gain = np.where(taken[:size], -np.inf, scores[order[:size]])
        j = int(np.argmax(gain))
        taken[j] = True
        picked.append(int(order[j]))
        sims_at_pick.append(float(max_sim[j]))
        sims = np.asarray((Xc @ Xc[j].T).toarray()).ravel()
        max_sim[:size] = np.maximum(max_sim[:size], sims)
    return np.asarray(picked, dtype=int), np.asarray(sims_at_pick)


def _widen(
    order: np.ndarray,
    size: int,
    step: int,
    X: sp.csr_matrix,
    Xc: sp.csr_matrix,
    picked: list[int],
    max_sim: np.ndarray,
) -> tuple[int, sp.csr_matrix]:
    """Add the next ``step`` most uncertain rows to the candidates."""
    new_size = min(size + step, len(order))
    extra = X[order[size:new_size]]
    max_sim[size:new_size] = (extra @ X[picked].T).toarray().max(axis=1)
    return new_size, sp.vstack([Xc, extra]).tocsr()


@dataclass
class Selection:
    """The rows picked and why: indices into the pool, in pick order."""

    index: np.ndarray
    uncertainty: np.ndarray
    most_uncertain: list[str]
    max_similarity: np.ndarray
    per_output: dict[str, np.ndarray]


def select_for_labelling(
    clf: ContactClassifier,
    texts: Sequence[str],
    n: int,
    strategy: str = "margin",
    pool_factor: int = POOL_FACTOR,
    near_duplicate: float = NEAR_DUPLICATE,
) -> Selection:
    """The ``n`` texts whose labels should teach ``clf`` most (see the module docstring)."""
    if n < 1:
        raise ConfigError(f"--n must be at least 1; found {n}.")
    probs = clf.predict_proba(texts)
    per_output = uncertainties(probs, clf.calibration_.flag_threshold, strategy)
    names = list(per_output)
    stacked = np.column_stack([per_output[o] for o in names])
    score = stacked.mean(axis=1)
    idx, sims = diverse_top(score, embed(texts), n, pool_factor, near_duplicate)
    most = [names[int(k)] for k in stacked[idx].argmax(axis=1)]
    return Selection(idx, score[idx], most, sims, {o: per_output[o][idx] for o in names})


def suggest_labels(
    clf: ContactClassifier,
    df: pd.DataFrame,
    n: int,
    text_column: str = "text",
    strategy: str = "margin",
    near_duplicate: float = NEAR_DUPLICATE,
) -> pd.DataFrame:
    """The picked rows of ``df`` with ``rank``, ``row``, ``uncertainty``, ``most_uncertain``,
    ``max_similarity`` and the model's current guesses (``HEAD_pred``, ``FLAG_pred``).

    Rows without usable text are never picked.
    """
    if text_column not in df.columns:
        raise ConfigError(
            f"The unlabelled file has no '{text_column}' column; its columns are "
            f"{list(df.columns)}. Pass --text-column."
        )
    usable = np.asarray([text_problem(t) is None for t in df[text_column].tolist()])
    rows = np.flatnonzero(usable)
    if not len(rows):
        raise ConfigError("The unlabelled file has no row with usable text to suggest.")
    texts = [str(df[text_column].iloc[i]) for i in rows]
    sel = select_for_labelling(clf, texts, n, strategy, near_duplicate=near_duplicate)
    chosen = rows[sel.index]
    out = df.iloc[chosen].reset_index(drop=True)
    extra: dict[str, Any] = {
        "rank": np.arange(1, len(chosen) + 1),
        "row": chosen + 1,
        "uncertainty": np.round(sel.uncertainty, 6),
        "most_uncertain": sel.most_uncertain,
        "max_similarity": np.round(sel.max_similarity, 6),
    }
    guesses = clf.predict_labels([texts[i] for i in sel.index])
    for head, names in clf.labels_.items():
        extra[f"{head}_pred"] = [names[int(k)] for k in guesses["pred"][head]]
    for flag in clf.taxonomy_.flag_names:
        extra[f"{flag}_pred"] = guesses["probs"][flag] >= clf.calibration_.flag_threshold[flag]
    out = out.drop(columns=[c for c in extra if c in out.columns])
    return pd.concat([pd.DataFrame(extra), out], axis=1)
