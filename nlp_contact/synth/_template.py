"""Phrase templates: literal text, ``[a|b|c]`` alternatives and ``{name}`` references.

A template is compiled once into a tuple of parts (:data:`Seq`). A part is a literal
string, an :class:`Alt` (one of several sub-templates, chosen uniformly) or a
:class:`Ref` (a named bank, a generated value or a person token, resolved at render
time). ``{^name}`` capitalises the first letter of what the reference renders.
Alternatives nest: ``[rang [today|this morning]|called]``; ``[x|]`` makes ``x`` optional.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeAlias

from nlp_contact.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to something rendered at generation time."""

    name: str
    cap: bool = False


@dataclass(frozen=True, slots=True)
class Alt:
    """A choice between sub-templates."""

    options: tuple[Seq, ...]


Part: TypeAlias = "str | Ref | Alt"
Seq: TypeAlias = "tuple[Part, ...]"


def compile_template(text: str, where: str = "a template") -> Seq:
    """Compile template text into parts.

    Args:
        text: the template source.
        where: a description of where the template comes from, for error messages.

    Returns:
        The compiled parts.

    Raises:
        ConfigError: brackets or braces are unbalanced.
    """
    seq, pos = _parse_seq(text, 0, where, top=True)
    if pos != len(text):
        raise _error(text, where, f"unexpected '{text[pos]}' at position {pos}")
    return seq


def iter_refs(seq: Seq) -> Iterator[str]:
    """Yield the names of every reference in a compiled template, in order.

    Args:
        seq: a compiled template.

    Yields:
        Reference names (without the ``^`` marker).
    """
    for part in seq:
        if isinstance(part, Ref):
            yield part.name
        elif isinstance(part, Alt):
            for option in part.options:
                yield from iter_refs(option)


def _error(text: str, where: str, problem: str) -> ConfigError:
    return ConfigError(
        f"Template in {where} is malformed: {problem}. Found {text!r}. Use [a|b] for "
        "alternatives and {name} for references; brackets and braces must balance."
    )


def _parse_seq(text: str, pos: int, where: str, top: bool) -> tuple[Seq, int]:
    parts: list[Part] = []
    buf: list[str] = []
    while pos < len(text):
        ch = text[pos]
        if ch in "|]":
            if top:
                raise _error(text, where, f"'{ch}' outside brackets at position {pos}")
            break
        if ch == "}":
            raise _error(text, where, f"unmatched '}}' at position {pos}")
        if ch not in "[{":
            buf.append(ch)
            pos += 1
            continue
        if buf:
            parts.append("".join(buf))
            buf = []
        if ch == "[":
            alt, pos = _parse_alt(text, pos + 1, where)
            parts.append(alt)
        else:
            ref, pos = _parse_ref(text, pos + 1, where)
            parts.append(ref)
    if buf:
        parts.append("".join(buf))
    return tuple(parts), pos


def _parse_alt(text: str, pos: int, where: str) -> tuple[Alt, int]:
    options: list[Seq] = []
    while True:
        seq, pos = _parse_seq(text, pos, where, top=False)
        options.append(seq)
        if pos >= len(text):
            raise _error(text, where, "unclosed '['")
        if text[pos] == "]":
            return Alt(tuple(options)), pos + 1
        pos += 1


def _parse_ref(text: str, pos: int, where: str) -> tuple[Ref, int]:
    end = text.find("}", pos)
    if end < 0:
        raise _error(text, where, "unclosed '{'")
    name = text[pos:end].strip()
    cap = name.startswith("^")
    name = name.lstrip("^")
    if not name or any(c in name for c in "[]{|"):
        raise _error(text, where, f"bad reference name {name!r}")
    return Ref(name, cap), end + 1
