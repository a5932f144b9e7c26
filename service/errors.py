"""Exception handlers: every error answer is JSON with ``detail`` and ``request_id``.

Validation errors answer 422 with the fields named in ``detail`` (``text: ...``) and
listed in ``errors``; they never echo the input back (it may be a contact's text).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

MAX_LISTED = 5
_LOCATIONS = {"body", "query", "path", "header", "cookie"}


def request_id(request: Request) -> str | None:
    """The id the middleware gave this request."""
    return getattr(request.state, "request_id", None)


def field_error(field: str, message: str) -> RequestValidationError:
    """A 422 about one body field, in the same form as the schema's own errors."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", *field.split(".")), "msg": message}]
    )


def describe(error: Mapping[str, Any]) -> dict[str, str]:
    """One validation error as ``{field, message, type}`` (no input value)."""
    loc = [str(p) for p in error.get("loc", ())]
    kind = str(error.get("type", "value_error"))
    where = loc[0] if loc else "body"
    path = loc[1:] if where in _LOCATIONS else loc
    if where == "body" and kind == "json_invalid":
        ctx = error.get("ctx") or {}
        at = f" at position {loc[1]}" if len(loc) > 1 else ""
        return {
            "field": "body",
            "message": f"malformed JSON{at}: {ctx.get('error', 'cannot be parsed')}",
            "type": kind,
        }
    if where == "body" and not path:
        message = (
            "a JSON object is required (send Content-Type: application/json)"
            if kind == "missing"
            else "expected a JSON object (send Content-Type: application/json)"
        )
        return {"field": "body", "message": message, "type": kind}
    message = str(error.get("msg", "invalid value"))
    if kind == "extra_forbidden":
        message = "unknown field"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if where not in _LOCATIONS:  # an error of a nested object (a batch item): relative path
        field = ".".join(loc)
    elif where == "body":
        field = ".".join(path)
    else:
        field = ".".join([where, *path])
    return {"field": field, "message": message, "type": kind}


def summary(errors: Sequence[dict[str, str]]) -> str:
    """``field: message; ...`` for the first few errors."""
    shown = [f"{e['field']}: {e['message']}" for e in errors[:MAX_LISTED]]
    more = len(errors) - MAX_LISTED
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


async def validation_handler(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each field."""
    assert isinstance(exc, RequestValidationError)
    errors = [describe(e) for e in exc.errors()]
    return JSONResponse(
        {"detail": summary(errors), "errors": errors, "request_id": request_id(request)},
        status_code=422,
    )


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """An HTTPException's status and detail, with the request id."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI answers 400 for a JSON body that is not UTF-8; it is malformed JSON: 422
        error = {
            "field": "body",
            "message": "malformed JSON: the body is not UTF-8 text",
            "type": "json_invalid",
        }
        return JSONResponse(
            {"detail": summary([error]), "errors": [error], "request_id": request_id(request)},
            status_code=422,
        )
    return JSONResponse(
        {"detail": exc.detail, "request_id": request_id(request)},
        status_code=exc.status_code,
        headers=exc.headers,
    )


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(HTTPException, http_error_handler)
