"""schemathesis against /api/v1/openapi.json with each role's token: no server error, every status
answered is declared, and every answer matches its schema (bounded: a few examples per operation)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

import pilotage
from tests.auth.conftest import make_users
from tests.web.conftest import LiveServer


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    from tests.auth.test_scope import LEADS, REPS, TEAMS

    ws = pilotage.connect(str(tmp_path_factory.mktemp("fuzz") / "f.duckdb"), create=True)
    ws.load({"teams": TEAMS, "reps": REPS, "leads": LEADS})
    tokens = make_users(ws)
    with LiveServer(ws) as server:
        server.tokens = tokens
        yield server
    ws.close()


def _openapi() -> dict:
    """The API's OpenAPI document, as /api/v1/openapi.json serves it (test_openapi_is_the_served_one)."""
    from fastapi import FastAPI

    from pilotage.web import api, api_forecast, api_goals

    app = FastAPI(title="Pilotage", version=pilotage.__version__)
    for module in (api, api_goals, api_forecast):
        app.include_router(module.router)
    return app.openapi()


schema = schemathesis.openapi.from_dict(_openapi())


def test_openapi_is_the_served_one(fuzz_server):
    import httpx

    served = httpx.get(fuzz_server.url + "/api/v1/openapi.json").json()
    assert served["paths"] == _openapi()["paths"]


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_role_gets_no_server_error_and_valid_answers(case, fuzz_server):
    for token in fuzz_server.tokens.values():
        case.call_and_validate(base_url=fuzz_server.url, headers={"Authorization": "Bearer " + token},
                               checks=[not_a_server_error, status_code_conformance,
                                       response_schema_conformance])
