"""The label taxonomy: heads, flags, constraints and derived suggestions.

A taxonomy is data (YAML or JSON) loaded into a typed :class:`Taxonomy`. The default
one ships inside the package (``default_taxonomy.yaml``); users bring their own with
``load_taxonomy(path)`` or build one from data columns with :func:`taxonomy_from_columns`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nlp_contact.errors import TaxonomyError

DEFAULT_TAXONOMY_FILE = "default_taxonomy.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Head(_Strict):
    """A single-label output: exactly one of ``labels`` per contact."""

    description: str = ""
    labels: dict[str, str]
    review_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    out_of_scope_label: str | None = None

    @model_validator(mode="after")
    def _check_labels(self) -> Head:
        if len(self.labels) < 2:
            raise ValueError(
                f"a head needs at least two labels; found {len(self.labels)} "
                f"({list(self.labels)}). Add labels or make it a flag."
            )
        if self.out_of_scope_label is not None and self.out_of_scope_label not in self.labels:
            raise ValueError(
                f"out_of_scope_label '{self.out_of_scope_label}' is not one of the labels "
                f"{list(self.labels)}"
            )
        return self

    @property
    def label_names(self) -> list[str]:
        """Labels in their declared order."""
        return list(self.labels)


class Flag(_Strict):
    """A binary output, true or false for each contact."""

    description: str = ""
    target_recall: float | None = Field(default=None, gt=0.0, le=1.0)


class Constraint(_Strict):
    """``head`` is ``label`` exactly when ``iff_head`` is ``iff_label``."""

    head: str
    label: str
    iff_head: str
    iff_label: str

    def allows(self, left: str, right: str) -> bool:
        """Whether ``head=left`` and ``iff_head=right`` may hold together."""
        return (left == self.label) == (right == self.iff_label)


class Condition(_Strict):
    """A condition on a head's label: one of ``in`` or not one of ``not_in``."""

    in_: list[str] | None = Field(default=None, alias="in")
    not_in: list[str] | None = None


class Rule(_Strict):
    """A derived value given when every condition in ``when`` holds."""

    when: dict[str, Condition | bool]
    value: str


class Derived(_Strict):
    """A suggestion computed from the predictions by ordered rules (not trained)."""

    description: str = ""
    rules: list[Rule]
    default: str
    descriptions: dict[str, str] = Field(default_factory=dict)


class ReportSpec(_Strict):
    """Which outputs the avoidable-contact report summarises."""

    value_head: str | None = None
    avoidable_label: str | None = None
    reason_head: str | None = None
    avoidable_reason_head: str | None = None
    feedback_head: str | None = None
    count_labels: dict[str, list[str]] = Field(default_factory=dict)
    count_flags: list[str] = Field(default_factory=list)
    count_derived: dict[str, list[str]] = Field(default_factory=dict)


class Taxonomy(_Strict):
    """The complete label set a model predicts.

    Example:
        >>> tax = load_taxonomy()
        >>> tax.head_names[:2]
        ['contact_reason', 'value_status']
    """

    name: str = "custom"
    version: str = "1"
    description: str = ""
    heads: dict[str, Head] = Field(default_factory=dict)
    flags: dict[str, Flag] = Field(default_factory=dict)
    constraints: list[Constraint] = Field(default_factory=list)
    channels: list[str] | None = None
    derived: dict[str, Derived] = Field(default_factory=dict)
    report: ReportSpec | None = None

    @model_validator(mode="after")
    def _check_references(self) -> Taxonomy:
        if not self.heads and not self.flags:
            raise ValueError("a taxonomy needs at least one head or flag")
        clash = set(self.heads) & set(self.flags)
        if clash:
            raise ValueError(f"names used for both a head and a flag: {sorted(clash)}")
        for c in self.constraints:
            self._check_label(c.head, c.label, "constraint")
            self._check_label(c.iff_head, c.iff_label, "constraint")
        for name, derived in self.derived.items():
            for rule in derived.rules:
                self._check_rule(name, rule)
        return self

    def _check_label(self, head: str, label: str, where: str) -> None:
        if head not in self.heads:
            raise ValueError(f"{where} names head '{head}', which is not among {self.head_names}")
        if label not in self.heads[head].labels:
            raise ValueError(
                f"{where} names label '{label}' of head '{head}'; allowed: "
                f"{self.heads[head].label_names}"
            )

    def _check_rule(self, derived: str, rule: Rule) -> None:
        where = f"rule for '{derived}'"
        for name, cond in rule.when.items():
            if isinstance(cond, bool):
                if name not in self.flags:
                    raise ValueError(f"{where} tests '{name}' as a flag; flags: {self.flag_names}")
                continue
            for label in (cond.in_ or []) + (cond.not_in or []):
                self._check_label(name, label, where)

    @property
    def head_names(self) -> list[str]:
        """Single-label heads, in declared order."""
        return list(self.heads)

    @property
    def flag_names(self) -> list[str]:
        """Binary flags, in declared order."""
        return list(self.flags)

    @property
    def output_names(self) -> list[str]:
        """Heads then flags: every column a labelled file may carry."""
        return self.head_names + self.flag_names

    def derive(self, labels: Mapping[str, str], flags: Mapping[str, bool]) -> dict[str, str]:
        """Apply the derived rules (routing, priority) to one prediction."""
        out: dict[str, str] = {}
        for name, derived in self.derived.items():
            out[name] = next(
                (r.value for r in derived.rules if _rule_holds(r, labels, flags)), derived.default
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that :func:`taxonomy_from_dict` reads back."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def _rule_holds(rule: Rule, labels: Mapping[str, str], flags: Mapping[str, bool]) -> bool:
    for name, cond in rule.when.items():
        if isinstance(cond, bool):
            if name not in flags or flags[name] != cond:
                return False
            continue
        label = labels.get(name)
        if label is None:
            return False
        if cond.in_ is not None and label not in cond.in_:
            return False
        if cond.not_in is not None and label in cond.not_in:
            return False
    return True


def taxonomy_from_dict(data: Mapping[str, Any], source: str = "taxonomy") -> Taxonomy:
    """Build a :class:`Taxonomy` from parsed YAML/JSON, with a readable error."""
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise TaxonomyError(
            f"The taxonomy in {source} is invalid: {problems}. See "
            "nlp_contact/default_taxonomy.yaml for the expected format."
        ) from None


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load a taxonomy file (YAML or JSON); the packaged default when ``path`` is None."""
    if path is None:
        text = resources.files("nlp_contact").joinpath(DEFAULT_TAXONOMY_FILE).read_text("utf-8")
        return taxonomy_from_dict(yaml.safe_load(text), source="the default taxonomy")
    path = Path(path)
    if not path.is_file():
        raise TaxonomyError(f"Taxonomy file '{path}' does not exist. Pass an existing YAML file.")
    text = path.read_text("utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise TaxonomyError(f"Taxonomy file '{path}' cannot be parsed: {exc}") from None
    if not isinstance(data, Mapping):
        raise TaxonomyError(
            f"Taxonomy file '{path}' must hold a mapping with 'heads' and/or 'flags'; "
            f"found {type(data).__name__}."
        )
    return taxonomy_from_dict(data, source=f"'{path}'")


def taxonomy_from_columns(
    columns: Mapping[str, Iterable[Any]], flags: Iterable[str] = (), name: str = "custom"
) -> Taxonomy:
    """Make a taxonomy of single-label heads from data columns (labels = values seen).

    Args:
        columns: head name -> the column's values (missing values are ignored).
        flags: column names to treat as true/false flags instead.
        name: the taxonomy's name.
    """
    heads: dict[str, dict[str, Any]] = {}
    for head, values in columns.items():
        seen = sorted({str(v) for v in values if _present(v)})
        if len(seen) < 2:
            raise TaxonomyError(
                f"Column '{head}' has {len(seen)} distinct label(s) ({seen}); a head needs at "
                "least two. Check the column name passed with --head."
            )
        heads[head] = {"labels": {label: "" for label in seen}}
    return taxonomy_from_dict(
        {"name": name, "heads": heads, "flags": {f: {} for f in flags}}, source="--head columns"
    )


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and value != value:
        return False
    return str(value).strip() != ""
