"""``GET /metrics``: Prometheus text format (every worker's values in multiprocess mode)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from service.deps import AuthDep

router = APIRouter(tags=["metrics"], dependencies=[AuthDep])


@router.get(
    "/metrics",
    response_class=Response,
    response_model=None,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Metrics."}},
    summary="Prometheus metrics",
)
def metrics(request: Request) -> Response:
    """Request counts and latency by route and status, predictions by label, review rate."""
    body = request.app.state.metrics.exposition()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
