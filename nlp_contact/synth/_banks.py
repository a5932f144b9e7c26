"""Phrase banks: conditional, weighted lists of templates loaded from YAML.

A bank is a list of entries. Each entry may carry

- ``when``: context key -> label or list of labels that must hold (labels of the
  record, ``channel``, and what the voice sets: ``register``, ``person``, ...);
- ``unless``: the same, but must not hold;
- ``hard``: the name of the hard case the entry realises (chosen at the hard-case rate);
- ``weight`` (default 1) and ``key`` (what a sticky bank remembers);
- templates, either under ``text`` (any register) or under a register's name.

A YAML list item that is a plain string (or a list of strings) is an unconditional
entry. A bank written as a mapping with ``sticky: GROUP`` and ``entries`` remembers,
within one record, which entry it picked; banks sharing a group pick entries with the
same ``key`` (so a benefit named twice in a record stays the same benefit).
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nlp_contact.errors import ConfigError
from nlp_contact.synth._template import Seq, compile_template

ANY_REGISTER = "text"
REGISTER_KEY = "register"
_ENTRY_META = {"when", "unless", "hard", "weight", "key"}

T = TypeVar("T")
Label = str | bool
Conditions = tuple[tuple[str, frozenset[Label]], ...]


def parse_conditions(raw: Any, where: str) -> Conditions:
    """Turn ``{key: label | [labels]}`` into a sorted tuple of (key, allowed labels).

    Args:
        raw: the parsed YAML value (a mapping or None).
        where: where it comes from, for error messages.

    Returns:
        The conditions, sorted by key so that matching does not depend on YAML order.
    """
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"Conditions in {where} must be a mapping of key: label(s); found {raw!r}"
        )
    out = []
    for key in sorted(raw):
        value = raw[key]
        allowed = value if isinstance(value, list) else [value]
        out.append((str(key), frozenset(allowed)))
    return tuple(out)


def conditions_hold(conds: Conditions, ctx: Mapping[str, Any]) -> bool:
    """Whether every condition holds in the context."""
    return all(ctx.get(key) in allowed for key, allowed in conds)


@dataclass(frozen=True)
class Entry:
    """One alternative of a bank, with the conditions under which it is correct."""

    when: Conditions
    unless: Conditions
    hard: str | None
    weight: float
    key: str
    templates: Mapping[str, tuple[Seq, ...]]

    def applies(self, ctx: Mapping[str, Any]) -> bool:
        """Whether the entry may be used in this context (conditions and register)."""
        if not conditions_hold(self.when, ctx):
            return False
        if self.unless and any(ctx.get(k) in allowed for k, allowed in self.unless):
            return False
        return ANY_REGISTER in self.templates or ctx.get(REGISTER_KEY) in self.templates

    def pick_template(self, rng: random.Random, register: str) -> Seq:
        """One of the entry's templates for the register."""
        options = self.templates.get(register) or self.templates[ANY_REGISTER]
        return options[int(rng.random() * len(options))]


@dataclass(frozen=True)
class Candidates:
    """The entries usable in one context: ordinary ones and those of each hard case."""

    normal: tuple[Entry, ...]
    normal_cum: tuple[float, ...]
    hard: tuple[tuple[str, tuple[Entry, ...], tuple[float, ...]], ...]
    by_key: Mapping[str, tuple[tuple[Entry, ...], tuple[float, ...]]]


def weighted_pick(rng: random.Random, items: Sequence[T], cum: Sequence[float]) -> T:
    """Pick one item with probability proportional to its weight (``cum`` is cumulative)."""
    return items[bisect.bisect_right(cum, rng.random() * cum[-1])]


def cumulative(weights: Sequence[float]) -> tuple[float, ...]:
    """Running sums of the weights."""
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return tuple(out)


@dataclass
class Bank:
    """A named list of entries with a per-context cache of the usable ones."""

    name: str
    entries: tuple[Entry, ...]
    sticky: str | None = None
    keys: tuple[str, ...] = ()
    _cache: dict[tuple[Any, ...], Candidates] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        names = {k for e in self.entries for k, _ in (*e.when, *e.unless)}
        self.keys = (REGISTER_KEY, *sorted(names - {REGISTER_KEY}))

    def candidates(self, ctx: Mapping[str, Any]) -> Candidates:
        """The entries that apply in this context (cached per combination of keys)."""
        cache_key = tuple(map(ctx.get, self.keys))
        found = self._cache.get(cache_key)
        if found is None:
            found = self._build(ctx)
            self._cache[cache_key] = found
        return found

    def _build(self, ctx: Mapping[str, Any]) -> Candidates:
        usable = [e for e in self.entries if e.applies(ctx)]
        if not usable:
            shown = {k: ctx.get(k) for k in self.keys}
            raise ConfigError(
                f"Phrase bank '{self.name}' has no entry for {shown}. Add an entry whose "
                "'when' covers this combination, or change the proportions so that it "
                "cannot be sampled."
            )
        normal = tuple(e for e in usable if e.hard is None)
        tags: list[str] = []
        for e in usable:
            if e.hard is not None and e.hard not in tags:
                tags.append(e.hard)
        hard = []
        for tag in tags:
            group = tuple(e for e in usable if e.hard == tag)
            hard.append((tag, group, cumulative([e.weight for e in group])))
        grouped: dict[str, list[Entry]] = {}
        for e in usable:
            grouped.setdefault(e.key, []).append(e)
        by_key = {
            k: (tuple(group), cumulative([e.weight for e in group])) for k, group in grouped.items()
        }
        return Candidates(normal, cumulative([e.weight for e in normal]), tuple(hard), by_key)


def _parse_entry(raw: Any, where: str) -> Entry:
    if isinstance(raw, list | str | bool | int | float):
        raw = {ANY_REGISTER: raw if isinstance(raw, list) else [raw]}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"An entry in {where} must be a string, list or mapping; found {raw!r}")
    templates: dict[str, tuple[Seq, ...]] = {}
    for register, forms in raw.items():
        if register in _ENTRY_META:
            continue
        forms = forms if isinstance(forms, list) else [forms]
        if not forms:
            raise ConfigError(f"Register '{register}' of an entry in {where} has no templates")
        for f in forms:
            if not isinstance(f, str):
                raise ConfigError(
                    f"Template {f!r} in {where} is not text. Quote it in the YAML: unquoted "
                    "yes/no/on/off/true/false and numbers are read as other types."
                )
        templates[str(register)] = tuple(compile_template(f, where) for f in forms)
    if not templates:
        raise ConfigError(f"An entry in {where} has no templates: {dict(raw)!r}")
    first = next(iter(raw[k] for k in raw if k not in _ENTRY_META))
    key = raw.get("key", first[0] if isinstance(first, list) else first)
    weight = float(raw.get("weight", 1.0))
    if weight <= 0:
        raise ConfigError(f"An entry in {where} has weight {weight}; weights must be > 0")
    return Entry(
        when=parse_conditions(raw.get("when"), where),
        unless=parse_conditions(raw.get("unless"), where),
        hard=raw.get("hard"),
        weight=weight,
        key=str(key),
        templates=templates,
    )


def parse_bank(name: str, raw: Any, source: str) -> Bank:
    """Build a bank from its parsed YAML (a list of entries, or a mapping with options).

    Args:
        name: the bank's name.
        raw: the parsed YAML value.
        source: the file it comes from, for error messages.

    Returns:
        The bank.
    """
    where = f"bank '{name}' ({source})"
    sticky = None
    if isinstance(raw, Mapping):
        sticky = raw.get("sticky")
        raw = raw.get("entries")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"The {where} must be a non-empty list of entries")
    entries = tuple(_parse_entry(item, where) for item in raw)
    return Bank(name, entries, sticky=str(sticky) if sticky else None)


def merge_banks(banks: dict[str, Bank], new: Bank) -> None:
    """Add a bank, appending its entries if a bank of that name already exists."""
    old = banks.get(new.name)
    if old is None:
        banks[new.name] = new
        return
    banks[new.name] = Bank(new.name, old.entries + new.entries, sticky=old.sticky or new.sticky)
