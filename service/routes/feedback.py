"""``POST /v1/feedback`` and ``GET /v1/feedback/export``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError

from nlp_contact.data import text_problem
from nlp_contact.taxonomy import Taxonomy
from service.db import Feedback
from service.deps import AuthDep, ClassifierDep, SessionDep, SettingsDep
from service.export import MEDIA_TYPES, ExportFormat, build_export, render
from service.routes.classify import ERRORS
from service.schemas import ChosenLabels, FeedbackRequest, FeedbackResponse, ShownLabels

router = APIRouter(prefix="/v1/feedback", tags=["feedback"], dependencies=[AuthDep])


def _label_errors(
    where: str, labels: ShownLabels | ChosenLabels, taxonomy: Taxonomy, complete: bool
) -> list[dict[str, Any]]:
    errors: list[tuple[str, str]] = []
    for head, label in labels.heads.items():
        if head not in taxonomy.heads:
            errors.append((f"heads.{head}", f"unknown head; the heads are {taxonomy.head_names}"))
        elif label not in taxonomy.heads[head].labels:
            allowed = taxonomy.heads[head].label_names
            errors.append((f"heads.{head}", f"unknown label {label!r}; allowed: {allowed}"))
    for flag in labels.flags:
        if flag not in taxonomy.flags:
            errors.append((f"flags.{flag}", f"unknown flag; the flags are {taxonomy.flag_names}"))
    if complete:
        missing = [h for h in taxonomy.head_names if h not in labels.heads]
        if missing:
            errors.append(("heads", f"no label for {missing}; give the label shown for every head"))
        missing = [f for f in taxonomy.flag_names if f not in labels.flags]
        if missing:
            errors.append(("flags", f"no value for {missing}; give the value shown for every flag"))
    return [
        {"type": "value_error", "loc": ("body", where, *field.split(".", 1)), "msg": msg}
        for field, msg in errors
    ]


def _check(body: FeedbackRequest, taxonomy: Taxonomy, max_chars: int) -> None:
    errors = _label_errors("shown", body.shown, taxonomy, complete=True)
    errors += _label_errors("chosen", body.chosen, taxonomy, complete=False)
    if body.text is not None and (problem := text_problem(body.text, max_chars)):
        errors.append({"type": "value_error", "loc": ("body", "text"), "msg": problem})
    channels = taxonomy.channels
    if body.channel is not None and channels and body.channel not in channels:
        msg = f"unknown channel {body.channel!r}; expected one of {channels}"
        errors.append({"type": "value_error", "loc": ("body", "channel"), "msg": msg})
    if errors:
        raise RequestValidationError(errors)


@router.post(
    "",
    response_model=FeedbackResponse,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
    summary="Record a caseworker's acceptance or correction",
)
def post_feedback(
    body: FeedbackRequest,
    model: ClassifierDep,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> dict[str, Any]:
    """Store what was shown and what was chosen (the text only if the settings allow)."""
    taxonomy = model.classifier.taxonomy_
    _check(body, taxonomy, settings.max_text_chars)
    shown: dict[str, dict[str, Any]] = {
        "heads": dict(body.shown.heads),
        "flags": dict(body.shown.flags),
    }
    chosen: dict[str, dict[str, Any]] = {
        "heads": {**shown["heads"], **body.chosen.heads},
        "flags": {**shown["flags"], **body.chosen.flags},
    }
    corrected = [h for h in taxonomy.head_names if chosen["heads"][h] != shown["heads"][h]]
    corrected += [f for f in taxonomy.flag_names if chosen["flags"][f] != shown["flags"][f]]
    keep = request.app.state.text_keeper
    feedback = Feedback(
        suggestion_id=body.suggestion_id,
        model_version=body.model_version,
        shown=shown,
        chosen=chosen,
        corrected=corrected,
        user_ref=body.user,
        created_at=dt.datetime.now(dt.UTC),
        channel=body.channel,
        text=keep(body.text) if body.text is not None else None,
    )
    session.add(feedback)
    session.commit()
    request.state.feedback_id = feedback.id
    request.app.state.metrics.feedback.labels(str(bool(corrected)).lower()).inc()
    return {
        "id": feedback.id,
        "suggestion_id": feedback.suggestion_id,
        "corrected": corrected,
        "text_stored": feedback.text is not None,
        "created_at": feedback.created_at,
    }


@router.get(
    "/export",
    response_class=Response,
    response_model=None,
    responses={
        200: {
            "description": "Labelled rows (JSONL or CSV) ready for `nlp-contact train`.",
            "content": {"application/x-ndjson": {}, "text/csv": {}},
        },
        **{k: v for k, v in ERRORS.items() if k != 413},
    },
    summary="Export feedback as labelled training data",
)
def export_feedback(
    model: ClassifierDep,
    session: SessionDep,
    fmt: Annotated[
        ExportFormat, Query(alias="format", description="jsonl (default) or csv")
    ] = "jsonl",
    corrected_only: Annotated[
        bool, Query(description="Only suggestions where a label was changed.")
    ] = False,
) -> Response:
    """Latest feedback per suggestion, with stored text, as text + every head + every flag."""
    export = build_export(session, model.classifier.taxonomy_, corrected_only)
    return Response(
        render(export, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="feedback.{fmt}"',
            "X-Export-Rows": str(len(export.rows)),
            "X-Export-Skipped": str(export.skipped),
        },
    )
