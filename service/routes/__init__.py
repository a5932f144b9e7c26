"""One router per resource; :data:`api_router` collects them."""

from __future__ import annotations

from fastapi import APIRouter

from service.routes import classify, feedback, health, metrics, model, page

api_router = APIRouter()
for _module in (classify, feedback, model, health, metrics, page):
    api_router.include_router(_module.router)

__all__ = ["api_router"]
