"""``ContactClassifier``: the one multi-head classifier of nlp-contact.

It trains any backend on a taxonomy's heads and flags, calibrates the backend's scores
on held-out data, chooses flag thresholds for their target recall, decodes heads tied by
a constraint jointly, derives routing and priority, and saves/loads model directories.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nlp_contact import artifacts
from nlp_contact.backends.base import Targets, backend_class
from nlp_contact.calibration import (
    apply_platt,
    apply_temperature,
    fit_platt,
    fit_temperature,
    threshold_for_f1,
    threshold_for_recall,
)
from nlp_contact.config import TrainConfig
from nlp_contact.data import LabelledData, parse_flag
from nlp_contact.errors import ConfigError, DataProblem, DataValidationError, NotFittedError
from nlp_contact.metrics import flag_metrics, head_metrics
from nlp_contact.prediction import FlagPrediction, HeadPrediction, LabelProbability, Prediction
from nlp_contact.taxonomy import Taxonomy, load_taxonomy

TOP_K = 3


@dataclass
class Calibration:
    """Learned post-processing of a backend's scores."""

    temperature: dict[str, float] = field(default_factory=dict)
    platt: dict[str, tuple[float, float]] = field(default_factory=dict)
    flag_threshold: dict[str, float] = field(default_factory=dict)
    reject_below: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "temperature": self.temperature,
            "platt": {k: list(v) for k, v in self.platt.items()},
            "flag_threshold": self.flag_threshold,
            "reject_below": self.reject_below,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        return cls(
            temperature=dict(data["temperature"]),
            platt={k: (float(v[0]), float(v[1])) for k, v in data["platt"].items()},
            flag_threshold=dict(data["flag_threshold"]),
            reject_below=dict(data.get("reject_below", {})),
        )


def check_batch(texts: Any, name: str = "texts") -> list[str]:
    """A list of texts; a bare string is rejected (as scikit-learn does)."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(
            f"Iterable over raw texts expected for '{name}', string object received. "
            "Wrap a single text in a list: predict([text])."
        )
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"{name}[{i}] must be str, found {type(t).__name__}.")
    return out


class ContactClassifier:
    """Multi-head contact classifier with calibrated probabilities and derived routing.

    Args:
        taxonomy: the heads and flags to learn (default: the packaged taxonomy).
        config: every training setting (default: :class:`~nlp_contact.config.TrainConfig`).

    Example:
        >>> from nlp_contact import ContactClassifier, load_taxonomy
        >>> tax = load_taxonomy()
        >>> texts = ["cust rang chasing UC pmt not arrived", "wants to claim PIP",
        ...          "rude adviser, want to complain formally", "thank you, staff were kind"] * 3
        >>> labels = {
        ...     "contact_reason": ["progress_chasing", "new_claim", "feedback", "feedback"] * 3,
        ...     "value_status": ["avoidable", "value", "avoidable", "value"] * 3,
        ...     "avoidable_reason": ["progress_chasing", "not_avoidable", "service_failure",
        ...                          "not_avoidable"] * 3,
        ...     "feedback_type": ["none", "none", "complaint", "compliment"] * 3,
        ...     "staff_behaviour": [False, False, True, False] * 3,
        ...     "third_party": [False] * 12,
        ...     "vulnerability": [False, False, False, True] * 3,
        ... }
        >>> clf = ContactClassifier(tax).fit(texts, labels)
        >>> clf.predict(["cust chasing UC pmt"])[0].heads["contact_reason"].label
        'progress_chasing'
    """

    taxonomy_: Taxonomy
    config_: TrainConfig
    calibration_: Calibration
    backend_: Any
    validation_metrics_: dict[str, Any]
    training_data_: dict[str, Any]
    meta_: dict[str, Any]
    model_dir_: Path

    def __init__(self, taxonomy: Taxonomy | None = None, config: TrainConfig | None = None) -> None:
        self.taxonomy = taxonomy
        self.config = config

    # ------------------------------------------------------------------ training
    def fit(
        self,
        texts: Sequence[str],
        labels: Mapping[str, Sequence[Any]],
        sample_weight: Sequence[float] | np.ndarray | None = None,
        validation_rows: Sequence[bool] | np.ndarray | None = None,
    ) -> ContactClassifier:
        """Train on texts and one label sequence per head and flag; returns self.

        ``validation_rows`` (bool per row, default all) marks the rows that may be held
        out for calibration, flag thresholds and validation metrics: e.g. real contacts,
        not generated ones. The others are always trained on.
        """
        texts = check_batch(texts)
        self.taxonomy_ = self.taxonomy or load_taxonomy()
        self.config_ = self.config or TrainConfig()
        targets = self._targets(labels, len(texts))
        weights = np.ones(len(texts)) if sample_weight is None else np.asarray(sample_weight, float)
        eligible = _validation_mask(validation_rows, len(texts))
        self._fit_targets(texts, targets, weights, eligible)
        return self

    def fit_data(self, data: LabelledData) -> ContactClassifier:
        """Train on validated :class:`~nlp_contact.data.LabelledData`; returns self."""
        labels: dict[str, Any] = {**data.labels, **data.flags}
        self.fit(data.texts, labels, data.weights, data.validation_rows)
        self.training_data_ = {"rows": len(data), "sources": data.sources}
        return self

    def _targets(self, labels: Mapping[str, Sequence[Any]], n: int) -> Targets:
        tax = self.taxonomy_
        missing = [o for o in tax.output_names if o not in labels]
        if missing:
            raise ConfigError(
                f"Labels are missing for {missing}; the taxonomy '{tax.name}' has outputs "
                f"{tax.output_names}. Pass a label sequence for each, or use a taxonomy "
                "with only the outputs you have."
            )
        problems: list[DataProblem] = []
        heads: dict[str, np.ndarray] = {}
        for head in tax.head_names:
            names = tax.heads[head].label_names
            index = {label: i for i, label in enumerate(names)}
            values = list(labels[head])
            _check_length(head, values, n)
            for row, v in enumerate(values, 1):
                if v not in index:
                    problems.append(
                        DataProblem("labels", row, head, v, f"unknown label; allowed: {names}")
                    )
            heads[head] = np.array([index.get(v, 0) for v in values], dtype=int)
        flags = {f: self._flag_values(f, labels[f], n, problems) for f in tax.flag_names}
        if problems:
            raise DataValidationError(problems[:50], total=len(problems))
        return Targets(heads, {h: tax.heads[h].label_names for h in tax.head_names}, flags)

    @staticmethod
    def _flag_values(
        flag: str, values: Sequence[Any], n: int, problems: list[DataProblem]
    ) -> np.ndarray:
        values = list(values)
        _check_length(flag, values, n)
        out = np.zeros(n, dtype=bool)
        for row, v in enumerate(values, 1):
            parsed = parse_flag(v)
            if parsed is None:
                problems.append(DataProblem("labels", row, flag, v, "a flag must be true or false"))
            out[row - 1] = bool(parsed)
        return out

    def _new_backend(self) -> Any:
        cfg = self.config_
        cls = backend_class(cfg.train.backend)
        try:
            return cls(**cfg.backend_params())
        except TypeError as exc:
            raise ConfigError(
                f"Invalid [{cfg.train.backend}] settings: {exc}. See "
                "training/configs/default.toml for the keys each backend takes."
            ) from None

    def _fit_targets(
        self, texts: list[str], targets: Targets, weights: np.ndarray, eligible: np.ndarray
    ) -> None:
        cfg = self.config_.train
        if cfg.validation == "cv":
            held_idx, held_scores = self._cross_fitted_scores(texts, targets, weights, eligible)
        else:
            held_idx, held_scores = self._holdout_scores(texts, targets, weights, eligible)
        held = _subset_targets(targets, held_idx)
        self.calibration_ = self._calibrate(held_scores, held)
        self.validation_metrics_ = self._metrics(held_scores, held, len(held_idx))
        if cfg.validation == "cv" or cfg.refit_full or self.backend_ is None:
            self.backend_ = self._new_backend().fit(texts, targets, weights)

    def _holdout_scores(
        self, texts: list[str], targets: Targets, weights: np.ndarray, eligible: np.ndarray
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Fit on all rows but a stratified hold-out drawn from the eligible rows; score it."""
        from sklearn.model_selection import train_test_split  # only when training

        cfg = self.config_.train
        candidates = np.flatnonzero(eligible)
        strat = _stratify_on(_subset_targets(targets, candidates), cfg.validation_fraction)
        train_idx, held_idx = train_test_split(
            candidates, test_size=cfg.validation_fraction, random_state=cfg.seed, stratify=strat
        )
        train_idx = np.concatenate([train_idx, np.flatnonzero(~eligible)])
        backend = self._new_backend().fit(
            [texts[i] for i in train_idx], _subset_targets(targets, train_idx), weights[train_idx]
        )
        self.backend_ = backend
        return held_idx, backend.decision_scores([texts[i] for i in held_idx])

    def _cross_fitted_scores(
        self, texts: list[str], targets: Targets, weights: np.ndarray, eligible: np.ndarray
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Out-of-fold scores of every row; only the eligible rows are returned."""
        cfg = self.config_.train
        strat = _stratify_on(targets, 1.0 / cfg.folds)
        y = strat if strat is not None else np.zeros(len(texts), dtype=int)
        from sklearn.model_selection import StratifiedKFold  # only when training

        folds = StratifiedKFold(n_splits=cfg.folds, shuffle=True, random_state=cfg.seed)
        scores: dict[str, np.ndarray] = {}
        for train_idx, test_idx in folds.split(np.zeros(len(texts)), y):
            backend = self._new_backend().fit(
                [texts[i] for i in train_idx],
                _subset_targets(targets, train_idx),
                weights[train_idx],
            )
            fold_scores = backend.decision_scores([texts[i] for i in test_idx])
            for name, s in fold_scores.items():
                if name not in scores:
                    scores[name] = np.zeros((len(texts), *s.shape[1:]), dtype=np.float64)
                scores[name][test_idx] = s
        self.backend_ = None
        held_idx = np.flatnonzero(eligible)
        return held_idx, {name: s[held_idx] for name, s in scores.items()}

    def _calibrate(self, scores: dict[str, np.ndarray], held: Targets) -> Calibration:
        cal = Calibration()
        th = self.config_.thresholds
        for head in self.taxonomy_.head_names:
            cal.temperature[head] = fit_temperature(scores[head], held.heads[head])
        for flag, flag_spec in self.taxonomy_.flags.items():
            a, b = fit_platt(scores[flag], held.flags[flag])
            cal.platt[flag] = (a, b)
            prob = apply_platt(scores[flag], a, b)
            target = th.flag_target_recall.get(flag, flag_spec.target_recall)
            cal.flag_threshold[flag] = (
                threshold_for_recall(prob, held.flags[flag], target)
                if target is not None
                else threshold_for_f1(prob, held.flags[flag])
            )
        for head, spec in self.taxonomy_.heads.items():
            if spec.out_of_scope_label is not None:
                probs = apply_temperature(scores[head], cal.temperature[head])
                cal.reject_below[head] = _rejection_threshold(
                    probs,
                    held.heads[head],
                    spec.label_names.index(spec.out_of_scope_label),
                    th.out_of_scope_recall,
                )
        return cal

    def _metrics(self, scores: dict[str, np.ndarray], held: Targets, n: int) -> dict[str, Any]:
        probs = self._calibrated(scores)
        pred_idx = self._decode(probs)[0]
        out: dict[str, Any] = {"n": n, "method": self.config_.train.validation}
        out["heads"] = {
            h: head_metrics(
                held.heads[h], probs[h], pred_idx[h], self.taxonomy_.heads[h].label_names
            )
            for h in self.taxonomy_.head_names
        }
        out["flags"] = {
            f: flag_metrics(held.flags[f], probs[f], self.calibration_.flag_threshold[f])
            for f in self.taxonomy_.flag_names
        }
        return out

    # ---------------------------------------------------------------- prediction
    def _check_fitted(self) -> None:
        if not hasattr(self, "calibration_") or getattr(self, "backend_", None) is None:
            raise NotFittedError(
                "This ContactClassifier is not fitted yet: call fit(...) or "
                "ContactClassifier.load(dir)."
            )

    def _calibrated(self, scores: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        cal = self.calibration_
        probs: dict[str, np.ndarray] = {}
        for head in self.taxonomy_.head_names:
            probs[head] = apply_temperature(scores[head], cal.temperature[head])
        for flag in self.taxonomy_.flag_names:
            probs[flag] = apply_platt(scores[flag], *cal.platt[flag])
        return probs

    def _decode(
        self, probs: dict[str, np.ndarray]
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Label indices per head and (possibly adjusted) probabilities.

        Heads tied by a constraint are decoded jointly: the most probable consistent pair
        wins and each head's probabilities become the marginals of the consistent joint.
        """
        probs = dict(probs)
        pred = {h: probs[h].argmax(axis=1) for h in self.taxonomy_.head_names}
        for c in self.taxonomy_.constraints:
            left = self.taxonomy_.heads[c.head].label_names
            right = self.taxonomy_.heads[c.iff_head].label_names
            allowed = np.array([[c.allows(a, b) for b in right] for a in left], dtype=float)
            joint = probs[c.head][:, :, None] * probs[c.iff_head][:, None, :] * allowed
            joint /= np.maximum(joint.sum(axis=(1, 2), keepdims=True), 1e-300)
            flat = joint.reshape(len(joint), -1).argmax(axis=1)
            pred[c.head], pred[c.iff_head] = np.unravel_index(flat, allowed.shape)
            probs[c.head], probs[c.iff_head] = joint.sum(axis=2), joint.sum(axis=1)
        for head, threshold in self.calibration_.reject_below.items():
            oos = self.taxonomy_.heads[head].label_names.index(
                str(self.taxonomy_.heads[head].out_of_scope_label)
            )
            in_scope = np.delete(probs[head], oos, axis=1).max(axis=1)
            pred[head] = np.where(in_scope < threshold, oos, pred[head])
        return pred, probs

    def predict_proba(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Calibrated probabilities: head -> (n, n_labels), flag -> (n,) P(true)."""
        self._check_fitted()
        texts = check_batch(texts)
        scores = self.backend_.decision_scores(texts)
        return self._decode(self._calibrated(scores))[1]

    def predict(
        self, texts: Sequence[str], explain: bool = False, ids: Sequence[str | None] | None = None
    ) -> list[Prediction]:
        """One :class:`~nlp_contact.prediction.Prediction` per text, in order."""
        self._check_fitted()
        texts = check_batch(texts)
        if not texts:
            return []
        scores = self.backend_.decision_scores(texts)
        pred, probs = self._decode(self._calibrated(scores))
        out = [self._one(i, pred, probs) for i in range(len(texts))]
        for i, p in enumerate(out):
            if ids is not None:
                p.id = ids[i]
            if explain:
                p.evidence = self._explain(texts[i], p)
        return out

    def predict_labels(self, texts: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
        """Fast path for batch scoring: label index per head, P(true) per flag, confidences."""
        self._check_fitted()
        scores = self.backend_.decision_scores(check_batch(texts))
        pred, probs = self._decode(self._calibrated(scores))
        return {"pred": pred, "probs": probs}

    def _one(self, i: int, pred: dict[str, np.ndarray], probs: dict[str, np.ndarray]) -> Prediction:
        tax = self.taxonomy_
        heads: dict[str, HeadPrediction] = {}
        reasons: list[str] = []
        for head, spec in tax.heads.items():
            names = spec.label_names
            p = probs[head][i]
            label_idx = int(pred[head][i])
            order = np.argsort(-p, kind="stable")[:TOP_K]
            review_at = self.review_threshold(head)
            heads[head] = HeadPrediction(
                label=names[label_idx],
                confidence=float(p[label_idx]),
                top=[LabelProbability(names[j], float(p[j])) for j in order],
                review_threshold=review_at,
            )
            if p[label_idx] < review_at:
                reasons.append(f"{head}: confidence {p[label_idx]:.2f} below {review_at:.2f}")
            if spec.out_of_scope_label is not None and names[label_idx] == spec.out_of_scope_label:
                reasons.append(f"{head}: out of scope")
        flags = {
            f: FlagPrediction(
                value=bool(probs[f][i] >= self.calibration_.flag_threshold[f]),
                probability=float(probs[f][i]),
                threshold=self.calibration_.flag_threshold[f],
            )
            for f in tax.flag_names
        }
        derived = tax.derive(
            {h: p.label for h, p in heads.items()}, {f: p.value for f, p in flags.items()}
        )
        return Prediction(heads, flags, derived, needs_review=bool(reasons), review_reasons=reasons)

    def review_threshold(self, head: str) -> float:
        """Confidence under which a head's prediction asks for review."""
        spec = self.taxonomy_.heads[head]
        th = self.config_.thresholds
        return th.review_per_head.get(
            head, spec.review_threshold if spec.review_threshold is not None else th.review
        )

    def _explain(self, text: str, p: Prediction, k: int = 5) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for head, hp in p.heads.items():
            idx = self.taxonomy_.heads[head].label_names.index(hp.label)
            out[head] = self.backend_.explain(text, head, idx, k)
        for flag, fp in p.flags.items():
            if fp.value:
                out[flag] = self.backend_.explain(text, flag, 1, k)
        return out

    # ------------------------------------------------------------------- saving
    @property
    def labels_(self) -> dict[str, list[str]]:
        """Head -> its labels, in order."""
        return {h: s.label_names for h, s in self.taxonomy_.heads.items()}

    @property
    def model_info(self) -> dict[str, Any]:
        """Name, version and backend, as shown in every answer."""
        meta = getattr(self, "meta_", {})
        return {
            "name": meta.get("name", "unsaved"),
            "version": meta.get("model_version", "unsaved"),
            "backend": self.config_.train.backend,
        }

    def save(self, directory: str | Path, name: str | None = None, **extra_meta: Any) -> Path:
        """Write the model directory (config, meta, weights, manifest, card)."""
        self._check_fitted()
        return artifacts.save_model(self, Path(directory), name=name, extra_meta=extra_meta)

    @classmethod
    def load(cls, directory: str | Path) -> ContactClassifier:
        """Load and verify a model directory written by :meth:`save`."""
        return artifacts.load_model(cls, Path(directory))


def _check_length(name: str, values: Sequence[Any], n: int) -> None:
    if len(values) != n:
        raise ConfigError(f"'{name}' has {len(values)} labels for {n} texts; they must match.")


def _subset_targets(t: Targets, idx: np.ndarray) -> Targets:
    return Targets(
        heads={h: v[idx] for h, v in t.heads.items()},
        head_labels=t.head_labels,
        flags={f: v[idx] for f, v in t.flags.items()},
    )


def _validation_mask(rows: Sequence[bool] | np.ndarray | None, n: int) -> np.ndarray:
    """Rows that may be held out; an error when too few are left to validate on."""
    if rows is None:
        return np.ones(n, dtype=bool)
    mask = np.asarray(rows, dtype=bool)
    if mask.shape != (n,):
        raise ConfigError(
            f"validation_rows has {mask.size} values for {n} texts; give one per text."
        )
    if mask.sum() < 2:
        raise ConfigError(
            f"Only {int(mask.sum())} of {n} rows may be held out for calibration "
            "(validation_rows); at least 2 are needed. Add real labelled data or set "
            "[synth] hold_out = true."
        )
    return mask


def _stratify_on(targets: Targets, fraction: float) -> np.ndarray | None:
    """The first head's labels when every label has enough rows to split, else None."""
    for y in targets.heads.values():
        counts = np.bincount(y)
        counts = counts[counts > 0]
        enough = counts.min() >= 2 and len(y) * min(fraction, 1 - fraction) >= len(counts)
        return y if enough else None
    return None


def _rejection_threshold(probs: np.ndarray, y: np.ndarray, oos: int, target_recall: float) -> float:
    """The lowest in-scope confidence cut that reaches ``target_recall`` on out-of-scope rows."""
    is_oos = y == oos
    if not is_oos.any():
        return 0.0
    in_scope_conf = np.delete(probs, oos, axis=1).max(axis=1)
    # an out-of-scope row is caught if it is predicted as such or its in-scope confidence is low
    caught_anyway = probs.argmax(axis=1) == oos
    conf = np.where(caught_anyway, -1.0, in_scope_conf)[is_oos]
    needed = int(np.ceil(target_recall * is_oos.sum()))
    return float(np.sort(conf)[needed - 1] + 1e-9) if needed else 0.0
