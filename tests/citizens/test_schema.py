"""The OpenAPI schema: it validates (drf-spectacular, warnings fail), and schemathesis, run against a live
server's schema, finds no 5xx and no answer that breaks the schema on the public and Open311 endpoints."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode, checks

from tests.cases.states import drive
from tests.factories import build_org

from .scenarios import make_integration, publish

# Generated cases per operation and mode; every one is a real HTTP request to the live server.
EXAMPLES = 40
# The same generated inputs on every run (CI passes or fails on the code, not on the draw); set
# SCHEMA_FUZZ=1 to draw new inputs each run and explore further.
DERANDOMIZE = os.environ.get("SCHEMA_FUZZ") != "1"


@pytest.mark.django_db
def test_the_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in (
        "/api/public/status/",
        "/open311/v2/discovery.{fmt}",
        "/open311/v2/services.{fmt}",
        "/open311/v2/services/{service_code}.{fmt}",
        "/open311/v2/requests.{fmt}",
        "/open311/v2/requests/{service_request_id}.{fmt}",
        "/open311/v2/tokens/{token}.{fmt}",
    ):
        assert f"  {path}:" in text


def test_the_docs_pages_are_served(client):
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/redoc/").status_code == 200
    assert client.get("/api/schema/").status_code == 200


@pytest.fixture
def public_api_schema(live_server, transactional_db, settings):
    """The live server's own schema, narrowed to the anonymous endpoints, with some data to find."""
    settings.PUBLIC_STATUS_LIMIT_PER_ADDRESS = 1_000_000
    settings.PUBLIC_STATUS_LIMIT_PER_NUMBER = 1_000_000
    settings.OPEN311_LIMIT_PER_ADDRESS = 1_000_000
    org = build_org()
    publish(drive(org, "closed"))
    drive(org, "in_progress")
    make_integration(org)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    return schema.include(path_regex=r"^/(api/public|open311)/")


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.mark.django_db(transaction=True)
def test_the_public_endpoints_keep_their_schema(public_api_schema):
    """Every anonymous operation, valid and invalid input generated from the schema, over real HTTP.

    (schemathesis' pytest plugin does not run under pytest 9 yet, so hypothesis drives each operation's
    strategy here; the checks are schemathesis' own.)
    """
    operations = [result.ok() for result in public_api_schema.get_all_operations()]
    assert sorted(f"{op.method.upper()} {op.path}" for op in operations) == [
        "GET /open311/v2/discovery.{fmt}",
        "GET /open311/v2/requests.{fmt}",
        "GET /open311/v2/requests/{service_request_id}.{fmt}",
        "GET /open311/v2/services.{fmt}",
        "GET /open311/v2/services/{service_code}.{fmt}",
        "GET /open311/v2/tokens/{token}.{fmt}",
        "POST /api/public/online/sms-code/",
        "POST /api/public/online/submissions/",
        "POST /api/public/status/",
        "POST /open311/v2/requests.{fmt}",
    ]
    seen: dict[str, set[int]] = {}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @hypothesis_settings(
                max_examples=EXAMPLES,
                derandomize=DERANDOMIZE,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def exercise(case):
                response = case.call_and_validate(checks=CHECKS)
                seen.setdefault(f"{case.method} {case.path}", set()).add(response.status_code)

            exercise()
    # The run really reached the server: the reads answered 200 and every operation answered something.
    assert len(seen) == len(operations)
    assert 200 in seen["GET /open311/v2/discovery.{fmt}"]
    assert 200 in seen["GET /open311/v2/requests.{fmt}"]
