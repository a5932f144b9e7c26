"""Inter-annotator agreement for the hand-written labelled corpus.

Two subcommands:

  sample  draw a random sample of records from training/data/handwritten/*.jsonl
          and write a blind sheet (id, text, channel only, no labels) for a
          second, independent labeller.

      python training/agreement.py sample --n 330 --seed 7 \
          --out training/data/agreement/sample_texts.jsonl

  kappa   join the second labels to the corpus labels by id and report Cohen's
          kappa and raw agreement per head and flag; write agreement.md and
          disagreements.jsonl next to the second-label file (or to --out-dir).

      python training/agreement.py kappa \
          --second training/data/agreement/second_labels.jsonl

The sample is drawn with numpy.random.default_rng(seed).choice(N, n,
replace=False) over the records of the corpus files read in sorted file order,
then line order; the sheet lists the records in the order they were drawn.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import cohen_kappa_score

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO / "training" / "data" / "handwritten"
DEFAULT_DIR = REPO / "training" / "data" / "agreement"

HEADS = ("contact_reason", "value_status", "avoidable_reason", "feedback_type")
FLAGS = ("staff_behaviour", "third_party", "vulnerability")
COLUMNS = HEADS + FLAGS


def corpus_files(corpus_dir: Path, pattern: str = "*.jsonl") -> list[str]:
    return sorted(glob.glob(str(corpus_dir / pattern)))


def read_jsonl(path: str | Path) -> list[dict]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(json.loads(line))
    return out


def load_corpus(corpus_dir: Path, pattern: str = "*.jsonl") -> list[dict]:
    records: list[dict] = []
    for path in corpus_files(corpus_dir, pattern):
        records.extend(read_jsonl(path))
    return records


def cmd_sample(args: argparse.Namespace) -> int:
    records = load_corpus(Path(args.corpus), args.pattern)
    if args.n > len(records):
        print(f"asked for {args.n} records, corpus has {len(records)}", file=sys.stderr)
        return 1
    rng = np.random.default_rng(args.seed)
    idx = rng.choice(len(records), size=args.n, replace=False)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        for i in idx:
            rec = records[int(i)]
            blind = {"id": rec["id"], "text": rec["text"], "channel": rec.get("channel")}
            fh.write(json.dumps(blind, ensure_ascii=False) + "\n")
    print(f"wrote {args.n} blind records (seed {args.seed}) from {len(records)} to {out}")
    return 0


def _fmt(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def cmd_kappa(args: argparse.Namespace) -> int:
    corpus = {rec["id"]: rec for rec in load_corpus(Path(args.corpus), args.pattern)}
    second = read_jsonl(args.second)
    ids = [r["id"] for r in second]
    if len(set(ids)) != len(ids):
        print("duplicate ids in the second-label file", file=sys.stderr)
        return 1
    missing = [r["id"] for r in second if r["id"] not in corpus]
    if missing:
        print(
            f"ids not in corpus: {missing[:10]}{' ...' if len(missing) > 10 else ''}",
            file=sys.stderr,
        )
        return 1
    out_dir = Path(args.out_dir) if args.out_dir else Path(args.second).parent
    out_dir.mkdir(parents=True, exist_ok=True)

    rows = []
    disagreements = []
    for col in COLUMNS:
        first_labels = [corpus[r["id"]][col] for r in second]
        second_labels = [r[col] for r in second]
        # str() so booleans and strings are treated as categorical labels alike
        a = [str(x).lower() if isinstance(x, bool) else str(x) for x in first_labels]
        b = [str(x).lower() if isinstance(x, bool) else str(x) for x in second_labels]
        agree = sum(x == y for x, y in zip(a, b, strict=True))
        if len(set(a) | set(b)) < 2:
            kappa = float("nan")  # undefined when only one label is ever used
        else:
            kappa = float(cohen_kappa_score(a, b))
        rows.append((col, len(a), agree, agree / len(a), kappa))
        for r, x, y in zip(second, first_labels, second_labels, strict=True):
            if x != y:
                disagreements.append(
                    {
                        "id": r["id"],
                        "text": corpus[r["id"]]["text"],
                        "head": col,
                        "first": x,
                        "second": y,
                    }
                )

    print(f"{'head/flag':<18} {'n':>4} {'agree':>6} {'raw':>6} {'kappa':>6}")
    for col, n, agree, raw, kappa in rows:
        print(f"{col:<18} {n:>4} {agree:>6} {raw:>6.3f} {_fmt(kappa):>6}")
    print(
        f"disagreements (record x head): {len(disagreements)} "
        f"across {len({d['id'] for d in disagreements})} records"
    )

    md = [
        "# Agreement: corpus labels (first) vs blind second labelling",
        "",
        f"Records compared: {len(second)}. Second labels: `{args.second}`.",
        "",
        "| head / flag | n | agreements | raw agreement | Cohen's kappa |",
        "|---|---:|---:|---:|---:|",
    ]
    for col, n, agree, raw, kappa in rows:
        md.append(f"| `{col}` | {n} | {agree} | {raw:.3f} | {_fmt(kappa)} |")
    md += [
        "",
        f"Disagreements (record x head): {len(disagreements)}, in "
        f"{len({d['id'] for d in disagreements})} records; listed in `disagreements.jsonl`.",
        "",
    ]
    (out_dir / "agreement.md").write_text("\n".join(md), encoding="utf-8")
    with open(out_dir / "disagreements.jsonl", "w", encoding="utf-8") as fh:
        for d in disagreements:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    print(f"wrote {out_dir / 'agreement.md'} and {out_dir / 'disagreements.jsonl'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--corpus",
        default=str(DEFAULT_CORPUS),
        help="folder of labelled *.jsonl files (default: %(default)s)",
    )
    parser.add_argument(
        "--pattern",
        default="*.jsonl",
        help="which files of --corpus to read, e.g. 'round*.jsonl' (default: %(default)s)",
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sample", help="write a blind sheet of randomly drawn records")
    p.add_argument("--n", type=int, default=330)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", default=str(DEFAULT_DIR / "sample_texts.jsonl"))
    p.set_defaults(func=cmd_sample)
    k = sub.add_parser("kappa", help="compare second labels with the corpus labels")
    k.add_argument("--second", default=str(DEFAULT_DIR / "second_labels.jsonl"))
    k.add_argument(
        "--out-dir",
        default=None,
        help="where to write agreement.md and disagreements.jsonl "
        "(default: the folder of --second)",
    )
    k.set_defaults(func=cmd_kappa)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
