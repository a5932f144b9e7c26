"""The training configuration: one TOML file records every setting.

``training/configs/default.toml`` documents every key. Dotted overrides from the
command line (``--linear.C 4``) are applied on top with :func:`apply_overrides`.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nlp_contact.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrainSection(_Section):
    """How the model is trained and validated."""

    backend: Literal["linear", "spacy", "transformer"] = "linear"
    seed: int = 0
    validation: Literal["holdout", "cv"] = "holdout"
    validation_fraction: float = Field(default=0.2, gt=0.0, lt=0.9)
    folds: int = Field(default=5, ge=2, le=20)
    refit_full: bool = True


class SourceEntry(_Section):
    """A labelled data file and its weight (later sources win over duplicates)."""

    path: str
    weight: float = Field(default=1.0, gt=0.0)


class ThresholdSection(_Section):
    """Decision and review thresholds."""

    review: float = Field(default=0.5, ge=0.0, le=1.0)
    review_per_head: dict[str, float] = Field(default_factory=dict)
    flag_target_recall: dict[str, float] = Field(default_factory=dict)
    out_of_scope_recall: float = Field(default=0.75, gt=0.0, le=1.0)


class SynthSection(_Section):
    """Generated contacts mixed into the training data (``nlp-contact synth``)."""

    n: int = Field(default=0, ge=0)
    seed: int = 0
    weight: float = Field(default=1.0, gt=0.0)
    # Generated rows train the model but are never held out for calibration, flag
    # thresholds or validation metrics, which must reflect real contacts; true allows it.
    hold_out: bool = False


class TrainConfig(_Section):
    """Every training setting, validated on construction."""

    train: TrainSection = Field(default_factory=lambda: TrainSection())
    thresholds: ThresholdSection = Field(default_factory=lambda: ThresholdSection())
    linear: dict[str, Any] = Field(default_factory=dict)
    spacy: dict[str, Any] = Field(default_factory=dict)
    transformer: dict[str, Any] = Field(default_factory=dict)
    sources: list[SourceEntry] = Field(default_factory=list)
    synth: SynthSection = Field(default_factory=lambda: SynthSection())
    taxonomy: str | None = None
    text_column: str = "text"

    def backend_params(self) -> dict[str, Any]:
        """The section of the chosen backend."""
        return dict(getattr(self, self.train.backend))


def _format_errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']} (found {err.get('input')!r})"
        for err in exc.errors()
    )


def config_from_dict(data: Mapping[str, Any], source: str = "config") -> TrainConfig:
    """Validate a parsed config, with a message naming each bad key."""
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            f"Invalid training config in {source}: {_format_errors(exc)}. "
            "See training/configs/default.toml for every key and its allowed values."
        ) from None


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> TrainConfig:
    """Read a TOML config (defaults when None) and apply dotted overrides."""
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"Config file '{path}' does not exist. Pass an existing TOML file.")
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"Config file '{path}' is not valid TOML: {exc}") from None
    data = apply_overrides(data, parse_overrides(overrides))
    return config_from_dict(data, source=str(path) if path else "the command line")


def parse_overrides(args: Sequence[str]) -> dict[str, Any]:
    """``["--linear.C", "4", "--train.seed=1"]`` -> ``{"linear.C": 4, "train.seed": 1}``."""
    out: dict[str, Any] = {}
    items = list(args)
    i = 0
    while i < len(items):
        arg = items[i]
        if not arg.startswith("--") or "." not in arg.split("=", 1)[0]:
            raise ConfigError(
                f"Unexpected argument '{arg}'. Config overrides look like --section.key VALUE "
                "(for example --linear.C 4)."
            )
        key, eq, value = arg[2:].partition("=")
        if not eq:
            if i + 1 >= len(items):
                raise ConfigError(f"Override '{arg}' has no value; write --{key} VALUE.")
            value = items[i + 1]
            i += 1
        out[key] = _parse_value(value)
        i += 1
    return out


def _parse_value(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Set dotted keys in a nested dict (a copy)."""
    out = json.loads(json.dumps(data))
    for dotted, value in overrides.items():
        node = out
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"Cannot set '{dotted}': '{part}' is not a section.")
        node[leaf] = value
    return out
