"""Reading and validating contact records from CSV, JSONL and Parquet.

Records have a ``text`` (required; ``text_column`` renames it), an optional ``id`` and
``channel``, and, when labelled, one column per head and flag of the taxonomy.
Validation reports every problem of a file together (up to ``MAX_PROBLEMS``), each
naming the file, the row (1-based, counting data rows), the column and the value.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nlp_contact.errors import DataProblem, DataValidationError
from nlp_contact.taxonomy import Taxonomy

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
MAX_PROBLEMS = 50
TRUE_WORDS = {"true", "1", "yes", "y", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "f"}


def file_format(path: str | Path) -> str:
    """``csv``, ``jsonl`` or ``parquet`` from the file's extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise DataValidationError(
            [
                DataProblem(
                    str(path),
                    None,
                    None,
                    suffix,
                    "unsupported file type; expected one of .csv, .jsonl, .parquet",
                )
            ]
        )
    return FORMATS[suffix]


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a whole file into a DataFrame of raw values (CSV cells stay strings)."""
    path = Path(path)
    fmt = file_format(path)
    if not path.is_file():
        raise DataValidationError(
            [DataProblem(str(path), None, None, str(path), "file does not exist")]
        )
    if fmt == "csv":
        try:
            return pd.read_csv(
                path, dtype=object, keep_default_na=False, na_values=[], encoding="utf-8"
            )
        except UnicodeDecodeError as exc:
            raise DataValidationError(
                [
                    DataProblem(
                        str(path),
                        None,
                        None,
                        exc.object[exc.start : exc.start + 8],
                        f"the file is not valid UTF-8 (byte {exc.start}); save it as UTF-8",
                    )
                ]
            ) from None
    if fmt == "parquet":
        return pd.read_parquet(path)
    return _read_jsonl(path)


def _read_jsonl(path: Path) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    problems: list[DataProblem] = []
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                problems.append(DataProblem(str(path), lineno, None, raw[:40], f"not JSON: {exc}"))
                continue
            if not isinstance(obj, dict):
                problems.append(
                    DataProblem(str(path), lineno, None, obj, "a line must be a JSON object")
                )
                continue
            rows.append(obj)
    if problems:
        raise DataValidationError(problems[:MAX_PROBLEMS], total=len(problems))
    return pd.DataFrame(rows)


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_missing(value: Any) -> bool:
    """None, NaN or pandas NA."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def text_problem(value: Any, max_chars: int | None = None) -> str | None:
    """Why ``value`` cannot be classified as contact text, or None when it can."""
    if is_missing(value):
        return "missing text"
    if not isinstance(value, str):
        return f"text must be a string, found {type(value).__name__}"
    if not value.strip():
        return "empty text"
    if max_chars is not None and len(value) > max_chars:
        return f"text has {len(value)} characters; the limit is {max_chars}"
    return None


def parse_flag(value: Any) -> bool | None:
    """A flag value as bool, or None when it is not a recognisable true/false."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return None


@dataclass
class LabelledData:
    """Validated training or evaluation data."""

    texts: list[str]
    labels: dict[str, np.ndarray]
    flags: dict[str, np.ndarray]
    ids: list[str | None]
    channels: list[str | None]
    weights: np.ndarray
    extra: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: list[dict[str, Any]] = field(default_factory=list)
    # rows that may be held out for calibration and validation (None: every row)
    validation_rows: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: Sequence[int] | np.ndarray) -> LabelledData:
        """The rows at ``index``, in that order."""
        idx = np.asarray(index, dtype=int)
        return LabelledData(
            texts=[self.texts[i] for i in idx],
            labels={k: v[idx] for k, v in self.labels.items()},
            flags={k: v[idx] for k, v in self.flags.items()},
            ids=[self.ids[i] for i in idx],
            channels=[self.channels[i] for i in idx],
            weights=self.weights[idx],
            extra=self.extra.iloc[idx].reset_index(drop=True),
            sources=self.sources,
            validation_rows=None if self.validation_rows is None else self.validation_rows[idx],
        )


class _Collector:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[DataProblem] = []
        self.total = 0

    def add(self, row: int | None, column: str | None, value: Any, message: str) -> None:
        self.total += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(DataProblem(self.source, row, column, value, message))

    def raise_if_any(self) -> None:
        if self.total:
            raise DataValidationError(self.problems, total=self.total)


def validate_labelled(
    df: pd.DataFrame,
    taxonomy: Taxonomy,
    source: str,
    text_column: str = "text",
    outputs: Sequence[str] | None = None,
    check_label_count: bool = True,
) -> LabelledData:
    """Check every row of ``df`` and return :class:`LabelledData`, or raise with all problems.

    Args:
        df: raw records.
        taxonomy: the labels allowed.
        source: the file name used in messages.
        text_column: the column holding the text.
        outputs: heads/flags that must be present (default: all of the taxonomy).
        check_label_count: require at least two labels seen per head (for training).
    """
    errs = _Collector(source)
    wanted = list(outputs) if outputs is not None else taxonomy.output_names
    missing_cols = [c for c in [text_column, *wanted] if c not in df.columns]
    for col in missing_cols:
        errs.add(None, col, list(df.columns)[:12], "required column is missing")
    errs.raise_if_any()
    _check_texts(df[text_column].tolist(), errs)
    labels = {h: _check_head(df, h, taxonomy, errs) for h in wanted if h in taxonomy.heads}
    flags = {f: _check_flag(df, f, errs) for f in wanted if f in taxonomy.flags}
    channels = _check_channels(df, taxonomy, errs)
    _check_constraints(labels, taxonomy, errs)
    if check_label_count and not errs.total:
        _check_label_counts(labels, errs)
    errs.raise_if_any()
    n = len(df)
    ids: list[str | None] = (
        [None if is_missing(v) else str(v) for v in df["id"]] if "id" in df else [None] * n
    )
    return LabelledData(
        texts=df[text_column].tolist(),
        labels=labels,
        flags={k: v.astype(bool) for k, v in flags.items()},
        ids=ids,
        channels=channels,
        weights=np.ones(n, dtype=float),
        extra=df.drop(columns=[c for c in df.columns if c in {text_column, *wanted}]).reset_index(
            drop=True
        ),
    )


def _check_texts(values: list[Any], errs: _Collector) -> None:
    for row, value in enumerate(values, 1):
        problem = text_problem(value)
        if problem:
            errs.add(row, "text", value, problem)


def _check_head(df: pd.DataFrame, head: str, taxonomy: Taxonomy, errs: _Collector) -> np.ndarray:
    allowed = taxonomy.heads[head].labels
    out = np.empty(len(df), dtype=object)
    for row, value in enumerate(df[head].tolist(), 1):
        label = None if is_missing(value) else str(value).strip()
        if not label:
            errs.add(row, head, value, f"missing label; allowed: {list(allowed)}")
        elif label not in allowed:
            errs.add(row, head, value, f"unknown label; allowed: {list(allowed)}")
        out[row - 1] = label
    return out


def _check_flag(df: pd.DataFrame, flag: str, errs: _Collector) -> np.ndarray:
    out = np.zeros(len(df), dtype=bool)
    for row, value in enumerate(df[flag].tolist(), 1):
        parsed = parse_flag(value)
        if parsed is None:
            errs.add(row, flag, value, "a flag must be true or false")
        else:
            out[row - 1] = parsed
    return out


def _check_channels(df: pd.DataFrame, taxonomy: Taxonomy, errs: _Collector) -> list[str | None]:
    if "channel" not in df:
        return [None] * len(df)
    out: list[str | None] = []
    for row, value in enumerate(df["channel"].tolist(), 1):
        channel = None if is_missing(value) or str(value).strip() == "" else str(value).strip()
        if channel is not None and taxonomy.channels and channel not in taxonomy.channels:
            errs.add(row, "channel", value, f"unknown channel; allowed: {taxonomy.channels}")
        out.append(channel)
    return out


def _check_constraints(labels: dict[str, np.ndarray], taxonomy: Taxonomy, errs: _Collector) -> None:
    for c in taxonomy.constraints:
        if c.head not in labels or c.iff_head not in labels:
            continue
        pairs = zip(labels[c.head], labels[c.iff_head], strict=True)
        for row, (left, right) in enumerate(pairs, 1):
            if left is not None and right is not None and not c.allows(left, right):
                errs.add(
                    row,
                    c.iff_head,
                    right,
                    f"inconsistent with {c.head}='{left}': {c.iff_head} must be "
                    f"'{c.iff_label}' exactly when {c.head} is '{c.label}'",
                )


def _check_label_counts(labels: dict[str, np.ndarray], errs: _Collector) -> None:
    for head, values in labels.items():
        seen = sorted({v for v in values if v is not None})
        if len(seen) < 2:
            errs.add(
                None,
                head,
                seen,
                "a head needs at least two different labels in the training data to be "
                "learned; add examples of other labels or drop the head from the taxonomy",
            )


def read_labelled(
    path: str | Path,
    taxonomy: Taxonomy,
    text_column: str = "text",
    outputs: Sequence[str] | None = None,
    check_label_count: bool = True,
) -> LabelledData:
    """Read and validate one labelled file (see :func:`validate_labelled`)."""
    df = read_table(path)
    data = validate_labelled(df, taxonomy, str(path), text_column, outputs, check_label_count)
    data.sources = [{"path": str(path), "sha256": sha256_file(path), "rows": len(data)}]
    return data


def present_outputs(df: pd.DataFrame, taxonomy: Taxonomy) -> list[str]:
    """The taxonomy's heads and flags that ``df`` has columns for."""
    return [name for name in taxonomy.output_names if name in df.columns]


def normalise_for_dedup(text: str) -> str:
    """Lower-cased, whitespace-collapsed text used to find duplicates across sources."""
    return " ".join(text.lower().split())


def combine_sources(parts: Sequence[tuple[LabelledData, float]]) -> LabelledData:
    """Concatenate weighted sources; a later source's row wins over an earlier duplicate.

    Later sources take precedence so that caseworkers' corrections, listed after the
    survey labels, replace the older label of the same text.
    """
    keep: dict[str, tuple[int, int]] = {}
    for s, (data, _) in enumerate(parts):
        for i, text in enumerate(data.texts):
            keep[normalise_for_dedup(text)] = (s, i)
    chosen = sorted(keep.values())
    pieces = []
    for s, (data, weight) in enumerate(parts):
        idx = [i for (src, i) in chosen if src == s]
        sub = data.subset(idx)
        sub.weights = sub.weights * weight
        pieces.append(sub)
    return _concat(pieces, [src for data, _ in parts for src in data.sources])


def _concat(pieces: list[LabelledData], sources: list[dict[str, Any]]) -> LabelledData:
    first = pieces[0]
    return LabelledData(
        texts=[t for p in pieces for t in p.texts],
        labels={k: np.concatenate([p.labels[k] for p in pieces]) for k in first.labels},
        flags={k: np.concatenate([p.flags[k] for p in pieces]) for k in first.flags},
        ids=[i for p in pieces for i in p.ids],
        channels=[c for p in pieces for c in p.channels],
        weights=np.concatenate([p.weights for p in pieces]),
        extra=pd.concat([p.extra for p in pieces], ignore_index=True),
        sources=sources,
        validation_rows=_concat_validation_rows(pieces),
    )


def _concat_validation_rows(pieces: list[LabelledData]) -> np.ndarray | None:
    if all(p.validation_rows is None for p in pieces):
        return None
    return np.concatenate(
        [
            np.ones(len(p), dtype=bool) if p.validation_rows is None else p.validation_rows
            for p in pieces
        ]
    )
