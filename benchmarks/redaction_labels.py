"""Does redaction keep what the classifier needs? Classify the hand-written dev set raw and
redacted and count the rows whose labels are all unchanged.

Usage: python benchmarks/redaction_labels.py [--model models/default]
       [--data training/data/dev/dev_handwritten.jsonl]
       [--out benchmarks/results/redaction_labels.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp_contact import ContactClassifier  # noqa: E402
from nlp_contact.redact import Redactor  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models/default"))
    parser.add_argument("--data", default=str(ROOT / "training/data/dev/dev_handwritten.jsonl"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/redaction_labels.md"))
    args = parser.parse_args()
    texts = [json.loads(line)["text"] for line in Path(args.data).read_text().splitlines() if line]
    clf = ContactClassifier.load(args.model)
    redacted = Redactor().redact_batch(texts)
    raw, red = clf.predict(texts), clf.predict(redacted)
    outputs = clf.taxonomy_.head_names + clf.taxonomy_.flag_names

    def labels(p):  # type: ignore[no-untyped-def]
        return {**p.labels, **{f: v.value for f, v in p.flags.items()}}

    same_all = sum(labels(a) == labels(b) for a, b in zip(raw, red, strict=True))
    same_heads = sum(a.labels == b.labels for a, b in zip(raw, red, strict=True))
    per_output = {
        o: sum(labels(a)[o] == labels(b)[o] for a, b in zip(raw, red, strict=True)) / len(texts)
        for o in outputs
    }
    changed = sum(a != b for a, b in zip(texts, redacted, strict=True))
    lines = [
        f"Model `{args.model}`, data `{args.data}` "
        f"({len(texts)} rows, {changed} changed by redaction).",
        "",
        "| measure | share of rows with the same labels |",
        "|---|---|",
        f"| every head and flag | {same_all / len(texts):.3f} ({same_all}/{len(texts)}) |",
        f"| the four heads | {same_heads / len(texts):.3f} ({same_heads}/{len(texts)}) |",
        *[f"| {o} | {v:.3f} |" for o, v in per_output.items()],
        "",
        "Command: `python benchmarks/redaction_labels.py`",
    ]
    print("\n".join(lines))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
