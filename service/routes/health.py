"""``GET /healthz`` (the process is up) and ``GET /readyz`` (the model is loaded).

Both stay open when API keys are required, for load balancers and orchestrators.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from service.inference import ModelState
from service.schemas import HealthResponse, ReadyResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthResponse, summary="Liveness")
async def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=ReadyResponse,
    response_model_exclude_none=True,
    responses={503: {"model": ReadyResponse, "description": "The model is not loaded."}},
    summary="Readiness",
)
async def readyz(request: Request) -> Any:
    """200 once the model is loaded; 503 with the reason until then."""
    state: ModelState | None = getattr(request.app.state, "model_state", None)
    if state is None or state.model is None:
        reason = state.reason if state is not None else "the service has not started"
        return JSONResponse(
            {"status": "not_ready", "reason": reason},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    return {"status": "ready", "model": state.model.info}
