"""Feedback as labelled data for ``nlp-contact train``.

One row per suggestion (its latest feedback), only where the text was stored: ``id``,
``text``, ``channel``, then every head and every flag of the taxonomy with the labels the
caseworker chose. Rows whose labels no longer fit the taxonomy (an unknown label, or a
constraint such as ``avoidable_reason`` is ``not_avoidable`` exactly when
``value_status`` is ``value``) are left out and counted, so the file always validates.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nlp_contact.taxonomy import Taxonomy
from service.db import Feedback

ExportFormat = Literal["jsonl", "csv"]
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv"}


@dataclass
class Export:
    """The exported rows and how many feedback rows were left out (and why)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    columns: list[str] = field(default_factory=list)


def latest_with_text(session: Session) -> Iterable[Feedback]:
    """The latest feedback of each suggestion among those with stored text."""
    latest = (
        select(func.max(Feedback.id))
        .where(Feedback.text.is_not(None))
        .group_by(Feedback.suggestion_id)
    )
    stmt = select(Feedback).where(Feedback.id.in_(latest)).order_by(Feedback.id)
    return session.scalars(stmt).yield_per(500)


def _fits(taxonomy: Taxonomy, heads: dict[str, Any], flags: dict[str, Any]) -> bool:
    for head, spec in taxonomy.heads.items():
        if heads.get(head) not in spec.labels:
            return False
    if any(not isinstance(flags.get(f), bool) for f in taxonomy.flag_names):
        return False
    return all(c.allows(heads[c.head], heads[c.iff_head]) for c in taxonomy.constraints)


def build_export(session: Session, taxonomy: Taxonomy, corrected_only: bool = False) -> Export:
    """Labelled rows from the feedback table (see the module docstring)."""
    out = Export(columns=["id", "text", "channel", *taxonomy.output_names])
    for fb in latest_with_text(session):
        if corrected_only and not fb.corrected:
            continue
        heads = dict(fb.chosen.get("heads", {}))
        flags = dict(fb.chosen.get("flags", {}))
        if not _fits(taxonomy, heads, flags):
            out.skipped += 1
            continue
        row: dict[str, Any] = {"id": fb.suggestion_id, "text": fb.text, "channel": fb.channel}
        row.update({h: heads[h] for h in taxonomy.head_names})
        row.update({f: flags[f] for f in taxonomy.flag_names})
        out.rows.append(row)
    return out


def render(export: Export, fmt: ExportFormat) -> str:
    """The rows as JSONL or CSV text."""
    if fmt == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in export.rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=export.columns, lineterminator="\n")
    writer.writeheader()
    for row in export.rows:
        writer.writerow(
            {
                k: ("true" if v is True else "false" if v is False else "" if v is None else v)
                for k, v in row.items()
            }
        )
    return buffer.getvalue()
