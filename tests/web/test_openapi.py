"""Schemathesis against the app's OpenAPI description: generated requests to every API
operation (a few examples each) must never cause a server error and must match the
documented responses."""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")


@pytest.mark.slow
def test_api_conforms_to_its_openapi_description(queued_ws: Any) -> None:
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    from glamlab.auth import api_token
    from glamlab.web import create_app

    app = create_app(queued_ws)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {api_token(queued_ws, 'rey')}"}
    checks = (not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance)
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()
        tested.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=checks)

        check()
    assert {"POST /api/decisions", "POST /api/predict", "GET /api/items",
            "GET /api/predictions"} <= set(tested)
