"""The promotion gates of ``nlp-contact compare``, read from a TOML file.

``training/configs/gates.toml`` documents every key. A section left out of the file
keeps its defaults; flag gates apply only to the flags listed. The challenger is
promoted only when every gate passes:

- ``label_recall``: no label's recall may drop by more than ``max_drop``;
- ``flag_recall``: each listed flag's recall lower bound (95%) must reach its ``target``;
- ``calibration``: no head's or flag's ECE may rise by more than ``max_ece_increase``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nlp_contact.errors import ConfigError

EPS = 1e-12


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BootstrapSection(_Section):
    """How the paired-bootstrap intervals are drawn."""

    resamples: int = Field(default=1000, ge=50, le=100_000)
    seed: int = 0
    level: float = Field(default=0.95, gt=0.5, lt=1.0)


class LabelRecallGate(_Section):
    """No label's recall may drop by more than ``max_drop`` (absolute)."""

    max_drop: float = Field(default=0.05, ge=0.0, le=1.0)
    min_support: int = Field(default=10, ge=1)
    heads: list[str] | None = None
    decide_on: Literal["point", "interval"] = "point"


class FlagRecallGate(_Section):
    """The challenger's recall lower bound on ``flag`` must reach ``target``."""

    flag: str
    target: float = Field(gt=0.0, le=1.0)
    interval: Literal["wilson", "bootstrap"] = "wilson"


class CalibrationGate(_Section):
    """No output's ECE may rise by more than ``max_ece_increase``."""

    max_ece_increase: float = Field(default=0.02, ge=0.0, le=1.0)
    outputs: list[str] | None = None


class Gates(_Section):
    """Every gate setting, validated on construction."""

    bootstrap: BootstrapSection = Field(default_factory=lambda: BootstrapSection())
    label_recall: LabelRecallGate = Field(default_factory=lambda: LabelRecallGate())
    flag_recall: list[FlagRecallGate] = Field(default_factory=list)
    calibration: CalibrationGate = Field(default_factory=lambda: CalibrationGate())


def load_gates(path: str | Path | None) -> Gates:
    """Read and validate a gates TOML file (all defaults when ``path`` is None).

    Raises:
        ConfigError: the file is missing, not TOML, or a key or value is wrong (named).
    """
    if path is None:
        return Gates()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Gates file '{path}' does not exist. Pass an existing TOML file.")
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Gates file '{path}' is not valid TOML: {exc}") from None
    return gates_from_dict(data, str(path))


def gates_from_dict(data: Mapping[str, Any], source: str = "gates") -> Gates:
    """Validate parsed gates, with a message naming each bad key."""
    try:
        return Gates.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']} (found {e.get('input')!r})"
            for e in exc.errors()
        )
        raise ConfigError(
            f"Invalid gates in {source}: {problems}. See training/configs/gates.toml for every "
            "key and its allowed values."
        ) from None


def check_gates(gates: Gates, comparison: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each gate's result: ``{"gate", "passed", "rule", "failures"}`` (plus details)."""
    return [
        label_recall_gate(gates.label_recall, comparison),
        *(flag_recall_gate(g, comparison) for g in gates.flag_recall),
        calibration_gate(gates.calibration, comparison),
    ]


def label_recall_gate(gate: LabelRecallGate, comparison: Mapping[str, Any]) -> dict[str, Any]:
    """Fails when a label with at least ``min_support`` rows loses more than ``max_drop`` recall."""
    heads = comparison["heads"]
    chosen = gate.heads if gate.heads is not None else list(heads)
    _check_known(chosen, heads, "label_recall.heads", "heads")
    failures, checked = [], 0
    for head in chosen:
        for label, sec in heads[head]["labels"].items():
            if sec["support"] < gate.min_support:
                continue
            checked += 1
            diff = sec["recall"]["difference"]
            dropped = (
                -diff["value"] > gate.max_drop + EPS
                if gate.decide_on == "point"
                else -diff["high"] > gate.max_drop + EPS
            )
            if dropped:
                failures.append(
                    {
                        "head": head,
                        "label": label,
                        "support": sec["support"],
                        "champion": sec["recall"]["champion"]["value"],
                        "challenger": sec["recall"]["challenger"]["value"],
                        "difference": diff,
                    }
                )
    rule = (
        f"no label's recall (labels with >= {gate.min_support} rows) drops by more than "
        f"{gate.max_drop} ({'observed drop' if gate.decide_on == 'point' else 'whole interval'})"
    )
    return {
        "gate": "label_recall",
        "passed": not failures,
        "rule": rule,
        "labels_checked": checked,
        "failures": failures,
    }


def flag_recall_gate(gate: FlagRecallGate, comparison: Mapping[str, Any]) -> dict[str, Any]:
    """Fails when the challenger's recall lower bound on the flag is below the target."""
    flags = comparison["flags"]
    _check_known([gate.flag], flags, "flag_recall.flag", "flags")
    sec = flags[gate.flag]
    bounds = {
        who: (
            sec["recall"][who]["wilson_low"]
            if gate.interval == "wilson"
            else sec["recall"][who]["low"]
        )
        for who in ("champion", "challenger")
    }
    low = bounds["challenger"]
    passed = low is not None and low + EPS >= gate.target
    return {
        "gate": "flag_recall",
        "flag": gate.flag,
        "passed": bool(passed),
        "rule": f"the challenger's {gate.flag} recall lower bound ({gate.interval}, 95%) is at "
        f"least {gate.target}",
        "challenger_lower_bound": low,
        "champion_lower_bound": bounds["champion"],
        "challenger_recall": sec["recall"]["challenger"]["value"],
        "positives": sec["positives"],
        "failures": [] if passed else [_flag_failure(gate, low, sec["positives"])],
    }


def _flag_failure(gate: FlagRecallGate, low: float | None, positives: int) -> dict[str, Any]:
    failure: dict[str, Any] = {"flag": gate.flag, "lower_bound": low, "target": gate.target}
    if not positives:
        failure["reason"] = "the evaluation data has no row with this flag true"
    return failure


def calibration_gate(gate: CalibrationGate, comparison: Mapping[str, Any]) -> dict[str, Any]:
    """Fails when a head's or flag's ECE rises by more than ``max_ece_increase``."""
    sections = {**comparison["heads"], **comparison["flags"]}
    chosen = gate.outputs if gate.outputs is not None else list(sections)
    _check_known(chosen, sections, "calibration.outputs", "heads and flags")
    failures = []
    for output in chosen:
        diff = sections[output]["ece"]["difference"]["value"]
        if diff > gate.max_ece_increase + EPS:
            failures.append(
                {
                    "output": output,
                    "increase": diff,
                    "champion": sections[output]["ece"]["champion"]["value"],
                    "challenger": sections[output]["ece"]["challenger"]["value"],
                }
            )
    return {
        "gate": "calibration",
        "passed": not failures,
        "rule": f"no ECE rises by more than {gate.max_ece_increase}",
        "failures": failures,
    }


def _check_known(names: list[str], known: Mapping[str, Any], key: str, what: str) -> None:
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError(
            f"Gate setting {key} names {unknown}, which the evaluation data and models do not "
            f"have; the {what} compared are {list(known)}. Fix the gates file or add the label "
            "columns to the data."
        )
