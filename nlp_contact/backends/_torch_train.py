"""The transformer backend's training loop (PyTorch).

Every text is a list of overlapping windows; a batch of texts is run as one batch of
windows and pooled per text, during training as at inference: each head keeps the
log-probabilities of the window that departs most from the prediction for an empty
window, each flag its best logit. The loss is summed over outputs: class-weighted
cross-entropy per head and BCE-with-logits with ``pos_weight`` per flag, averaged over
texts with their sample weights. Batches group texts of similar length (little
padding). Early stopping watches the mean accuracy over heads and flags on an internal
validation split (``val_score``) and restores the best epoch's weights.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch.nn import functional as F
from tqdm.auto import tqdm

from nlp_contact.backends._torch_model import MultiHeadEncoder
from nlp_contact.backends._torch_tokens import pad_windows
from nlp_contact.backends.spacy_textcat import informative_windows

log = logging.getLogger(__name__)
MAX_CLASS_WEIGHT = 10.0


@dataclass
class TrainSet:
    """Windows and targets of every training text, and where each output's logits are."""

    windows: list[list[np.ndarray]]
    heads: np.ndarray  # (n, n_heads) label indices
    flags: np.ndarray  # (n, n_flags) 0/1
    weights: np.ndarray  # (n,) sample weights
    head_slices: list[tuple[int, int]]
    flag_columns: list[int]
    pad_id: int
    empty: np.ndarray  # the window of an empty text, the baseline of pooling

    @property
    def columns(self) -> list[tuple[str, int, int]]:
        """("head" | "flag", start, end) of every output's logits, in order."""
        spans = [("head", a, b) for a, b in self.head_slices]
        spans += [("flag", c, c + 1) for c in self.flag_columns]
        return sorted(spans, key=lambda span: span[1])


def pool_max(logits: torch.Tensor, owner: torch.Tensor, n: int) -> torch.Tensor:
    """Max of each column over the windows of each text: ``(windows, k) -> (n, k)``."""
    out = logits.new_full((n, logits.shape[1]), float("-inf"))
    index = owner.unsqueeze(1).expand_as(logits)
    return out.scatter_reduce(0, index, logits, reduce="amax", include_self=True)


class SummedLoss:
    """Per-text loss summed over heads (weighted CE) and flags (BCE with pos_weight)."""

    def __init__(self, data: TrainSet, idx: np.ndarray, balanced: bool, device: torch.device):
        self.data, self.device = data, device
        self.class_weights = [
            _balanced(data.heads[idx, j], b - a) if balanced else None
            for j, (a, b) in enumerate(data.head_slices)
        ]
        flags = data.flags[idx]
        pos = flags.sum(axis=0)
        ratio = np.where(pos > 0, (len(idx) - pos) / np.maximum(pos, 1), 1.0)
        self.pos_weight = torch.tensor(
            np.clip(ratio, 1.0, MAX_CLASS_WEIGHT) if balanced else np.ones_like(ratio),
            dtype=torch.float32,
            device=device,
        )

    def __call__(self, pooled: torch.Tensor, idx: np.ndarray) -> torch.Tensor:
        heads = torch.as_tensor(self.data.heads[idx], device=self.device)
        total = pooled.new_zeros(len(idx))
        for j, (a, b) in enumerate(self.data.head_slices):
            weight = self.class_weights[j]
            w = None if weight is None else torch.as_tensor(weight, device=self.device)
            total = total + F.cross_entropy(pooled[:, a:b], heads[:, j], weight=w, reduction="none")
        if self.data.flag_columns:
            flags = torch.as_tensor(self.data.flags[idx], dtype=torch.float32, device=self.device)
            bce = F.binary_cross_entropy_with_logits(
                pooled[:, self.data.flag_columns],
                flags,
                pos_weight=self.pos_weight,
                reduction="none",
            )
            total = total + bce.sum(dim=1)
        weights = torch.as_tensor(self.data.weights[idx], dtype=torch.float32, device=self.device)
        return (total * weights).sum() / weights.sum().clamp(min=1e-12)


def _balanced(y: np.ndarray, size: int) -> np.ndarray:
    """``n / (classes present * count)`` per class, capped at MAX_CLASS_WEIGHT."""
    counts = np.bincount(y, minlength=size).astype(np.float64)
    present = max(int((counts > 0).sum()), 1)
    weights = np.where(counts > 0, len(y) / (present * np.maximum(counts, 1)), 1.0)
    return np.clip(weights, 1.0 / MAX_CLASS_WEIGHT, MAX_CLASS_WEIGHT).astype(np.float32)


def forward_texts(
    model: MultiHeadEncoder, data: TrainSet, idx: np.ndarray, device: torch.device
) -> torch.Tensor:
    """Pooled scores ``(len(idx), k)`` of the texts ``idx`` (one forward pass).

    Per head: the log-probabilities of the text's window that departs most from the
    prediction for an empty window (chosen without gradient; see ``pool_windows``);
    per flag: the highest logit over the windows.
    """
    counts = [len(data.windows[i]) for i in idx]
    windows = [w for i in idx for w in data.windows[i]]
    ids, mask = pad_windows([*windows, data.empty], data.pad_id)
    logits = model(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
    base, logits = logits[-1], logits[:-1]
    owner = np.repeat(np.arange(len(idx)), counts)
    starts = np.cumsum([0] + counts[:-1])
    parts = []
    for kind, a, b in data.columns:
        if kind == "flag":
            parts.append(pool_max(logits[:, a:b], torch.from_numpy(owner).to(device), len(idx)))
            continue
        logp = logits[:, a:b].log_softmax(dim=1)
        with torch.no_grad():
            baseline = base[a:b].log_softmax(dim=0).float().cpu().numpy()
            chosen = informative_windows(logp.float().cpu().numpy(), starts, baseline)
        parts.append(logp[torch.from_numpy(chosen).to(device)])
    return torch.cat(parts, dim=1)


def train_model(
    model: MultiHeadEncoder, data: TrainSet, backend: Any, device: torch.device
) -> list[dict[str, float]]:
    """Train ``model`` in place (best validation epoch kept); returns per-epoch history."""
    rng = np.random.default_rng(int(backend.seed))
    train_idx, val_idx = _split(len(data.windows), float(backend.validation_fraction), rng)
    loss_fn = SummedLoss(data, train_idx, backend.class_weight == "balanced", device)
    steps = math.ceil(len(train_idx) / int(backend.batch_size))
    optimizer, scheduler = _optimizer(model, backend, steps * int(backend.epochs))
    model.to(device)
    best, best_state, waited = -math.inf, None, 0
    history: list[dict[str, float]] = []
    bar = tqdm(
        total=steps * int(backend.epochs),
        desc="transformer",
        unit="step",
        disable=not backend.progress,
    )
    lengths = np.array([sum(len(w) for w in ws) for ws in data.windows])
    for epoch in range(int(backend.epochs)):
        batches = _batches(train_idx, lengths, int(backend.batch_size), rng)
        loss = _epoch(model, data, batches, loss_fn, optimizer, scheduler, device, bar)
        record = {"epoch": epoch + 1, "loss": round(loss, 4)}
        if len(val_idx):
            record.update(_validate(model, data, val_idx, loss_fn, device, backend))
        history.append(record)
        bar.set_postfix({k: v for k, v in record.items() if k != "epoch"})
        log.info("transformer epoch %s", record)
        if not len(val_idx):
            continue
        if record["val_score"] > best:
            best, waited = record["val_score"], 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
            if int(backend.patience) and waited >= int(backend.patience):
                break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


def _batches(
    idx: np.ndarray, lengths: np.ndarray, size: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Shuffled batches of texts of similar length (little padding), in random order."""
    order = rng.permutation(idx)
    chunk = size * 50
    batches = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += [part[i : i + size] for i in range(0, len(part), size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _epoch(
    model: MultiHeadEncoder,
    data: TrainSet,
    batches: list[np.ndarray],
    loss_fn: SummedLoss,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    device: torch.device,
    bar: Any,
) -> float:
    model.train()
    total, seen = 0.0, 0
    for idx in batches:
        loss = loss_fn(forward_texts(model, data, idx, device), idx)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        total += float(loss.detach()) * len(idx)
        seen += len(idx)
        bar.update(1)
        bar.set_postfix(loss=round(total / seen, 4), refresh=False)
    return total / max(seen, 1)


def _validate(
    model: MultiHeadEncoder,
    data: TrainSet,
    idx: np.ndarray,
    loss_fn: SummedLoss,
    device: torch.device,
    backend: Any,
) -> dict[str, float]:
    """Validation loss, and accuracy and macro-F1 averaged over heads."""
    model.eval()
    size = int(backend.batch_size)
    with torch.inference_mode():
        pooled = torch.cat(
            [
                forward_texts(model, data, idx[s : s + size], device)
                for s in range(0, len(idx), size)
            ]
        )
        loss = float(loss_fn(pooled, idx))
    logits = pooled.float().cpu().numpy()
    accs, f1s = [], []
    for j, (a, b) in enumerate(data.head_slices):
        pred, true = logits[:, a:b].argmax(axis=1), data.heads[idx, j]
        accs.append(float(np.mean(pred == true)))
        f1s.append(float(f1_score(true, pred, average="macro", zero_division=0)))
    flag_accs = [
        float(np.mean((logits[:, col] > 0) == (data.flags[idx, j] > 0)))
        for j, col in enumerate(data.flag_columns)
    ]
    out = {"val_loss": round(loss, 4)}
    if accs:
        out.update(val_acc=round(float(np.mean(accs)), 4), val_f1=round(float(np.mean(f1s)), 4))
    # early stopping: mean accuracy over heads and flags (as the spaCy backend)
    out["val_score"] = round(float(np.mean(accs + flag_accs)), 4) if accs or flag_accs else -loss
    return out


def _split(n: int, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random validation split (none when too small to tell anything)."""
    n_val = int(round(n * fraction))
    order = rng.permutation(n)
    if fraction <= 0 or n_val < 2 or n - n_val < 2:
        return np.arange(n), np.arange(0)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _optimizer(model: MultiHeadEncoder, backend: Any, total_steps: int) -> tuple[Any, Any]:
    """AdamW with linear warm-up then linear decay to zero."""
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=float(backend.resolved_learning_rate()),
        weight_decay=float(backend.weight_decay),
    )
    warmup = max(1, int(total_steps * float(backend.warmup_fraction)))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
