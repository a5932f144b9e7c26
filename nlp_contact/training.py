"""Plain functions behind ``nlp-contact train`` and ``nlp-contact evaluate``."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nlp_contact.classifier import ContactClassifier
from nlp_contact.config import SourceEntry, TrainConfig
from nlp_contact.data import (
    LabelledData,
    combine_sources,
    present_outputs,
    read_table,
    sha256_file,
    validate_labelled,
)
from nlp_contact.errors import ConfigError
from nlp_contact.metrics import flag_metrics, head_metrics
from nlp_contact.taxonomy import Taxonomy, load_taxonomy, taxonomy_from_columns

log = logging.getLogger(__name__)


def parse_source(spec: str) -> SourceEntry:
    """``FILE`` or ``FILE:WEIGHT`` -> a source entry."""
    path, sep, weight = spec.rpartition(":")
    if sep and path and _is_number(weight):
        return SourceEntry(path=path, weight=float(weight))
    return SourceEntry(path=spec, weight=1.0)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def resolve_taxonomy(
    config: TrainConfig,
    taxonomy_path: str | Path | None,
    heads: Sequence[str],
    flags: Sequence[str],
    first_source: Path | None,
) -> Taxonomy:
    """The taxonomy from ``--taxonomy``, ``--head``/``--flag`` columns, the config, or default."""
    if taxonomy_path and heads:
        raise ConfigError("Pass either --taxonomy FILE or --head COLUMN, not both.")
    if heads or flags:
        if first_source is None:
            raise ConfigError("--head needs a data file to read the labels from.")
        df = read_table(first_source)
        missing = [c for c in [*heads, *flags] if c not in df.columns]
        if missing:
            raise ConfigError(
                f"--head/--flag column(s) {missing} not found in '{first_source}'; its columns "
                f"are {list(df.columns)}."
            )
        return taxonomy_from_columns({h: df[h].tolist() for h in heads}, flags=flags)
    return load_taxonomy(taxonomy_path or config.taxonomy)


def synth_source(config: TrainConfig, taxonomy: Taxonomy) -> tuple[LabelledData, float] | None:
    """Generated contacts per ``[synth]`` (default taxonomy only), as a weighted source."""
    spec = config.synth
    if spec.n == 0:
        return None
    from nlp_contact.synth import generate

    frame = pd.DataFrame(list(generate(spec.n, spec.seed)))
    source = f"synth(n={spec.n}, seed={spec.seed})"
    data = validate_labelled(frame, taxonomy, source, "text")
    digest = hashlib.sha256(frame.to_json(orient="records").encode()).hexdigest()
    data.sources = [
        {
            "path": source,
            "sha256": digest,
            "rows": len(data),
            "weight": spec.weight,
            "hold_out": spec.hold_out,
        }
    ]
    data.validation_rows = np.full(len(data), spec.hold_out)
    return data, spec.weight


def load_sources(
    sources: Sequence[SourceEntry],
    taxonomy: Taxonomy,
    text_column: str,
    label_map: Any = None,
    extra: Sequence[tuple[LabelledData, float]] = (),
) -> LabelledData:
    """Read, validate, weight and de-duplicate every source (later sources win).

    ``extra`` sources (e.g. generated contacts) come first, so files win over them.
    """
    if not sources:
        raise ConfigError(
            "No training data: pass a DATA file, --source FILE:WEIGHT, or list [[sources]] "
            "in the config."
        )
    parts = list(extra)
    for src in sources:
        df = read_table(src.path)
        if label_map is not None:
            df = label_map.apply(df, source=src.path)
        data = validate_labelled(df, taxonomy, src.path, text_column)
        data.sources = [
            {
                "path": src.path,
                "sha256": sha256_file(src.path),
                "rows": len(data),
                "weight": src.weight,
            }
        ]
        parts.append((data, src.weight))
    combined = combine_sources(parts)
    dropped = sum(len(d) for d, _ in parts) - len(combined)
    if dropped:
        log.info("dropped %d duplicate rows across sources", dropped)
    return combined


def train(
    sources: Sequence[SourceEntry],
    out: Path,
    config: TrainConfig,
    taxonomy: Taxonomy,
    name: str | None = None,
    label_map: Any = None,
    extra_meta: dict[str, Any] | None = None,
) -> ContactClassifier:
    """Validate the data, train, calibrate, save to ``out`` and return the classifier."""
    generated = synth_source(config, taxonomy)
    extra = [generated] if generated is not None else []
    data = load_sources(sources, taxonomy, config.text_column, label_map, extra)
    clf = ContactClassifier(taxonomy=taxonomy, config=config).fit_data(data)
    clf.save(out, name=name, **(extra_meta or {}))
    return clf


def evaluate(
    clf: ContactClassifier, path: str | Path, text_column: str = "text", label_map: Any = None
) -> tuple[dict[str, Any], LabelledData, dict[str, np.ndarray]]:
    """Metrics of ``clf`` on a labelled file, for the heads and flags it has columns for.

    Returns the metrics (``{"n", "heads", "flags"}``), the data and the probabilities.
    """
    df = read_table(path)
    if label_map is not None:
        df = label_map.apply(df, source=str(path))
    outputs = present_outputs(df, clf.taxonomy_)
    if not outputs:
        raise ConfigError(
            f"'{path}' has no label columns of the model's taxonomy "
            f"{clf.taxonomy_.output_names}; its columns are {list(df.columns)}."
        )
    data = validate_labelled(df, clf.taxonomy_, str(path), text_column, outputs, False)
    result = clf.predict_labels(data.texts)
    pred: dict[str, np.ndarray] = result["pred"]
    probs: dict[str, np.ndarray] = result["probs"]
    metrics: dict[str, Any] = {"n": len(data), "heads": {}, "flags": {}}
    for head, labels in data.labels.items():
        names = clf.taxonomy_.heads[head].label_names
        y = np.array([names.index(v) for v in labels])
        metrics["heads"][head] = head_metrics(y, probs[head], pred[head], names)
    for flag, y in data.flags.items():
        threshold = clf.calibration_.flag_threshold[flag]
        metrics["flags"][flag] = flag_metrics(y, probs[flag], threshold)
    return metrics, data, probs
