"""Train the shipped default model, evaluate it on the hand-written dev set, write its card.

Usage (from the project root):
    python training/build_default_model.py [--config training/configs/default_model.toml]
        [--out models/default] [--dev training/data/dev/dev_handwritten.jsonl]

The same data, config and seed give the same metrics. The card gets the dev-set metrics
per head and label, ECE with a reliability plot, the contact_reason confusion matrix as
a picture, and the flag thresholds with the recall they reach.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp_contact import ContactClassifier, load_config, load_taxonomy  # noqa: E402
from nlp_contact.artifacts import update_meta  # noqa: E402
from nlp_contact.calibration import reliability_table  # noqa: E402
from nlp_contact.training import evaluate, train  # noqa: E402

CARD_DIR = "card"


def plot_reliability(metrics_probs: dict, clf: ContactClassifier, data, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    heads = clf.taxonomy_.head_names
    fig, axes = plt.subplots(1, len(heads), figsize=(3.2 * len(heads), 3.2), dpi=90)
    for ax, head in zip(np.atleast_1d(axes), heads, strict=True):
        names = clf.taxonomy_.heads[head].label_names
        probs = metrics_probs[head]
        y = np.array([names.index(v) for v in data.labels[head]])
        pred = probs.argmax(axis=1)
        conf = probs.max(axis=1)
        rows = reliability_table(conf, (pred == y).astype(float), bins=10)
        ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--")
        ax.plot(
            [r["confidence"] for r in rows], [r["accuracy"] for r in rows], "o-", color="#1f5fa8"
        )
        ax.set_title(head, fontsize=9)
        ax.set_xlabel("confidence", fontsize=8)
        ax.set_ylabel("accuracy", fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_confusion(clf: ContactClassifier, data, probs: dict, head: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    names = clf.taxonomy_.heads[head].label_names
    y = np.array([names.index(v) for v in data.labels[head]])
    cm = confusion_matrix(y, probs[head].argmax(axis=1), labels=range(len(names)))
    fig, ax = plt.subplots(figsize=(7, 6), dpi=90)
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    for i in range(len(names)):
        for j in range(len(names)):
            if cm[i, j]:
                color = "white" if cm[i, j] > cm.max() / 2 else "black"
                ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=7, color=color)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{head}: confusion matrix on the dev set")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def card_extra(metrics: dict, dev: str, train_seconds: float) -> str:
    lines = [
        "## Pictures (hand-written dev set)",
        "",
        "![reliability](card/reliability.png)",
        "",
        "![contact_reason confusion matrix](card/confusion_contact_reason.png)",
        "",
        "## Flag thresholds and the recall they reach on the dev set",
        "",
        "| flag | threshold | recall | precision |",
        "|---|---|---|---|",
    ]
    for flag, m in metrics["flags"].items():
        lines.append(
            f"| {flag} | {m['threshold']:.3f} | {m['recall']:.3f} | {m['precision']:.3f} |"
        )
    lines += ["", f"Training time: {train_seconds:.0f} s on this machine.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="training/configs/default_model.toml")
    parser.add_argument("--out", default="models/default")
    parser.add_argument("--dev", default="training/data/dev/dev_handwritten.jsonl")
    parser.add_argument(
        "--skip-train", action="store_true", help="Reuse the model in --out; only evaluate."
    )
    args = parser.parse_args()
    os.chdir(ROOT)  # source paths in the config, meta and card stay relative to the repository
    cfg = load_config(args.config)
    out = Path(args.out)
    start = time.perf_counter()
    if args.skip_train:
        seconds = float(json.loads((out / "meta.json").read_text()).get("train_seconds", 0))
    else:
        train(cfg.sources, out, cfg, load_taxonomy(), name="default")
        seconds = time.perf_counter() - start
    clf = ContactClassifier.load(out)
    metrics, data, probs = evaluate(clf, args.dev)
    (out / CARD_DIR).mkdir(exist_ok=True)
    plot_reliability(probs, clf, data, out / CARD_DIR / "reliability.png")
    plot_confusion(
        clf, data, probs, "contact_reason", out / CARD_DIR / "confusion_contact_reason.png"
    )
    title = f"Hand-written dev set ({args.dev}, {metrics['n']} rows, never trained on)"
    pictures = (f"{CARD_DIR}/reliability.png", f"{CARD_DIR}/confusion_contact_reason.png")
    update_meta(
        out,
        {
            "evaluations": {title: metrics},
            "train_seconds": round(seconds, 1),
            "card_extra": card_extra(metrics, args.dev, seconds),
            "reproduce": (
                "python training/build_default_model.py\n"
                f"nlp-contact evaluate {args.dev} --model {args.out}"
            ),
        },
        new_files=pictures,
    )
    summary = {h: round(m["macro_f1"], 3) for h, m in metrics["heads"].items()}
    summary.update(
        {
            f: {k: round(m[k], 3) for k in ("precision", "recall", "f1")}
            for f, m in metrics["flags"].items()
        }
    )
    print(
        json.dumps(
            {"model": str(out), "train_seconds": round(seconds, 1), "dev": summary}, indent=2
        )
    )


if __name__ == "__main__":
    main()
