"""The report as one self-contained HTML page: tables, and bar charts with 95% error bars
drawn with matplotlib's Agg backend and embedded as base64 PNGs.

matplotlib (the ``workflow`` extra) is imported only when charts are drawn; without it
the page is written without charts and says how to install them.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from html import escape
from typing import Any

from nlp_contact.report._plan import COUNT
from nlp_contact.workflow._extras import WorkflowNotInstalledError, require

DPI = 100
COLOURS = {"expected": "#1f6fb4", "hard_labels": "#8c8c8c", "audit_corrected": "#d9730d"}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1, h2 { color: #0b3d6e; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #eef3f8; }
td.l, th.l { text-align: left; }
img { max-width: 100%; border: 1px solid #ddd; }
.note { background: #fff8e0; padding: 0.5em 1em; border-left: 4px solid #e0b000; }
.headline { font-size: 1.3em; }
"""

Row = dict[str, Any]


def render_html(summary: dict[str, Any], rows: list[Row], charts: bool = True) -> str:
    """The whole page."""
    images, missing = _charts(rows) if charts else ({}, None)
    parts = [f"<h1>Avoidable contact report</h1>{_overview(summary)}"]
    if missing:
        parts.append(f"<p class='note'>Charts left out: {escape(missing)}</p>")
    for measure in dict.fromkeys(r["measure"] for r in rows):
        mrows = _by_group([r for r in rows if r["measure"] == measure])
        parts.append(f"<h2>{escape(_title(measure))}</h2>")
        if measure in images:
            parts.append(
                f"<img src='data:image/png;base64,{images[measure]}' alt='{escape(measure)}'>"
            )
        parts.append(_measure_table(measure, mrows))
    parts.append(_audit_html(summary.get("audit")))
    parts.append(_methods_html(summary))
    body = "\n".join(p for p in parts if p)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Avoidable contact report</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _by_group(rows: list[Row]) -> list[Row]:
    """Rows of one measure with each group's methods side by side."""
    order = {g: i for i, g in enumerate(dict.fromkeys(r["group"] for r in rows))}
    return sorted(rows, key=lambda r: order[r["group"]])


def _title(measure: str) -> str:
    if measure == COUNT:
        return "Counts of contacts"
    if measure == "share":
        return "Shares of contacts"
    return measure.replace("_", " ").capitalize()


def _fmt(value: Any, measure: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if measure == COUNT:
        return f"{value:,.0f}"
    return f"{100 * value:.1f}%"


def _interval(row: Row) -> str:
    if row["ci_low"] is None:
        return "n/a"
    return f"{_fmt(row['ci_low'], row['measure'])} to {_fmt(row['ci_high'], row['measure'])}"


def _measure_table(measure: str, rows: Sequence[Row]) -> str:
    body = "".join(
        f"<tr><td class='l'>{escape(str(r['group']))}</td><td>{_fmt(r['estimate'], measure)}"
        f"</td><td>{_interval(r)}</td><td>{_n(r['n'])}</td>"
        f"<td class='l'>{escape(r['method'])}</td></tr>"
        for r in rows
    )
    head = (
        "<tr><th class='l'>group</th><th>estimate</th><th>95% interval</th><th>n</th>"
        "<th class='l'>method</th></tr>"
    )
    return f"<table>{head}{body}</table>"


def _n(n: Any) -> str:
    return "n/a" if n is None else f"{n:,}"


def _overview(summary: dict[str, Any]) -> str:
    rows, tax = summary["rows"], summary["taxonomy"]
    lines = [
        f"<p>Source: <code>{escape(summary['source'])}</code>; taxonomy "
        f"<code>{escape(tax['name'])}</code> v{escape(tax['version'])}"
        f" (from {escape(tax['from'])}).</p>",
        f"<p>Rows read {rows['read']:,}; reported on {rows['used']:,}; with errors "
        f"{rows['with_errors']:,}; without predictions {rows['without_predictions']:,}.</p>",
    ]
    head = [_headline_item(name, v) for name, v in summary["headline"].items()]
    lines.append(f"<ul class='headline'>{''.join(head)}</ul>")
    if summary["notes"]:
        notes = "".join(f"<li>{escape(n)}</li>" for n in summary["notes"])
        lines.append(f"<div class='note'><b>Notes</b><ul>{notes}</ul></div>")
    return "\n".join(lines)


def _headline_item(name: str, value: dict[str, Any]) -> str:
    measure = COUNT if name.startswith("count:") else name
    row = {**value, "measure": measure}
    return (
        f"<li>{escape(name)}: <b>{_fmt(value['estimate'], measure)}</b> "
        f"(95% interval {_interval(row)}, {escape(value['method'])})</li>"
    )


def _audit_html(audit: dict[str, Any] | None) -> str:
    if not audit:
        return ""
    body = "".join(
        f"<tr><td class='l'>{escape(q)}</td><td>{r['audit_rows']}</td><td>{r['truly_yes']}</td>"
        f"<td>{_rate(r['sensitivity'])}</td><td>{_rate(r['specificity'])}</td></tr>"
        for q, r in audit["error_rates"].items()
    )
    return (
        f"<h2>Audit sample</h2><p><code>{escape(audit['file'])}</code>, {audit['rows']} rows."
        "</p><table><tr><th class='l'>quantity</th><th>rows</th><th>truly yes</th>"
        f"<th>sensitivity</th><th>specificity</th></tr>{body}</table>"
    )


def _rate(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _methods_html(summary: dict[str, Any]) -> str:
    items = "".join(
        f"<li><b>{escape(m)}</b>: {escape(text)}</li>" for m, text in summary["methods"].items()
    )
    basis = "".join(f"<li>{escape(o)}: {escape(b)}</li>" for o, b in summary["basis"].items())
    return (
        f"<h2>Methods</h2><ul>{items}</ul><p>Where each output's numbers come from:</p>"
        f"<ul>{basis}</ul>"
    )


def _charts(rows: list[Row]) -> tuple[dict[str, str], str | None]:
    """measure -> base64 PNG, for every measure with several groups."""
    try:
        require("matplotlib", "matplotlib")
    except WorkflowNotInstalledError as exc:
        return {}, str(exc)
    images = {}
    for measure in dict.fromkeys(r["measure"] for r in rows):
        mrows = [r for r in rows if r["measure"] == measure]
        groups = list(dict.fromkeys(r["group"] for r in mrows))
        if len(groups) < 2 or measure == "share":
            continue
        png = bar_chart(
            _title(measure),
            groups,
            mrows,
            percent=measure != COUNT,
            vertical=measure.endswith("_by_period"),
        )
        images[measure] = base64.b64encode(png).decode("ascii")
    return images, None


def bar_chart(
    title: str, groups: list[str], rows: Sequence[Row], percent: bool, vertical: bool
) -> bytes:
    """Bars of every method's estimate per group, with 95% error bars, as PNG bytes."""
    figure_mod = require("matplotlib.figure", "matplotlib")
    agg = require("matplotlib.backends.backend_agg", "matplotlib")
    methods = list(dict.fromkeys(r["method"] for r in rows))
    long = 0.45 * len(groups) * max(len(methods), 1) ** 0.5 + 1.5
    fig = figure_mod.Figure(
        figsize=(max(7.0, long) if vertical else 7.0, 4.0 if vertical else long), dpi=DPI
    )
    agg.FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    width = 0.8 / len(methods)
    scale = 100.0 if percent else 1.0
    for k, method in enumerate(methods):
        by_group = {r["group"]: r for r in rows if r["method"] == method}
        pos: list[float] = []
        est: list[float] = []
        err: list[list[float]] = [[], []]
        for i, g in enumerate(groups):
            r = by_group.get(g)
            if r is None or r["estimate"] is None:
                continue
            e = r["estimate"] * scale
            lo = e if r["ci_low"] is None else r["ci_low"] * scale
            hi = e if r["ci_high"] is None else r["ci_high"] * scale
            pos.append(i + (k - (len(methods) - 1) / 2) * width)
            est.append(e)
            err[0].append(max(e - lo, 0.0))
            err[1].append(max(hi - e, 0.0))
        bar = ax.bar if vertical else ax.barh
        extra = {"yerr": err} if vertical else {"xerr": err}
        bar(pos, est, width, color=COLOURS.get(method, "#555"), label=method, capsize=3, **extra)
    ticks = ax.set_xticks if vertical else ax.set_yticks
    ticks(range(len(groups)), groups, **({"rotation": 45, "ha": "right"} if vertical else {}))
    if not vertical:
        ax.invert_yaxis()
    unit = "% of contacts" if percent else "contacts"
    (ax.set_ylabel if vertical else ax.set_xlabel)(f"{unit} (bars: 95% interval)")
    ax.set_title(title)
    ax.legend(fontsize="small")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return buf.getvalue()
