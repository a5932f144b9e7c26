"""``GET /v1/model``: the loaded model's metadata and taxonomy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from service.deps import AuthDep, ClassifierDep, SettingsDep
from service.routes.classify import ERRORS
from service.schemas import ModelResponse

router = APIRouter(prefix="/v1/model", tags=["model"], dependencies=[AuthDep])


@router.get(
    "",
    response_model=ModelResponse,
    responses={k: v for k, v in ERRORS.items() if k in (401, 503)},
    summary="Describe the loaded model",
)
def describe_model(model: ClassifierDep, settings: SettingsDep) -> dict[str, Any]:
    """Name, version, metadata, taxonomy (with routing descriptions) and thresholds."""
    return {
        **model.description,
        "service": {
            "max_text_chars": settings.max_text_chars,
            "max_batch": settings.max_batch,
            "auth": settings.auth_enabled,
            "store_text": settings.store_text,
        },
    }
