"""Loaders for the public intent benchmarks (BANKING77, CLINC150, HWU64) and their few-shot subsets.

The data are not part of the project: they sit beside it in ``../shared/data`` (see its
README). The path comes from ``--data``, else ``$NLP_CONTACT_DATA``, else ``../shared/data``.

Every loader returns a :class:`Benchmark`: training, validation and test splits of
(texts, labels). Settings may be chosen on ``val`` (never on ``test``). Full CLINC150
carries its out-of-scope rows with the label :data:`OOS` in ``train``, ``val`` and ``test``.

Layouts read:
    banking77/{train,test}.csv                        columns text,category (full data)
    banking77/fewshot_jianguoz/{train_5,train_10,valid,test}/{seq.in,label}
    clinc150/data_full.json                           keys train, val, test, oos_*
    clinc150/fewshot_jianguoz/{train_5,train_10,valid,test}/ (oos/ via clinc150_oos)
    hwu64/{train,valid,test,train_5,train_10}/{seq.in,label}
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "NLP_CONTACT_DATA"
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OOS = "oos"
DATASETS = ("banking77", "clinc150", "hwu64")
SETTINGS = ("full", "10-shot", "5-shot")


class DataMissingError(FileNotFoundError):
    """A benchmark file is not where the data path says."""


@dataclass
class Split:
    texts: list[str]
    labels: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def __add__(self, other: Split) -> Split:
        return Split(self.texts + other.texts, self.labels + other.labels)


@dataclass
class Benchmark:
    """One dataset in one setting (full, 10-shot or 5-shot)."""

    name: str
    setting: str
    train: Split
    val: Split
    test: Split
    oos_label: str | None = None
    tune_train: Split | None = None

    def tuning_split(self) -> Split:
        """Rows to fit on when scoring a candidate on ``val`` (``train`` minus ``val``)."""
        return self.tune_train if self.tune_train is not None else self.train


def data_root(path: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: ``path``, else ``$NLP_CONTACT_DATA``, else ``../shared/data``."""
    root = Path(path or os.environ.get(ENV_VAR) or DEFAULT_DATA)
    if not root.is_dir():
        raise DataMissingError(
            f"Benchmark data folder '{root}' does not exist. Pass --data /path/to/shared/data "
            f"or set {ENV_VAR}; it must hold banking77/, clinc150/ and hwu64/ "
            "(see shared/data/README.md)."
        )
    return root


def _need(path: Path) -> Path:
    if not path.exists():
        raise DataMissingError(
            f"Expected benchmark file '{path}' is missing. Check --data / ${ENV_VAR} points at "
            "the shared data folder (see shared/data/README.md for the layout)."
        )
    return path


def read_lines_split(folder: Path) -> Split:
    """A split stored as aligned ``seq.in`` (texts) and ``label`` files."""
    texts = _need(folder / "seq.in").read_text("utf-8").splitlines()
    labels = _need(folder / "label").read_text("utf-8").splitlines()
    if len(texts) != len(labels):
        raise ValueError(f"{folder}: {len(texts)} texts but {len(labels)} labels; they must align.")
    return Split([t.strip() for t in texts], [lab.strip() for lab in labels])


def read_csv_split(path: Path, text: str = "text", label: str = "category") -> Split:
    with _need(path).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return Split([r[text] for r in rows], [r[label] for r in rows])


def _stratified_holdout(split: Split, fraction: float = 0.1, seed: int = 0) -> tuple[Split, Split]:
    """Hold out ``fraction`` of every label (at least one row) from ``split``, deterministically."""
    import random

    by_label: dict[str, list[int]] = {}
    for i, lab in enumerate(split.labels):
        by_label.setdefault(lab, []).append(i)
    rng = random.Random(seed)
    held: set[int] = set()
    for idx in by_label.values():
        idx = sorted(idx)
        rng.shuffle(idx)
        held.update(idx[: max(1, round(len(idx) * fraction))] if len(idx) > 1 else [])
    keep = [i for i in range(len(split)) if i not in held]
    out = sorted(held)
    pick = lambda ids: Split([split.texts[i] for i in ids], [split.labels[i] for i in ids])  # noqa: E731
    return pick(keep), pick(out)


def banking77(root: Path, setting: str = "full") -> Benchmark:
    """Full data: all of train.csv to train, test.csv to test.

    BANKING77 has no validation split: ``val`` is a stratified 10% of train.csv, and
    :meth:`Benchmark.tuning_split` the other 90%, for choosing settings.
    """
    if setting == "full":
        train = read_csv_split(root / "banking77" / "train.csv")
        tune, val = _stratified_holdout(train)
        test = read_csv_split(root / "banking77" / "test.csv")
        return Benchmark("banking77", setting, train, val, test, tune_train=tune)
    few = root / "banking77" / "fewshot_jianguoz"
    return Benchmark(
        "banking77",
        setting,
        read_lines_split(few / _shot_dir(setting)),
        read_lines_split(few / "valid"),
        read_lines_split(few / "test"),
    )


def clinc150(root: Path, setting: str = "full") -> Benchmark:
    """Full data: in-scope intents plus out-of-scope rows labelled ``oos`` in every split.

    Few-shot: in-scope intents only (as reported in the few-shot literature).
    """
    if setting == "full":
        data = json.loads(_need(root / "clinc150" / "data_full.json").read_text("utf-8"))

        def split(name: str) -> Split:
            rows = data[name] + data[f"oos_{name}"]
            return Split([t for t, _ in rows], [lab for _, lab in rows])

        return Benchmark("clinc150", setting, split("train"), split("val"), split("test"), OOS)
    few = root / "clinc150" / "fewshot_jianguoz"
    # few-shot results in the literature are in-scope intent accuracy: no oos rows
    return Benchmark(
        "clinc150",
        setting,
        read_lines_split(few / _shot_dir(setting)),
        read_lines_split(few / "valid"),
        read_lines_split(few / "test"),
    )


def clinc150_oos(root: Path, split: str) -> Split:
    """The few-shot folder's out-of-scope rows (``train``, ``valid`` or ``test``), labelled oos."""
    return _as_oos(read_lines_split(root / "clinc150" / "fewshot_jianguoz" / "oos" / split))


def _as_oos(split: Split) -> Split:
    return Split(split.texts, [OOS] * len(split))


def hwu64(root: Path, setting: str = "full") -> Benchmark:
    base = root / "hwu64"
    train = base / ("train" if setting == "full" else _shot_dir(setting))
    return Benchmark(
        "hwu64",
        setting,
        read_lines_split(train),
        read_lines_split(base / "valid"),
        read_lines_split(base / "test"),
    )


def _shot_dir(setting: str) -> str:
    if setting not in ("10-shot", "5-shot"):
        raise ValueError(f"setting must be one of {SETTINGS}; found '{setting}'.")
    return f"train_{setting.split('-')[0]}"


LOADERS = {"banking77": banking77, "clinc150": clinc150, "hwu64": hwu64}


def load(name: str, setting: str = "full", root: str | os.PathLike[str] | None = None) -> Benchmark:
    """Load dataset ``name`` (one of :data:`DATASETS`) in ``setting`` (one of :data:`SETTINGS`)."""
    if name not in LOADERS:
        raise ValueError(f"Unknown dataset '{name}'; choose from {DATASETS}.")
    if setting not in SETTINGS:
        raise ValueError(f"Unknown setting '{setting}'; choose from {SETTINGS}.")
    return LOADERS[name](data_root(root), setting)
