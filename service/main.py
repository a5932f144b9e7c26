"""The FastAPI application: :func:`create_app` assembles it; ``app`` is the default one.

Importing this module loads nothing: the model, the database and the redactor are set
up in :func:`lifespan` from the settings (``NLP_CONTACT_*``). Run with
``nlp-contact serve`` or ``uvicorn service.main:app``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from nlp_contact import __version__
from service import errors
from service.db import make_text_keeper, open_database
from service.deps import resolve_settings
from service.inference import ModelState, load_model
from service.middleware import ServiceMiddleware
from service.monitoring import SERVICE_LOGGER, ServiceMetrics, configure_logging, log_json
from service.openapi import install_openapi
from service.routes import api_router

log = logging.getLogger(SERVICE_LOGGER)

DESCRIPTION = """Classify free-text customer contacts: contact reason, value or avoidable,
feedback type, flags (staff behaviour, third party, vulnerability) and the derived
routing and priority. Caseworkers' acceptances and corrections are stored as feedback
and exported as labelled data for `nlp-contact train`."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the model, open the database and set up redaction; release them on exit."""
    settings = resolve_settings(app)
    app.state.settings = settings
    configure_logging(settings.log_level)
    state: ModelState = app.state.model_state
    try:
        on_batch = app.state.metrics.batch_size.observe
        state.model = await anyio.to_thread.run_sync(load_model, settings.model_dir, on_batch)
    except Exception as exc:  # the service stays up; /readyz says why it is not ready
        state.reason = f"loading the model failed ({type(exc).__name__}); see the service log"
        log_json(
            log, logging.ERROR, "model_load_failed", error=type(exc).__name__, message=str(exc)
        )
    try:
        app.state.database = open_database(settings.database_url)
    except Exception as exc:  # feedback answers 503 until the database is reachable
        app.state.database = None
        log_json(log, logging.ERROR, "database_unavailable", error=type(exc).__name__)
    app.state.text_keeper = await anyio.to_thread.run_sync(make_text_keeper, settings)
    app.openapi_schema = None
    try:
        yield
    finally:
        if app.state.database is not None:
            app.state.database.dispose()
        state.model, state.reason = None, "the service is shutting down"
        app.state.settings = None


def create_app() -> FastAPI:
    """Assemble the app: routers, middleware, exception handlers, OpenAPI with taxonomy."""
    app = FastAPI(
        title="nlp-contact",
        version=__version__,
        summary="Classify free-text customer contacts to a benefits service.",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.model_state = ModelState()
    app.state.metrics = ServiceMetrics()
    app.state.settings = None
    app.state.database = None
    app.include_router(api_router)
    errors.install(app)
    app.add_middleware(ServiceMiddleware, service=app)
    install_openapi(app)
    return app


app = create_app()
