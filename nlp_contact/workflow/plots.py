"""The report's charts, drawn with matplotlib's Agg backend into PNG bytes.

Every function takes plain numbers (the report's data) and returns PNG bytes; none keeps
global pyplot state, so they are safe in servers, tests and notebooks alike.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from nlp_contact.workflow._extras import require

DPI = 100
WIDTH = 7.0


def png_name(kind: str, name: str) -> str:
    """A safe PNG file name for a chart of ``kind`` about ``name``."""
    return f"{kind}_{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"


def _figure(height: float, width: float = WIDTH) -> Any:
    figure_mod = require("matplotlib.figure", "matplotlib")
    agg = require("matplotlib.backends.backend_agg", "matplotlib")
    fig = figure_mod.Figure(figsize=(width, height), dpi=DPI)
    agg.FigureCanvasAgg(fig)
    return fig


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()


def per_label_bars(head: str, per_label: Mapping[str, Mapping[str, float]]) -> bytes:
    """Horizontal bars of precision, recall and F1 for every label of a head."""
    labels = list(per_label)
    fig = _figure(height=1.2 + 0.32 * len(labels) * 1.5)
    ax = fig.add_subplot()
    y = np.arange(len(labels))
    for k, (metric, colour) in enumerate(
        (("precision", "#1f77b4"), ("recall", "#ff7f0e"), ("f1", "#2ca02c"))
    ):
        values = [per_label[label][metric] for label in labels]
        ax.barh(y + (k - 1) * 0.27, values, height=0.27, label=metric, color=colour)
    support = [per_label[label]["support"] for label in labels]
    ax.set_yticks(y, [f"{label} (n={s})" for label, s in zip(labels, support, strict=True)])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("score")
    ax.set_title(f"{head}: precision, recall and F1 per label")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    return _png(fig)


def confusion(head: str, labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> bytes:
    """Confusion matrix (rows: given label, columns: predicted), coloured by row share."""
    m = np.asarray(matrix, dtype=float)
    share = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    size = min(3.0 + 0.45 * len(labels), 22.0)
    fig = _figure(height=size, width=size + 1)
    ax = fig.add_subplot()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the given label's rows")
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, labels, rotation=90)
    ax.set_yticks(ticks, labels)
    if len(labels) <= 15:
        for i in range(len(labels)):
            for j in range(len(labels)):
                if m[i, j]:
                    colour = "white" if share[i, j] > 0.5 else "black"
                    ax.text(j, i, int(m[i, j]), ha="center", va="center", color=colour, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("given")
    ax.set_title(f"{head}: confusion matrix")
    return _png(fig)


def reliability(title: str, table: Sequence[Mapping[str, float]], ece: float, what: str) -> bytes:
    """Reliability diagram: per-bin observed frequency against mean predicted probability."""
    fig = _figure(height=4.6, width=5.2)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    conf = [r["confidence"] for r in table]
    acc = [r["accuracy"] for r in table]
    counts = np.asarray([r["count"] for r in table], dtype=float)
    sizes = 20 + 200 * counts / max(counts.max(), 1) if len(counts) else []
    ax.plot(conf, acc, color="#1f77b4")
    ax.scatter(conf, acc, s=sizes, color="#1f77b4", label="bins (area: rows)", zorder=3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel(what)
    ax.set_title(f"{title}: reliability (ECE {ece:.3f})")
    ax.legend(loc="upper left", fontsize="small")
    return _png(fig)


def pr_curve(flag: str, curve: Mapping[str, Sequence[float]], at: Mapping[str, Any]) -> bytes:
    """Precision-recall curve with the flag's threshold and its recall interval marked."""
    fig = _figure(height=4.6, width=5.6)
    ax = fig.add_subplot()
    ax.plot(curve["recall"], curve["precision"], color="#1f77b4", label="precision-recall")
    r, p = at["recall"], at["precision"]
    err = [[r - at["recall_low"]], [at["recall_high"] - r]]
    ax.errorbar(
        [r],
        [p],
        xerr=err,
        fmt="o",
        color="#d62728",
        capsize=4,
        label=f"threshold {at['threshold']:.3f}: recall {r:.2f} "
        f"[{at['recall_low']:.2f}, {at['recall_high']:.2f}]",
    )
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(f"{flag}: precision-recall ({at['caught']}/{at['positives']} caught)")
    ax.legend(loc="lower left", fontsize="small")
    return _png(fig)


def slice_bars(column: str, rows: Sequence[Mapping[str, Any]], outputs: Sequence[str]) -> bytes:
    """Grouped bars: each output's accuracy in each slice."""
    names = [f"{r['slice']} (n={r['n']})" for r in rows]
    fig = _figure(height=1.4 + 0.22 * len(names) * max(len(outputs), 1))
    ax = fig.add_subplot()
    y = np.arange(len(names))
    width = 0.8 / max(len(outputs), 1)
    for k, output in enumerate(outputs):
        values = [r["accuracy"][output] for r in rows]
        ax.barh(y + (k - (len(outputs) - 1) / 2) * width, values, height=width, label=output)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("accuracy")
    ax.set_title(f"accuracy by {column}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="x-small")
    return _png(fig)
