"""The configurable shares of a generated corpus.

The ``plan`` samples every labelled field of a record in order, each from a table of
shares that may depend on fields sampled before it (``given``); a ``"*"`` key is the
fallback for values not listed. The taxonomy's rules are kept by the tables
themselves (a zero or missing share cannot be drawn), so the code knows no label.
Defaults are in ``nlp_contact/synth/proportions.yaml``; a user file is merged over
them key by key, so it only needs the shares it changes (set a share to 0 to drop it).

Example:
    >>> p = load_proportions()
    >>> round(expected_shares(p)["channel"]["phone"], 2)
    0.62
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nlp_contact.errors import ConfigError

DEFAULT_PROPORTIONS_FILE = "proportions.yaml"
WILDCARD = "*"
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FieldPlan(BaseModel):
    """How one field is sampled: a table of shares, nested once per ``given`` field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    given: list[str] = Field(default_factory=list)
    shares: dict[Any, Any]


class Proportions(BaseModel):
    """The shares of labels, channels and hard cases in generated data.

    Attributes:
        plan: field name -> how it is sampled, in sampling order.
        hard_case_rate: chance that a slot with a hard-case variant for the record's
            labels uses it.
        hard_case_scale: hard case name -> multiplier of ``hard_case_rate``.
        voice_weights: voice name -> weight replacing the one in the bank files.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    plan: dict[str, FieldPlan]
    hard_case_rate: float = Field(default=0.3, ge=0.0, le=1.0)
    hard_case_scale: dict[str, float] = Field(default_factory=dict)
    voice_weights: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_plan(self) -> Proportions:
        seen: list[str] = []
        for name, plan in self.plan.items():
            for g in plan.given:
                if g not in seen:
                    raise ValueError(
                        f"field '{name}' is given '{g}', which is not sampled before it "
                        f"(sampled before: {seen}); list '{g}' earlier in the plan"
                    )
            seen.append(name)
        for scale in (self.hard_case_scale, self.voice_weights):
            for key, w in scale.items():
                if w < 0:
                    raise ValueError(f"weight of '{key}' is {w}; weights must be >= 0")
        expected_shares(self)
        return self

    def table(self, name: str, ctx: Mapping[str, Any]) -> Mapping[Any, float]:
        """The shares of field ``name`` given the fields already sampled in ``ctx``."""
        node: Any = self.plan[name].shares
        for g in self.plan[name].given:
            value = ctx[g]
            if value in node:
                node = node[value]
            elif WILDCARD in node:
                node = node[WILDCARD]
            else:
                raise ConfigError(
                    f"The shares of '{name}' have no entry for {g}={value!r} and no "
                    f"'{WILDCARD}' fallback. Add one to the proportions file."
                )
        return _leaf(name, node)


def _leaf(name: str, node: Any) -> Mapping[Any, float]:
    if not isinstance(node, Mapping) or not node:
        raise ConfigError(
            f"The shares of '{name}' must end in a label: share mapping; found {node!r}"
        )
    for label, share in node.items():
        if not isinstance(share, int | float) or isinstance(share, bool) or share < 0:
            raise ConfigError(
                f"Share of {label!r} in '{name}' is {share!r}; shares are numbers >= 0."
            )
    if sum(node.values()) <= 0:
        raise ConfigError(f"The shares of '{name}' sum to 0; at least one must be positive.")
    return node


def _paths(props: Proportions) -> Iterator[tuple[dict[str, Any], float]]:
    """Every combination of field values the plan can draw, with its probability."""
    names = list(props.plan)

    def walk(i: int, ctx: dict[str, Any], p: float) -> Iterator[tuple[dict[str, Any], float]]:
        if i == len(names):
            yield ctx, p
            return
        table = props.table(names[i], ctx)
        total = float(sum(table.values()))
        for label, share in table.items():
            if share > 0:
                yield from walk(i + 1, {**ctx, names[i]: label}, p * share / total)

    yield from walk(0, {}, 1.0)


def expected_shares(props: Proportions) -> dict[str, dict[Any, float]]:
    """The share of each label of each field that the plan implies (exact).

    Args:
        props: the proportions.

    Returns:
        field -> label -> expected share of records.
    """
    out: dict[str, dict[Any, float]] = {name: {} for name in props.plan}
    for ctx, p in _paths(props):
        for name, label in ctx.items():
            out[name][label] = out[name].get(label, 0.0) + p
    return out


def reachable(props: Proportions) -> list[dict[str, Any]]:
    """Every combination of field values the plan can draw (for coverage checks)."""
    return [ctx for ctx, _ in _paths(props)]


def _deep_merge(base: dict[Any, Any], over: Mapping[Any, Any]) -> dict[Any, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def _read_yaml(text: str, source: str) -> dict[Any, Any]:
    try:
        data = yaml.load(text, Loader=YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"Proportions file {source} cannot be parsed: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"Proportions file {source} must hold a mapping; found {type(data).__name__}."
        )
    return data


def load_proportions(path: str | Path | None = None) -> Proportions:
    """Load the default proportions, with a user file merged over them.

    Args:
        path: a YAML file of shares to change; None for the defaults alone.

    Returns:
        The validated proportions.

    Raises:
        ConfigError: the file is missing, unparsable or its shares are invalid.
    """
    default_text = resources.files("nlp_contact.synth").joinpath(DEFAULT_PROPORTIONS_FILE)
    data = _read_yaml(default_text.read_text("utf-8"), "(default)")
    source = "the default proportions"
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(
                f"Proportions file '{path}' does not exist. Pass an existing YAML file."
            )
        data = _deep_merge(data, _read_yaml(path.read_text("utf-8"), f"'{path}'"))
        source = f"'{path}' (merged over the defaults)"
    try:
        return Proportions.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"The proportions in {source} are invalid: {problems}.") from None
