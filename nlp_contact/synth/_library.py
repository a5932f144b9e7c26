"""Load the generator's data: phrase banks, voices, record schema, person tokens, noise.

Everything label-specific lives in the YAML files of ``nlp_contact/synth/banks/``;
this module only reads and checks them. Top-level keys of a bank file are bank names,
except the reserved sections ``schema``, ``voices``, ``person_tokens``,
``noise_profiles``, ``misspellings`` and ``abbreviations``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from nlp_contact.errors import ConfigError
from nlp_contact.synth._banks import (
    Bank,
    Conditions,
    Label,
    cumulative,
    merge_banks,
    parse_bank,
    parse_conditions,
)
from nlp_contact.synth._noise import Abbreviator, Misspeller, NoiseProfile, parse_profile
from nlp_contact.synth._template import iter_refs
from nlp_contact.synth._values import VALUES

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
RESERVED = (
    "schema",
    "voices",
    "person_tokens",
    "noise_profiles",
    "misspellings",
    "abbreviations",
)


@dataclass(frozen=True)
class LayoutItem:
    """One slot of a voice's layout: a bank, how likely it is used, how many times.

    A ``glue`` slot (a label such as "Action:") is joined to the next piece by a space.
    """

    bank: str
    p: float = 1.0
    repeat: tuple[int, int] = (1, 1)
    glue: bool = False


@dataclass(frozen=True)
class Voice:
    """A kind of writer on a channel: which slots make up its texts and how noisy it is."""

    name: str
    when: Conditions
    weight: float
    sets: Mapping[str, Any]
    layout: tuple[LayoutItem, ...]
    joiners: tuple[str, ...]
    noise: str | None
    abbreviate: tuple[float, float] | None


@dataclass(frozen=True)
class TokenSet:
    """Person tokens ({I}, {my}, {have}, ...) for the contexts in ``when``."""

    when: Conditions
    tokens: Mapping[str, str]


@dataclass(frozen=True)
class Schema:
    """The output record's fields and the per-record context drawn before a voice."""

    fields: tuple[str, ...]
    id_field: str
    text_field: str
    id_format: str
    context: Mapping[str, tuple[tuple[Label, ...], tuple[float, ...]]]
    mention_tokens: frozenset[str]
    mention_bank: str
    mention_when: Conditions


@dataclass(frozen=True)
class Library:
    """Everything the generator reads from the bank files."""

    banks: Mapping[str, Bank]
    voices: tuple[Voice, ...]
    schema: Schema
    token_sets: tuple[TokenSet, ...]
    profiles: Mapping[str, NoiseProfile]
    misspeller: Misspeller
    abbreviator: Abbreviator


def default_bank_dir() -> Path:
    """The packaged ``banks/`` directory."""
    return Path(str(resources.files("nlp_contact.synth").joinpath("banks")))


@functools.lru_cache(maxsize=4)
def load_library(directory: str | None = None) -> Library:
    """Read and check every ``*.yaml`` file of a bank directory (in file-name order).

    Args:
        directory: the directory; the packaged banks when None.

    Returns:
        The library.

    Raises:
        ConfigError: a file is malformed or a template names something undefined.
    """
    path = Path(directory) if directory else default_bank_dir()
    files = sorted(path.glob("*.yaml"))
    if not files:
        raise ConfigError(f"No *.yaml bank files in '{path}'. Point to the synth banks folder.")
    banks: dict[str, Bank] = {}
    sections: dict[str, Any] = {}
    for file in files:
        data = yaml.load(file.read_text("utf-8"), Loader=YAML_LOADER) or {}
        for name, raw in data.items():
            if name in RESERVED:
                _merge_section(sections, str(name), raw)
            else:
                merge_banks(banks, parse_bank(str(name), raw, file.name))
    lib = _assemble(banks, sections)
    _check_refs(lib)
    return lib


def _merge_section(sections: dict[str, Any], name: str, raw: Any) -> None:
    if isinstance(raw, dict):
        sections.setdefault(name, {}).update(raw)
    else:
        sections.setdefault(name, []).extend(raw)


def _word_lists(sections: Mapping[str, Any], name: str) -> dict[str, tuple[str, ...]]:
    out = {}
    for key, values in sections.get(name, {}).items():
        values = values if isinstance(values, list) else [values]
        if not isinstance(key, str) or not all(isinstance(v, str) for v in values):
            raise ConfigError(
                f"Section '{name}' maps {key!r} to {values!r}; every word must be text. Quote "
                "yes/no/on/off/true/false and numbers in the YAML."
            )
        out[key] = tuple(values)
    return out


def _assemble(banks: dict[str, Bank], sections: Mapping[str, Any]) -> Library:
    for name in ("schema", "voices", "person_tokens"):
        if name not in sections:
            raise ConfigError(f"The bank files define no '{name}' section; it is required.")
    return Library(
        banks=banks,
        voices=tuple(_voice(n, raw) for n, raw in sections["voices"].items()),
        schema=_schema(sections["schema"]),
        token_sets=tuple(
            TokenSet(parse_conditions(t.get("when"), "person_tokens"), dict(t["tokens"]))
            for t in sections["person_tokens"]
        ),
        profiles={
            n: parse_profile(n, raw) for n, raw in sections.get("noise_profiles", {}).items()
        },
        misspeller=Misspeller(_word_lists(sections, "misspellings")),
        abbreviator=Abbreviator(_word_lists(sections, "abbreviations")),
    )


def _voice(name: str, raw: Mapping[str, Any]) -> Voice:
    layout = []
    for item in raw["layout"]:
        if isinstance(item, str):
            layout.append(LayoutItem(item))
        else:
            rep = item.get("repeat", [1, 1])
            layout.append(
                LayoutItem(
                    item["bank"],
                    float(item.get("p", 1.0)),
                    (rep[0], rep[1]),
                    bool(item.get("glue", False)),
                )
            )
    abbreviate = raw.get("abbreviate")
    return Voice(
        name=name,
        when=parse_conditions(raw.get("when"), f"voice '{name}'"),
        weight=float(raw.get("weight", 1.0)),
        sets=dict(raw.get("set", {})),
        layout=tuple(layout),
        joiners=tuple(raw.get("joiners", [" "])),
        noise=raw.get("noise"),
        abbreviate=(float(abbreviate[0]), float(abbreviate[1])) if abbreviate else None,
    )


def _schema(raw: Mapping[str, Any]) -> Schema:
    context = {}
    for key, shares in raw.get("context", {}).items():
        labels = tuple(shares)
        context[str(key)] = (labels, cumulative([float(shares[k]) for k in labels]))
    mention = raw.get("mention", {})
    return Schema(
        fields=tuple(raw["fields"]),
        id_field=raw["id_field"],
        text_field=raw["text_field"],
        id_format=raw["id_format"],
        context=context,
        mention_tokens=frozenset(mention.get("tokens", [])),
        mention_bank=mention.get("bank", ""),
        mention_when=parse_conditions(mention.get("when"), "schema.mention"),
    )


def _check_refs(lib: Library) -> None:
    known = set(lib.banks) | set(VALUES)
    for ts in lib.token_sets:
        known |= set(ts.tokens)
    missing: dict[str, set[str]] = {}
    for bank in lib.banks.values():
        for entry in bank.entries:
            for seqs in entry.templates.values():
                for seq in seqs:
                    for ref in iter_refs(seq):
                        if ref not in known:
                            missing.setdefault(ref, set()).add(bank.name)
    for voice in lib.voices:
        for item in voice.layout:
            if item.bank not in lib.banks:
                missing.setdefault(item.bank, set()).add(f"voice {voice.name}")
        if voice.noise and voice.noise not in lib.profiles:
            missing.setdefault(voice.noise, set()).add(f"voice {voice.name} (noise profile)")
    if lib.schema.mention_bank and lib.schema.mention_bank not in lib.banks:
        missing.setdefault(lib.schema.mention_bank, set()).add("schema.mention")
    if missing:
        shown = "; ".join(
            f"'{r}' (used in {', '.join(sorted(w))})" for r, w in sorted(missing.items())
        )
        raise ConfigError(
            f"The bank files refer to undefined names: {shown}. Define each as a bank, "
            "a person token, or use a built-in value."
        )
