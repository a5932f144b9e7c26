"""A bounded property-based run of the OpenAPI schema (schemathesis) against a real uvicorn:
no request, valid or not, gets a 5xx, and every answer conforms to the schema.

Schemathesis is driven from code (its pytest plugin does not work with pytest 9): one
test per operation and generation mode, each a Hypothesis run of ``MAX_EXAMPLES`` cases.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from service.main import create_app
from tests.service.conftest import LiveServer

MAX_EXAMPLES = 25
OPERATIONS = [
    (method.upper(), path, bool(operation.get("parameters") or operation.get("requestBody")))
    for path, methods in create_app().openapi()["paths"].items()
    for method, operation in methods.items()
]
CASES = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode.value}")
    for method, path, has_input in OPERATIONS
    for mode in GenerationMode
    if mode is GenerationMode.POSITIVE or has_input  # no invalid request without input
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(live_server: LiveServer) -> schemathesis.BaseSchema:
    raw = httpx.get(f"{live_server.url}/openapi.json").json()
    assert raw["components"]["schemas"]["ClassifyRequest"]["properties"]["channel"]["anyOf"]
    return schemathesis.openapi.from_dict(raw)


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_no_server_errors(
    api_schema: schemathesis.BaseSchema,
    live_server: LiveServer,
    method: str,
    path: str,
    mode: GenerationMode,
) -> None:
    operation = api_schema[path][method]
    # A batch answers 200 with per-item error entries for invalid items, by design.
    rejects = mode is GenerationMode.NEGATIVE and path != "/v1/classify/batch"
    checks = CHECKS + ([negative_data_rejection] if rejects else [])

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=live_server.url)
        assert response.status_code < 500, (method, path, response.text[:300])
        # 413 (body over max_body_bytes) is a rejection too, which negative_data_rejection
        # does not list; the other checks still apply to it.
        here = CHECKS if response.status_code == 413 else checks
        case.validate_response(response, checks=here)

    run()


def test_streamed_body_over_the_limit_against_uvicorn(live_server: LiveServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(2000):
            yield b"x" * 5000
        yield b'"}'

    response = httpx.post(
        f"{live_server.url}/v1/classify",
        content=chunks(),
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert "the limit is 8388608 bytes" in response.json()["detail"]
