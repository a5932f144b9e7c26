"""The one ASGI middleware of the service (plain ASGI: no per-request task or copy).

For every HTTP request it:

* gives the request an id (a valid incoming ``X-Request-ID`` is kept) and returns it in
  the ``X-Request-ID`` header of every answer;
* refuses a body over ``max_body_bytes`` with 413, by ``Content-Length`` before reading
  and by counting while the body streams in;
* answers an unexpected exception with a JSON 500 that carries the request id and no
  internals, and logs the exception's type and traceback (never its message, which
  could quote the contact);
* writes one JSON access-log line (request id, route, status, latency, model version,
  predicted labels) and feeds the Prometheus request metrics.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.monitoring import ACCESS_LOGGER, SERVICE_LOGGER, ServiceMetrics, log_json

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})

access_log = logging.getLogger(ACCESS_LOGGER)
service_log = logging.getLogger(SERVICE_LOGGER)


def request_id_of(scope: Scope) -> str:
    """The incoming ``X-Request-ID`` when it is short and plain, else a new uuid4 hex."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = bytes(value).decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def body_too_large(size: int | None, limit: int) -> HTTPException:
    """The 413 for a body over ``limit`` bytes."""
    what = f"{size} bytes" if size is not None else f"over {limit} bytes"
    return HTTPException(
        413,
        detail=f"The request body is {what}; the limit is {limit} bytes "
        "(setting NLP_CONTACT_MAX_BODY_BYTES). Send fewer or shorter texts.",
    )


async def send_json(send: Send, status: int, body: dict[str, Any], close: bool = False) -> None:
    """Send a complete JSON answer through ``send``."""
    payload = json.dumps(body).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode("ascii")),
    ]
    if close:  # the unread body of a refused request must not be taken for the next request
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class ServiceMiddleware:
    """Request id, body limit, last-resort 500, access log and request metrics."""

    def __init__(self, app: ASGIApp, service: FastAPI) -> None:
        self.app = app
        self.service = service

    def _body_limit(self) -> int:
        settings = getattr(self.service.state, "settings", None)
        if settings is None:
            from service.deps import resolve_settings

            settings = resolve_settings(self.service)
        return int(settings.max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_of(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = [500, False]  # status code, response started

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0], status[1] = message["status"], True
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", request_id.encode("ascii")),
                ]
            await send(message)

        try:
            limit = self._body_limit()
            declared = _content_length(scope)
            if declared is not None and declared > limit:
                exc = body_too_large(declared, limit)
                body = {"detail": exc.detail, "request_id": request_id}
                await send_json(send_with_id, exc.status_code, body, close=True)
            else:
                await self.app(scope, _limited(receive, limit), send_with_id)
        except Exception as exc:  # the last line of defence: JSON 500, no internals
            _log_exception(exc, request_id, scope)
            if not status[1]:
                body = {"detail": "internal error", "request_id": request_id}
                await send_json(send_with_id, 500, body)
        finally:
            self._record(scope, state, status[0], time.perf_counter() - started)

    def _record(self, scope: Scope, state: dict[str, Any], status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None)
        if route is None:  # served outside the router (the docs); never label by raw 404 paths
            route = scope["path"] if status < 400 else "unmatched"
        method = scope["method"]
        metrics: ServiceMetrics | None = getattr(self.service.state, "metrics", None)
        if metrics is not None:
            metrics.observe_request(method, route, status, seconds)
        level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
        if not access_log.isEnabledFor(level):
            return
        fields: dict[str, Any] = {
            "request_id": state.get("request_id"),
            "method": method,
            "route": route,
            "status": status,
            "latency_ms": round(seconds * 1000, 2),
        }
        for key in ("model_version", "labels", "items", "item_errors", "feedback_id"):
            if key in state:
                fields[key] = state[key]
        log_json(access_log, level, "request", **fields)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _limited(receive: Receive, limit: int) -> Receive:
    received = 0

    async def receive_limited() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise body_too_large(None, limit)
        return message

    return receive_limited


def _log_exception(exc: BaseException, request_id: str, scope: Scope) -> None:
    """Log the exception's type and where it happened; never its message or locals."""
    frames = traceback.extract_tb(exc.__traceback__)
    log_json(
        service_log,
        logging.ERROR,
        "unhandled_exception",
        request_id=request_id,
        path=scope.get("path"),
        error=type(exc).__name__,
        traceback=[f"{f.filename}:{f.lineno} in {f.name}" for f in frames[-12:]],
    )
