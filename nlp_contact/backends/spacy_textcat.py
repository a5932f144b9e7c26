"""The spaCy backend: one exclusive ``textcat`` per head and a ``textcat_multilabel`` for flags.

The pipeline starts from ``spacy.blank(lang)`` or from a user's pipeline (an installed
package name or a local pipeline directory, whose components are sourced and frozen). It
is described by a spaCy config that this module generates and keeps in the model
directory as ``spacy_training.cfg``; the pipeline is built from it with spaCy's config
system and trained with ``update`` calls driven by its ``[training]`` section (optimizer,
batcher, dropout, max_epochs, seed).

* Components: ``textcat_tok2vec`` (a tok2vec shared through listeners, for the
  ``ensemble`` architecture), ``textcat_<head>`` per head (labels ``"<head>:<label>"``,
  so that ``doc.cats`` keeps every head apart) and ``textcat_flags`` (labels = flags).
* Every component is updated with its own examples (an exclusive textcat refuses
  reference cats with several true labels), in one step, as ``nlp.update`` does.
* Early stopping: after each epoch the mean accuracy over heads and flags is measured on
  an internal validation split (``validation_fraction``); training stops after
  ``patience`` epochs without improvement and the best weights are kept.
* Sample weights are approximated by repeating rows: a row of weight ``w`` appears
  ``round(w / min(weights))`` times per epoch, at most ``max_repeat`` times. spaCy's
  textcat has no per-example loss weights.
* Scores: heads get log-probabilities (``log`` of the softmax output), flags get
  ``logit(p)``, so the shared temperature/Platt calibration applies.
* Long letters: a text longer than ``window`` tokens is scored as overlapping windows
  (a bag-of-words sum over a 3,000-word letter would drown a decisive sentence); each
  head keeps the window that departs most from its prediction for an empty input
  (:func:`pool_windows`), each flag its highest logit. Training documents are learned
  whole; the default window (400 tokens) is longer than any hand-written contact.
* Explanations: leave-one-word-out occlusion (:func:`occlusion_terms`, shared with the
  transformer backend).
* Saved with ``nlp.to_disk`` into ``spacy_pipeline/`` in the model directory, loaded
  with ``spacy.load``: spaCy's own files, no pickle.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nlp_contact.backends.base import Targets, Term
from nlp_contact.errors import BackendNotInstalledError, ConfigError, NotFittedError

PIPELINE_DIR = "spacy_pipeline"
CONFIG_FILE = "spacy_training.cfg"
STATE_FILE = "spacy_outputs.json"
TOK2VEC = "textcat_tok2vec"
FLAGS_COMPONENT = "textcat_flags"
ARCHITECTURES = ("ensemble", "bow")
_EPS = 1e-7
_NOTHING = "<nlp-contact:nothing>"
_INIT_ROWS = 200  # rows with a full reference doc, used by nlp.initialize
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _require_spacy() -> Any:
    """Import spaCy, or say exactly what to install."""
    try:
        import spacy
    except ImportError:
        raise BackendNotInstalledError("spacy", "spacy", "spacy") from None
    return spacy


@dataclass
class _Row:
    """One training text: its doc and one example per component (length = tokens)."""

    base: Any
    examples: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.base.predicted)


class SpacyBackend:
    """spaCy text classifiers, one per head plus one multi-label for the flags.

    Args:
        base_model: None for ``spacy.blank(lang)``, else an installed pipeline name or a
            local pipeline directory (its components are kept, frozen).
        lang: language of the blank pipeline.
        architecture: ``bow`` (bag-of-words n-grams: fast, and the better of the two on
            the hand-written corpus) or ``ensemble`` (bag-of-words + a CNN over a tok2vec
            shared by every textcat).
        width: tok2vec width (ensemble).
        embed_rows: hash-embedding rows for NORM (PREFIX/SUFFIX/SHAPE get half).
        ngram_size: n-gram length of the bag-of-words model.
        bow_length: hashed feature rows of the bag-of-words model.
        epochs: maximum training epochs (``training.max_epochs``).
        patience: epochs without validation improvement before stopping; 0 disables.
        dropout: ``training.dropout``.
        learn_rate: Adam learning rate.
        batch_words: words per batch.
        validation_fraction: internal early-stopping split; 0 trains every epoch.
        max_repeat: cap of row repeats used to approximate sample weights.
        seed: ``system.seed`` (spaCy's ``fix_random_seed``).
        progress: show a progress bar with loss and validation accuracy per epoch.
        window: tokens per scoring window; longer texts are scored window by window.
        stride: tokens shared by consecutive windows.
        explain_max_words: distinct words tried by the occlusion explanation.
    """

    name = "spacy"

    def __init__(
        self,
        base_model: str | None = None,
        lang: str = "en",
        architecture: str = "bow",
        width: int = 64,
        embed_rows: int = 5000,
        ngram_size: int = 2,
        bow_length: int = 262144,
        epochs: int = 15,
        patience: int = 3,
        dropout: float = 0.1,
        learn_rate: float = 0.001,
        batch_words: int = 2000,
        validation_fraction: float = 0.1,
        max_repeat: int = 4,
        seed: int = 0,
        progress: bool = True,
        window: int = 400,
        stride: int = 100,
        explain_max_words: int = 100,
    ) -> None:
        self.base_model = base_model
        self.lang = lang
        self.architecture = architecture
        self.width = width
        self.embed_rows = embed_rows
        self.ngram_size = ngram_size
        self.bow_length = bow_length
        self.epochs = epochs
        self.patience = patience
        self.dropout = dropout
        self.learn_rate = learn_rate
        self.batch_words = batch_words
        self.validation_fraction = validation_fraction
        self.max_repeat = max_repeat
        self.seed = seed
        self.progress = progress
        self.window = window
        self.stride = stride
        self.explain_max_words = explain_max_words

    # ------------------------------------------------------------------ settings
    def params(self) -> dict[str, Any]:
        """Hyperparameters, JSON-ready."""
        return {k: getattr(self, k) for k in _PARAM_NAMES}

    def _validate(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ConfigError(
                f"spacy.architecture must be one of {ARCHITECTURES}; found '{self.architecture}'."
            )
        if not 0 <= int(self.stride) < int(self.window):
            raise ConfigError(
                f"spacy.stride must be >= 0 and below spacy.window ({self.window}); "
                f"found {self.stride}."
            )
        for key in ("width", "embed_rows", "ngram_size", "bow_length", "batch_words"):
            if int(getattr(self, key)) < 1:
                raise ConfigError(f"spacy.{key} must be >= 1; found {getattr(self, key)}.")
        if int(self.epochs) < 1 or int(self.max_repeat) < 1 or int(self.patience) < 0:
            raise ConfigError(
                "spacy.epochs and spacy.max_repeat must be >= 1 and spacy.patience >= 0; found "
                f"{self.epochs}, {self.max_repeat}, {self.patience}."
            )
        if not 0.0 <= self.validation_fraction < 0.5 or not 0.0 <= self.dropout < 1.0:
            raise ConfigError(
                "spacy.validation_fraction must be in [0, 0.5) and spacy.dropout in [0, 1); "
                f"found {self.validation_fraction} and {self.dropout}."
            )

    # ------------------------------------------------------------------ training
    def fit(
        self, texts: Sequence[str], targets: Targets, sample_weight: np.ndarray | None = None
    ) -> SpacyBackend:
        """Build the pipeline from its generated config and train it; returns self."""
        from nlp_contact.backends._spacy_config import filled_config
        from nlp_contact.backends._spacy_train import train_pipeline

        spacy = _require_spacy()
        self._validate()
        spacy.util.fix_random_seed(int(self.seed))
        self.outputs_ = _outputs_of(targets)
        self.config_text_ = self._config_text(spacy)
        nlp = spacy.util.load_model_from_config(
            spacy.util.load_config_from_str(self.config_text_), auto_fill=True, validate=True
        )
        self.config_text_ = filled_config(nlp, self.base_model)
        rows = self._rows(nlp, list(texts), targets)
        repeats = _repeats(sample_weight, len(rows), int(self.max_repeat))
        self.nlp_, self.history_ = train_pipeline(self, nlp, rows, repeats, targets)
        return self

    def _config_text(self, spacy: Any) -> str:
        from nlp_contact.backends._spacy_config import pipeline_config

        base = None
        if self.base_model is not None:
            try:
                base = spacy.load(self.base_model)
            except OSError as exc:
                raise ConfigError(
                    f"spacy.base_model '{self.base_model}' could not be loaded ({exc}). Pass an "
                    "installed pipeline name or a local pipeline directory, or leave it unset "
                    "for a blank pipeline."
                ) from None
        return pipeline_config(self, self.outputs_, base)

    def _rows(self, nlp: Any, texts: list[str], targets: Targets) -> list[_Row]:
        """One row per text. A textcat reads only its reference's ``cats``, so each
        component's reference is an empty doc that carries them (copying long letters
        once per component would cost far more memory)."""
        from spacy.tokens import Doc
        from spacy.training import Example

        rows = []
        for i, doc in enumerate(nlp.tokenizer.pipe(texts)):
            row = _Row(Example(doc, doc.copy()) if i < _INIT_ROWS else Example(doc, Doc(doc.vocab)))
            for component, (head, labels) in self.outputs_["heads"].items():
                gold = int(targets.heads[head][i])
                cats = {f"{head}:{lab}": float(j == gold) for j, lab in enumerate(labels)}
                row.examples[component] = _cats_example(doc, cats)
            if self.outputs_["flags"]:
                cats = {f: float(targets.flags[f][i]) for f in self.outputs_["flags"]}
                row.examples[FLAGS_COMPONENT] = _cats_example(doc, cats)
            rows.append(row)
        return rows

    # ---------------------------------------------------------------- prediction
    def _check_fitted(self) -> None:
        if not hasattr(self, "nlp_"):
            raise NotFittedError("This SpacyBackend is not fitted yet; call fit or load first.")

    def decision_scores(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Log-probabilities per head (n, n_labels) and logit(p) per flag (n,)."""
        self._check_fitted()
        return scores_of(self.nlp_, list(texts), self.outputs_, int(self.window), int(self.stride))

    def explain(self, text: str, output: str, label_index: int, k: int = 5) -> list[Term]:
        """Words whose removal lowers the score of ``label_index`` the most."""
        self._check_fitted()
        flags = set(self.outputs_["flags"])

        def score(variants: list[str]) -> np.ndarray:
            s = self.decision_scores(variants)[output]
            if output in flags:
                return np.asarray(s if label_index == 1 else -s)
            return np.asarray(s[:, label_index])

        return occlusion_terms(text, score, k, int(self.explain_max_words))

    # -------------------------------------------------------------------- saving
    def save(self, directory: Path) -> list[str]:
        """Write the pipeline (``nlp.to_disk``), the training config and the output map."""
        self._check_fitted()
        target = directory / PIPELINE_DIR
        if target.exists():
            shutil.rmtree(target)
        self.nlp_.to_disk(target)
        (directory / CONFIG_FILE).write_text(self.config_text_, encoding="utf-8")
        (directory / STATE_FILE).write_text(json.dumps(self.outputs_, indent=1), "utf-8")
        files = sorted(
            p.relative_to(directory).as_posix() for p in target.rglob("*") if p.is_file()
        )
        return [CONFIG_FILE, STATE_FILE, *files]

    @classmethod
    def load(cls, directory: Path, params: dict[str, Any]) -> SpacyBackend:
        """Rebuild a fitted backend with ``spacy.load`` from :meth:`save`'s files."""
        spacy = _require_spacy()
        self = cls(**params)
        self.nlp_ = spacy.load(directory / PIPELINE_DIR)
        self.outputs_ = json.loads((directory / STATE_FILE).read_text("utf-8"))
        self.config_text_ = (directory / CONFIG_FILE).read_text("utf-8")
        return self


_PARAM_NAMES = (
    "base_model",
    "lang",
    "architecture",
    "width",
    "embed_rows",
    "ngram_size",
    "bow_length",
    "epochs",
    "patience",
    "dropout",
    "learn_rate",
    "batch_words",
    "validation_fraction",
    "max_repeat",
    "seed",
    "progress",
    "window",
    "stride",
    "explain_max_words",
)


def _outputs_of(targets: Targets) -> dict[str, Any]:
    """Component names per head (``textcat_<head>``), single-label heads and flags."""
    heads: dict[str, tuple[str, list[str]]] = {}
    constant: dict[str, int] = {}
    taken = {TOK2VEC, FLAGS_COMPONENT}
    for head, labels in targets.head_labels.items():
        if len(labels) < 2:
            constant[head] = len(labels)
            continue
        name = "textcat_" + re.sub(r"\W", "_", head)
        while name in taken:
            name += "_"
        taken.add(name)
        heads[name] = (head, list(labels))
    return {"heads": heads, "constant": constant, "flags": list(targets.flags)}


def _cats_example(doc: Any, cats: dict[str, float]) -> Any:
    from spacy.tokens import Doc
    from spacy.training import Example

    reference = Doc(doc.vocab)
    reference.cats = cats
    return Example(doc, reference)


def _repeats(sample_weight: np.ndarray | None, n: int, cap: int) -> np.ndarray:
    """Times each row is shown per epoch: weights relative to the smallest, rounded."""
    if sample_weight is None:
        return np.ones(n, dtype=int)
    w = np.asarray(sample_weight, dtype=float)
    positive = w[w > 0]
    if len(positive) == 0:
        return np.ones(n, dtype=int)
    return np.clip(np.rint(w / positive.min()), 0, cap).astype(int)


def scores_of(
    nlp: Any, texts: list[str], outputs: dict[str, Any], window: int, stride: int
) -> dict[str, np.ndarray]:
    """Run the textcat components over each text's windows; pool into backend scores.

    A text longer than ``window`` tokens is scored as overlapping windows (``stride``
    tokens shared), pooled by :func:`pool_windows` against the scores of a doc that
    says nothing.
    """
    ours = {TOK2VEC, FLAGS_COMPONENT, *outputs["heads"]}
    others = [name for name in nlp.pipe_names if name not in ours]
    pieces, owner = [], []
    for i, doc in enumerate(nlp.tokenizer.pipe(texts)):
        for start, end in _window_bounds(len(doc), window, stride):
            pieces.append(doc if end - start == len(doc) else doc[start:end].as_doc())
            owner.append(i)
    docs = list(nlp.pipe([*pieces, _empty_doc(nlp)], disable=others))
    starts = np.searchsorted(np.asarray(owner), np.arange(len(texts)))
    out: dict[str, np.ndarray] = {}
    for head, labels in outputs["heads"].values():
        keys = [f"{head}:{lab}" for lab in labels]
        p = np.array([[doc.cats[key] for key in keys] for doc in docs], dtype=np.float64)
        logp = np.log(np.clip(p.reshape(len(docs), len(keys)), _EPS, 1.0))
        out[head] = pool_windows(logp[:-1], starts, logp[-1])
    for head, n_labels in outputs["constant"].items():
        out[head] = np.zeros((len(texts), n_labels))
    for flag in outputs["flags"]:
        p = np.clip(np.array([doc.cats[flag] for doc in docs], dtype=np.float64), _EPS, 1 - _EPS)
        logit = np.log(p[:-1]) - np.log1p(-p[:-1])
        out[flag] = np.maximum.reduceat(logit, starts) if len(logit) else logit
    return out


def _empty_doc(nlp: Any) -> Any:
    """A doc that says nothing: one token seen in no text (textcat cannot score zero tokens)."""
    from spacy.tokens import Doc

    return Doc(nlp.vocab, words=[_NOTHING])


def pool_windows(logp: np.ndarray, starts: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """One head's window log-probabilities ``(windows, labels)`` -> one row per text.

    Each text keeps its window whose distribution departs most (KL divergence) from
    ``baseline``, the prediction for an empty input: long letters are mostly text that
    says nothing about a head, and there the model predicts about what it predicts for
    nothing; a per-label maximum over windows would let a confident default label
    ("none") from neutral windows outvote the one decisive passage. A text with one
    window keeps it. Shared by the spaCy and transformer backends.

    Args:
        logp: log-probabilities of each window; the windows of a text are contiguous.
        starts: index of each text's first window (increasing).
        baseline: log-probabilities of an empty input, ``(labels,)``.
    """
    if len(logp) == 0:
        return logp
    return np.asarray(logp[informative_windows(logp, starts, baseline)])


def informative_windows(logp: np.ndarray, starts: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    """Index of each text's window that departs most from ``baseline`` (see pool_windows)."""
    divergence = (np.exp(logp) * (logp - baseline)).sum(axis=1)
    owner = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(logp))))
    return np.asarray(np.lexsort((-divergence, owner))[starts])


def _window_bounds(n: int, window: int, stride: int) -> list[tuple[int, int]]:
    """Token ranges of overlapping windows covering ``n`` tokens (one when it fits)."""
    if n <= window:
        return [(0, n)]
    step = max(window - stride, 1)
    bounds = [(s, min(s + window, n)) for s in range(0, n - stride, step)]
    return [b for b in bounds if b[1] > b[0]]


def occlusion_terms(
    text: str, score: Callable[[list[str]], np.ndarray], k: int, max_words: int = 100
) -> list[Term]:
    """Leave-one-word-out occlusion: how much the score drops when a word is removed.

    Every occurrence of a word (case-insensitive) is removed at once; the first
    ``max_words`` distinct words are tried, in order of appearance, in one batch.

    Args:
        text: the input text.
        score: maps a batch of texts to one score each (higher = more of the label).
        k: number of terms to return.
        max_words: distinct words tried (bounds the cost on long letters).

    Returns:
        Up to ``k`` terms with a positive drop, largest first.
    """
    words: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group(0).lower()
        if len(word) > 1 and word not in words:
            words.append(word)
        if len(words) >= max_words:
            break
    if not words or k <= 0:
        return []
    variants = [
        re.sub(rf"(?<![^\W_]){re.escape(w)}(?![^\W_])", " ", text, flags=re.IGNORECASE)
        for w in words
    ]
    scores = score([text, *variants])
    drops = scores[0] - scores[1:]
    order = np.argsort(-drops, kind="stable")
    return [
        Term(term=words[i], weight=round(float(drops[i]), 4)) for i in order[:k] if drops[i] > 0
    ]
