"""Measure the redactor on the hand-labelled PII set: recall, precision, throughput.

Usage::

    python benchmarks/redaction.py --data training/data/pii/pii_labelled.jsonl \
        --split dev --split held_out [--show-errors] [--out benchmarks/results/redaction.md]

Matching is by character coverage. A gold span counts as found when the redacted spans
(of any type) cover every one of its characters. Precision is the share of predicted
spans that overlap at least one gold span. "Same type" is the share of found gold spans
whose covering prediction has the gold type. Throughput is measured twice: over the
split's texts, and over 10,000 texts (the whole file cycled) with ``redact_batch``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp_contact.redact import ENTITY_TYPES, Redactor, Span

TARGETS = {"overall": 0.98, "NINO": 1.0, "EMAIL": 1.0, "PHONE": 1.0, "CARD_NUMBER": 1.0}
PRECISION_TARGET = 0.90
THROUGHPUT_TEXTS = 10_000


@dataclass
class Scores:
    """Counts for one split."""

    gold: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    same_type: Counter[str] = field(default_factory=Counter)
    predicted: int = 0
    predicted_ok: int = 0
    texts: int = 0
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)


def load(path: Path, split: str) -> list[dict[str, Any]]:
    """Records of ``split`` ("dev", "held_out" or "all") from the JSONL file."""
    if not path.is_file():
        sys.exit(f"--data expects the labelled JSONL file; '{path}' does not exist.")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if split == "all" or r["split"] == split]


def score_record(record: dict[str, Any], spans: list[Span], scores: Scores) -> None:
    """Add one record's matches to ``scores``."""
    text = record["text"]
    covered: dict[int, str] = {}
    for span in spans:
        covered.update((i, span.label) for i in range(span.start, span.end))
    for gold in record["spans"]:
        label = gold["label"]
        chars = range(gold["start"], gold["end"])
        scores.gold[label] += 1
        if all(i in covered for i in chars):
            scores.found[label] += 1
            scores.same_type[label] += all(covered[i] == label for i in chars)
        else:
            scores.misses.append(f"{record['id']} {label}: {text[gold['start'] : gold['end']]!r}")
    for span in spans:
        if any(span.start < g["end"] and g["start"] < span.end for g in record["spans"]):
            scores.predicted_ok += 1
        else:
            scores.false_positives.append(f"{record['id']} {span.label}: {span.text!r}")
    scores.predicted += 1 * len(spans)


def evaluate(redactor: Redactor, records: list[dict[str, Any]]) -> Scores:
    """Scores of ``redactor`` on ``records`` (finding spans and redacting, timed)."""
    scores = Scores(texts=len(records))
    start = time.perf_counter()
    found = [redactor.find(r["text"]) for r in records]
    redactor.redact_batch([r["text"] for r in records])
    scores.seconds = time.perf_counter() - start
    for record, spans in zip(records, found, strict=True):
        score_record(record, spans, scores)
    return scores


def throughput(redactor: Redactor, records: list[dict[str, Any]], n: int) -> float:
    """Texts per second for ``redact_batch`` over ``n`` texts (``records`` cycled)."""
    texts = [records[i % len(records)]["text"] for i in range(n)]
    start = time.perf_counter()
    redactor.redact_batch(texts)
    return n / (time.perf_counter() - start)


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "n/a"


def table(split: str, s: Scores) -> list[str]:
    """Markdown lines for one split."""
    total_gold, total_found = sum(s.gold.values()), sum(s.found.values())
    lines = [
        f"### split: {split} ({s.texts} texts)",
        "",
        "| entity | gold spans | found | recall | same type | target |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label in ENTITY_TYPES:
        target = TARGETS.get(label)
        lines.append(
            f"| {label} | {s.gold[label]} | {s.found[label]} | "
            f"{_ratio(s.found[label], s.gold[label])} | "
            f"{_ratio(s.same_type[label], s.found[label])} | "
            f"{'' if target is None else f'>= {target:.2f}'} |"
        )
    lines += [
        f"| **overall** | {total_gold} | {total_found} | **{_ratio(total_found, total_gold)}** "
        f"| {_ratio(sum(s.same_type.values()), total_found)} | >= {TARGETS['overall']:.2f} |",
        "",
        f"Precision: **{_ratio(s.predicted_ok, s.predicted)}** "
        f"({s.predicted_ok} of {s.predicted} predicted spans overlap a gold span; "
        f"target >= {PRECISION_TARGET:.2f}).",
        f"Throughput on this split: {s.texts / s.seconds:.0f} texts/s "
        "(find + redact of every text).",
        "",
    ]
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="labelled PII JSONL file")
    parser.add_argument(
        "--split",
        action="append",
        choices=["dev", "held_out", "all"],
        help="split(s) to measure; repeat for several (default: held_out)",
    )
    parser.add_argument("--ner-model", default=None, help="installed spaCy pipeline to add")
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/results/redaction.md"), help="markdown"
    )
    parser.add_argument("--show-errors", action="store_true", help="print misses and FPs")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the markdown report."""
    args = parse_args(argv)
    splits = args.split or ["held_out"]
    start = time.perf_counter()
    redactor = Redactor(ner_model=args.ner_model)
    build_s = time.perf_counter() - start
    lines = [
        "# Redaction benchmark",
        "",
        f"Data: `{args.data.as_posix()}`. Redactor(ner_model={args.ner_model!r}); "
        f"built in {build_s:.2f} s. Command: `python benchmarks/redaction.py --data "
        f"{args.data.as_posix()} {' '.join('--split ' + s for s in splits)}`.",
        "",
        "A gold span is found when redacted spans (of any type) cover all its characters;",
        "precision is the share of predicted spans overlapping a gold span. The rules were",
        "tuned on `dev` only, but the whole set was written by the same hand as the rules,",
        "so `held_out` is an optimistic estimate for real contacts.",
        "",
    ]
    for split in splits:
        records = load(args.data, split)
        scores = evaluate(redactor, records)
        lines += table(split, scores)
        if args.show_errors:
            print(f"--- {split}: misses ---", *scores.misses, sep="\n")
            print(f"--- {split}: false positives ---", *scores.false_positives, sep="\n")
    all_records = load(args.data, "all")
    rate = throughput(redactor, all_records, THROUGHPUT_TEXTS)
    lines.append(
        f"Throughput, {THROUGHPUT_TEXTS:,} texts (the whole file cycled, `redact_batch`, "
        f"one thread): **{rate:.0f} texts/s**. Machine: {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} when the run ended (throughput falls "
        "when other work shares the CPUs)."
    )
    report = "\n".join(lines) + "\n"
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
