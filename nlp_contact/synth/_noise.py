"""Surface noise: writing styles, misspellings, typos and caseworker abbreviations.

Noise changes how a text looks, never what it says, so it cannot change a label.
Profiles, misspellings and abbreviations are data (``banks/style.yaml``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nlp_contact.errors import ConfigError
from nlp_contact.synth._banks import cumulative, weighted_pick

_SENTENCE_END = re.compile(r"([.!?])\s+")


def _plain(text: str, rng: random.Random) -> str:
    return text


def _lower(text: str, rng: random.Random) -> str:
    return text.lower()


def _caps(text: str, rng: random.Random) -> str:
    return text.upper()


def _nopunct(text: str, rng: random.Random) -> str:
    text = _SENTENCE_END.sub(" ", text)
    return text.replace(",", "").rstrip(".")


def _runon(text: str, rng: random.Random) -> str:
    joins = (", ", " and ", " ", ", ")
    return _SENTENCE_END.sub(lambda m: joins[rng.randrange(len(joins))], text)


def _oneline(text: str, rng: random.Random) -> str:
    return " ".join(text.split())


def _fragments(text: str, rng: random.Random) -> str:
    seps = (" - ", ". ", " / ", "; ", ". ")
    return _SENTENCE_END.sub(lambda m: seps[rng.randrange(len(seps))], text)


STYLES: dict[str, Callable[[str, random.Random], str]] = {
    "plain": _plain,
    "lower": _lower,
    "caps": _caps,
    "nopunct": _nopunct,
    "runon": _runon,
    "oneline": _oneline,
    "fragments": _fragments,
}


@dataclass(frozen=True)
class NoiseProfile:
    """How noisy one kind of writer is.

    Attributes:
        styles: style names and their cumulative weights (one style per record).
        misspell: range of the per-record chance of using a known misspelling.
        typos: range of the per-record share of words given a typo.
        drop_apostrophes: chance that a record has no apostrophes at all.
    """

    styles: tuple[str, ...]
    style_cum: tuple[float, ...]
    misspell: tuple[float, float]
    typos: tuple[float, float]
    drop_apostrophes: float


def parse_profile(name: str, raw: Mapping[str, Any]) -> NoiseProfile:
    """Build a noise profile from its YAML mapping.

    Args:
        name: the profile's name.
        raw: ``styles`` (name -> weight), ``misspell`` and ``typos`` ([low, high]),
            ``drop_apostrophes`` (a probability).

    Returns:
        The profile.
    """
    styles = dict(raw.get("styles", {"plain": 1.0}))
    unknown = sorted(set(styles) - set(STYLES))
    if unknown:
        raise ConfigError(
            f"Noise profile '{name}' names unknown styles {unknown}; known: {sorted(STYLES)}"
        )
    return NoiseProfile(
        styles=tuple(styles),
        style_cum=cumulative([float(w) for w in styles.values()]),
        misspell=_pair(raw.get("misspell", [0.0, 0.0])),
        typos=_pair(raw.get("typos", [0.0, 0.0])),
        drop_apostrophes=float(raw.get("drop_apostrophes", 0.0)),
    )


def _pair(raw: Sequence[float]) -> tuple[float, float]:
    return float(raw[0]), float(raw[1])


def add_noise(
    text: str,
    rng: random.Random,
    profile: NoiseProfile,
    misspeller: Misspeller,
) -> str:
    """Apply one record's worth of noise: misspellings, typos, then a writing style.

    Args:
        text: the clean text.
        rng: the random stream.
        profile: the writer's noise profile.
        misspeller: the known misspellings.

    Returns:
        The noisy text.
    """
    p_miss = rng.uniform(*profile.misspell)
    if p_miss > 0:
        text = misspeller(text, rng, p_miss)
    typo_rate = rng.uniform(*profile.typos)
    if typo_rate > 0:
        text = _typos(text, rng, typo_rate)
    if profile.drop_apostrophes and rng.random() < profile.drop_apostrophes:
        text = text.replace("'", "")
    style = weighted_pick(rng, profile.styles, profile.style_cum)
    return STYLES[style](text, rng)


def _typos(text: str, rng: random.Random, rate: float) -> str:
    words = text.split(" ")
    count = int(len(words) * rate + rng.random())
    for _ in range(count):
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) < 4 or not w.isalpha():
            continue
        j = rng.randrange(1, len(w) - 1)
        kind = rng.randrange(3)
        if kind == 0:
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        elif kind == 1:
            words[i] = w[:j] + w[j + 1 :]
        else:
            words[i] = w[:j] + w[j] + w[j:]
    return " ".join(words)


def _trie_pattern(phrases: Sequence[str]) -> str:
    """A regex matching any of the phrases, as a trie (much faster than a flat alternation)."""
    trie: dict[str, Any] = {}
    for phrase in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _node_pattern(trie)


def _node_pattern(node: Mapping[str, Any]) -> str:
    branches = [re.escape(ch) + _node_pattern(node[ch]) for ch in sorted(node) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:
        return "(?:" + body + ")?"
    return body


class _PhraseSwapper:
    """Replace listed phrases (case-insensitively, on word boundaries) by variants."""

    def __init__(self, table: Mapping[str, Sequence[str]]) -> None:
        self.table = {k.lower(): tuple(v) for k, v in table.items()}
        body = _trie_pattern(sorted(self.table)) if self.table else r"(?!x)x"
        self.lower_pattern = re.compile(r"\b(" + body + r")\b")
        self.pattern = re.compile(r"\b(" + body + r")\b", re.IGNORECASE)

    def __call__(self, text: str, rng: random.Random, p: float) -> str:
        """Swap each matching phrase with probability ``p``."""
        if p <= 0 or not self.table:
            return text
        low = text.lower()
        if len(low) != len(text):
            return self.pattern.sub(lambda m: self._maybe(m.group(0), rng, p), text)
        out: list[str] = []
        last = 0
        for m in self.lower_pattern.finditer(low):
            start, end = m.span()
            out.append(text[last:start])
            out.append(self._maybe(text[start:end], rng, p))
            last = end
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)

    def _maybe(self, found: str, rng: random.Random, p: float) -> str:
        return found if rng.random() >= p else self._variant(found, rng)

    def _variant(self, found: str, rng: random.Random) -> str:
        options = self.table[found.lower()]
        return options[int(rng.random() * len(options))]


class Abbreviator(_PhraseSwapper):
    """Caseworker shorthand: phrase -> abbreviations (list the phrase to keep it sometimes)."""


class Misspeller(_PhraseSwapper):
    """Known misspellings: word -> ways people misspell it (keeps an initial capital)."""

    def _variant(self, found: str, rng: random.Random) -> str:
        wrong = super()._variant(found, rng)
        return wrong[:1].upper() + wrong[1:] if found[:1].isupper() else wrong
