"""``nlp-contact evaluate DATA --report DIR``: an HTML evaluation report with its charts.

The report directory gets ``report.html`` (self-contained: every chart embedded as a
base64 PNG), the same PNGs beside it, and ``report.json`` with every number shown.

Contents: per head, precision/recall/F1 per label, the confusion matrix and a
reliability diagram with the ECE; per flag, the precision-recall curve with the flag's
threshold marked and the recall reached there with its 95% Wilson interval, and a
reliability diagram; accuracy by slice (channel, text-length band, ``--slice`` columns);
and the most confident mistakes. Their texts are redacted with
:class:`nlp_contact.redact.Redactor` when it is available, left out when it is not, and
shown raw only when asked (``redact=False``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_curve

from nlp_contact.calibration import reliability_table
from nlp_contact.classifier import ContactClassifier
from nlp_contact.data import LabelledData
from nlp_contact.errors import NlpContactError
from nlp_contact.workflow import plots
from nlp_contact.workflow._eval import Scored, score_labelled
from nlp_contact.workflow._html import render_html
from nlp_contact.workflow.plots import png_name
from nlp_contact.workflow.slices import accuracy_by_slice, slice_values
from nlp_contact.workflow.stats import wilson_interval

REPORT_HTML = "report.html"
REPORT_JSON = "report.json"
RELIABILITY_BINS = 15
TOP_MISTAKES = 10
MAX_CURVE_POINTS = 400


def write_report(
    clf: ContactClassifier,
    metrics: Mapping[str, Any],
    data: LabelledData,
    out_dir: str | Path,
    slices: Sequence[str] = (),
    redact: bool = True,
    source: str = "",
) -> Path:
    """Write ``report.html``, ``report.json`` and the PNGs to ``out_dir``; returns the HTML path.

    Args:
        clf: the fitted classifier that was evaluated.
        metrics: :func:`nlp_contact.training.evaluate`'s metrics for ``data``.
        data: the evaluation data.
        out_dir: the report directory (created).
        slices: extra columns to slice accuracy by (channel and text length always are).
        redact: redact the texts of mistakes; ``False`` shows them raw.
        source: the data's name, shown in the report.
    """
    scored = score_labelled(clf, data)
    texts, note = report_texts(data.texts, redact)
    report = build_report(scored, metrics, data, slice_values(data, slices), texts, note)
    report["model"] = dict(clf.model_info)
    report["data"] = source
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    images = draw_images(report)
    for name, png in images.items():
        (out / name).write_bytes(png)
    (out / REPORT_JSON).write_text(json.dumps(report, indent=2, ensure_ascii=False), "utf-8")
    encoded = {name: base64.b64encode(png).decode("ascii") for name, png in images.items()}
    (out / REPORT_HTML).write_text(render_html(report, encoded), encoding="utf-8")
    return out / REPORT_HTML


def report_texts(texts: Sequence[str], redact: bool) -> tuple[Callable[[int], str] | None, str]:
    """How mistakes' texts are shown: a row -> text function (or None) and a note saying so."""
    if not redact:
        return (lambda i: texts[i]), "Texts are shown unredacted (--no-redact)."
    try:
        from nlp_contact.redact import Redactor

        redactor = Redactor()
    except (ImportError, NlpContactError) as exc:
        return None, f"Texts are left out: no redactor is available ({exc})."
    return (lambda i: redactor.redact(texts[i])), "Texts are redacted."


def build_report(
    scored: Scored,
    metrics: Mapping[str, Any],
    data: LabelledData,
    slices: Mapping[str, list[str]],
    texts: Callable[[int], str] | None,
    text_note: str,
) -> dict[str, Any]:
    """Every number of the report, JSON-ready (the charts are drawn from this alone)."""
    return {
        "n": len(data),
        "heads": {h: _head_section(scored, metrics["heads"][h], h) for h in scored.heads},
        "flags": {f: _flag_section(scored, metrics["flags"][f], f) for f in scored.flags},
        "slices": _slice_section(scored, slices),
        "mistakes": confident_mistakes(scored, data, texts),
        "text_note": text_note,
    }


def _head_section(scored: Scored, metrics: Mapping[str, Any], head: str) -> dict[str, Any]:
    labels = scored.labels[head]
    y, pred = scored.truth[head], scored.pred[head]
    matrix = confusion_matrix(y, pred, labels=list(range(len(labels))))
    return {
        "metrics": dict(metrics),
        "labels": labels,
        "confusion": matrix.tolist(),
        "reliability": reliability_table(
            scored.confidence(head), (y == pred).astype(float), RELIABILITY_BINS
        ),
    }


def flag_recall(y: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    """Rows caught among the positives, the recall and its 95% Wilson interval."""
    positives = int(y.sum())
    caught = int((y & pred).sum())
    low, high = wilson_interval(caught, positives)
    return {
        "caught": caught,
        "positives": positives,
        "recall": caught / positives if positives else None,
        "recall_low": low,
        "recall_high": high,
    }


def _flag_section(scored: Scored, metrics: Mapping[str, Any], flag: str) -> dict[str, Any]:
    y, prob = scored.truth[flag], scored.probs[flag]
    at = {**flag_recall(y, scored.pred[flag]), "threshold": scored.thresholds[flag]}
    at["precision"] = metrics["precision"]
    section: dict[str, Any] = {
        "metrics": dict(metrics),
        "at_threshold": at,
        "reliability": reliability_table(prob, y.astype(float), RELIABILITY_BINS),
        "pr_curve": None,
    }
    if 0 < y.sum() < len(y):
        precision, recall, _ = precision_recall_curve(y, prob)
        keep = np.unique(np.linspace(0, len(recall) - 1, MAX_CURVE_POINTS).astype(int))
        section["pr_curve"] = {
            "precision": precision[keep].tolist(),
            "recall": recall[keep].tolist(),
        }
    return section


def _slice_section(scored: Scored, slices: Mapping[str, list[str]]) -> dict[str, Any]:
    correct = scored.correct()
    positives = {f: scored.truth[f] for f in scored.flags}
    return {col: accuracy_by_slice(values, correct, positives) for col, values in slices.items()}


def confident_mistakes(
    scored: Scored, data: LabelledData, texts: Callable[[int], str] | None, k: int = TOP_MISTAKES
) -> list[dict[str, Any]]:
    """For each head and flag, the ``k`` wrong predictions the model was surest of."""
    out: list[dict[str, Any]] = []
    for output in [*scored.heads, *scored.flags]:
        conf = scored.confidence(output)
        wrong = np.flatnonzero(scored.pred[output] != scored.truth[output])
        for i in wrong[np.argsort(-conf[wrong], kind="stable")][:k]:
            row = {
                "output": output,
                "row": int(i) + 1,
                "id": data.ids[i],
                "given": _name(scored, output, scored.truth[output][i]),
                "predicted": _name(scored, output, scored.pred[output][i]),
                "confidence": float(conf[i]),
            }
            if texts is not None:
                row["text"] = texts(int(i))
            out.append(row)
    return out


def _name(scored: Scored, output: str, value: Any) -> str:
    if output in scored.labels:
        return scored.labels[output][int(value)]
    return "true" if bool(value) else "false"


def draw_images(report: Mapping[str, Any]) -> dict[str, bytes]:
    """Every chart of the report: file name -> PNG bytes."""
    images: dict[str, bytes] = {}
    for head, sec in report["heads"].items():
        images[png_name("prf", head)] = plots.per_label_bars(head, sec["metrics"]["per_label"])
        images[png_name("confusion", head)] = plots.confusion(head, sec["labels"], sec["confusion"])
        images[png_name("reliability", head)] = plots.reliability(
            head, sec["reliability"], sec["metrics"]["ece"], "accuracy"
        )
    for flag, sec in report["flags"].items():
        if sec["pr_curve"] is not None:
            images[png_name("pr", flag)] = plots.pr_curve(
                flag, sec["pr_curve"], sec["at_threshold"]
            )
        images[png_name("reliability", flag)] = plots.reliability(
            flag, sec["reliability"], sec["metrics"]["ece"], "share true"
        )
    outputs = [*report["heads"], *report["flags"]]
    for column, rows in report["slices"].items():
        images[png_name("slice", column)] = plots.slice_bars(column, rows, outputs)
    return images
