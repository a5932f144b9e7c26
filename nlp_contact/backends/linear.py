"""The default backend: linear models over shared word and character n-gram features.

One :class:`~nlp_contact.features.TextFeaturizer` feeds every head and flag; each output
has its own class-weighted linear model (logistic regression or a linear SVM). The
learned state is plain arrays plus the vocabularies, saved without pickle.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nlp_contact.backends.base import Targets, Term
from nlp_contact.errors import ConfigError, NotFittedError
from nlp_contact.features import TextFeaturizer, normalise

WEIGHTS_FILE = "linear_weights.npz"
VOCAB_FILE = "linear_vocabulary.json"
LEARNERS = ("logreg", "svm")
UNSEEN_LOGIT = -10.0

if TYPE_CHECKING:  # imported where used: scoring a loaded model needs neither
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC


class LinearBackend:
    """Class-weighted linear models on TF-IDF word + char n-grams.

    Args:
        features: keyword arguments of :class:`~nlp_contact.features.TextFeaturizer`.
        learner: ``logreg`` (multinomial logistic regression) or ``svm`` (linear SVM).
        C: inverse regularisation strength.
        class_weight: ``balanced`` or None.
        max_iter: solver iteration cap.
    """

    name = "linear"

    def __init__(
        self,
        features: dict[str, Any] | None = None,
        learner: str = "logreg",
        C: float = 10.0,
        class_weight: str | None = "balanced",
        max_iter: int = 2000,
    ) -> None:
        self.features = features
        self.learner = learner
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter

    def _make_learner(self) -> LogisticRegression | LinearSVC:
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import LinearSVC

        if self.learner not in LEARNERS:
            raise ConfigError(f"linear.learner must be one of {LEARNERS}; found '{self.learner}'.")
        if not self.C > 0:
            raise ConfigError(f"linear.C must be > 0; found {self.C}.")
        if self.learner == "svm":
            return LinearSVC(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
        return LogisticRegression(
            C=self.C, class_weight=self.class_weight, max_iter=self.max_iter, solver="lbfgs"
        )

    def fit(
        self, texts: Sequence[str], targets: Targets, sample_weight: np.ndarray | None = None
    ) -> LinearBackend:
        """Fit the featurizer and one linear model per head and flag; returns self."""
        self.featurizer_ = TextFeaturizer(**(self.features or {}))
        X = self.featurizer_.fit_transform(texts)
        self.coef_: dict[str, np.ndarray] = {}
        self.intercept_: dict[str, np.ndarray] = {}
        for head, y in targets.heads.items():
            n_labels = len(targets.head_labels[head])
            self.coef_[head], self.intercept_[head] = self._fit_head(X, y, n_labels, sample_weight)
        for flag, y in targets.flags.items():
            self.coef_[flag], self.intercept_[flag] = self._fit_flag(X, y, sample_weight)
        self.n_labels_ = {h: len(labels) for h, labels in targets.head_labels.items()}
        self.flags_ = list(targets.flags)
        return self

    def _fit_head(
        self, X: sp.csr_matrix, y: np.ndarray, n_labels: int, sample_weight: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """A (n_labels, n_features) map; labels absent from training get a very low score."""
        coef = np.zeros((n_labels, X.shape[1]), dtype=np.float32)
        intercept = np.full(n_labels, UNSEEN_LOGIT, dtype=np.float32)
        present = np.unique(y)
        if len(present) == 1:
            intercept[present[0]] = 0.0
            return coef, intercept
        model = self._make_learner().fit(X, y, sample_weight=sample_weight)
        rows = np.asarray(model.coef_, dtype=np.float32)
        bias = np.asarray(model.intercept_, dtype=np.float32)
        if rows.shape[0] == 1:  # two classes: sklearn keeps one row for the second
            rows = np.vstack([-rows[0] / 2, rows[0] / 2])
            bias = np.array([-bias[0] / 2, bias[0] / 2], dtype=np.float32)
        coef[model.classes_] = rows
        intercept[model.classes_] = bias
        return coef, intercept

    def _fit_flag(
        self, X: sp.csr_matrix, y: np.ndarray, sample_weight: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """A (1, n_features) map; a flag never true (or never false) gets a constant score."""
        y = y.astype(int)
        if len(np.unique(y)) == 1:
            constant = UNSEEN_LOGIT if y[0] == 0 else -UNSEEN_LOGIT
            return np.zeros((1, X.shape[1]), np.float32), np.array([constant], np.float32)
        model = self._make_learner().fit(X, y, sample_weight=sample_weight)
        return (
            np.asarray(model.coef_, dtype=np.float32),
            np.asarray(model.intercept_, dtype=np.float32),
        )

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError("This LinearBackend is not fitted yet; call fit or load first.")

    def decision_scores(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Logits per head (n, n_labels) and per flag (n,)."""
        self._check_fitted()
        X = self.featurizer_.transform(texts)
        weights, spans = self._stacked_weights()
        raw = np.asarray(X @ weights)  # every output's columns in one sparse product
        scores = {}
        for name, (start, stop) in spans.items():
            block = raw[:, start:stop] + self.intercept_[name]
            scores[name] = block[:, 0] if name in self.flags_ else block
        return scores

    def _stacked_weights(self) -> tuple[np.ndarray, dict[str, tuple[int, int]]]:
        """All outputs' weight rows as one (n_features, n_rows) C-ordered matrix, built once.

        Each column of ``X @ W`` is computed exactly as ``X @ coef.T`` computes it alone,
        so the scores are identical to one product per output.
        """
        arrays = list(self.coef_.values())
        cached = getattr(self, "_stacked", None)
        if (
            cached is None
            or len(cached[0]) != len(arrays)
            or any(a is not b for a, b in zip(cached[0], arrays, strict=True))
        ):
            spans, start = {}, 0
            for name, coef in self.coef_.items():
                spans[name] = (start, start + coef.shape[0])
                start += coef.shape[0]
            weights = np.ascontiguousarray(np.vstack(arrays).T)
            cached = self._stacked = (arrays, weights, spans)
        return cached[1], cached[2]

    def explain(self, text: str, output: str, label_index: int, k: int = 5) -> list[Term]:
        """Terms of ``text`` that pushed ``output`` most towards ``label_index``."""
        self._check_fitted()
        row = self.featurizer_.transform([text]).tocsr()
        direction = self._direction(output, label_index)
        contrib = row.data * direction[row.indices]
        names = self._feature_names()
        words = normalise(text, self.featurizer_.mask_entities).split()
        scores: dict[str, float] = defaultdict(float)
        for j, c in zip(row.indices, contrib, strict=True):
            kind, gram = names[j]
            if kind == "embedding":  # a dense dimension belongs to no single term
                continue
            if kind == "word":
                scores[gram] += float(c)
                continue
            owners = sorted({w for w in words if gram in f" {w} "})
            for w in owners:
                scores[w] += float(c) / len(owners)
        ranked = sorted(
            ((t, w) for t, w in scores.items() if w > 0 and not t.startswith("x")),
            key=lambda tw: -tw[1],
        )
        return [Term(term=t, weight=round(w, 4)) for t, w in ranked[:k]]

    def _direction(self, output: str, label_index: int) -> np.ndarray:
        coef = self.coef_[output]
        if output in self.flags_:
            return np.asarray(coef[0] if label_index == 1 else -coef[0])
        return np.asarray(coef[label_index] - coef.mean(axis=0))

    def _feature_names(self) -> list[tuple[str, str]]:
        if not hasattr(self, "_names_cache"):
            self._names_cache = self.featurizer_.feature_names()
        return self._names_cache

    def params(self) -> dict[str, Any]:
        """Hyperparameters, JSON-ready."""
        return {
            "features": self.features or {},
            "learner": self.learner,
            "C": self.C,
            "class_weight": self.class_weight,
            "max_iter": self.max_iter,
        }

    def save(self, directory: Path) -> list[str]:
        """Write the vocabularies (JSON) and arrays (npz, no pickle)."""
        self._check_fitted()
        vocab, idf = self.featurizer_.get_state()
        arrays: dict[str, np.ndarray] = {**idf}
        for name in self.coef_:
            arrays[f"coef__{name}"] = self.coef_[name]
            arrays[f"intercept__{name}"] = self.intercept_[name]
        np.savez_compressed(directory / WEIGHTS_FILE, **arrays)  # type: ignore[arg-type]
        state = {"vocabulary": vocab, "flags": self.flags_, "n_labels": self.n_labels_}
        (directory / VOCAB_FILE).write_text(json.dumps(state), encoding="utf-8")
        return [WEIGHTS_FILE, VOCAB_FILE]

    @classmethod
    def load(cls, directory: Path, params: dict[str, Any]) -> LinearBackend:
        """Rebuild a fitted backend from :meth:`save`'s files."""
        self = cls(**params)
        state = json.loads((directory / VOCAB_FILE).read_text(encoding="utf-8"))
        with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
        self.featurizer_ = TextFeaturizer(**(self.features or {}))
        self.featurizer_.set_state(state["vocabulary"], arrays)
        self.flags_ = state["flags"]
        self.n_labels_ = state["n_labels"]
        names = [k.split("__", 1)[1] for k in arrays if k.startswith("coef__")]
        self.coef_ = {n: arrays[f"coef__{n}"] for n in names}
        self.intercept_ = {n: arrays[f"intercept__{n}"] for n in names}
        return self
