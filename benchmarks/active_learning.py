"""Learning curves: ``suggest-labels`` selection against random selection.

Usage::

    python benchmarks/active_learning.py --data ../shared/data [--seeds 3] [--rounds 4] \
        [--out benchmarks/results/active_learning.md]

Two pools, each started from the same random labelled rows per seed:

- BANKING77: pool = the training set, measured by accuracy on the test set;
- the default corpus: pool = ``training/data/handwritten/*.jsonl``, measured by the
  macro-F1 on ``training/data/dev/dev_handwritten.jsonl`` (mean over the four heads, and
  contact_reason's alone) and the vulnerability recall there.

Each round trains the linear model on the rows labelled so far, measures it, and adds a
batch chosen either at random or as ``suggest-labels`` chooses (uncertainty over heads
and flags, greedy diversity over TF-IDF, near-duplicates skipped). The pool's TF-IDF
embedding is fitted once on the whole pool rather than on what is left of it each round.
"""

from __future__ import annotations

import argparse
import glob
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.metrics import f1_score

from nlp_contact import ContactClassifier, TrainConfig
from nlp_contact.taxonomy import Taxonomy, load_taxonomy, taxonomy_from_columns
from nlp_contact.workflow.active import diverse_top, embed, uncertainties

STRATEGIES = ("random", "suggest")
# Word n-grams only: the default character n-grams make each fit 5-6 times slower on the
# corpus's long letters, and a learning curve needs dozens of fits.
FAST = {"linear": {"features": {"char_ngram_range": None}}}


@dataclass
class Task:
    """A pool to label from, a fixed evaluation set and how to score a model on it."""

    name: str
    taxonomy: Taxonomy
    pool: pd.DataFrame
    score: Callable[[ContactClassifier], dict[str, float]]
    start: int
    batch: int
    config: TrainConfig


def fit(task: Task, rows: np.ndarray) -> ContactClassifier:
    """The default model trained on the pool rows labelled so far."""
    part = task.pool.iloc[rows]
    labels = {o: part[o].tolist() for o in task.taxonomy.output_names}
    return ContactClassifier(task.taxonomy, task.config).fit(part["text"].tolist(), labels)


def pick(
    task: Task,
    clf: ContactClassifier,
    labelled: np.ndarray,
    X: sp.csr_matrix,
    strategy: str,
    rng: np.random.Generator,
) -> np.ndarray:
    """The next batch of pool rows, by ``strategy``."""
    rest = np.setdiff1d(np.arange(len(task.pool)), labelled)
    if strategy == "random":
        return rng.choice(rest, size=task.batch, replace=False)
    probs = clf.predict_proba(task.pool["text"].iloc[rest].tolist())
    per_output = uncertainties(probs, clf.calibration_.flag_threshold)
    score = np.column_stack(list(per_output.values())).mean(axis=1)
    chosen, _ = diverse_top(score, X[rest], task.batch)
    return rest[chosen]


def curve(
    task: Task, strategy: str, seed: int, rounds: int, X: sp.csr_matrix
) -> list[dict[str, Any]]:
    """Measurements after each round of one strategy from one seed's starting rows."""
    rng = np.random.default_rng(seed)
    labelled = rng.choice(len(task.pool), size=task.start, replace=False)
    points = []
    for _ in range(rounds + 1):
        clf = fit(task, labelled)
        points.append({"labelled": len(labelled), **task.score(clf)})
        if len(points) <= rounds:
            labelled = np.concatenate([labelled, pick(task, clf, labelled, X, strategy, rng)])
    return points


def banking_task(root: Path, start: int, batch: int, config: TrainConfig) -> Task:
    train = pd.read_csv(root / "banking77" / "train.csv", dtype=str, keep_default_na=False)
    test = pd.read_csv(root / "banking77" / "test.csv", dtype=str, keep_default_na=False)
    tax = taxonomy_from_columns({"category": train["category"]})
    names = tax.heads["category"].label_names
    y_test = np.array([names.index(v) for v in test["category"]])

    def score(clf: ContactClassifier) -> dict[str, float]:
        pred = clf.predict_labels(test["text"].tolist())["pred"]["category"]
        return {"test_accuracy": float(np.mean(pred == y_test))}

    return Task("BANKING77", tax, train, score, start, batch, config)


def corpus_task(repo: Path, start: int, batch: int, config: TrainConfig) -> Task:
    files = sorted(glob.glob(str(repo / "training" / "data" / "handwritten" / "*.jsonl")))
    pool = pd.concat([pd.read_json(f, lines=True) for f in files], ignore_index=True)
    dev = pd.read_json(repo / "training" / "data" / "dev" / "dev_handwritten.jsonl", lines=True)
    tax = load_taxonomy()

    def score(clf: ContactClassifier) -> dict[str, float]:
        out = clf.predict_labels(dev["text"].tolist())
        f1 = {}
        for head in tax.head_names:
            names = tax.heads[head].label_names
            y = np.array([names.index(v) for v in dev[head]])
            f1[head] = f1_score(y, out["pred"][head], average="macro", zero_division=0)
        vuln = dev["vulnerability"].astype(bool).to_numpy()
        caught = out["probs"]["vulnerability"] >= clf.calibration_.flag_threshold["vulnerability"]
        return {
            "dev_macro_f1": float(np.mean(list(f1.values()))),
            "dev_contact_reason_f1": float(f1["contact_reason"]),
            "dev_vulnerability_recall": float(caught[vuln].mean()),
        }

    return Task("default corpus (handwritten)", tax, pool, score, start, batch, config)


def run_task(task: Task, seeds: int, rounds: int) -> dict[str, list[list[dict[str, Any]]]]:
    """Every strategy's curve from every seed."""
    X = embed(task.pool["text"].tolist())
    out: dict[str, list[list[dict[str, Any]]]] = {s: [] for s in STRATEGIES}
    for seed in range(seeds):
        for strategy in STRATEGIES:
            started = time.perf_counter()
            out[strategy].append(curve(task, strategy, seed, rounds, X))
            last = out[strategy][-1][-1]
            seconds = time.perf_counter() - started
            print(f"{task.name} seed {seed} {strategy}: {last} ({seconds:.0f} s)")
    return out


def table(task: Task, curves: dict[str, list[list[dict[str, Any]]]]) -> str:
    """Markdown: mean (min-max over seeds) of each measure per round and strategy."""
    measures = [k for k in curves["random"][0][0] if k != "labelled"]
    header = "| labelled | " + " | ".join(f"{m} {s}" for m in measures for s in STRATEGIES) + " |"
    lines = [header, "|" + "---|" * (1 + len(measures) * len(STRATEGIES))]
    for r, point in enumerate(curves["random"][0]):
        cells = []
        for m in measures:
            for s in STRATEGIES:
                values = [c[r][m] for c in curves[s]]
                cells.append(f"{statistics.mean(values):.3f} ({min(values):.3f}-{max(values):.3f})")
        lines.append(f"| {point['labelled']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def gains(curves: dict[str, list[list[dict[str, Any]]]]) -> dict[str, float]:
    """Mean over seeds and rounds after the first of (suggest - random), per measure."""
    measures = [k for k in curves["random"][0][0] if k != "labelled"]
    out = {}
    for m in measures:
        diffs = [
            s[r][m] - q[r][m]
            for s, q in zip(curves["suggest"], curves["random"], strict=True)
            for r in range(1, len(s))
        ]
        out[m] = statistics.mean(diffs)
    return out


def cpu_minutes() -> float:
    """CPU time of this process so far, in minutes."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) / 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/active_learning.md"))
    parser.add_argument(
        "--full-model", action="store_true", help="train the default config (with char n-grams)"
    )
    args = parser.parse_args()
    repo = Path(__file__).resolve().parents[1]
    config = TrainConfig() if args.full_model else TrainConfig.model_validate(FAST)
    model = "the default config" if args.full_model else "the default config with word n-grams only"
    tasks = [banking_task(args.data, 200, 200, config), corpus_task(repo, 150, 150, config)]
    started = time.perf_counter()
    sections = []
    for task in tasks:
        curves = run_task(task, args.seeds, args.rounds)
        gain = ", ".join(f"{m} {v:+.3f}" for m, v in gains(curves).items())
        print(f"{task.name}: mean gain of suggest over random: {gain}")
        sections.append(
            f"## {task.name}\n\nStart {task.start} random rows, then {task.batch} per round; "
            f"mean (min-max) over {args.seeds} seeds.\n\n{table(task, curves)}\n\n"
            f"Mean gain of `suggest` over `random` (rounds after the first): {gain}.\n"
        )
    minutes = (time.perf_counter() - started) / 60
    cpu = cpu_minutes()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        "# Active learning: suggest-labels against random selection\n\n"
        f"`python benchmarks/active_learning.py --data ../shared/data --seeds {args.seeds} "
        f"--rounds {args.rounds}`: {minutes:.1f} min wall-clock, {cpu:.1f} min of CPU, on a "
        "shared 2-core machine loaded by other jobs.\n\n"
        f"Each round trains the linear model ({model}; `--full-model` adds the default "
        "character n-grams, 5-6 times slower per fit) on the rows labelled so far. "
        "`random` adds a random batch; `suggest` adds the batch `nlp-contact suggest-labels` "
        "would choose (mean uncertainty over heads and flags, greedy TF-IDF diversity, "
        "near-duplicates skipped). Both strategies start from the same random rows for a "
        "given seed.\n\n" + "\n".join(sections),
        encoding="utf-8",
    )
    print(f"written {args.out} in {minutes:.1f} min ({cpu:.1f} min CPU)")


if __name__ == "__main__":
    main()
