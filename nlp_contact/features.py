"""Text normalisation and the word + character n-gram TF-IDF features of the linear backend.

Normalisation masks what must not predict a label (numbers, reference codes, emails,
dates, the redactor's placeholders) so that a changed name, date or reference number
does not move a prediction, and expands the usual contractions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

_PLACEHOLDER = re.compile(r"\[([A-Z_]+?)(?:_\d+)?\]")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+")
_DATE = re.compile(
    r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{1,2}(?:st|nd|rd|th)?\s+"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?(?:\s+\d{4})?\b",
    re.IGNORECASE,
)
_NINO = re.compile(r"\b[a-z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[a-d]\b")
_MONEY = re.compile(r"£\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d{2})?\s?(?:pounds|quid)\b")
_CODE = re.compile(r"\b(?=[a-z0-9]*\d)[a-z0-9]*[a-z][a-z0-9]*\d[a-z0-9]*\b|\b\d[\d\s-]{5,}\d\b")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "`": "'"})
_CONTRACTIONS = (
    (re.compile(r"\b(can)'?t\b"), r"\1 not"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (re.compile(r"\b(\w+)n't\b"), r"\1 not"),
    (re.compile(r"\b(i)'m\b"), r"\1 am"),
    (re.compile(r"\b(\w+)'ve\b"), r"\1 have"),
    (re.compile(r"\b(\w+)'ll\b"), r"\1 will"),
    (re.compile(r"\b(\w+)'re\b"), r"\1 are"),
    (re.compile(r"\b(\w+)'d\b"), r"\1 would"),
)
_PLACEHOLDER_TOKENS = {
    "PERSON": " xname ",
    "DATE": " xdate ",
    "DOB": " xdate ",
    "EMAIL": " xemail ",
    "PHONE": " xnum ",
}
_TITLED_NAME = re.compile(
    r"\b((?i:mr|mrs|ms|miss|mx|dr|sir|cllr|councillor))\.?\s+(?:[A-Z][a-z'-]+\s+){0,2}[A-Z][a-zA-Z'-]+"
)
_SPACES = re.compile(r"\s+")


def _placeholder(match: re.Match[str]) -> str:
    return _PLACEHOLDER_TOKENS.get(match.group(1), " xnum ")


def normalise(text: str, mask_entities: bool = True) -> str:
    """Lower-case, unify quotes, expand contractions and (optionally) mask entities.

    Example:
        >>> normalise("Mr Bell rang on 12/03/2024 re ref AB123456, can't log in")
        'mr xname rang on xdate re ref xnum , can not log in'
    """
    if mask_entities:
        text = _PLACEHOLDER.sub(_placeholder, text)
        text = _TITLED_NAME.sub(lambda m: f"{m.group(1)} xname", text)
    text = text.translate(_QUOTES).lower()
    if mask_entities:
        text = _URL.sub(" xurl ", text)
        text = _EMAIL.sub(" xemail ", text)
        text = _NINO.sub(" xnum ", text)
        text = _DATE.sub(" xdate ", text)
        text = _MONEY.sub(" xmoney ", text)
        text = _CODE.sub(" xnum ", text)
        text = _NUMBER.sub(" xnum ", text)
    for pattern, repl in _CONTRACTIONS:
        text = pattern.sub(repl, text)
    text = re.sub(r"([,.;:!?()])", r" \1 ", text)
    return _SPACES.sub(" ", text).strip()


def normalise_masked(text: str) -> str:
    """:func:`normalise` with entity masking (a named function so configs stay serialisable)."""
    return normalise(text, mask_entities=True)


def normalise_plain(text: str) -> str:
    """:func:`normalise` without entity masking."""
    return normalise(text, mask_entities=False)


class TextFeaturizer:
    """Word and character n-gram TF-IDF, each block l2-normalised, then stacked.

    Args:
        word_ngram_range: smallest and largest word n-gram.
        char_ngram_range: smallest and largest character n-gram (within word boundaries);
            ``None`` turns character features off.
        min_df: drop n-grams seen in fewer documents.
        max_features: cap per block (most frequent kept).
        sublinear_tf: use 1 + log(tf).
        mask_entities: mask numbers, dates, emails and placeholders before featurising.
        char_weight: scale of the character block relative to the word block.
    """

    def __init__(
        self,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] | None = (2, 5),
        min_df: int = 2,
        max_features: int | None = 200_000,
        sublinear_tf: bool = True,
        mask_entities: bool = True,
        char_weight: float = 1.0,
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.mask_entities = mask_entities
        self.char_weight = char_weight

    def _vectorizers(self, min_df: int) -> list[TfidfVectorizer]:
        pre = normalise_masked if self.mask_entities else normalise_plain
        common: dict[str, Any] = {
            "preprocessor": pre,
            "lowercase": False,
            "sublinear_tf": self.sublinear_tf,
            "min_df": min_df,
            "max_features": self.max_features,
            "dtype": np.float32,
        }
        vecs = [
            TfidfVectorizer(
                analyzer="word", ngram_range=tuple(self.word_ngram_range),
                token_pattern=r"(?u)\b\w+\b|[!?]", **common,
            )
        ]
        if self.char_ngram_range is not None:
            vecs.append(
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=tuple(self.char_ngram_range), **common
                )
            )
        return vecs

    def fit(self, texts: Sequence[str]) -> TextFeaturizer:
        """Learn vocabularies and idf weights; returns self."""
        min_df = self.min_df if len(texts) >= 4 * self.min_df else 1
        self.vectorizers_ = [v.fit(texts) for v in self._vectorizers(min_df)]
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Features of ``texts`` as a CSR matrix (rows l2-normalised per block)."""
        blocks = [v.transform(texts) for v in self.vectorizers_]
        if len(blocks) > 1 and self.char_weight != 1.0:
            blocks[1] = blocks[1] * np.float32(self.char_weight)
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """``fit`` then ``transform``."""
        return self.fit(texts).transform(texts)

    @property
    def n_features_(self) -> int:
        return sum(len(v.vocabulary_) for v in self.vectorizers_)

    def feature_names(self) -> list[tuple[str, str]]:
        """(kind, n-gram) for every column: kind is ``word`` or ``char``."""
        out: list[tuple[str, str]] = []
        for v in self.vectorizers_:
            kind = "word" if v.analyzer == "word" else "char"
            out.extend((kind, name) for name in v.get_feature_names_out())
        return out

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-ready vocabularies and the idf arrays, to save without pickle."""
        vocab = {
            f"block{i}": sorted(v.vocabulary_, key=v.vocabulary_.__getitem__)
            for i, v in enumerate(self.vectorizers_)
        }
        arrays = {f"idf{i}": v.idf_.astype(np.float32) for i, v in enumerate(self.vectorizers_)}
        return vocab, arrays

    def set_state(self, vocab: dict[str, list[str]], arrays: dict[str, np.ndarray]) -> None:
        """Rebuild the fitted vectorizers from :meth:`get_state`'s output."""
        vecs = self._vectorizers(min_df=1)
        for i, v in enumerate(vecs):
            names = vocab[f"block{i}"]
            v.set_params(vocabulary={name: j for j, name in enumerate(names)})
            v._validate_vocabulary()  # sets vocabulary_ the way fit does
            v.idf_ = arrays[f"idf{i}"].astype(np.float64)
        self.vectorizers_ = vecs

    def params(self) -> dict[str, Any]:
        """Constructor arguments, JSON-ready."""
        return {
            "word_ngram_range": list(self.word_ngram_range),
            "char_ngram_range": list(self.char_ngram_range) if self.char_ngram_range else None,
            "min_df": self.min_df,
            "max_features": self.max_features,
            "sublinear_tf": self.sublinear_tf,
            "mask_entities": self.mask_entities,
            "char_weight": self.char_weight,
        }


def l2_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to unit l2 norm."""
    return normalize(matrix, norm="l2", copy=False)
