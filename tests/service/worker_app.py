"""A minimal app factory for the multi-worker test: answers with the worker's pid."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


def create_app() -> Starlette:
    async def pid(_request: object) -> PlainTextResponse:
        return PlainTextResponse(str(os.getpid()))

    return Starlette(routes=[Route("/", pid)])
