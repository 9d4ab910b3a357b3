"""Property-based tests of every operation of the OpenAPI document (schemathesis).

Each operation gets bounded, reproducible cases (derandomized Hypothesis, no shrinking) from the
schema the app serves, sent in-process to the test app (its store and lanes). No response may be
a server error, and every error response carries the one error body (``api.http.errors``).

Passes: an admin of a tenant of its own over every operation (schemathesis's coverage phase adds
the missing and malformed parameters, wrong methods and a missing key); the same admin with
``run_id`` fixed to a run that exists, over the run's operations; and smaller passes as a viewer
and with no key.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis import BaseSchema
from schemathesis.checks import not_a_server_error

from api.http.errors import ErrorBody
from core.errors import CODES
from tests.api.http.conftest import KeyMaker, auth, example_contract

TENANT = "fuzz"

# Bounded and reproducible; shrinking is left out: a failure prints its case as a curl command.
BOUNDED = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
SMALL = settings(BOUNDED, max_examples=5)


def _requests_only(app: Any) -> Any:
    """``app`` with a lifespan that does nothing: the ``client`` fixture owns the app's own, and
    schemathesis ends the lifespan it starts after each test (closing the app's lanes)."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    return asgi


def _schema(client: TestClient, headers: dict[str, str], **parameters: str) -> BaseSchema:
    loaded = schemathesis.openapi.from_asgi("/openapi.json", _requests_only(client.app))
    loaded.config.update(headers=headers, parameters=parameters or None)
    return loaded


def _without_coverage(loaded: BaseSchema) -> BaseSchema:
    # The coverage phase sends every boundary value whatever max_examples says; the small passes
    # keep to a few generated cases.
    loaded.config.phases.coverage.enabled = False
    return loaded


@pytest.fixture(scope="module")
def admin_schema(client: TestClient, key: KeyMaker) -> BaseSchema:
    return _schema(client, auth(key(TENANT, "admin")))


@pytest.fixture(scope="module")
def run_schema(client: TestClient, key: KeyMaker) -> BaseSchema:
    """The admin's schema with ``run_id`` fixed to a created (not started) run of the tenant."""
    headers = auth(key(TENANT, "admin"))
    created = client.post(
        "/v1/runs", json={"contract": example_contract(), "start": False}, headers=headers
    )
    assert created.status_code == 201, created.text
    return _schema(client, headers, run_id=created.json()["run_id"])


@pytest.fixture(scope="module")
def viewer_schema(client: TestClient, key: KeyMaker) -> BaseSchema:
    return _without_coverage(_schema(client, auth(key(TENANT, "viewer"))))


@pytest.fixture(scope="module")
def anonymous_schema(client: TestClient) -> BaseSchema:
    return _without_coverage(_schema(client, {}))


def check_response(case: schemathesis.Case) -> None:
    """Call the app with ``case``: no server error; an error has the one error body."""
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error])
    if response.status_code < 400:
        return
    body = ErrorBody.model_validate(response.json())
    assert body.code in CODES
    assert body.class_ == CODES[body.code].error_class, body


@schemathesis.pytest.from_fixture("admin_schema").parametrize()
@BOUNDED
def test_admin(case: schemathesis.Case) -> None:
    check_response(case)


# Starting, resuming and migrating queue the run's real work on the lanes (minutes, threads that
# outlive the test); the admin pass covers those operations with unknown runs.
@(
    schemathesis.pytest.from_fixture("run_schema")
    .include(path_regex=r"^/v1/runs/\{run_id\}")
    .exclude(method="POST", path_regex=r"/(start|resume|migration)$")
    .parametrize()
)
@BOUNDED
def test_admin_on_a_run(case: schemathesis.Case) -> None:
    check_response(case)


@schemathesis.pytest.from_fixture("viewer_schema").parametrize()
@SMALL
def test_viewer(case: schemathesis.Case) -> None:
    check_response(case)


@schemathesis.pytest.from_fixture("anonymous_schema").parametrize()
@SMALL
def test_no_key(case: schemathesis.Case) -> None:
    check_response(case)
