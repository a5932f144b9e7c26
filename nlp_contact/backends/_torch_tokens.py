"""The transformer backend's text side: tokenizers and windows (no torch import).

* :func:`train_wordpiece`: a BERT WordPiece tokenizer (``tokenizers``) whose vocabulary
  is learned from the training texts, deterministically.
* :func:`checkpoint_tokenizer`: the fast tokenizer of a local Hugging Face checkpoint.
* :func:`split_windows` / :func:`pad_windows`: long texts as overlapping windows, and
  windows as padded ``input_ids`` / ``attention_mask`` arrays.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from nlp_contact.errors import ConfigError

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def split_windows(
    ids: Sequence[int],
    window: int,
    stride: int,
    max_windows: int,
    cls: int | None,
    sep: int | None,
) -> list[np.ndarray]:
    """Overlapping windows of ``window`` tokens (specials included) sharing ``stride`` tokens.

    When there are more than ``max_windows``, that many are kept, evenly spread from the
    first to the last (so the end of a long letter is always read).
    """
    specials = int(cls is not None) + int(sep is not None)
    body = window - specials
    step = max(body - stride, 1)
    starts = [0]
    while starts[-1] + body < len(ids):
        starts.append(starts[-1] + step)
    if len(starts) > max_windows:
        keep = np.unique(np.linspace(0, len(starts) - 1, max_windows).round().astype(int))
        starts = [starts[i] for i in keep]
    head = [cls] if cls is not None else []
    tail = [sep] if sep is not None else []
    return [np.array(head + list(ids[s : s + body]) + tail, dtype=np.int64) for s in starts]


def pad_windows(windows: list[np.ndarray], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad windows into ``input_ids`` and ``attention_mask`` (int64)."""
    length = max(len(w) for w in windows)
    ids = np.full((len(windows), length), pad_id, dtype=np.int64)
    mask = np.zeros((len(windows), length), dtype=np.int64)
    for i, w in enumerate(windows):
        ids[i, : len(w)] = w
        mask[i, : len(w)] = 1
    return ids, mask


def train_wordpiece(texts: list[str], vocab_size: int) -> Any:
    """A lower-casing BERT WordPiece tokenizer whose vocabulary is learned from ``texts``.

    The vocabulary is built by :func:`_wordpiece_vocab` rather than by
    ``tokenizers.trainers.WordPieceTrainer``, whose result changes from one process to
    the next (hash-map order breaks ties), which would break fixed-seed training.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    normalizer = normalizers.BertNormalizer(lowercase=True)
    splitter = pre_tokenizers.BertPreTokenizer()
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w for w, _ in splitter.pre_tokenize_str(normalizer.normalize_str(text)))
    vocab = _wordpiece_vocab(counts, vocab_size)
    tokenizer = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    return tokenizer


def _wordpiece_vocab(counts: Counter[str], size: int, min_frequency: int = 2) -> dict[str, int]:
    """Special tokens, every character, then the most frequent merges (BPE, as the
    WordPiece trainer of ``tokenizers`` does), ties broken alphabetically."""
    words = {w: [w[0]] + ["##" + c for c in w[1:]] for w in sorted(counts) if w}
    tokens = list(SPECIAL_TOKENS)
    tokens += sorted({s for symbols in words.values() for s in symbols} - set(tokens))
    pairs: Counter[tuple[str, str]] = Counter()
    where: dict[tuple[str, str], set[str]] = defaultdict(set)
    for w, symbols in words.items():
        for pair in zip(symbols, symbols[1:], strict=False):
            pairs[pair] += counts[w]
            where[pair].add(w)
    heap = [(-n, a, b) for (a, b), n in pairs.items()]
    heapq.heapify(heap)
    known = set(tokens)
    while len(tokens) < size and heap:
        neg, a, b = heapq.heappop(heap)
        if pairs.get((a, b), 0) != -neg:
            continue  # a stale entry: the count changed and was pushed again
        if -neg < min_frequency:
            break
        merged = a + b[2:]
        if merged not in known:
            tokens.append(merged)
            known.add(merged)
        touched = _apply_merge(words, counts, pairs, where, (a, b), merged)
        for pair in sorted(touched):
            if pairs.get(pair, 0) > 0:
                heapq.heappush(heap, (-pairs[pair], *pair))
    return {token: i for i, token in enumerate(tokens)}


def _apply_merge(
    words: dict[str, list[str]],
    counts: Counter[str],
    pairs: Counter[tuple[str, str]],
    where: dict[tuple[str, str], set[str]],
    pair: tuple[str, str],
    merged: str,
) -> set[tuple[str, str]]:
    """Merge ``pair`` in every word holding it; update pair counts; return pairs changed."""
    touched: set[tuple[str, str]] = set()
    for w in sorted(where.pop(pair, ())):
        old = words[w]
        new, i = [], 0
        while i < len(old):
            if i + 1 < len(old) and (old[i], old[i + 1]) == pair:
                new.append(merged)
                i += 2
            else:
                new.append(old[i])
                i += 1
        for p in zip(old, old[1:], strict=False):
            pairs[p] -= counts[w]
            touched.add(p)
            if p != pair:
                where[p].discard(w)
        for p in zip(new, new[1:], strict=False):
            pairs[p] += counts[w]
            where[p].add(w)
            touched.add(p)
        words[w] = new
    pairs.pop(pair, None)
    touched.discard(pair)
    return touched


def checkpoint_tokenizer(path: str) -> tuple[Any, dict[str, int]]:
    """The fast tokenizer of a local checkpoint and its special token ids."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    if not getattr(tok, "is_fast", False):
        raise ConfigError(
            f"The tokenizer of '{path}' has no fast (Rust) version; the transformer backend "
            "needs one (a tokenizer.json in the checkpoint directory)."
        )
    backend = tok.backend_tokenizer
    backend.no_truncation()
    backend.no_padding()
    cls_id = tok.cls_token_id if tok.cls_token_id is not None else tok.bos_token_id
    sep_id = tok.sep_token_id if tok.sep_token_id is not None else tok.eos_token_id
    special = {"pad": int(tok.pad_token_id if tok.pad_token_id is not None else 0)}
    if cls_id is not None:
        special["cls"] = int(cls_id)
    if sep_id is not None:
        special["sep"] = int(sep_id)
    return backend, special
