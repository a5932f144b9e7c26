"""Generate labelled contact records: labels first, then text composed for them.

Each record's labels are drawn from the :class:`Proportions` plan. A voice (a kind of
writer on the record's channel) is chosen among those whose conditions the labels
meet, and its layout of slots is filled from the phrase banks: every slot picks an
entry whose ``when`` holds for the labels, so the text says what the labels say.
Caseworker notes are then abbreviated and customer writing made noisy.

Example:
    >>> recs = list(generate(3, seed=0))
    >>> len(recs), sorted(recs[0])[:2]
    (3, ['avoidable_reason', 'channel'])
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from nlp_contact.errors import ConfigError
from nlp_contact.synth._banks import (
    REGISTER_KEY,
    Bank,
    Candidates,
    Entry,
    cumulative,
    weighted_pick,
)
from nlp_contact.synth._library import Library, Voice, load_library
from nlp_contact.synth._noise import add_noise
from nlp_contact.synth._template import Alt, Ref, Seq
from nlp_contact.synth._values import VALUES
from nlp_contact.synth._writers import write
from nlp_contact.synth.proportions import Proportions, load_proportions

META_FIELD = "meta"
VOICE_KEY = "voice"

_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([.,;:!?])")
_DOUBLE_DOT = re.compile(r"(?<!\.)\.\.(?!\.)")
_BLANK_LINES = re.compile(r"\n[ \t]*\n([ \t]*\n)+")
_LINE_EDGES = re.compile(r"[ \t]*\n[ \t]*")
_REPEATED_WORD = re.compile(r"\b([A-Za-z]{2,}) \1\b", re.IGNORECASE)


@dataclass
class _State:
    """What one record's rendering remembers."""

    ctx: dict[str, Any]
    tokens: Mapping[str, str]
    register: str
    sticky: dict[str, str] = field(default_factory=dict)
    rendered: dict[str, str] = field(default_factory=dict)
    sticky_text: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    slots: dict[str, str] = field(default_factory=dict)
    mentioned: bool = False


class Composer:
    """Draws labels and composes the text of records, one after another.

    Args:
        proportions: the shares to draw labels from.
        seed: the seed of the record stream.
        library: the phrase banks; the packaged ones when None.
    """

    def __init__(self, proportions: Proportions, seed: int, library: Library | None = None):
        self.props = proportions
        self.lib = library or load_library()
        self.rng = random.Random(seed)
        self.seed = seed
        self._tables: dict[tuple[Any, ...], tuple[tuple[Any, ...], tuple[float, ...]]] = {}
        self._voices: dict[tuple[Any, ...], tuple[tuple[Voice, ...], tuple[float, ...]]] = {}
        self._voice_keys = tuple(sorted({k for v in self.lib.voices for k, _ in v.when}))

    def record(
        self,
        index: int,
        with_meta: bool = False,
        labels: Mapping[str, Any] | None = None,
        voice_name: str | None = None,
    ) -> dict[str, Any]:
        """Compose record number ``index`` (the next one of the stream).

        Args:
            index: the record's position, used in its id.
            with_meta: add a ``meta`` field (voice, hard cases, sticky picks, and the
                clean text of each layout slot before noise).
            labels: use these values of the plan's fields instead of drawing them
                (for coverage checks).
            voice_name: use this voice (it must apply to the labels).

        Returns:
            The record: id, text, then the labelled fields in schema order.
        """
        schema = self.lib.schema
        ctx = dict(labels) if labels is not None else self._draw_labels()
        labels = dict(ctx)
        for key, (values, cum) in schema.context.items():
            ctx[key] = weighted_pick(self.rng, values, cum)
        voice = self._pick_voice(ctx) if voice_name is None else self._named_voice(voice_name, ctx)
        ctx.update(voice.sets)
        ctx[VOICE_KEY] = voice.name
        state = _State(ctx, self._tokens(ctx), str(ctx.get(REGISTER_KEY, "")))
        text = self._compose(voice, state)
        rec: dict[str, Any] = {
            schema.id_field: schema.id_format.format(seed=self.seed, index=index),
            schema.text_field: text,
        }
        rec.update({f: labels[f] for f in schema.fields if f in labels})
        if with_meta:
            rec[META_FIELD] = {
                VOICE_KEY: voice.name,
                "hard_cases": sorted(set(state.tags)),
                "sticky": dict(state.sticky_text),
                "slots": dict(state.slots),
            }
        return rec

    def _draw_labels(self) -> dict[str, Any]:
        ctx: dict[str, Any] = {}
        for name, plan in self.props.plan.items():
            key = (name, *(ctx[g] for g in plan.given))
            found = self._tables.get(key)
            if found is None:
                table = self.props.table(name, ctx)
                labels = tuple(k for k, v in table.items() if v > 0)
                found = (labels, cumulative([table[k] for k in labels]))
                self._tables[key] = found
            ctx[name] = weighted_pick(self.rng, found[0], found[1])
        return ctx

    def _pick_voice(self, ctx: Mapping[str, Any]) -> Voice:
        key = tuple(ctx.get(k) for k in self._voice_keys)
        found = self._voices.get(key)
        if found is None:
            weights = self.props.voice_weights
            voices = tuple(
                v
                for v in self.lib.voices
                if all(ctx.get(k) in a for k, a in v.when) and weights.get(v.name, v.weight) > 0
            )
            if not voices:
                shown = {k: ctx.get(k) for k in self._voice_keys}
                raise ConfigError(f"No voice applies to {shown}. Add a voice for it to the banks.")
            found = (voices, cumulative([weights.get(v.name, v.weight) for v in voices]))
            self._voices[key] = found
        return weighted_pick(self.rng, found[0], found[1])

    def _named_voice(self, name: str, ctx: Mapping[str, Any]) -> Voice:
        for v in self.lib.voices:
            if v.name == name and all(ctx.get(k) in a for k, a in v.when):
                return v
        raise ConfigError(f"Voice '{name}' does not exist or does not apply to {dict(ctx)}.")

    def eligible_voices(self, labels: Mapping[str, Any]) -> list[str]:
        """Names of the voices that may write a record with these labels."""
        weights = self.props.voice_weights
        return [
            v.name
            for v in self.lib.voices
            if all(labels.get(k) in a for k, a in v.when) and weights.get(v.name, v.weight) > 0
        ]

    def _tokens(self, ctx: Mapping[str, Any]) -> Mapping[str, str]:
        for ts in self.lib.token_sets:
            if all(ctx.get(k) in a for k, a in ts.when):
                return ts.tokens
        return {}

    def _compose(self, voice: Voice, state: _State) -> str:
        rng = self.rng
        parts: list[str] = []
        starts: set[str] = set()
        glue = ""
        for item in voice.layout:
            if item.p < 1.0 and rng.random() >= item.p:
                continue
            low, high = item.repeat
            decorative = item.p < 1.0 or high > 1
            for _ in range(low if low == high else rng.randint(low, high)):
                piece = self.render_bank(item.bank, state)
                if not piece or (decorative and piece[:12] in starts):
                    continue
                if item.glue:
                    glue = f"{glue}{piece} "
                    continue
                parts.append(glue + piece)
                glue = ""
                starts.add(piece[:12])
                state.slots.setdefault(item.bank, piece)
        text = voice.joiners[rng.randrange(len(voice.joiners))].join(parts)
        if voice.abbreviate:
            text = self.lib.abbreviator(text, rng, rng.uniform(*voice.abbreviate))
        if voice.noise:
            text = add_noise(text, rng, self.lib.profiles[voice.noise], self.lib.misspeller)
        return tidy(text)

    def render_bank(self, name: str, state: _State) -> str:
        """Render one entry of bank ``name`` that fits the record's context."""
        bank = self.lib.banks[name]
        if bank.sticky:
            done = state.rendered.get(name)
            if done is not None:
                return done
        cands = bank.candidates(state.ctx)
        entry = self._choose(bank, cands, state)
        text = self._render(entry.pick_template(self.rng, state.register), state)
        if bank.sticky:
            state.rendered[name] = text
            state.sticky_text.setdefault(bank.sticky, text)
        return text

    def _choose(self, bank: Bank, cands: Candidates, state: _State) -> Entry:
        if not bank.sticky:
            return self._choose_fresh(cands, state)
        key = state.sticky.get(bank.sticky)
        if key is not None and key in cands.by_key:
            group, cum = cands.by_key[key]
            entry = group[0] if len(group) == 1 else weighted_pick(self.rng, group, cum)
        else:
            entry = self._choose_fresh(cands, state)
            state.sticky.setdefault(bank.sticky, entry.key)
        return entry

    def _choose_fresh(self, cands: Candidates, state: _State) -> Entry:
        rng = self.rng
        rate = self.props.hard_case_rate
        scale = self.props.hard_case_scale
        for tag, group, cum in cands.hard:
            if rng.random() < rate * scale.get(tag, 1.0):
                state.tags.append(tag)
                return weighted_pick(rng, group, cum)
        if cands.normal:
            return weighted_pick(rng, cands.normal, cands.normal_cum)
        tag, group, cum = cands.hard[rng.randrange(len(cands.hard))]
        state.tags.append(tag)
        return weighted_pick(rng, group, cum)

    def _render(self, seq: Seq, state: _State) -> str:
        out: list[str] = []
        self._render_into(seq, state, out)
        return "".join(out)

    def _render_into(self, seq: Seq, state: _State, out: list[str]) -> None:
        for part in seq:
            if type(part) is str:
                out.append(part)
            elif type(part) is Alt:
                options = part.options
                self._render_into(options[int(self.rng.random() * len(options))], state, out)
            else:
                assert isinstance(part, Ref)
                text = self._resolve(part.name, state)
                if part.cap and text:
                    text = text[0].upper() + text[1:]
                out.append(text)

    def _resolve(self, name: str, state: _State) -> str:
        token = state.tokens.get(name)
        if token is not None:
            return self._token(name, token, state)
        fn = VALUES.get(name)
        if fn is not None:
            return fn(self.rng)
        return self.render_bank(name, state)

    def _token(self, name: str, token: str, state: _State) -> str:
        schema = self.lib.schema
        if state.mentioned or name not in schema.mention_tokens:
            return token
        if not all(state.ctx.get(k) in a for k, a in schema.mention_when):
            return token
        state.mentioned = True
        text = self.render_bank(schema.mention_bank, state)
        if token[:1].isupper() and text:
            return text[0].upper() + text[1:]
        return text


def tidy(text: str) -> str:
    """Normalise the spacing left by empty alternatives and joined slots."""
    if "  " in text or "\t" in text:
        text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    if ".." in text:
        text = _DOUBLE_DOT.sub(".", text)
    text = _REPEATED_WORD.sub(r"\1", text)
    if "\n" in text:
        text = _LINE_EDGES.sub("\n", text)
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def generate(
    n: int,
    seed: int,
    proportions: Proportions | None = None,
    *,
    with_meta: bool = False,
) -> Iterator[dict[str, Any]]:
    """Yield ``n`` labelled contact records, the same ones for the same seed.

    Args:
        n: how many records.
        seed: the seed; the stream depends on nothing else (not on hash seeds).
        proportions: the shares to draw labels from; the defaults when None.
        with_meta: add a ``meta`` field to each record (voice, hard cases realised,
            sticky picks such as the customer's surname), for tests and benchmarks.

    Yields:
        Records in the labelled data format (``training/data/LABELLED_FORMAT.md``).
    """
    if n < 0:
        raise ConfigError(f"The number of records must be >= 0; got {n}.")
    composer = Composer(proportions or load_proportions(), seed)
    for i in range(1, n + 1):
        yield composer.record(i, with_meta=with_meta)


__all__ = ["Composer", "generate", "tidy", "write"]
