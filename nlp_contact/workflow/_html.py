"""The evaluation report as one self-contained HTML page (charts inlined as base64 PNGs)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from nlp_contact.workflow.plots import png_name

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1, h2, h3 { color: #0b3d6e; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; vertical-align: top; }
th { background: #eef3f8; }
td.l, th.l { text-align: left; }
td.text { text-align: left; max-width: 40em; white-space: pre-wrap; }
img { max-width: 100%; border: 1px solid #ddd; margin: 0.3em 0; }
.note { background: #fff8e0; padding: 0.5em 1em; border-left: 4px solid #e0b000; }
"""


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return escape(str(value))


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]], left: int = 1) -> str:
    """An HTML table; the first ``left`` columns are left-aligned text."""
    head = "".join(
        f"<th class='l'>{escape(h)}</th>" if i < left else f"<th>{escape(h)}</th>"
        for i, h in enumerate(header)
    )
    body = []
    for row in rows:
        cells = "".join(
            f"<td class='l'>{escape(str(v))}</td>" if i < left else f"<td>{_num(v)}</td>"
            for i, v in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _img(images: Mapping[str, str], name: str, alt: str) -> str:
    if name not in images:
        return ""
    return (
        f"<figure><img src='data:image/png;base64,{images[name]}' alt='{escape(alt)}'>"
        f"<figcaption>{escape(name)}</figcaption></figure>"
    )


def _head_html(head: str, sec: Mapping[str, Any], images: Mapping[str, str]) -> str:
    m = sec["metrics"]
    rows = [
        (label, v["precision"], v["recall"], v["f1"], v["support"])
        for label, v in m["per_label"].items()
    ]
    return "".join(
        [
            f"<h3>{escape(head)}</h3>",
            f"<p>accuracy {_num(m['accuracy'])}, macro-F1 {_num(m['macro_f1'])}, "
            f"ECE {_num(m['ece'])} (n={m['n']})</p>",
            _table(["label", "precision", "recall", "F1", "support"], rows),
            _img(images, png_name("prf", head), f"{head} precision recall F1"),
            _img(images, png_name("confusion", head), f"{head} confusion matrix"),
            _img(images, png_name("reliability", head), f"{head} reliability diagram"),
        ]
    )


def _flag_html(flag: str, sec: Mapping[str, Any], images: Mapping[str, str]) -> str:
    m, at = sec["metrics"], sec["at_threshold"]
    recall = (
        f"recall {_num(at['recall'])} ({at['caught']} of {at['positives']} caught), 95% Wilson "
        f"interval [{_num(at['recall_low'])}, {_num(at['recall_high'])}]"
    )
    return "".join(
        [
            f"<h3>{escape(flag)}</h3>",
            f"<p>threshold {_num(at['threshold'], 4)}: {recall}; precision "
            f"{_num(m['precision'])}, F1 {_num(m['f1'])}, ECE {_num(m['ece'])}.</p>",
            _img(images, png_name("pr", flag), f"{flag} precision-recall curve"),
            _img(images, png_name("reliability", flag), f"{flag} reliability diagram"),
        ]
    )


def _recall_cell(r: Mapping[str, Any]) -> str:
    if not r["positives"]:
        return "no positives"
    return f"{r['recall']:.3f} ({r['caught']}/{r['positives']})"


def _slices_html(
    slices: Mapping[str, Any], outputs: Sequence[str], images: Mapping[str, str]
) -> str:
    parts = []
    for column, rows in slices.items():
        flags = list(rows[0].get("recall", {})) if rows else []
        table_rows = [
            (
                r["slice"],
                r["n"],
                *(r["accuracy"][o] for o in outputs),
                *(_recall_cell(r["recall"][f]) for f in flags),
            )
            for r in rows
        ]
        header = [column, "n", *(f"{o} accuracy" for o in outputs), *(f"{f} recall" for f in flags)]
        parts += [
            f"<h3>by {escape(column)}</h3>",
            _table(header, table_rows),
            _img(images, png_name("slice", column), f"accuracy by {column}"),
        ]
    return "".join(parts)


def _mistakes_html(mistakes: Sequence[Mapping[str, Any]], note: str) -> str:
    with_text = any("text" in m for m in mistakes)
    header = ["output", "row", "id", "given", "predicted", "confidence"]
    out = [f"<p class='note'>{escape(note)}</p>"]
    rows = []
    for m in mistakes:
        cells = [m["output"], m["row"], m["id"] or "", m["given"], m["predicted"], m["confidence"]]
        row = "".join(
            f"<td class='l'>{escape(str(v))}</td>" if i != 5 else f"<td>{_num(v)}</td>"
            for i, v in enumerate(cells)
        )
        if with_text:
            row += f"<td class='text'>{escape(str(m.get('text', '')))}</td>"
        rows.append(f"<tr>{row}</tr>")
    heads = "".join(f"<th class='l'>{h}</th>" for h in [*header, *(["text"] if with_text else [])])
    out.append(f"<table><tr>{heads}</tr>{''.join(rows)}</table>")
    return "".join(out)


def render_html(report: Mapping[str, Any], images: Mapping[str, str]) -> str:
    """The report page; ``images`` maps PNG file names to base64 text."""
    model = report.get("model", {})
    outputs = [*report["heads"], *report["flags"]]
    title = f"Evaluation of {model.get('name', 'model')} {model.get('version', '')}".strip()
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p>Data: {escape(str(report.get('data', '')))}, {report['n']} rows.</p>",
        "<h2>Heads</h2>",
        *(_head_html(h, s, images) for h, s in report["heads"].items()),
        "<h2>Flags</h2>" if report["flags"] else "",
        *(_flag_html(f, s, images) for f, s in report["flags"].items()),
        "<h2>Accuracy by slice</h2>",
        _slices_html(report["slices"], outputs, images),
        "<h2>Most confident mistakes</h2>",
        _mistakes_html(report["mistakes"], report["text_note"]),
    ]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
