"""Find personal data in contact text and replace it with numbered placeholders.

``Redactor().redact("Mrs Jane Smith, NI QQ 12 34 56 C")`` gives
``"Mrs [PERSON_1], NI [NINO_1]"``. Build one ``Redactor`` and reuse it: construction
loads spaCy and compiles the patterns; ``find``, ``redact`` and ``redact_batch`` only
read that state and may be called from several threads at once.

Structured identifiers are found with validated regular expressions
(:mod:`nlp_contact.redact._patterns`). Person names are found on spaCy tokens from
``spacy.blank("en")``: a ``Matcher`` and ``PhraseMatcher`` find the triggers (titles,
"my name is", "Dear", sign-offs, "spoke to", role words such as "my son"), name-like
tokens after them are taken, common given names are taken anywhere, and every later
mention of a name already found is taken too. A statistical NER model adds its PERSON
entities when one is named (``ner_model``); nothing is downloaded.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from nlp_contact.errors import BackendNotInstalledError, ConfigError
from nlp_contact.redact import _patterns as P

__all__ = ["Redactor", "Span", "redact_text"]

_APOSTROPHES = str.maketrans("", "", "'’")
_SKIPPABLE = frozenset({",", ":", "-", "–", "—", "(", '"', "'", ";"})
_NER_LABELS = frozenset({"PERSON", "PER"})
_SAINTS = frozenset({"st", "st.", "saint"})
_MAX_NAME_TOKENS = 4
_FUZZY_MIN = 6  # names at least this long also match misspellings of themselves
_BLANK_MAX_LENGTH = 10_000_000


@dataclass(frozen=True)
class Span:
    """One piece of personal data found in a text.

    Attributes:
        start: Offset of the first character.
        end: Offset one past the last character.
        label: Entity type, one of ``ENTITY_TYPES`` (``"PERSON"``, ``"NINO"``, ...).
        text: The characters ``text[start:end]``.
    """

    start: int
    end: int
    label: str
    text: str


class Redactor:
    """Replace personal data in contact text with typed, numbered placeholders.

    Placeholders are numbered per type in order of first appearance and are consistent
    within one text: the same value gets the same number, and a shorter mention of a
    name ("Mrs Smith") gets the number of the fuller one ("Mrs Jane Smith"). Titles are
    kept ("Mrs [PERSON_1]"). Numbering starts again for every text.

    Args:
        ner_model: Name or path of an installed spaCy pipeline whose PERSON entities are
            used as well as the rules (for example ``"en_core_web_sm"``). ``None`` (the
            default) uses the rules only and needs no model.
        entities: Entity types to redact; ``None`` (the default) means all of
            ``ENTITY_TYPES``.

    Raises:
        ConfigError: An entity type is unknown, or ``ner_model`` cannot be loaded.
        BackendNotInstalledError: spaCy is not installed.

    Example:
        >>> r = Redactor()
        >>> r.redact("Spoke to Mrs Jane Smith (NINO QQ 12 34 56 C). Mrs Smith is happy.")
        'Spoke to Mrs [PERSON_1] (NINO [NINO_1]). Mrs [PERSON_1] is happy.'
    """

    def __init__(self, ner_model: str | None = None, entities: Iterable[str] | None = None) -> None:
        self.ner_model = ner_model
        if isinstance(entities, str):
            entities = (entities,)
        self.entities = None if entities is None else tuple(entities)
        self._labels = _validate_entities(self.entities)
        self._names = _NameFinder(ner_model) if "PERSON" in self._labels else None

    def find(self, text: str) -> list[Span]:
        """Find the personal data in one text.

        Args:
            text: The contact text.

        Returns:
            Non-overlapping spans, sorted by start offset.

        Raises:
            TypeError: ``text`` is not a string.
        """
        _check_str(text)
        candidates: list[P.Match] = []
        finders = {P.FINDERS[label] for label in self._labels if label in P.FINDERS}
        for finder in finders:
            candidates.extend(m for m in finder(text) if m.label in self._labels)
        if self._names is not None:
            candidates.extend(P.Match(s, e, "PERSON") for s, e in self._names.find(text))
        resolved = _resolve(candidates, text)
        return [Span(m.start, m.end, m.label, text[m.start : m.end]) for m in resolved]

    def redact(self, text: str) -> str:
        """Return ``text`` with every piece of personal data replaced by a placeholder.

        Args:
            text: The contact text.

        Returns:
            The redacted text, for example ``"Dear Mrs [PERSON_1], ..."``.

        Raises:
            TypeError: ``text`` is not a string.
        """
        spans = self.find(text)
        numbers = _number_spans(spans)
        parts: list[str] = []
        pos = 0
        for span, number in zip(spans, numbers, strict=True):
            parts.append(text[pos : span.start])
            parts.append(f"[{span.label}_{number}]")
            pos = span.end
        parts.append(text[pos:])
        return "".join(parts)

    def redact_batch(self, texts: Sequence[str]) -> list[str]:
        """Redact many texts; numbering starts again for each.

        Args:
            texts: A sequence of texts (a list, a tuple, a pandas Series, ...).

        Returns:
            The redacted texts, in the same order.

        Raises:
            TypeError: ``texts`` is a single string, or an item is not a string.
        """
        if isinstance(texts, (str, bytes)):
            raise TypeError(
                "Iterable over raw text documents expected, string object received. "
                "Wrap a single text in a list, or call redact(text)."
            )
        return [self.redact(text) for text in texts]

    def __repr__(self) -> str:
        return f"Redactor(ner_model={self.ner_model!r}, entities={self.entities!r})"


def redact_text(text: str, redactor: Redactor | None = None) -> str:
    """Redact one text with ``redactor``, or with a shared default ``Redactor()``.

    Args:
        text: The contact text.
        redactor: The redactor to use; ``None`` uses one default redactor built on the
            first call and reused afterwards.

    Returns:
        The redacted text.
    """
    return (redactor or _default_redactor()).redact(text)


_DEFAULT: list[Redactor] = []
_DEFAULT_LOCK = threading.Lock()


def _default_redactor() -> Redactor:
    with _DEFAULT_LOCK:
        if not _DEFAULT:
            _DEFAULT.append(Redactor())
        return _DEFAULT[0]


def _check_str(text: object) -> None:
    if not isinstance(text, str):
        raise TypeError(f"Expected the text as a str; found {type(text).__name__}.")


def _validate_entities(entities: tuple[str, ...] | None) -> frozenset[str]:
    if entities is None:
        return frozenset(P.ENTITY_TYPES)
    unknown = sorted(set(entities) - set(P.ENTITY_TYPES))
    if unknown:
        raise ConfigError(
            f"Redactor(entities=...) expects types from {', '.join(P.ENTITY_TYPES)}; "
            f"found unknown {', '.join(map(repr, unknown))}. Fix the spelling, or pass "
            "entities=None to redact every type."
        )
    if not entities:
        raise ConfigError(
            "Redactor(entities=...) expects at least one entity type; found none. "
            "Pass entities=None to redact every type."
        )
    return frozenset(entities)


def _resolve(candidates: list[P.Match], text: str) -> list[P.Match]:
    """Keep non-overlapping spans: higher-priority type first, then the longer span.

    A name that runs into a higher-priority span ("... QQ 12 34 56 A. Kieran", where
    "A." looked like an initial) keeps its part outside that span.
    """
    rank = {label: i for i, label in enumerate(P.PRIORITY)}
    ordered = sorted(candidates, key=lambda m: (rank[m.label], m.start - m.end, m.start))
    kept: list[P.Match] = []
    for m in ordered:
        if m.label == "PERSON":
            m = _outside(m, kept, text)
        if m.end > m.start and all(m.end <= k.start or k.end <= m.start for k in kept):
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)


def _outside(m: P.Match, kept: list[P.Match], text: str) -> P.Match:
    """The longest part of ``m`` that no kept span covers, without edge punctuation."""
    start, end = m.start, m.end
    for k in kept:
        if k.start <= start < k.end:
            start = k.end
        if k.start < end <= k.end:
            end = k.start
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return P.Match(start, end, m.label)


def _value_key(span: Span) -> str:
    key = re.sub(r"[^0-9a-z]", "", span.text.lower())
    if span.label == "PHONE":
        key = re.sub(r"^(?:00)?44", "0", key.replace("(0)", ""))
    return key


def _number_spans(spans: list[Span]) -> list[int]:
    """Placeholder number of each span: per type, by first appearance of the value."""
    numbers: list[int] = []
    keys: dict[str, dict[str, int]] = {}
    clusters: list[tuple[set[str], int]] = []
    for span in spans:
        if span.label == "PERSON":
            numbers.append(_person_number(span.text, clusters))
            continue
        seen = keys.setdefault(span.label, {})
        numbers.append(seen.setdefault(_value_key(span), len(seen) + 1))
    return numbers


def _person_number(text: str, clusters: list[tuple[set[str], int]]) -> int:
    """Same number when one name's words are a subset of another's ("Smith", "Jane Smith")."""
    words = {w for w in re.findall(r"[a-z'’]+", text.lower()) if len(w) > 1}
    for cluster, number in clusters:
        if words <= cluster or cluster <= words:
            if cluster <= words:
                cluster |= words
            return number
    number = len(clusters) + 1
    clusters.append((words, number))
    return number


def _import_spacy() -> Any:
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - spaCy is installed in the test env
        raise BackendNotInstalledError("redaction", "spacy", "spacy") from exc
    return spacy


def _load_ner(spacy: Any, name: str) -> Any:
    try:
        nlp = spacy.load(name, exclude=["parser", "lemmatizer", "textcat", "senter"])
    except (OSError, ImportError, ValueError) as exc:
        raise ConfigError(
            f"ner_model expects the name or path of an installed spaCy pipeline; "
            f"'{name}' could not be loaded ({type(exc).__name__}). Install it "
            f"(pip install the model package) or set ner_model to None to use the rules only."
        ) from exc
    return nlp


class _NameFinder:
    """Person names on spaCy tokens: triggers, given names, repeats, optional NER."""

    def __init__(self, ner_model: str | None) -> None:
        spacy = _import_spacy()
        from spacy.lang.en.stop_words import STOP_WORDS
        from spacy.matcher import Matcher, PhraseMatcher

        self._nlp = spacy.blank("en")
        self._nlp.max_length = _BLANK_MAX_LENGTH
        self._ner: Any = _load_ner(spacy, ner_model) if ner_model else None
        self._stop = frozenset(STOP_WORDS)
        self._common = P.COMMON_WORDS | P.ROLE_WORDS | self._stop
        self._phrases = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        for key, phrases in (
            ("INTRO", P.INTRO_PHRASES),
            ("MEDIUM", P.MEDIUM_PHRASES),
            ("SIGNOFF", P.SIGNOFF_PHRASES),
            ("KEEP", P.KEEP_PHRASES),
        ):
            self._phrases.add(key, [self._nlp.make_doc(p) for p in phrases])
        self._tokens = Matcher(self._nlp.vocab)
        self._tokens.add("TITLE", [[{"LOWER": {"IN": sorted(P.TITLES)}}]])
        self._tokens.add("ROLE", [[{"LOWER": {"IN": sorted(P.ROLE_WORDS)}}]])
        self._tokens.add("FROM", [[{"IS_SPACE": True}, {"LOWER": "from"}]])
        # "M. Tranter": an initial with its full stop, then a capitalised word.
        self._tokens.add("INITIAL", [[{"TEXT": {"REGEX": r"^[A-Z]\.$"}}, {"IS_TITLE": True}]])
        self._lock = threading.Lock()

    def find(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the person names in ``text``."""
        with self._lock:
            doc = self._nlp.make_doc(text)
            ner_spans = self._ner_spans(doc) if self._ner is not None else []
            return _DocNames(self, doc).find(ner_spans)

    def _ner_spans(self, doc: Any) -> list[tuple[int, int]]:
        """Token spans of the NER model's person entities (long texts in pieces)."""
        spans = []
        for offset, piece in _pieces(doc.text, self._ner.max_length):
            for ent in self._ner(piece).ents:
                if ent.label_ not in _NER_LABELS:
                    continue
                start, end = offset + ent.start_char, offset + ent.end_char
                tokens = doc.char_span(start, end, alignment_mode="expand")
                if tokens is not None:
                    spans.append((tokens.start, tokens.end))
        return spans


def _pieces(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """``text`` in pieces of at most ``limit`` characters, cut at whitespace where possible."""
    start = 0
    while start < len(text):
        end = min(start + limit, len(text))
        if end < len(text):
            cut = max(text.rfind("\n", start, end), text.rfind(" ", start, end))
            end = cut + 1 if cut > start else end
        yield start, text[start:end]
        start = end


class _DocNames:
    """The name search on one tokenised text (built per call, never shared)."""

    def __init__(self, finder: _NameFinder, doc: Any) -> None:
        self.f = finder
        self.doc = doc
        self.n = len(doc)
        self.keep = [False] * self.n
        self.triggers: list[tuple[str, int]] = []
        vocab_strings = doc.vocab.strings
        for match_id, start, end in finder._phrases(doc):
            key = vocab_strings[match_id]
            if key == "KEEP":
                self.keep[start:end] = [True] * (end - start)
            else:
                self.triggers.append((key, end))
        for match_id, start, end in finder._tokens(doc):
            key = vocab_strings[match_id]
            self.triggers.append((key, start if key in ("TITLE", "INITIAL") else end))

    def find(self, ner_spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        spans = [s for s in (self._from_trigger(k, i) for k, i in self.triggers) if s]
        spans += [s for s in map(self._from_given_name, range(self.n)) if s]
        closing = self._closing_name()
        spans += [closing] if closing else []
        spans += [s for s in (self._trim(a, b) for a, b in ner_spans) if s]
        spans = _merge(spans)
        spans = _merge(spans + self._repeats(spans))
        doc = self.doc
        return [(doc[a].idx, doc[b - 1].idx + len(doc[b - 1])) for a, b in spans]

    # -- triggers ---------------------------------------------------------------
    def _from_trigger(self, kind: str, i: int) -> tuple[int, int] | None:
        if kind == "FROM" and (i < 2 or "\n" not in self.doc[i - 2].text):
            return None
        if kind == "INITIAL" and i > 0 and self._part_of_identifier(i):
            return None  # the suffix letter of "QQ 12 34 56 C. Joint claim", not an initial
        if kind in ("TITLE", "INITIAL"):
            return self._take(i, "MEDIUM")
        strength = "STRONG" if kind == "INTRO" else "MEDIUM"
        return self._take(self._skip(i, newlines=kind == "SIGNOFF"), strength)

    def _part_of_identifier(self, i: int) -> bool:
        """Whether the token before ``i`` is a number or is written on to token ``i``."""
        before = self.doc[i - 1]
        return not before.whitespace_ or any(c.isdigit() for c in before.text)

    def _skip(self, i: int, newlines: bool) -> int:
        """Skip punctuation and spaces between a trigger and the name (lines: sign-offs)."""
        for _ in range(4):
            if i >= self.n:
                break
            tok = self.doc[i]
            if tok.text in _SKIPPABLE or (tok.is_space and (newlines or "\n" not in tok.text)):
                i += 1
        return i

    def _closing_name(self) -> tuple[int, int] | None:
        """A name alone at the very end of a message ("... reset it please? Dalvinder")."""
        doc, i = self.doc, self.n - 1
        while i >= 0 and (doc[i].is_space or doc[i].text in (".", "!")):
            i -= 1
        j = i
        while j >= 0 and j > i - 3 and _is_title_name(doc[j].text):
            j -= 1
        if j == i or j < 0:
            return None
        before = doc[j]
        if not (before.text in (".", "?", "!") or (before.is_space and "\n" in before.text)):
            return None
        if _looks_inflected(doc[j + 1].lower_):
            return None
        span = self._take(j + 1, "MEDIUM")
        return span if span is not None and span[1] == i + 1 else None

    def _from_given_name(self, i: int) -> tuple[int, int] | None:
        tok = self.doc[i]
        low = tok.lower_
        if low not in P.GIVEN_NAMES or low in P.AMBIGUOUS_NAMES or not _is_title_name(tok.text):
            return None
        if i > 0 and self.doc[i - 1].lower_ in _SAINTS:  # St Mary's, St. John
            return None
        return self._take(i, "GIVEN")

    # -- taking the name tokens -------------------------------------------------
    def _take(self, i: int, strength: str) -> tuple[int, int] | None:
        """Name tokens from ``i`` on: optional titles, initials, then 1-4 name words."""
        lower_ok = strength == "STRONG"
        while i < self.n and self.doc[i].lower_ in P.TITLES:
            title = self.doc[i].text
            strength = "TITLE"
            lower_ok = title.lower() in P.LOWER_NAME_TITLES and not title.isupper()
            i += 2 if i + 1 < self.n and self.doc[i + 1].text == "." else 1
        start, end, words, prev = i, None, 0, ""
        cont = "CONT_STRONG" if strength in ("TITLE", "STRONG", "PROP") else "CONT"
        while i < self.n and words < _MAX_NAME_TOKENS:
            tok = self.doc[i]
            if _is_initial(tok.text) and strength in ("TITLE", "MEDIUM", "STRONG"):
                i += 1
                continue
            kind = self._name_kind(i, strength if words == 0 else cont, lower_ok, prev)
            if kind is None or (kind == "lower" and not self._lower_run_ok(start, i, strength)):
                break
            words, prev, i = words + 1, kind, i + 1
            end = i
            if self._hyphen_joins(i):
                i += 1
        if end is None or (strength != "TITLE" and self._names_org(start, end)):
            return None
        return start, end

    def _lower_run_ok(self, start: int, i: int, strength: str) -> bool:
        """Limits on lower-case names, which are easily confused with ordinary words.

        A lower-case name that starts with a common given name may have a surname; after
        a title or "my name is", an unknown first word needs a second word ("my name is
        oluwaseun adeyemi", not "my name is going ..."), and at most two words are taken.
        """
        first = self.doc[start].lower_
        if i == start:
            if first in P.GIVEN_NAMES or strength in ("TITLE", "PROP"):
                return True
            nxt = self.doc[i + 1] if i + 1 < self.n else None
            return bool(
                nxt is not None
                and _is_lower_name(nxt.text)
                and nxt.lower_ not in self.f._common
                and not _looks_inflected(first)
            )
        return first in P.GIVEN_NAMES or i - start < 2

    def _names_org(self, start: int, end: int) -> bool:
        """Whether a candidate's later words, or the word after it, make it an organisation."""
        return any(t.lower_ in P.ORG_FOLLOWERS for t in self.doc[start + 1 : end + 1])

    def _hyphen_joins(self, i: int) -> bool:
        doc = self.doc
        return (
            i + 1 < self.n
            and doc[i].text in ("-", "‑")
            and not doc[i - 1].whitespace_
            and not doc[i].whitespace_
            and bool(_is_title_name(doc[i + 1].text))
        )

    def _name_kind(self, i: int, strength: str, lower_ok: bool, prev: str) -> str | None:
        """'title', 'caps' or 'lower' when token ``i`` can be a name word here, else None."""
        tok = self.doc[i]
        text, low = tok.text, tok.lower_
        if self.keep[i]:
            return None
        if low in self.f._stop and not (strength == "TITLE" and low in P.AMBIGUOUS_NAMES):
            return None
        if _is_title_name(text):
            if strength in ("TITLE", "STRONG", "PROP"):
                return "title"
            if strength == "CONT_STRONG" and prev != "lower" and low not in P.NOT_SURNAMES:
                return "title"
            if strength in ("MEDIUM", "GIVEN") and low not in P.GIVEN_NAMES:
                if _looks_inflected(low):
                    return None
            return None if low in self.f._common else "title"
        if text.isupper() and text.isalpha() and len(text) > 1:
            caps_ok = strength in ("TITLE", "STRONG", "PROP") or prev == "caps"
            return "caps" if caps_ok and low not in self.f._common else None
        if not _is_lower_name(text) or len(text) < 2 or low in self.f._common:
            return None
        return "lower" if self._lower_ok(low, strength, lower_ok, prev) else None

    def _lower_ok(self, low: str, strength: str, lower_ok: bool, prev: str) -> bool:
        if strength == "PROP":
            return True
        if strength in ("CONT", "CONT_STRONG"):
            return prev == "lower" and not _looks_inflected(low)
        if lower_ok:
            return True
        return strength == "MEDIUM" and low in P.GIVEN_NAMES and low not in P.AMBIGUOUS_NAMES

    def _trim(self, a: int, b: int) -> tuple[int, int] | None:
        """Drop titles and non-name words from the edges of an NER entity."""
        while a < b and (self.doc[a].lower_ in P.TITLES or not self.doc[a].is_alpha):
            a += 1
        while b > a and not self.doc[b - 1].is_alpha:
            b -= 1
        if a == b or any(self.keep[a:b]) or all(t.lower_ in self.f._common for t in self.doc[a:b]):
            return None
        return a, b

    # -- repeated mentions --------------------------------------------------------
    def _repeats(self, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Later (or earlier) mentions of any word of a name already found."""
        title_forms: set[str] = set()
        lower_forms: set[str] = set()
        for a, b in spans:
            for tok in self.doc[a:b]:
                if len(tok) > 1 and tok.is_alpha or "'" in tok.text:
                    (lower_forms if tok.text.islower() else title_forms).add(tok.lower_)
        forms = {w for w in title_forms | lower_forms if w not in self.f._common}
        long_forms = [w for w in forms if len(w) >= _FUZZY_MIN]
        found = []
        taken = {i for a, b in spans for i in range(a, b)}
        for i, tok in enumerate(self.doc):
            low = tok.lower_
            if i in taken or self.keep[i] or low in self.f._common:
                continue
            if low in forms:
                if tok.text.islower() and low not in lower_forms:
                    continue
            elif not (_is_title_name(tok.text) and _near_any(low, long_forms)):
                continue
            span = self._take(i, "PROP")
            if span:
                found.append((self._initials_before(span[0]), span[1]))
        return found

    def _initials_before(self, i: int) -> int:
        """Extend a name left over initials ("J. A. Smith"; not "I" or "A" alone)."""
        while i > 0:
            text = self.doc[i - 1].text
            if not _is_initial(text) or text in ("I", "A") or not self.doc[i - 1].whitespace_:
                break
            i -= 1
        return i


def _is_title_name(text: str) -> bool:
    """Capitalised like a name, in any alphabet: "Jane", "O'Neill", "McDonald", "Zoë"."""
    letters = text.translate(_APOSTROPHES)
    return (
        len(letters) > 1
        and letters.isalpha()
        and text[0].isupper()
        and any(c.islower() for c in letters)
        and sum(c.isupper() for c in letters) <= 3
    )


def _is_lower_name(text: str) -> bool:
    """All lower case letters, apostrophes allowed: "jane", "o'connor"."""
    letters = text.translate(_APOSTROPHES)
    return letters.isalpha() and text.islower() and text[0].isalpha()


def _is_initial(text: str) -> bool:
    """A capital initial, "J" or "J."."""
    return text[:1].isupper() and text[:1].isalpha() and (len(text) == 1 or text[1:] == ".")


def _looks_inflected(word: str) -> bool:
    """Ends like a past tense, a participle or an adverb ("called", "going", "really")."""
    return len(word) > 4 and word.endswith(("ed", "ing", "ly"))


def _near_any(word: str, forms: list[str]) -> bool:
    """Whether ``word`` is a likely misspelling of one of ``forms`` (edit distance <= 2)."""
    if len(word) < _FUZZY_MIN:
        return False
    return any(
        f[0] == word[0] and abs(len(f) - len(word)) <= 2 and _distance(f, word) <= 2 for f in forms
    )


def _distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(set(spans)):
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged
