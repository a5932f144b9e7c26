"""``POST /v1/classify`` and ``POST /v1/classify/batch``."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError

from nlp_contact.data import text_problem
from service.deps import AuthDep, ClassifierDep, SettingsDep
from service.errors import describe, field_error
from service.inference import LoadedModel
from service.schemas import (
    BatchRequest,
    BatchResponse,
    ClassifyRequest,
    ClassifyResponse,
    ErrorResponse,
)
from service.settings import Settings

router = APIRouter(prefix="/v1/classify", tags=["classify"], dependencies=[AuthDep])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or invalid API key."},
    413: {"model": ErrorResponse, "description": "Request body too large."},
    422: {"model": ErrorResponse, "description": "Invalid request; `detail` names the field."},
    503: {"model": ErrorResponse, "description": "The model is not loaded."},
}


def item_problem(item: ClassifyRequest, model: LoadedModel, settings: Settings) -> tuple[str, str]:
    """``(field, message)`` of the first problem of an item, or ``("", "")``."""
    problem = text_problem(item.text, settings.max_text_chars)
    if problem:
        if len(item.text) > settings.max_text_chars:
            problem = f"the {problem} (setting NLP_CONTACT_MAX_TEXT_CHARS)"
        else:
            problem += "; send the words of the contact"
        return "text", problem
    if item.channel is not None and model.channels and item.channel not in model.channels:
        return (
            "channel",
            f"unknown channel {item.channel!r}; expected one of {list(model.channels)}",
        )
    return "", ""


def _note(request: Request, model: LoadedModel, predictions: list[dict[str, Any]]) -> None:
    """Record predicted labels for the access log and the metrics (never the text)."""
    state = request.state
    state.model_version = model.version
    if len(predictions) == 1:
        p = predictions[0]
        state.labels = {h: v["label"] for h, v in p["heads"].items()}
        state.labels["flags"] = [f for f, v in p["flags"].items() if v["value"]]
    elif predictions:
        counts: dict[str, Counter[str]] = {}
        for p in predictions:
            for h, v in p["heads"].items():
                counts.setdefault(h, Counter())[v["label"]] += 1
        state.labels = {h: dict(c) for h, c in counts.items()}
    request.app.state.metrics.observe_predictions(predictions)


@router.post(
    "",
    response_model=ClassifyResponse,
    response_model_exclude_unset=True,
    responses=ERRORS,
    summary="Classify one contact",
)
async def classify(
    body: ClassifyRequest, model: ClassifierDep, settings: SettingsDep, request: Request
) -> dict[str, Any]:
    """Heads, flags, routing, priority and review advice for one contact (as the CLI prints)."""
    field, problem = item_problem(body, model, settings)
    if field:
        raise field_error(field, problem)
    prediction = await model.predict_one(body.text, body.explain, body.id)
    _note(request, model, [prediction])
    return {"model": model.info, **prediction}


def _parse_item(
    raw: Any, model: LoadedModel, settings: Settings
) -> tuple[ClassifyRequest | None, dict[str, str] | None]:
    if not isinstance(raw, dict):
        return None, {"field": "item", "message": "an item must be a JSON object with 'text'"}
    try:
        item = ClassifyRequest.model_validate(raw)
    except ValidationError as exc:
        err = describe(exc.errors()[0])
        return None, {"field": err["field"], "message": err["message"]}
    field, problem = item_problem(item, model, settings)
    if field:
        return None, {"field": field, "message": problem}
    return item, None


@router.post(
    "/batch",
    response_model=BatchResponse,
    response_model_exclude_unset=True,
    responses=ERRORS,
    summary="Classify several contacts",
)
async def classify_batch(
    body: BatchRequest, model: ClassifierDep, settings: SettingsDep, request: Request
) -> dict[str, Any]:
    """One entry per item, in order; a bad item gets an error entry, the others answers."""
    if len(body.items) > settings.max_batch:
        raise field_error(
            "items",
            f"the batch has {len(body.items)} items; the limit is {settings.max_batch} "
            "(setting NLP_CONTACT_MAX_BATCH). Split it into smaller batches.",
        )
    entries: list[dict[str, Any]] = []
    todo: dict[bool, list[tuple[int, ClassifyRequest]]] = {False: [], True: []}
    for index, raw in enumerate(body.items):
        item, error = _parse_item(raw, model, settings)
        entry: dict[str, Any] = {"index": index, "ok": item is not None}
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(raw_id, str) and len(raw_id) <= 128:
            entry["id"] = raw_id
        if item is None:
            entry["error"] = error
        else:
            todo[item.explain].append((index, item))
        entries.append(entry)
    predictions: list[dict[str, Any]] = []
    for explain, group in todo.items():
        if not group:
            continue
        texts = [item.text for _, item in group]
        ids = [item.id for _, item in group]
        for (index, _), prediction in zip(
            group, await model.predict_async(texts, explain, ids), strict=True
        ):
            prediction.pop("id", None)
            entries[index]["prediction"] = prediction
            predictions.append(prediction)
    errors = sum(1 for e in entries if not e["ok"])
    request.state.items, request.state.item_errors = len(entries), errors
    _note(request, model, predictions)
    return {"model": model.info, "items": entries, "errors": errors}
