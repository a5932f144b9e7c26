"""The model card (``README.md`` in every model directory), generated from config and meta."""

from __future__ import annotations

from pathlib import Path
from typing import Any

INTENDED_USE = """\
## Intended use and limits
- Suggests, for a caseworker or an analyst to confirm, why a customer contacted the
  service, whether the contact was of value or avoidable, the kind of feedback, and flags
  for staff-behaviour allegations, third-party contact and vulnerability, with a routing
  suggestion. It does not take decisions about people.
- Predictions below a head's review threshold set `needs_review`; the vulnerability flag
  threshold is set for high recall, so expect false alarms rather than misses.
- Trained on the data listed below only. A model trained on generated or hand-written
  example contacts will be less accurate on real contacts: retrain on your own labelled
  data and check it with `nlp-contact evaluate` before relying on it.
- Never log or store raw contact text without redaction (`nlp-contact redact`).
"""


def _pct(x: Any) -> str:
    return f"{100 * float(x):.1f}%" if isinstance(x, (int, float)) else "-"


def _f(x: Any) -> str:
    return f"{float(x):.3f}" if isinstance(x, (int, float)) else "-"


def _taxonomy_section(tax: dict[str, Any]) -> list[str]:
    lines = [f"## Taxonomy: {tax.get('name')} v{tax.get('version')}", ""]
    for head, spec in tax.get("heads", {}).items():
        lines.append(f"- **{head}**: " + ", ".join(f"`{label}`" for label in spec["labels"]))
    for flag in tax.get("flags", {}):
        lines.append(f"- **{flag}** (flag): true / false")
    for name in tax.get("derived", {}):
        lines.append(f"- **{name}** (derived by rule, not trained)")
    return lines + [""]


def metrics_section(title: str, metrics: dict[str, Any]) -> list[str]:
    """Markdown tables of per-head and per-flag metrics."""
    if not metrics:
        return []
    lines = [f"## {title}", "", f"Rows: {metrics.get('n', '-')}", ""]
    lines += ["| head | accuracy | macro-F1 | ECE |", "|---|---|---|---|"]
    for head, m in metrics.get("heads", {}).items():
        lines.append(f"| {head} | {_pct(m['accuracy'])} | {_f(m['macro_f1'])} | {_f(m['ece'])} |")
    lines += ["", "| flag | precision | recall | F1 | threshold |", "|---|---|---|---|---|"]
    for flag, m in metrics.get("flags", {}).items():
        lines.append(
            f"| {flag} | {_f(m['precision'])} | {_f(m['recall'])} | {_f(m['f1'])} "
            f"| {_f(m['threshold'])} |"
        )
    lines.append("")
    for head, m in metrics.get("heads", {}).items():
        lines += [f"<details><summary>{head}: per label</summary>", ""]
        lines += ["| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for label, s in m["per_label"].items():
            lines.append(
                f"| {label} | {_f(s['precision'])} | {_f(s['recall'])} | {_f(s['f1'])} "
                f"| {s['support']} |"
            )
        lines += ["", "</details>", ""]
    return lines


def render_card(config: dict[str, Any], meta: dict[str, Any]) -> str:
    """The card's markdown."""
    lines = [
        f"# Model card: {meta.get('name')}",
        "",
        f"- Version: `{meta.get('model_version')}`, created {meta.get('created')}",
        f"- Backend: `{config['backend']}`; parameters: `{config['backend_params']}`",
        f"- Library versions: {meta.get('versions')}",
        f"- Code: git `{meta.get('git_sha')}`",
        "",
        INTENDED_USE,
    ]
    lines += _taxonomy_section(config["taxonomy"])
    data = meta.get("training_data") or {}
    lines += ["## Training data", "", f"Rows: {data.get('rows', '-')}", ""]
    for src in data.get("sources", []):
        lines.append(
            f"- `{src.get('path')}`: {src.get('rows')} rows, weight "
            f"{src.get('weight', 1)}, sha256 `{src.get('sha256')}`"
        )
    lines += ["", "Flag thresholds (chosen on held-out data):", ""]
    for flag, t in config["calibration"]["flag_threshold"].items():
        lines.append(f"- `{flag}`: {t:.3f}")
    lines.append("")
    method = meta.get("validation_metrics", {}).get("method", "holdout")
    lines += metrics_section(
        f"Validation metrics ({method}, calibrated)", meta.get("validation_metrics", {})
    )
    for title, section in (meta.get("evaluations") or {}).items():
        lines += metrics_section(title, section)
    if meta.get("card_extra"):
        lines += [str(meta["card_extra"]), ""]
    if meta.get("reproduce"):
        lines += ["## Reproduce", "", "```", str(meta["reproduce"]), "```", ""]
    return "\n".join(lines)


def write_card(directory: Path, config: dict[str, Any], meta: dict[str, Any]) -> Path:
    """Write ``README.md`` into the model directory."""
    path = directory / "README.md"
    path.write_text(render_card(config, meta), encoding="utf-8")
    return path
