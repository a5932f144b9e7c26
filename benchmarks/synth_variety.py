"""Measure the variety of `nlp-contact synth` output and its generation speed.

Usage:
    PYTHONPATH=. python benchmarks/synth_variety.py --n 20000 --seed 0 [--speed-n 100000]

Prints a Markdown report and writes it to benchmarks/results/synth_variety.md:
distinct word 1/2/3-grams, type-token ratio, near-duplicate rate (MinHash + LSH over
word 3-gram shingles, verified by exact Jaccard >= 0.8 on a sample), distinct purpose
phrasings per contact_reason (the purpose slot's clean text with numbers, names and
places masked), length distribution, label shares against the configured ones, hard
cases realised, and the time to generate 100,000 records.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import re
import time
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from nlp_contact.synth import expected_shares, generate, load_proportions
from nlp_contact.synth._library import default_bank_dir

RESULTS = Path(__file__).resolve().parent / "results" / "synth_variety.md"
_TOKEN = re.compile(r"[a-z0-9']+")
_DIGITS = re.compile(r"\d+")
_PRIME = (1 << 31) - 1  # a * x stays below 2**63 for 32-bit shingle hashes


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return _TOKEN.findall(text.lower())


def ngram_counts(texts: Iterable[str]) -> tuple[dict[int, int], int, int]:
    """Distinct n-grams for n = 1, 2, 3, and the token and type counts."""
    seen: dict[int, set[tuple[str, ...]]] = {1: set(), 2: set(), 3: set()}
    n_tokens = 0
    for text in texts:
        toks = tokens(text)
        n_tokens += len(toks)
        for n, bucket in seen.items():
            bucket.update(zip(*(toks[i:] for i in range(n)), strict=False))
    return {n: len(b) for n, b in seen.items()}, n_tokens, len(seen[1])


def shingles(text: str, k: int = 3) -> set[int]:
    """Stable 32-bit hashes of word k-shingles (whole text if shorter)."""
    toks = tokens(text)
    if len(toks) < k:
        return {zlib.crc32(" ".join(toks).encode())}
    return {zlib.crc32(" ".join(toks[i : i + k]).encode()) for i in range(len(toks) - k + 1)}


def minhash(sets: Sequence[set[int]], n_perm: int = 64, seed: int = 0) -> np.ndarray:
    """MinHash signatures (one row per document): min over shingles of (a*x + b) mod p."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, _PRIME, n_perm, dtype=np.uint64)
    b = rng.integers(0, _PRIME, n_perm, dtype=np.uint64)
    sizes = np.array([len(s) for s in sets])
    flat = np.fromiter((x for s in sets for x in sorted(s)), dtype=np.uint64) % np.uint64(_PRIME)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    sig = np.empty((len(sets), n_perm), dtype=np.uint64)
    for k in range(n_perm):
        hashed = (flat * a[k] + b[k]) % np.uint64(_PRIME)
        sig[:, k] = np.minimum.reduceat(hashed, starts)
    return sig


def near_duplicate_rate(
    texts: Sequence[str], threshold: float = 0.8, bands: int = 16, rows: int = 4
) -> tuple[float, int]:
    """Share of texts with another text at shingle Jaccard >= threshold, and pair count."""
    sets = [shingles(t) for t in texts]
    sig = minhash(sets, n_perm=bands * rows)
    candidates: set[tuple[int, int]] = set()
    for band in range(bands):
        buckets: dict[bytes, list[int]] = collections.defaultdict(list)
        block = sig[:, band * rows : (band + 1) * rows]
        for i in range(len(texts)):
            buckets[block[i].tobytes()].append(i)
        for members in buckets.values():
            if 1 < len(members) <= 200:
                for x in range(len(members)):
                    for y in range(x + 1, len(members)):
                        candidates.add((members[x], members[y]))
    dup_docs: set[int] = set()
    pairs = 0
    for i, j in candidates:
        inter = len(sets[i] & sets[j])
        if inter / len(sets[i] | sets[j]) >= threshold:
            pairs += 1
            dup_docs.update((i, j))
    return len(dup_docs) / max(1, len(texts)), pairs


def masker() -> re.Pattern[str]:
    """A pattern matching the names and places of the generator's pools."""
    words: set[str] = set()
    for name in ("02_pools.yaml",):
        data = yaml.safe_load((default_bank_dir() / name).read_text("utf-8"))
        for key in ("first_f", "first_m", "town", "street_name"):
            words.update(str(w) for w in data[key])
        words.update(str(w) for w in data["cust_surname"]["entries"])
    alts = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(r"\b(" + alts + r")\b")


def mask(text: str, names: re.Pattern[str]) -> str:
    """Mask numbers, pool names and places, and case, to compare phrasings."""
    return _DIGITS.sub("0", names.sub("<N>", text)).lower().strip()


def percentiles(values: Sequence[int]) -> str:
    """min / p5 / p25 / median / p75 / p95 / max."""
    qs = np.percentile(values, [0, 5, 25, 50, 75, 95, 100])
    return " / ".join(f"{q:.0f}" for q in qs)


def table(rows: list[list[Any]], header: list[str]) -> list[str]:
    """A Markdown table."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def section_ngrams(texts: list[str]) -> list[str]:
    """Distinct n-grams and type-token ratio."""
    grams, n_tokens, n_types = ngram_counts(texts)
    return [
        "## Vocabulary",
        "",
        *table(
            [
                ["distinct word 1-grams", f"{grams[1]:,}"],
                ["distinct word 2-grams", f"{grams[2]:,}"],
                ["distinct word 3-grams", f"{grams[3]:,}"],
                ["tokens", f"{n_tokens:,}"],
                ["type-token ratio (corpus)", f"{n_types / n_tokens:.4f}"],
                ["distinct 3-grams per 1,000 tokens", f"{1000 * grams[3] / n_tokens:.1f}"],
                ["distinct full texts", f"{len(set(texts)):,} of {len(texts):,}"],
            ],
            ["measure", "value"],
        ),
    ]


def section_dups(texts: list[str], sample: int, seed: int) -> list[str]:
    """Near-duplicate rate on a sample."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(texts), size=min(sample, len(texts)), replace=False)
    picked = [texts[i] for i in sorted(idx)]
    start = time.perf_counter()
    rate, pairs = near_duplicate_rate(picked)
    took = time.perf_counter() - start
    return [
        "## Near duplicates",
        "",
        f"MinHash (64 permutations, 16 bands x 4 rows) over word 3-gram shingles, candidate "
        f"pairs verified by exact Jaccard >= 0.8, on a sample of {len(picked):,} records "
        f"({took:.1f}s).",
        "",
        *table(
            [[f"{rate:.2%}", f"{pairs:,}"]],
            ["records with a near duplicate in the sample", "near-duplicate pairs"],
        ),
    ]


def section_phrasings(recs: list[dict[str, Any]]) -> list[str]:
    """Distinct masked purpose phrasings per contact_reason."""
    names = masker()
    by_reason: dict[str, set[str]] = collections.defaultdict(set)
    firsts: dict[str, set[str]] = collections.defaultdict(set)
    counts: collections.Counter[str] = collections.Counter()
    for r in recs:
        purpose = r["meta"]["slots"].get("purpose", "")
        masked = mask(purpose, names)
        by_reason[r["contact_reason"]].add(masked)
        firsts[r["contact_reason"]].add(re.split(r"(?<=[.?!])\s", masked, maxsplit=1)[0])
        counts[r["contact_reason"]] += 1
    rows = [
        [
            reason,
            counts[reason],
            len(by_reason[reason]),
            len(firsts[reason]),
            f"{len(by_reason[reason]) / counts[reason]:.2f}",
        ]
        for reason in sorted(counts, key=lambda k: -counts[k])
    ]
    return [
        "## Purpose phrasings per contact_reason",
        "",
        "The purpose slot's clean text (before abbreviation and noise), with numbers, pool "
        "names and places masked and case folded.",
        "",
        *table(
            rows,
            [
                "contact_reason",
                "records",
                "distinct purposes",
                "distinct first sentences",
                "distinct / records",
            ],
        ),
    ]


def section_lengths(recs: list[dict[str, Any]]) -> list[str]:
    """Length distribution in words, overall and by channel."""
    by_channel: dict[str, list[int]] = collections.defaultdict(list)
    all_lengths = []
    for r in recs:
        n = len(r["text"].split())
        all_lengths.append(n)
        by_channel[r["channel"]].append(n)
    rows = [["all", len(all_lengths), percentiles(all_lengths)]]
    rows += [[c, len(v), percentiles(v)] for c, v in sorted(by_channel.items())]
    buckets = collections.Counter(
        "1-10"
        if n <= 10
        else "11-30"
        if n <= 30
        else "31-80"
        if n <= 80
        else "81-200"
        if n <= 200
        else "201+"
        for n in all_lengths
    )
    hist = [
        [b, f"{buckets[b] / len(all_lengths):.1%}"]
        for b in ("1-10", "11-30", "31-80", "81-200", "201+")
    ]
    return [
        "## Length (words)",
        "",
        *table(rows, ["channel", "records", "min / p5 / p25 / median / p75 / p95 / max"]),
        "",
        *table(hist, ["words", "share"]),
    ]


def section_shares(recs: list[dict[str, Any]]) -> list[str]:
    """Observed label shares against the configured (expected) ones."""
    expected = expected_shares(load_proportions())
    rows = []
    for field, labels in expected.items():
        observed = collections.Counter(r[field] for r in recs)
        for label, share in sorted(labels.items(), key=lambda kv: -kv[1]):
            got = observed[label] / len(recs)
            rows.append(
                [field, str(label).lower(), f"{share:.3f}", f"{got:.3f}", f"{got - share:+.3f}"]
            )
    return [
        "## Label shares: configured vs generated",
        "",
        *table(rows, ["field", "label", "configured", "generated", "difference"]),
    ]


def section_hard(recs: list[dict[str, Any]]) -> list[str]:
    """How many records realise each hard case."""
    counts: collections.Counter[str] = collections.Counter()
    for r in recs:
        counts.update(r["meta"]["hard_cases"])
    rows = [[tag, n, f"{n / len(recs):.2%}"] for tag, n in counts.most_common()]
    return ["## Hard cases realised", "", *table(rows, ["hard case", "records", "share"])]


def _load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def section_speed(n: int, seed: int) -> list[str]:
    """Time to generate n records (no writing)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in generate(n, seed):
        pass
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return [
        "## Speed",
        "",
        *table(
            [[f"{n:,}", f"{wall:.1f}", f"{cpu:.1f}", f"{n / wall:,.0f}"]],
            ["records", "wall seconds", "CPU seconds", "records per wall second"],
        ),
        "",
        f"Python {platform.python_version()} on {platform.machine()}, one process, "
        f"{os.cpu_count()} CPUs, load average {_load()} when measured (wall time grows "
        "with the machine's load; CPU time does not).",
    ]


def main() -> None:
    """Run the benchmark and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed-n", type=int, default=100000)
    parser.add_argument("--dup-sample", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    recs = list(generate(args.n, args.seed, with_meta=True))
    texts = [r["text"] for r in recs]
    lines = [
        "# Variety of generated contacts (`nlp-contact synth`)",
        "",
        f"Command: `PYTHONPATH=. python benchmarks/synth_variety.py --n {args.n} --seed "
        f"{args.seed} --speed-n {args.speed_n}` ({args.n:,} records, default proportions).",
        "",
        *section_ngrams(texts),
        "",
        *section_dups(texts, args.dup_sample, args.seed),
        "",
        *section_phrasings(recs),
        "",
        *section_lengths(recs),
        "",
        *section_shares(recs),
        "",
        *section_hard(recs),
        "",
        *section_speed(args.speed_n, args.seed),
        "",
    ]
    report = "\n".join(lines)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
