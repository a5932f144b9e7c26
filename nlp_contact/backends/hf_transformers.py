"""The transformer backend: one shared encoder, one classification head per head and flag.

* Starting point (``base_model``): ``"scratch"`` (a small BERT encoder with random
  weights and a ``tokenizers`` WordPiece tokenizer whose vocabulary is learned from the
  training texts, deterministically)
  or a local Hugging Face checkpoint directory (nothing is ever downloaded).
* Long letters: the tokens of a text are split into windows of ``window`` tokens
  (special tokens included) that share ``stride`` tokens with the next window (as in
  Hugging Face tokenizers); at most ``max_windows`` windows, evenly spread, are kept.
  The windows' outputs are pooled, in training as at inference: each flag takes its
  **maximum logit** over the windows; each head takes the log-probabilities of its
  **most informative window**, the one that departs most (KL divergence) from the
  prediction for an empty window (``pool_windows``), so a decisive sentence anywhere
  in a letter counts. A per-label maximum over window logits would let a confident
  "none" from the neutral windows outvote it; mean-pooled embeddings would dilute it.
* A window is represented by the mean of its token states; one forward pass yields every
  head's and flag's logits. Training: summed loss (class-weighted cross-entropy per head,
  BCE-with-logits with ``pos_weight`` per flag, sample weights honoured), AdamW with
  warm-up and linear decay, early stopping on an internal validation split, progress
  bar with loss and validation metrics, seeds fixed (``random``, NumPy, torch), CPU by
  default and CUDA when present (``device="auto"``).
* Saved as safetensors weights, the tokenizer's JSON and a JSON config (no pickle).
  ``export="onnx"`` also writes ``model.onnx`` (int8 dynamic quantisation unless
  ``quantize=False``); ``load`` then scores with onnxruntime (torch is not needed) unless
  ``prefer_onnx`` is false or the environment sets ``NLP_CONTACT_PREFER_ONNX=0``.

torch and transformers are imported only here and in ``_torch_*`` modules, when the
backend is used; without them :class:`~nlp_contact.errors.BackendNotInstalledError`
names the pip command.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import log_softmax

from nlp_contact.backends._torch_tokens import (
    checkpoint_tokenizer,
    pad_windows,
    split_windows,
    train_wordpiece,
)
from nlp_contact.backends.base import Targets, Term
from nlp_contact.backends.spacy_textcat import occlusion_terms, pool_windows
from nlp_contact.errors import ArtifactError, BackendNotInstalledError, ConfigError, NotFittedError

WEIGHTS_FILE = "transformer_model.safetensors"
TOKENIZER_FILE = "transformer_tokenizer.json"
STATE_FILE = "transformer_config.json"
ONNX_FILE = "model.onnx"
ONNX_ENV = "NLP_CONTACT_PREFER_ONNX"
TRAINING_PACKAGES = {
    "torch": "torch",
    "transformers": "transformers",
    "tokenizers": "tokenizers",
    "safetensors": "safetensors",
}
ONNX_PACKAGES = {"onnxruntime": "onnxruntime", "tokenizers": "tokenizers"}
EXPORT_PACKAGES = {"onnx": "onnx", "onnxscript": "onnxscript", "onnxruntime": "onnxruntime"}


def _require(modules: dict[str, str]) -> None:
    """Import each module, or say exactly what to install."""
    for module, package in modules.items():
        try:
            importlib.import_module(module)
        except ImportError:
            raise BackendNotInstalledError("transformer", package, "transformers") from None


class TransformerBackend:
    """A multi-head transformer classifier with windowed long texts and ONNX export.

    Args:
        base_model: ``"scratch"`` or a local Hugging Face checkpoint directory.
        vocab_size: WordPiece vocabulary of a scratch tokenizer.
        hidden_size: scratch encoder width.
        num_layers: scratch encoder layers.
        num_heads: scratch attention heads.
        intermediate_size: scratch feed-forward width.
        dropout: dropout of the scratch encoder and before the heads.
        window: tokens per window, special tokens included.
        stride: tokens shared by consecutive windows.
        max_windows: windows kept per text (evenly spread over it).
        epochs: maximum training epochs.
        batch_size: texts per training step.
        learning_rate: AdamW learning rate; None: 1e-3 from scratch, 5e-5 from a checkpoint.
        weight_decay: AdamW weight decay.
        warmup_fraction: share of steps with a linear warm-up.
        class_weight: ``balanced`` (capped at 10) or None.
        validation_fraction: internal early-stopping split; 0 trains every epoch.
        patience: epochs without a better validation score (mean accuracy over heads and
            flags) before stopping; 0 disables.
        seed: seed of ``random``, NumPy and torch.
        device: ``auto`` (CUDA when available), ``cpu`` or ``cuda[:n]``.
        num_threads: torch CPU threads (process-wide); None keeps torch's default.
        export: None, or ``"onnx"`` to write ``model.onnx`` when saving.
        quantize: int8 dynamic quantisation of the ONNX model.
        prefer_onnx: score with ``model.onnx`` when a loaded model has one.
        inference_batch_size: windows per forward pass when scoring.
        progress: show a progress bar.
        explain_max_words: distinct words tried by the occlusion explanation.
    """

    name = "transformer"
    source_dir_: Path  # set by load(): where the weights are read from when needed

    def __init__(
        self,
        base_model: str = "scratch",
        vocab_size: int = 4000,
        hidden_size: int = 128,
        num_layers: int = 2,
        num_heads: int = 4,
        intermediate_size: int = 256,
        dropout: float = 0.2,
        window: int = 128,
        stride: int = 32,
        max_windows: int = 64,
        epochs: int = 12,
        batch_size: int = 16,
        learning_rate: float | None = None,
        weight_decay: float = 0.01,
        warmup_fraction: float = 0.1,
        class_weight: str | None = "balanced",
        validation_fraction: float = 0.1,
        patience: int = 2,
        seed: int = 0,
        device: str = "auto",
        num_threads: int | None = None,
        export: str | None = None,
        quantize: bool = True,
        prefer_onnx: bool = True,
        inference_batch_size: int = 64,
        progress: bool = True,
        explain_max_words: int = 60,
    ) -> None:
        self.base_model = base_model
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.num_heads = num_heads
        self.intermediate_size = intermediate_size
        self.dropout = dropout
        self.window = window
        self.stride = stride
        self.max_windows = max_windows
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.warmup_fraction = warmup_fraction
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.seed = seed
        self.device = device
        self.num_threads = num_threads
        self.export = export
        self.quantize = quantize
        self.prefer_onnx = prefer_onnx
        self.inference_batch_size = inference_batch_size
        self.progress = progress
        self.explain_max_words = explain_max_words

    # ------------------------------------------------------------------ settings
    def params(self) -> dict[str, Any]:
        """Hyperparameters, JSON-ready."""
        return {k: getattr(self, k) for k in _PARAM_NAMES}

    def resolved_learning_rate(self) -> float:
        if self.learning_rate is not None:
            return float(self.learning_rate)
        return 1e-3 if self.base_model == "scratch" else 5e-5

    def _validate(self) -> None:
        positive = (
            "vocab_size",
            "hidden_size",
            "num_layers",
            "num_heads",
            "intermediate_size",
            "max_windows",
            "epochs",
            "batch_size",
            "inference_batch_size",
        )
        for key in positive:
            if int(getattr(self, key)) < 1:
                raise ConfigError(f"transformer.{key} must be >= 1; found {getattr(self, key)}.")
        if not 0 <= int(self.stride) < int(self.window) - 2:
            raise ConfigError(
                f"transformer.stride must be >= 0 and below window - 2 ({int(self.window) - 2}); "
                f"found stride {self.stride} with window {self.window}."
            )
        if int(self.hidden_size) % int(self.num_heads):
            raise ConfigError(
                f"transformer.hidden_size ({self.hidden_size}) must be a multiple of "
                f"transformer.num_heads ({self.num_heads})."
            )
        if self.export not in (None, "onnx"):
            raise ConfigError(f"transformer.export must be unset or 'onnx'; found '{self.export}'.")
        if self.class_weight not in (None, "balanced"):
            raise ConfigError(
                "transformer.class_weight must be 'balanced' or unset; "
                f"found '{self.class_weight}'."
            )
        if not 0.0 <= float(self.validation_fraction) < 0.5:
            raise ConfigError(
                "transformer.validation_fraction must be in [0, 0.5); found "
                f"{self.validation_fraction}."
            )
        if self.base_model != "scratch" and not Path(self.base_model).is_dir():
            raise ConfigError(
                f"transformer.base_model '{self.base_model}' is not a directory. Pass a local "
                "Hugging Face checkpoint directory (nothing is downloaded) or 'scratch'."
            )

    # ------------------------------------------------------------------ training
    def fit(
        self, texts: Sequence[str], targets: Targets, sample_weight: np.ndarray | None = None
    ) -> TransformerBackend:
        """Train the tokenizer (from scratch) and the multi-head model; returns self."""
        _require(TRAINING_PACKAGES)
        from nlp_contact.backends import _torch_model as tm
        from nlp_contact.backends._torch_train import train_model

        self._validate()
        tm.seed_everything(int(self.seed))
        tm.set_threads(self.num_threads)
        texts = list(texts)
        self.outputs_ = _outputs_of(targets)
        encoder = self._tokenizer_and_encoder(texts)
        sizes = [size for _, _, size in self.outputs_]
        model = tm.MultiHeadEncoder(encoder, sizes, float(self.dropout))
        data = self._train_set(texts, targets, sample_weight)
        device = tm.pick_device(str(self.device))
        self.history_ = train_model(model, data, self, device)
        self.model_ = model
        self.runner_: Callable[[np.ndarray, np.ndarray], np.ndarray] = tm.TorchRunner(model, device)
        return self

    def _train_set(
        self, texts: list[str], targets: Targets, sample_weight: np.ndarray | None
    ) -> Any:
        """Windows and target arrays in the order of the concatenated logits."""
        from nlp_contact.backends._torch_train import TrainSet

        n = len(texts)
        heads = [targets.heads[name] for name, kind, _ in self.outputs_ if kind == "head"]
        flags = [targets.flags[name] for name, kind, _ in self.outputs_ if kind == "flag"]
        weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight)
        return TrainSet(
            windows=self._windows(texts),
            heads=np.stack(heads, axis=1) if heads else np.zeros((n, 0), dtype=int),
            flags=np.stack(flags, axis=1).astype(np.float32) if flags else np.zeros((n, 0)),
            weights=weights.astype(np.float32),
            head_slices=_head_slices(self.outputs_),
            flag_columns=_flag_columns(self.outputs_),
            pad_id=self.special_["pad"],
            empty=self._empty(),
        )

    def _tokenizer_and_encoder(self, texts: list[str]) -> Any:
        """Set ``tokenizer_`` and ``special_``; return the encoder to fine-tune."""
        from nlp_contact.backends import _torch_model as tm

        if self.base_model == "scratch":
            self.tokenizer_ = train_wordpiece(texts, int(self.vocab_size))
            self.special_ = {
                name: int(self.tokenizer_.token_to_id(token))
                for name, token in (("pad", "[PAD]"), ("cls", "[CLS]"), ("sep", "[SEP]"))
            }
            return tm.scratch_encoder(self, self.tokenizer_.get_vocab_size(), self.special_["pad"])
        self.tokenizer_, self.special_ = checkpoint_tokenizer(self.base_model)
        encoder = tm.checkpoint_encoder(self.base_model)
        limit = int(getattr(encoder.config, "max_position_embeddings", self.window))
        if int(self.window) > limit:
            raise ConfigError(
                f"transformer.window ({self.window}) is longer than the checkpoint's "
                f"max_position_embeddings ({limit}); lower it."
            )
        return encoder

    # ---------------------------------------------------------------- prediction
    def _windows(self, texts: list[str]) -> list[list[np.ndarray]]:
        encodings = self.tokenizer_.encode_batch(texts, add_special_tokens=False)
        return [
            split_windows(
                e.ids,
                int(self.window),
                int(self.stride),
                int(self.max_windows),
                self.special_.get("cls"),
                self.special_.get("sep"),
            )
            for e in encodings
        ]

    def _check_fitted(self) -> None:
        if not hasattr(self, "runner_"):
            raise NotFittedError(
                "This TransformerBackend is not fitted yet; call fit or load first."
            )

    def decision_scores(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Per head (n, n_labels): log-probabilities of the text's most informative
        window; per flag (n,): the highest logit over its windows."""
        self._check_fitted()
        texts = list(texts)
        if not texts:
            return {n: np.zeros((0, s) if k == "head" else 0) for n, k, s in self.outputs_}
        per_text = self._windows(texts)
        logits = self._window_logits([w for ws in per_text for w in ws] + [self._empty()])
        base, logits = logits[-1].astype(np.float64), logits[:-1].astype(np.float64)
        starts = np.cumsum([0] + [len(ws) for ws in per_text[:-1]])
        out, col = {}, 0
        for name, kind, size in self.outputs_:
            part = logits[:, col : col + size]
            if kind == "head":
                baseline = log_softmax(base[col : col + size])
                out[name] = pool_windows(log_softmax(part, axis=1), starts, baseline)
            else:
                out[name] = np.maximum.reduceat(part[:, 0], starts)
            col += size
        return out

    def _empty(self) -> np.ndarray:
        """The window of an empty text: the baseline of window pooling."""
        special = [self.special_.get("cls"), self.special_.get("sep")]
        ids = [i for i in special if i is not None] or [self.special_["pad"]]
        return np.array(ids, dtype=np.int64)

    def _window_logits(self, windows: list[np.ndarray]) -> np.ndarray:
        """Run windows shortest first in batches (little padding); original order back."""
        order = np.argsort([len(w) for w in windows], kind="stable")
        size = int(self.inference_batch_size)
        parts = [
            self.runner_(
                *pad_windows([windows[i] for i in order[s : s + size]], self.special_["pad"])
            )
            for s in range(0, len(order), size)
        ]
        logits = np.concatenate(parts, axis=0)
        out = np.empty_like(logits)
        out[order] = logits
        return out

    def explain(self, text: str, output: str, label_index: int, k: int = 5) -> list[Term]:
        """Words whose removal lowers the score of ``label_index`` the most (occlusion)."""
        self._check_fitted()
        kinds = {name: kind for name, kind, _ in self.outputs_}

        def score(variants: list[str]) -> np.ndarray:
            s = self.decision_scores(variants)[output]
            if kinds[output] == "flag":
                return np.asarray(s if label_index == 1 else -s)
            return np.asarray(s[:, label_index])

        return occlusion_terms(text, score, k, int(self.explain_max_words))

    # -------------------------------------------------------------------- saving
    def save(self, directory: Path) -> list[str]:
        """Write safetensors weights, tokenizer JSON, config JSON and maybe ``model.onnx``."""
        self._check_fitted()
        from nlp_contact.backends import _torch_model as tm

        model = self._torch_model()
        tm.save_weights(model, directory / WEIGHTS_FILE)
        self.tokenizer_.save(str(directory / TOKENIZER_FILE))
        state = {
            "format": 1,
            "encoder": model.encoder.config.to_dict(),
            "special": self.special_,
            "outputs": [list(o) for o in self.outputs_],
            "history": getattr(self, "history_", []),
        }
        (directory / STATE_FILE).write_text(json.dumps(state, indent=1, default=str), "utf-8")
        files = [WEIGHTS_FILE, TOKENIZER_FILE, STATE_FILE]
        if self.export == "onnx":
            _require(EXPORT_PACKAGES)
            tm.export_onnx(model, directory / ONNX_FILE, int(self.window), bool(self.quantize))
            files.append(ONNX_FILE)
        self._torch_runner()  # keep scoring on the device the model now lives on
        return files

    def _torch_model(self) -> Any:
        """The PyTorch model, read from the loaded directory when scoring used ONNX."""
        if hasattr(self, "model_"):
            return self.model_
        _require(TRAINING_PACKAGES)
        from nlp_contact.backends import _torch_model as tm

        source = getattr(self, "source_dir_", None)
        if source is None or not (Path(source) / WEIGHTS_FILE).is_file():
            raise ArtifactError(
                f"The PyTorch weights of this model ('{WEIGHTS_FILE}') are no longer in "
                f"'{source}'; save it to a new directory, or reload it with prefer_onnx=False."
            )
        state = json.loads((Path(source) / STATE_FILE).read_text("utf-8"))
        encoder = tm.encoder_from_config(state["encoder"])
        model = tm.MultiHeadEncoder(encoder, [s for _, _, s in self.outputs_], float(self.dropout))
        self.model_ = tm.load_weights(model, Path(source) / WEIGHTS_FILE).eval()
        return self.model_

    def _torch_runner(self) -> None:
        from nlp_contact.backends import _torch_model as tm

        if not isinstance(getattr(self, "runner_", None), OnnxRunner):
            device = tm.pick_device(str(self.device))
            self.runner_ = tm.TorchRunner(self.model_, device)

    @classmethod
    def load(cls, directory: Path, params: dict[str, Any]) -> TransformerBackend:
        """Rebuild a fitted backend; scores with ONNX when ``model.onnx`` is present."""
        _require({"tokenizers": "tokenizers"})
        from tokenizers import Tokenizer

        self = cls(**params)
        state = json.loads((directory / STATE_FILE).read_text("utf-8"))
        self.outputs_ = [(str(n), str(k), int(s)) for n, k, s in state["outputs"]]
        self.special_ = {k: int(v) for k, v in state["special"].items()}
        self.history_ = state.get("history", [])
        self.tokenizer_ = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        self.source_dir_ = directory
        onnx_path = directory / ONNX_FILE
        if onnx_path.is_file() and _prefer_onnx(bool(self.prefer_onnx)):
            _require(ONNX_PACKAGES)
            self.runner_ = OnnxRunner(onnx_path, self.num_threads)
            return self
        _require(TRAINING_PACKAGES)
        from nlp_contact.backends._torch_model import set_threads

        set_threads(self.num_threads)
        self._torch_model()
        self._torch_runner()
        return self


_PARAM_NAMES = (
    "base_model",
    "vocab_size",
    "hidden_size",
    "num_layers",
    "num_heads",
    "intermediate_size",
    "dropout",
    "window",
    "stride",
    "max_windows",
    "epochs",
    "batch_size",
    "learning_rate",
    "weight_decay",
    "warmup_fraction",
    "class_weight",
    "validation_fraction",
    "patience",
    "seed",
    "device",
    "num_threads",
    "export",
    "quantize",
    "prefer_onnx",
    "inference_batch_size",
    "progress",
    "explain_max_words",
)


class OnnxRunner:
    """Window logits from ``model.onnx`` with onnxruntime on the CPU."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = int(threads)
        self.session = ort.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": input_ids, "attention_mask": attention_mask}
        return np.asarray(self.session.run(["logits"], feed)[0])


def _prefer_onnx(default: bool) -> bool:
    value = os.environ.get(ONNX_ENV, "").strip().lower()
    if value in ("0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    return default


def _outputs_of(targets: Targets) -> list[tuple[str, str, int]]:
    """(name, "head"|"flag", number of logits) in the order of the concatenated logits."""
    heads = [(h, "head", len(labels)) for h, labels in targets.head_labels.items()]
    return heads + [(f, "flag", 1) for f in targets.flags]


def _head_slices(outputs: list[tuple[str, str, int]]) -> list[tuple[int, int]]:
    ends = np.cumsum([s for _, _, s in outputs])
    return [(int(e - s), int(e)) for (_, k, s), e in zip(outputs, ends, strict=True) if k == "head"]


def _flag_columns(outputs: list[tuple[str, str, int]]) -> list[int]:
    ends = np.cumsum([s for _, _, s in outputs])
    return [int(e - 1) for (_, k, _), e in zip(outputs, ends, strict=True) if k == "flag"]
