"""Map labelled data from an older taxonomy version to the current one.

A mapping file lets data labelled against an older taxonomy train and evaluate a model
of a newer one. It names both versions and, per head, what each old label becomes;
``null`` drops the rows that carry that label. Labels not listed are kept as they are,
so a mapping only needs the labels that changed::

    from_version: "1"
    to_version: "2"
    heads:
      contact_reason:
        eligibility_advice: entitlement_advice   # renamed
        other: null                              # no longer labelled: drop those rows

The mapping is checked against the target taxonomy when it is loaded (every head and
new label must exist in it) and applied to a DataFrame before the data is validated.

Example:
    >>> from nlp_contact.taxonomy import load_taxonomy
    >>> import pandas as pd
    >>> m = label_map_from_dict(
    ...     {"from_version": "0", "to_version": "1",
    ...      "heads": {"feedback_type": {"moan": "complaint", "unsure": None}}},
    ...     load_taxonomy())
    >>> df = pd.DataFrame({"feedback_type": ["moan", "none", "unsure"]})
    >>> m.apply(df)["feedback_type"].tolist()
    ['complaint', 'none']
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from nlp_contact.data import is_missing
from nlp_contact.errors import ConfigError, DataProblem, DataValidationError
from nlp_contact.taxonomy import Taxonomy

log = logging.getLogger(__name__)

KEYS = ("from_version", "to_version", "heads")
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class LabelMap:
    """Old label -> new label (or ``None``: drop the row), per head.

    Args:
        from_version: the taxonomy version the data was labelled against.
        to_version: the taxonomy version the labels are mapped to.
        heads: head -> {old label: new label or None}.
        allowed: head -> the target taxonomy's labels (labels kept unmapped must be one).
        source: where the mapping came from, for messages.
    """

    from_version: str
    to_version: str
    heads: dict[str, dict[str, str | None]]
    allowed: dict[str, list[str]] = field(default_factory=dict)
    source: str = "label map"

    def apply(self, df: pd.DataFrame, source: str = "data") -> pd.DataFrame:
        """Relabel ``df``'s head columns and drop rows mapped to ``null``.

        Args:
            df: raw labelled records (one column per head).
            source: the data file's name, for messages.

        Returns:
            A new DataFrame with a fresh index.

        Raises:
            DataValidationError: a label is neither mapped nor a label of the target taxonomy.
        """
        out = df.copy()
        drop = pd.Series(False, index=out.index)
        problems: list[DataProblem] = []
        for head, mapping in self.heads.items():
            if head not in out.columns:
                continue
            values = out[head].tolist()
            new, gone = self._map_column(head, mapping, values, source, problems)
            out[head] = new
            drop |= pd.Series(gone, index=out.index)
        if problems:
            raise DataValidationError(problems[:MAX_PROBLEMS], total=len(problems))
        if drop.any():
            log.info(
                "%s: %d row(s) dropped by the label map %s", source, int(drop.sum()), self.source
            )
        return out.loc[~drop].reset_index(drop=True)

    def _map_column(
        self,
        head: str,
        mapping: dict[str, str | None],
        values: list[Any],
        source: str,
        problems: list[DataProblem],
    ) -> tuple[list[Any], list[bool]]:
        allowed = set(self.allowed.get(head, []))
        new: list[Any] = []
        gone: list[bool] = []
        for row, value in enumerate(values, 1):
            label = None if is_missing(value) else str(value).strip()
            if label is not None and label in mapping:
                new.append(mapping[label])
                gone.append(mapping[label] is None)
                continue
            if label is not None and allowed and label not in allowed:
                problems.append(
                    DataProblem(
                        source,
                        row,
                        head,
                        value,
                        f"label of taxonomy version {self.from_version} has no mapping to "
                        f"version {self.to_version}; add '{label}: NEW_LABEL' (or "
                        f"'{label}: null' to drop such rows) under heads.{head} in {self.source}",
                    )
                )
            new.append(value)
            gone.append(False)
        return new, gone


def label_map_from_dict(
    data: Mapping[str, Any], taxonomy: Taxonomy, source: str = "label map"
) -> LabelMap:
    """Validate a parsed mapping against the target ``taxonomy``.

    Raises:
        ConfigError: a key is missing or unknown, the versions do not fit, or a head or
            new label is not in the taxonomy (each one is named).
    """
    _check_keys(data, source)
    from_version, to_version = str(data["from_version"]), str(data["to_version"])
    if to_version != str(taxonomy.version):
        raise ConfigError(
            f"The label map {source} maps to taxonomy version '{to_version}', but the "
            f"taxonomy '{taxonomy.name}' is version '{taxonomy.version}'. Use a mapping whose "
            "to_version is the taxonomy's version, or the taxonomy it was written for."
        )
    heads = data["heads"]
    if not isinstance(heads, Mapping) or not heads:
        raise ConfigError(
            f"'heads' in the label map {source} must map each head to {{old_label: new_label}}; "
            f"found {heads!r}."
        )
    problems: list[str] = []
    parsed = {str(h): _parse_head(str(h), m, taxonomy, problems) for h, m in heads.items()}
    if problems:
        raise ConfigError(
            f"The label map {source} does not fit the taxonomy '{taxonomy.name}' version "
            f"{taxonomy.version}: " + "; ".join(problems) + "."
        )
    allowed = {h: taxonomy.heads[h].label_names for h in parsed}
    return LabelMap(from_version, to_version, parsed, allowed, source)


def _check_keys(data: Mapping[str, Any], source: str) -> None:
    missing = [k for k in KEYS if k not in data]
    unknown = [str(k) for k in data if k not in KEYS]
    if missing or unknown:
        raise ConfigError(
            f"The label map {source} must have exactly the keys {list(KEYS)}; "
            + (f"missing {missing}" if missing else "")
            + ("; " if missing and unknown else "")
            + (f"unknown {unknown}" if unknown else "")
            + ". Example: {from_version: '1', to_version: '2', heads: {HEAD: {old: new}}}."
        )


def _parse_head(
    head: str, mapping: Any, taxonomy: Taxonomy, problems: list[str]
) -> dict[str, str | None]:
    if head not in taxonomy.heads:
        problems.append(f"head '{head}' is not in the taxonomy (heads: {taxonomy.head_names})")
        return {}
    if not isinstance(mapping, Mapping):
        problems.append(f"heads.{head} must map old labels to new labels; found {mapping!r}")
        return {}
    allowed = taxonomy.heads[head].label_names
    out: dict[str, str | None] = {}
    for old, new in mapping.items():
        if not isinstance(old, str):
            problems.append(f"heads.{head}: old label {old!r} is not a string; quote it")
            continue
        if new is not None and not isinstance(new, str):
            problems.append(f"heads.{head}.{old}: new label {new!r} is not a string; quote it")
        elif new is not None and new not in allowed:
            problems.append(f"heads.{head}.{old}: unknown label '{new}' (allowed: {allowed})")
        out[old] = new
    return out


def load_label_map(path: str | Path, taxonomy: Taxonomy) -> LabelMap:
    """Read a YAML mapping file and validate it against the target ``taxonomy``.

    Raises:
        ConfigError: the file is missing, not YAML, or does not fit the taxonomy.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Label map file '{path}' does not exist. Pass an existing YAML file.")
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"Label map file '{path}' is not valid YAML: {exc}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"Label map file '{path}' must hold a mapping with {list(KEYS)}; "
            f"found {type(data).__name__}."
        )
    return label_map_from_dict(data, taxonomy, source=f"'{path}'")
