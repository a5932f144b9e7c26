"""What each training source adds: train on hand-written only, generated only, and the mix,
and evaluate each on the hand-written dev set.

Usage: python training/source_ablation.py [--synth-n 5000] [--weight 0.2] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp_contact import ContactClassifier, load_config, load_taxonomy  # noqa: E402
from nlp_contact.training import evaluate, train  # noqa: E402

DEV = ROOT / "training/data/dev/dev_handwritten.jsonl"


def run(name: str, overrides: list[str], use_files: bool, tmp: Path) -> dict:
    cfg = load_config(ROOT / "training/configs/default_model.toml", overrides)
    sources = (
        [s.model_copy(update={"path": str(ROOT / s.path)}) for s in cfg.sources]
        if use_files
        else []
    )
    cfg.sources = []
    out = tmp / name
    if sources:
        train(sources, out, cfg, load_taxonomy(), name=name)
    else:
        _train_synth_only(cfg, out)
    metrics, _, _ = evaluate(ContactClassifier.load(out), DEV)
    return metrics


def _train_synth_only(cfg, out: Path) -> None:
    from nlp_contact.training import synth_source

    cfg.synth.hold_out = True  # nothing else to calibrate on
    generated = synth_source(cfg, load_taxonomy())
    assert generated is not None
    data, _ = generated
    clf = ContactClassifier(load_taxonomy(), cfg).fit_data(data)
    clf.save(out, name="synth-only")


def row(name: str, m: dict) -> str:
    h, f = m["heads"], m["flags"]
    return (
        f"| {name} | {h['contact_reason']['macro_f1']:.3f} | {h['value_status']['accuracy']:.3f} | "
        f"{h['avoidable_reason']['macro_f1']:.3f} | {h['feedback_type']['macro_f1']:.3f} | "
        f"{f['staff_behaviour']['f1']:.3f} | {f['third_party']['f1']:.3f} | "
        f"{f['vulnerability']['recall']:.3f} / {f['vulnerability']['precision']:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--synth-n", type=int, default=5000)
    parser.add_argument("--weight", type=float, default=0.2)
    parser.add_argument("--out", default="training/results/source_ablation.md")
    args = parser.parse_args()
    lines = [
        "| training data | contact_reason macro-F1 | value_status acc | avoidable_reason macro-F1 "
        "| feedback_type macro-F1 | staff_behaviour F1 | third_party F1 "
        "| vulnerability recall / precision |",
        "|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        runs = [
            ("hand-written only", ["--synth.n", "0"], True),
            (f"generated only ({args.synth_n})", ["--synth.n", str(args.synth_n)], False),
            (
                f"hand-written + generated ({args.synth_n} at weight {args.weight})",
                ["--synth.n", str(args.synth_n), "--synth.weight", str(args.weight)],
                True,
            ),
        ]
        for name, overrides, use_files in runs:
            metrics = run(name.split(" ")[0], overrides, use_files, Path(tmp))
            lines.append(row(name, metrics))
            print(lines[-1], flush=True)
    out = ROOT / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "Dev set: training/data/dev/dev_handwritten.jsonl. Command: "
        f"`python training/source_ablation.py --synth-n {args.synth_n} --weight {args.weight}`\n\n"
        + "\n".join(lines)
        + "\n"
    )


if __name__ == "__main__":
    main()
