"""The transformer backend's PyTorch parts: the multi-head model, inference and ONNX export.

Only the transformer backend imports this module (it imports torch and transformers at
module level), after checking that the ``transformers`` extra is installed.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

log = logging.getLogger(__name__)


class MultiHeadEncoder(nn.Module):
    """One shared encoder; one linear classification head per head and per flag.

    ``forward`` maps windows of token ids to the concatenation of every output's
    logits, ``(windows, sum of sizes)``: one forward pass for all outputs. A window is
    represented by the mean of its token states (padding masked out).
    """

    def __init__(self, encoder: Any, sizes: list[int], dropout: float) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        hidden = int(encoder.config.hidden_size)
        self.heads = nn.ModuleList(nn.Linear(hidden, size) for size in sizes)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        pooled = self.dropout(pooled)
        return torch.cat([head(pooled) for head in self.heads], dim=1)


def scratch_encoder(backend: Any, vocab_size: int, pad_id: int) -> nn.Module:
    """A small randomly initialised BERT encoder sized by the backend's settings."""
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=int(backend.hidden_size),
        num_hidden_layers=int(backend.num_layers),
        num_attention_heads=int(backend.num_heads),
        intermediate_size=int(backend.intermediate_size),
        hidden_dropout_prob=float(backend.dropout),
        attention_probs_dropout_prob=float(backend.dropout),
        max_position_embeddings=int(backend.window),
        pad_token_id=pad_id,
    )
    return BertModel(config, add_pooling_layer=False)


def checkpoint_encoder(path: str) -> nn.Module:
    """The encoder of a local Hugging Face checkpoint directory (never downloads)."""
    from transformers import AutoModel

    return _without_pooler(AutoModel.from_pretrained(path, local_files_only=True))


def encoder_from_config(config: dict[str, Any]) -> nn.Module:
    """An encoder with random weights from a saved ``config.to_dict()``."""
    from transformers import AutoConfig, AutoModel

    config = dict(config)
    model_type = config.pop("model_type")
    encoder_config: Any = AutoConfig.for_model(model_type, **config)
    return _without_pooler(AutoModel.from_config(encoder_config))


def _without_pooler(encoder: Any) -> Any:
    """Drop a BERT-style pooler: windows are mean-pooled, its weights would go unused."""
    if getattr(encoder, "pooler", None) is not None:
        encoder.pooler = None
    return encoder


def pick_device(name: str) -> torch.device:
    """``auto``: CUDA when available, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def set_threads(n: int | None) -> None:
    """Use ``n`` CPU threads in torch (None: leave torch's default)."""
    if n is not None and int(n) > 0 and torch.get_num_threads() != int(n):
        torch.set_num_threads(int(n))


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA)."""
    import random

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class TorchRunner:
    """Window logits from the PyTorch model (eval mode, no gradients)."""

    def __init__(self, model: MultiHeadEncoder, device: torch.device) -> None:
        self.model = model.to(device).eval()
        self.device = device

    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = self.model(
                torch.from_numpy(input_ids).to(self.device),
                torch.from_numpy(attention_mask).to(self.device),
            )
        return np.asarray(out.float().cpu().numpy())


def save_weights(model: MultiHeadEncoder, path: Path) -> None:
    """safetensors (no pickle); shared tensors are handled by ``save_model``."""
    from safetensors.torch import save_model

    save_model(model.cpu(), str(path))


def load_weights(model: MultiHeadEncoder, path: Path) -> MultiHeadEncoder:
    from safetensors.torch import load_model

    load_model(model, str(path), strict=True, device="cpu")
    return model


class _NoPreprocessHint(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """Silence the exporter's and quantizer's chatter, which users cannot act on
    (deprecations inside torch.export, optional torchvision ops, a pre-processing hint)."""
    registration = logging.getLogger("torch.onnx._internal.exporter._registration")
    level, hint = registration.level, _NoPreprocessHint()
    registration.setLevel(logging.ERROR)
    logging.getLogger().addFilter(hint)
    try:
        with warnings.catch_warnings():
            for category in (FutureWarning, UserWarning, DeprecationWarning):
                warnings.simplefilter("ignore", category=category)
            yield
    finally:
        registration.setLevel(level)
        logging.getLogger().removeFilter(hint)


def export_onnx(model: MultiHeadEncoder, path: Path, window: int, quantize: bool) -> None:
    """Export window logits to ONNX (dynamic batch and length); int8 dynamic quantisation.

    The graph takes ``input_ids`` and ``attention_mask`` (int64, ``(windows, tokens)``)
    and returns ``logits``; pooling over windows stays outside, shared with PyTorch.
    """
    model = model.cpu().eval()
    example = (torch.ones((2, 8), dtype=torch.long), torch.ones((2, 8), dtype=torch.long))
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length", max=window)
    with tempfile.TemporaryDirectory() as tmp, _quiet_exporter():
        fp32 = Path(tmp) / "model_fp32.onnx"
        torch.onnx.export(
            model,
            example,
            str(fp32),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamo=True,
            external_data=False,
            verbose=False,
            dynamic_shapes=({0: batch, 1: length}, {0: batch, 1: length}),
        )
        if not quantize:
            path.write_bytes(fp32.read_bytes())
            return
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # reduce_range: 7-bit weights avoid the int8 saturation of AVX2/AVX-512 CPUs
        # without VNNI (onnxruntime's quantization guide); on the test models it also
        # keeps probabilities 5x closer to PyTorch than full-range int8.
        quantize_dynamic(str(fp32), str(path), weight_type=QuantType.QInt8, reduce_range=True)
