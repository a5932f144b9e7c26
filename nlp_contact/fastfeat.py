"""The compiled fast path of :mod:`nlp_contact.features` (the ``_fastfeat`` C extension).

``nlp_contact._fastfeat`` reproduces :func:`nlp_contact.features.normalise` and the word +
char n-gram TF-IDF blocks of :class:`~nlp_contact.features.TextFeaturizer` exactly, about
an order of magnitude faster. It is built at install time when a C compiler is present;
without it (or with ``NLP_CONTACT_PURE_PYTHON=1`` in the environment) the pure-Python
code runs. Texts with characters the C normaliser does not handle with certainty (letters
or digits outside ASCII, such as ``é``) are normalised by the Python function, one text
at a time, and featurised in C.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

try:
    from nlp_contact import _fastfeat
except ImportError:  # not compiled: the pure-Python path is used
    _fastfeat = None  # type: ignore[assignment]

PURE_PYTHON_ENV = "NLP_CONTACT_PURE_PYTHON"
WORD_TOKEN_PATTERN = r"(?u)\b\w+\b|[!?]"

Normaliser = Callable[[str, bool], str]


def enabled() -> bool:
    """Whether the extension is built and not switched off by ``NLP_CONTACT_PURE_PYTHON=1``."""
    return _fastfeat is not None and os.environ.get(PURE_PYTHON_ENV, "") != "1"


def normalise_one(text: str, mask_entities: bool = True) -> str | None:
    """The C normaliser alone: ``None`` where it declines the text (or is not built)."""
    if _fastfeat is None:
        return None
    return _fastfeat.normalise(text, mask_entities)


def normalise_many(texts: Sequence[Any], mask_entities: bool, fallback: Normaliser) -> list[str]:
    """``[fallback(t, mask_entities) for t in texts]``, in C for the texts it handles."""
    return _fastfeat.normalise_many(texts, mask_entities, fallback)


def supports(blocks: Sequence[Any]) -> bool:
    """Whether the fitted blocks are the kind :class:`NgramBlocks` reproduces: a word
    block (``TextFeaturizer``'s token pattern, l2-normalised TF-IDF) and an optional
    char_wb block."""
    ok = blocks[0].analyzer == "word"
    if len(blocks) > 1:
        ok = ok and blocks[1].analyzer == "char_wb"
    return ok


def _tf_table(dtype: type[np.floating[Any]], sublinear: bool) -> np.ndarray:
    """tf of every count below ``TF_TABLE``, computed by numpy exactly as the Python path
    does (``np.log(data, data); data += 1`` in the block's dtype)."""
    table = np.arange(_fastfeat.TF_TABLE, dtype=dtype)
    if sublinear:
        tail = table[1:]
        np.log(tail, tail)
        tail += 1.0
    return table


class NgramBlocks:
    """The C tables of one fitted featurizer's word and char blocks (built once, ~1 s
    for a 200,000-n-gram model).

    Args:
        blocks: the fitted word block and, optionally, the char_wb one
            (:class:`~nlp_contact.features.FittedBlock`).
        sublinear_tf: whether both blocks use 1 + log(tf).
    """

    def __init__(self, blocks: Sequence[Any], sublinear_tf: bool) -> None:
        self.blocks = list(blocks)
        word = self.blocks[0]
        char = self.blocks[1] if len(self.blocks) > 1 else None
        self.n_columns = sum(len(b.names) for b in self.blocks)
        self._c = _fastfeat.Featurizer(
            list(word.names),
            np.ascontiguousarray(word.idf, dtype=np.float64),
            tuple(word.ngram_range),
            list(char.names) if char is not None else None,
            np.ascontiguousarray(char.idf if char is not None else [], dtype=np.float64),
            tuple(char.ngram_range) if char is not None else (1, 1),
            _tf_table(np.float32, sublinear_tf),
            _tf_table(np.float64, sublinear_tf),
        )
        self.texts_seen = 0
        self.fallbacks = 0

    def built_for(self, blocks: Sequence[Any]) -> bool:
        """Whether these tables were built from exactly these block objects."""
        return len(blocks) == len(self.blocks) and all(
            a is b for a, b in zip(blocks, self.blocks, strict=True)
        )

    def transform(
        self, texts: Sequence[Any], mask_entities: bool, char_weight: float, fallback: Normaliser
    ) -> sp.csr_matrix:
        """The word block then the char block (times ``char_weight``), as float32 CSR."""
        import scipy.sparse as sp

        data, indices, indptr, fallbacks = self._c.transform(
            texts, mask_entities, fallback, char_weight
        )
        self.texts_seen += len(indptr) // 8 - 1
        self.fallbacks += fallbacks
        return sp.csr_matrix(
            (
                np.frombuffer(data, dtype=np.float32),
                np.frombuffer(indices, dtype=np.int32),
                np.frombuffer(indptr, dtype=np.int64),
            ),
            shape=(len(indptr) // 8 - 1, self.n_columns),
        )

    def cache_info(self) -> dict[str, int]:
        """Sizes of the per-word char n-gram cache (words, columns stored, slots)."""
        return self._c.cache_info()
