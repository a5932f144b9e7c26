"""``GET /``: the caseworker suggestion page (plain HTML, CSS and JavaScript; no build)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(tags=["page"], include_in_schema=False)


def _file(name: str, media_type: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type=media_type, headers=SECURITY_HEADERS)


@router.get("/", response_class=FileResponse, response_model=None)
def page() -> FileResponse:
    """The caseworker page."""
    return _file("index.html", "text/html; charset=utf-8")


@router.get("/static/app.js", response_class=FileResponse, response_model=None)
def script() -> FileResponse:
    """The page's script."""
    return _file("app.js", "text/javascript; charset=utf-8")


@router.get("/static/style.css", response_class=FileResponse, response_model=None)
def stylesheet() -> FileResponse:
    """The page's style sheet."""
    return _file("style.css", "text/css; charset=utf-8")
