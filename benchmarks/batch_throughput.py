"""Throughput and peak memory of ``nlp-contact score`` against a pure-Python floor.

Usage::

    PYTHONPATH=. python benchmarks/batch_throughput.py --rows 1000000 \
        --model models/default --workdir /tmp/bench [--jobs N] [--memory-rows 100000]

Steps, all in one process so the figures are measured on the same machine state:

1. Generate ``--rows`` contact texts deterministically: ``nlp_contact.synth.generate``
   when it is importable (a pool of ``--pool`` records, reused with fresh numbers beyond
   it), otherwise the handwritten training texts with random names and numbers
   substituted. Written to CSV and Parquet in ``--workdir`` (reused when present).
2. The floor: ``pandas.read_csv`` of the CSV, then ``re.findall(r"\\w+", text.lower())``
   for every text, in this single Python process.
3. ``nlp-contact score`` end to end, as a subprocess (start-up, model load, reading,
   scoring, writing): wall time, rows/s, and peak memory summed over the process tree
   (RSS, which counts shared pages once per process, and PSS, which shares them out),
   sampled every 0.1 s with psutil.
4. The same for ``--memory-rows`` (the first rows of the file), to show that peak
   memory does not grow with the number of rows.

Writes a markdown table to ``--out`` (default ``benchmarks/results/batch_throughput.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
HANDWRITTEN = ROOT / "training" / "data" / "handwritten"
SURNAMES = [
    "Smith",
    "Jones",
    "Patel",
    "Khan",
    "Williams",
    "Brown",
    "Taylor",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Roberts",
    "Johnson",
    "Walker",
    "Wright",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Lewis",
    "Okafor",
    "Nowak",
    "Murphy",
    "Campbell",
]
_TITLED = re.compile(r"\b(Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z][a-z'-]+")
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"\w+")
SAMPLE_SECONDS = 0.1


@dataclass
class Run:
    """One measured command."""

    label: str
    rows: int
    seconds: float
    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0
    peak_processes: int = 1
    cpu_seconds: float = 0.0

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")

    @property
    def rows_per_cpu_s(self) -> float:
        return self.rows / self.cpu_seconds if self.cpu_seconds else float("nan")


# ----------------------------------------------------------------------------- data
def _fresh_numbers(text: str, rng: random.Random) -> str:
    text = _DIGIT.sub(lambda _: str(rng.randrange(10)), text)
    return _TITLED.sub(lambda m: f"{m.group(1)} {rng.choice(SURNAMES)}", text)


def _synth_pool(n: int, seed: int) -> tuple[list[dict[str, str]], str] | None:
    try:
        from nlp_contact.synth import generate
    except ImportError:
        return None
    pool = [{"text": r["text"], "channel": str(r.get("channel", ""))} for r in generate(n, seed)]
    return pool, f"nlp_contact.synth.generate(n={n:,}, seed={seed})"


def _handwritten_pool() -> tuple[list[dict[str, str]], str]:
    pool = []
    for path in sorted(HANDWRITTEN.glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                pool.append({"text": rec["text"], "channel": str(rec.get("channel", ""))})
    return pool, f"{len(pool):,} handwritten texts ({HANDWRITTEN.relative_to(ROOT)})"


def contacts(rows: int, seed: int, pool_size: int) -> tuple[Iterator[dict[str, str]], str]:
    """``rows`` records (id, text, channel), the same for the same arguments."""
    found = _synth_pool(min(rows, pool_size), seed)
    pool, source = found if found is not None else _handwritten_pool()
    rng = random.Random(seed)

    def records() -> Iterator[dict[str, str]]:
        for i in range(rows):
            if found is not None and i < len(pool):
                base = pool[i]
                text = base["text"]
            else:
                base = pool[rng.randrange(len(pool))]
                text = _fresh_numbers(base["text"], rng)
            yield {"id": f"c{i:08d}", "text": text, "channel": base["channel"]}

    reuse = "" if rows <= len(pool) else ", reused beyond the pool with fresh names/numbers"
    return records(), source + reuse


def write_inputs(workdir: Path, rows: int, seed: int, pool: int) -> tuple[Path, Path, str]:
    """The CSV and Parquet inputs (generated once per rows/seed/pool, then reused)."""
    stem = workdir / f"contacts_{rows}_{seed}_{pool}"
    csv_path, pq_path, meta = (stem.with_suffix(s) for s in (".csv", ".parquet", ".json"))
    if csv_path.is_file() and pq_path.is_file() and meta.is_file():
        return csv_path, pq_path, json.loads(meta.read_text())["source"]
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    records, source = contacts(rows, seed, pool)
    frame = pd.DataFrame.from_records(list(records), columns=["id", "text", "channel"])
    frame.to_csv(csv_path, index=False)
    frame.to_parquet(pq_path, index=False, row_group_size=50_000)
    meta.write_text(json.dumps({"source": source, "seconds": time.perf_counter() - t0}))
    return csv_path, pq_path, source


def head_rows(csv_path: Path, rows: int, workdir: Path) -> Path:
    """The first ``rows`` rows of the CSV, for the memory check."""
    out = workdir / f"{csv_path.stem}_head{rows}.csv"
    if not out.is_file():
        pd.read_csv(csv_path, nrows=rows, dtype=str, keep_default_na=False).to_csv(out, index=False)
    return out


# -------------------------------------------------------------------- measurements
def floor(csv_path: Path) -> Run:
    """pandas.read_csv plus a lower-cased regex word split of every text, one process."""
    t0, c0 = time.perf_counter(), time.process_time()
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    words = 0
    for text in frame["text"]:
        words += len(_WORD.findall(text.lower()))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = psutil.Process().memory_info().rss / 2**20
    label = "floor: read_csv + lower + re.findall(r'\\w+')"
    return Run(label, len(frame), seconds, rss, rss, cpu_seconds=cpu)


def _tree_memory(proc: psutil.Process) -> tuple[float, float, int]:
    rss = pss = 0.0
    procs = [proc]
    try:
        procs += proc.children(recursive=True)
    except psutil.Error:
        pass
    for p in procs:
        try:
            info = p.memory_full_info()
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss / 2**20, pss / 2**20, len(procs)


def _watch(proc: psutil.Process, peaks: dict[str, float], done: threading.Event) -> None:
    while not done.is_set():
        rss, pss, n = _tree_memory(proc)
        peaks["rss"] = max(peaks["rss"], rss)
        peaks["pss"] = max(peaks["pss"], pss)
        peaks["procs"] = max(peaks["procs"], n)
        done.wait(SAMPLE_SECONDS)


def score(label: str, input_path: Path, rows: int, args: argparse.Namespace) -> Run:
    """``nlp-contact score`` as a subprocess, timed, with the tree's peak memory."""
    out = args.workdir / f"scored_{input_path.stem}{input_path.suffix}"
    cmd = [
        sys.executable,
        "-m",
        "nlp_contact",
        "score",
        str(input_path),
        "--out",
        str(out),
        "--model",
        str(args.model),
        "--quiet",
    ]
    if args.jobs:
        cmd += ["--jobs", str(args.jobs)]
    if args.probabilities:
        cmd.append("--probabilities")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    peaks = {"rss": 0.0, "pss": 0.0, "procs": 1.0}
    done = threading.Event()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    watcher = threading.Thread(target=_watch, args=(psutil.Process(child.pid), peaks, done))
    watcher.start()
    _, err = child.communicate()
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    done.set()
    watcher.join()
    if child.returncode != 0:
        sys.exit(f"score failed (exit {child.returncode}): {err[-2000:]}")
    out.unlink(missing_ok=True)
    return Run(label, rows, seconds, peaks["rss"], peaks["pss"], int(peaks["procs"]), cpu)


# -------------------------------------------------------------------------- report
def markdown(
    args: argparse.Namespace,
    source: str,
    runs: list[Run],
    memory: list[Run],
    load: tuple[tuple[float, ...], tuple[float, ...]],
) -> str:
    """The results page."""
    base, main = runs[0], runs[1]
    lines = [
        "# Batch scoring throughput (`nlp-contact score`)",
        "",
        f"Command: `PYTHONPATH=. python benchmarks/batch_throughput.py --rows {args.rows} "
        f"--model {args.model} --workdir {args.workdir}"
        + (f" --jobs {args.jobs}" if args.jobs else "")
        + "`",
        "",
        f"- Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.platform()}; load average {load[0][0]:.1f} at the start, "
        f"{load[1][0]:.1f} at the end (1-minute; above {os.cpu_count()} means other work "
        "competed for the CPUs).",
        f"- Input: {args.rows:,} contacts from {source}; mean "
        f"{args.mean_chars:.0f} characters per text; CSV {args.csv_mb:.0f} MB.",
        f"- Model: `{args.model}`; jobs: {args.jobs or os.cpu_count()} (default: every core).",
        *([f"- Note: {args.note}"] if args.note else []),
        "",
        "| run | rows | seconds | rows/s | CPU seconds | rows per CPU-second | "
        "peak memory, RSS summed (MB) | peak memory, PSS summed (MB) | processes | "
        "time vs floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r.label} | {r.rows:,} | {r.seconds:.1f} | {r.rows_per_s:,.0f} | "
            f"{r.cpu_seconds:.1f} | {r.rows_per_cpu_s:,.0f} | "
            f"{r.peak_rss_mb:,.0f} | {r.peak_pss_mb:,.0f} | {r.peak_processes} | "
            f"{r.seconds / base.seconds:.2f}x |"
        )
    lines += [
        "",
        f"**score / floor = {main.seconds / base.seconds:.2f}** in wall time (target: at "
        f"most 2.0); in CPU time {main.cpu_seconds / base.cpu_seconds:.2f} (all processes' "
        "user + system seconds, less sensitive to other load than wall time). Peak memory "
        f"{main.peak_pss_mb:,.0f} MB PSS / {main.peak_rss_mb:,.0f} MB RSS summed over the "
        "process tree (target: under 1 GB at any row count). The floor's memory is this "
        "benchmark process's RSS after it (it also holds the generated data).",
        "",
        "## Peak memory against row count",
        "",
        "| rows | seconds | rows/s | peak RSS summed (MB) | peak PSS summed (MB) |",
        "|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.rows:,} | {r.seconds:.1f} | {r.rows_per_s:,.0f} | {r.peak_rss_mb:,.0f} | "
        f"{r.peak_pss_mb:,.0f} |"
        for r in memory
    ]
    lines += [
        "",
        "RSS counts pages shared between the parent and its forked workers once per "
        "process, so its sum overstates use; PSS divides shared pages among the processes "
        "that share them. Memory sampled every 0.1 s with psutil.",
        "",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="contacts to score")
    parser.add_argument(
        "--model", type=Path, default=ROOT / "models" / "default", help="model directory"
    )
    parser.add_argument("--workdir", type=Path, required=True, help="scratch directory")
    parser.add_argument("--jobs", type=int, default=None, help="score --jobs (default: all)")
    parser.add_argument(
        "--memory-rows",
        type=int,
        nargs="*",
        default=None,
        help="smaller row counts for the memory check (default: rows/10, at least 50,000)",
    )
    parser.add_argument("--pool", type=int, default=100_000, help="distinct synth records")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument("--probabilities", action="store_true", help="score --probabilities")
    parser.add_argument("--no-parquet", action="store_true", help="skip the Parquet run")
    parser.add_argument("--note", default="", help="a sentence about the run for the page")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "batch_throughput.md"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (args.model / "manifest.json").is_file():
        sys.exit(f"--model: '{args.model}' is not a model directory (no manifest.json).")
    t0 = time.perf_counter()
    csv_path, pq_path, source = write_inputs(args.workdir, args.rows, args.seed, args.pool)
    print(f"inputs ready in {time.perf_counter() - t0:.0f}s: {csv_path} ({source})")
    args.csv_mb = csv_path.stat().st_size / 2**20
    load_start = os.getloadavg()
    base = floor(csv_path)
    args.mean_chars = pd.read_csv(csv_path, usecols=["text"], dtype=str)["text"].str.len().mean()
    print(f"floor: {base.seconds:.1f}s, {base.rows_per_s:,.0f} rows/s")
    runs = [base, score("nlp-contact score (CSV in, CSV out)", csv_path, args.rows, args)]
    print(
        f"score: {runs[1].seconds:.1f}s, {runs[1].rows_per_s:,.0f} rows/s, "
        f"peak PSS {runs[1].peak_pss_mb:.0f} MB, RSS {runs[1].peak_rss_mb:.0f} MB"
    )
    if not args.no_parquet:
        runs.append(score("nlp-contact score (Parquet in, Parquet out)", pq_path, args.rows, args))
        print(f"score parquet: {runs[-1].seconds:.1f}s")
    small = args.memory_rows or [min(args.rows, max(args.rows // 10, 50_000))]
    memory = []
    for n in sorted(set(small) - {args.rows}):
        memory.append(score(f"{n:,} rows", head_rows(csv_path, n, args.workdir), n, args))
        print(f"memory check {n:,} rows: peak PSS {memory[-1].peak_pss_mb:.0f} MB")
    memory.append(runs[1])
    report = markdown(args, source, runs, memory, (load_start, os.getloadavg()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
