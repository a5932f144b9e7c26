"""Dependencies of the routes: settings, the loaded model, a database session, the API key.

Tests replace :func:`get_settings` (or :func:`get_model`) with
``app.dependency_overrides``; :func:`resolve_settings` applies that override wherever
settings are read (routes, ``lifespan``, the middleware). The dependencies on the hot path
are ``async`` so that FastAPI does not send them to the thread pool.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session

from service.db import Database
from service.inference import LoadedModel, ModelState
from service.settings import Settings

API_KEY_HEADER = "X-API-Key"


@lru_cache
def get_settings() -> Settings:
    """The settings, read from the environment and ``.env`` once."""
    return Settings()


def resolve_settings(app: FastAPI) -> Settings:
    """The settings as the routes see them (honouring ``dependency_overrides``)."""
    factory = app.dependency_overrides.get(get_settings, get_settings)
    settings = factory()
    assert isinstance(settings, Settings)
    return settings


async def current_settings(request: Request) -> Settings:
    """The settings for a route (async: no thread-pool hop on the hot path)."""
    return resolve_settings(request.app)


SettingsDep = Annotated[Settings, Depends(current_settings)]


async def get_model(request: Request) -> LoadedModel:
    """The model loaded in ``lifespan``; 503 with the reason until it is."""
    state: ModelState = request.app.state.model_state
    if state.model is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=f"The model is not available: {state.reason}. Retry when /readyz answers 200.",
        )
    return state.model


ClassifierDep = Annotated[LoadedModel, Depends(get_model)]


def get_session(request: Request) -> Iterator[Session]:
    """A database session for one request, closed afterwards."""
    database: Database | None = getattr(request.app.state, "database", None)
    if database is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="The feedback database is not available; see the service log.",
        )
    with database.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

_api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="An API key, when the service has api_keys_sha256 set. "
    "'Authorization: Bearer KEY' is accepted too.",
)


def key_matches(key: str, hashes: list[str]) -> bool:
    """Whether ``key``'s SHA-256 is one of ``hashes``, compared in constant time."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest().encode("ascii")
    found = False
    for expected in hashes:
        found |= hmac.compare_digest(digest, expected.encode("ascii"))
    return found


async def require_api_key(
    request: Request,
    settings: SettingsDep,
    api_key: Annotated[str | None, Depends(_api_key_header)] = None,
) -> None:
    """401 unless authentication is off or a valid key is presented."""
    if not settings.auth_enabled:
        return
    if api_key is None:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            api_key = credentials.strip()
    challenge = {"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'}
    if not api_key:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=f"Missing API key: send it in the {API_KEY_HEADER} header "
            "(or as 'Authorization: Bearer KEY').",
            headers=challenge,
        )
    if not key_matches(api_key, settings.api_keys_sha256):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="Invalid API key: it matches none of the keys this service accepts.",
            headers=challenge,
        )


AuthDep = Depends(require_api_key)
