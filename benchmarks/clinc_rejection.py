"""Out-of-scope rejection signals on CLINC150 full, compared on the validation split.

Trains the chosen recipe on CLINC150's train split (out-of-scope rows are the ``oos``
label), re-learns the temperature on val + oos_val, and compares rejection scores:

- ``maxprob``: the best in-scope calibrated probability (the product's mechanism);
- ``knn1`` / ``knn5``: mean cosine similarity of the sentence embedding to the 1 / 5
  nearest in-scope training texts (embeddings preset only);
- ``classnn``: cosine similarity to the nearest training text of the predicted label;
- ``maxprob+knn5`` / ``maxprob+classnn``: the sum of the two scores, each z-scored on val.

The signal is chosen by its AUROC (in-scope vs out-of-scope) on val + oos_val; every
threshold is set on val for a target out-of-scope recall. Test figures are printed
beside them to report, not to choose.

Usage:
    python benchmarks/clinc_rejection.py [--data ../shared/data] [--cache FILE.npz]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _datasets as datasets  # noqa: E402
import public  # noqa: E402

from nlp_contact import ContactClassifier  # noqa: E402
from nlp_contact.calibration import apply_temperature, fit_temperature  # noqa: E402
from nlp_contact.config import apply_overrides, config_from_dict, parse_overrides  # noqa: E402

PRESET = ['--linear.features.embeddings="minilm"', "--linear.features.min_df=1"]
TARGETS = (0.75, 0.85, 0.90)


def scores(root: Path, cache: Path | None) -> dict[str, np.ndarray]:
    """Logits and embeddings of val and test, from a fitted preset model (cached)."""
    if cache is not None and cache.exists():
        return dict(np.load(cache))
    bench = datasets.load("clinc150", "full", root)
    config = config_from_dict(
        apply_overrides({"train": {"backend": "linear"}}, parse_overrides(PRESET))
    )
    clf = ContactClassifier(public.make_taxonomy(bench), config)
    clf.fit(bench.train.texts, {public.HEAD: bench.train.labels})
    names = clf.taxonomy_.heads[public.HEAD].label_names
    encoder = clf.backend_.featurizer_.encoder_
    out = {
        "sv": clf.backend_.decision_scores(bench.val.texts)[public.HEAD],
        "st": clf.backend_.decision_scores(bench.test.texts)[public.HEAD],
        "yv": np.array([names.index(x) for x in bench.val.labels]),
        "yt": np.array([names.index(x) for x in bench.test.labels]),
        "Etr": encoder.encode(bench.train.texts),
        "Ev": encoder.encode(bench.val.texts),
        "Et": encoder.encode(bench.test.texts),
        "trlab": np.array([names.index(x) for x in bench.train.labels]),
        "oos": np.array(names.index(datasets.OOS)),
    }
    if cache is not None:
        np.savez(cache, **out)
    return out


def signals(d: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(val, test) rejection scores per signal: higher means more in-scope."""
    oos = int(d["oos"])
    temperature = fit_temperature(d["sv"], d["yv"])
    pv, pt = apply_temperature(d["sv"], temperature), apply_temperature(d["st"], temperature)
    inside = d["trlab"] != oos
    train_emb, train_lab = d["Etr"][inside], d["trlab"][inside]

    def maxprob(p: np.ndarray) -> np.ndarray:
        best = np.delete(p, oos, 1).max(1)
        return np.where(p.argmax(1) == oos, -1.0, best)

    def knn(emb: np.ndarray, k: int) -> np.ndarray:
        return np.sort(emb @ train_emb.T, axis=1)[:, -k:].mean(1)

    def classnn(emb: np.ndarray, p: np.ndarray) -> np.ndarray:
        pred = np.delete(p, oos, 1).argmax(1)
        pred = pred + (pred >= oos)
        sims, out = emb @ train_emb.T, np.empty(len(emb))
        for label in np.unique(pred):
            rows = pred == label
            out[rows] = sims[np.ix_(rows, train_lab == label)].max(1)
        return out

    base = {
        "maxprob": (maxprob(pv), maxprob(pt)),
        "knn1": (knn(d["Ev"], 1), knn(d["Et"], 1)),
        "knn5": (knn(d["Ev"], 5), knn(d["Et"], 5)),
        "classnn": (classnn(d["Ev"], pv), classnn(d["Et"], pt)),
    }
    for other in ("knn5", "classnn"):
        (a, b), (c, e) = base["maxprob"], base[other]
        base[f"maxprob+{other}"] = (_z(a, a) + _z(c, c), _z(b, a) + _z(e, c))
    base["_pred"] = (pv.argmax(1), pt.argmax(1))
    return base


def _z(x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    return (x - ref.mean()) / ref.std()


def report(d: dict[str, np.ndarray]) -> str:
    sig = signals(d)
    oos = int(d["oos"])
    predv, predt = sig.pop("_pred")
    is_v, is_t = d["yv"] == oos, d["yt"] == oos
    lines = [
        "| signal | val AUROC | "
        + " | ".join(f"val recall {t:.2f}: test in-scope / OOS recall" for t in TARGETS)
        + " |",
        "|---|---:|" + "---:|" * len(TARGETS),
    ]
    for name, (val, test) in sig.items():
        cells = []
        for target in TARGETS:
            threshold = np.sort(val[is_v])[int(np.ceil(target * is_v.sum())) - 1] + 1e-9
            rejected = (test < threshold) | (predt == oos)
            in_scope = ((predt == d["yt"]) & ~rejected)[~is_t].mean()
            cells.append(f"{in_scope * 100:.2f} / {rejected[is_t].mean() * 100:.1f}")
        auroc = roc_auc_score(~is_v, val)
        lines.append(f"| {name} | {auroc:.4f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="data folder (default: ../shared/data)")
    parser.add_argument("--cache", type=Path, help="npz of scores to reuse between runs")
    args = parser.parse_args(argv)
    print(report(scores(datasets.data_root(args.data), args.cache)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
