"""schemathesis against the live server's own schema over the staff API (``/api/v1/``): every operation,
reads and writes, valid and invalid input, signed in as roles that together reach every operation, with
known ids of existing objects in part of the examples. No 5xx, and every answer — its status code, content
type, headers and body — is one the schema declares (nullable fields and enums included).

(The anonymous endpoints have their own run: ``tests/citizens/test_schema.py``. As there, hypothesis drives
each operation's strategy because schemathesis' pytest plugin does not run under pytest 9 yet; the checks
are schemathesis' own.)
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from importlib import import_module

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis import GenerationMode, checks

from cases import services as case_services
from cases.choices import CaseStatus, ReasonPurpose
from cases.models import Case, CaseAttachment, Category, Extension, Reason, RefusalReview
from library.models import WriteUp
from notifications.choices import Channel, TemplateCode
from notifications.models import Notification
from notifications.services import notification_request
from practice.models import PracticeItem, RecurringProblem
from routing.models import Department, Region, ServiceWindow
from tests.cases.states import drive
from tests.factories import UserFactory, build_org
from tests.library.helpers import draft, published
from tests.practice.helpers import cluster_in, item_on

# Generated cases per operation and generation mode; every one is a real HTTP request to the live server.
# 98 operations × 2 modes (one for the few without input) × EXAMPLES: about 2,300 requests, two to three minutes
# on a loaded 2-core machine.
EXAMPLES = 12
# The same generated inputs on every run (CI passes or fails on the code, not on the draw); set
# SCHEMA_FUZZ=1 to draw new inputs each run and explore further.
DERANDOMIZE = os.environ.get("SCHEMA_FUZZ") != "1"

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]

# Who signs in: together they reach every operation (a window clerk runs the intake and the window's
# commands, a department handler the department's, a supervisor reviews, urges and decides, an
# administrator edits the organisation; the coordination centre coordinates).
ROLES = ("v1_clerk", "t1_office_handler", "county_supervisor", "county_admin", "coordinator")

# The first path segment under /api/v1/ → the model whose existing ids are offered as ``{id}``.
MODELS = {
    "cases": Case,
    "supervision": Case,
    "categories": Category,
    "departments": Department,
    "extensions": Extension,
    "notifications": Notification,
    "practice-items": PracticeItem,
    "recurring-problems": RecurringProblem,
    "regions": Region,
    "reviews": RefusalReview,
    "users": None,  # filled with the users' ids
    "windows": ServiceWindow,
    "writeups": WriteUp,
}


@pytest.fixture
def staff_api(live_server, transactional_db, settings, tmp_path):
    """The live server's schema narrowed to the staff API, a token per role, and data in many states."""
    # Lockouts and per-day limits would turn the run into 429s and 409s: raised out of the way.
    settings.AXES_FAILURE_LIMIT = 1_000_000
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 0
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 0
    settings.CASE_URGE_LIMIT_PER_DAY = 1_000_000
    settings.MEDIA_ROOT = str(tmp_path / "media")

    _ensure_reasons()
    org = build_org()
    for status in (
        CaseStatus.REGISTERED,
        CaseStatus.NOT_ACCEPTED,
        CaseStatus.ROUTING,
        CaseStatus.COORDINATING,
        CaseStatus.ASSIGNED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.SUSPENDED,
        CaseStatus.REPLIED,
        CaseStatus.RESOLVED,
        CaseStatus.CLOSED,
    ):
        drive(org, status)
    in_progress = drive(org, CaseStatus.IN_PROGRESS)
    case_services.case_extension_request(
        actor=org["t1_office_handler"], case_id=in_progress.pk, days=2, reason="需补充调查"
    )
    case_services.case_attachment_add(
        actor=org["t1_office_handler"],
        case_id=in_progress.pk,
        file=SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32, "image/png"),
    )
    draft(org)
    published(org)
    problem = cluster_in(org)
    item_on(problem, org["t1_supervisor"], org.dept("t1_office"))

    for n, role in enumerate(ROLES, start=1):
        notification_request(
            event_key=f"schema:{n}",
            template_code=TemplateCode.ASSIGNMENT,
            channel=Channel.IN_APP,
            recipient_user_id=org[role].pk,
            context={"tracking_number": f"T-{n}", "department": "自然资源局"},
        )
    tokens = {role: AuthToken.objects.create(user=org[role])[1] for role in ROLES}
    ids = {key: list(model.objects.values_list("pk", flat=True)) for key, model in MODELS.items() if model}
    ids["users"] = [org[role].pk for role in ROLES]
    attachments = list(CaseAttachment.objects.values_list("case_id", "pk"))
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    return {
        "schema": schema.include(path_regex=r"^/api/v1/"),
        "tokens": tokens,
        "ids": ids,
        "attachments": attachments,
        # A notification is its recipient's alone: offered with the role that may read it.
        "inbox": [
            {"id": pk, "role": role}
            for role in ROLES
            for pk in Notification.objects.visible_to(org[role]).values_list("pk", flat=True)
        ],
        # Logging out revokes the token it is sent with (or all of the user's): a user of its own.
        "logout_user": UserFactory(username="schema_logout"),
    }


def _ensure_reasons() -> None:
    """The reason lists the data migration seeds (an earlier transactional test's flush removes them); the
    suspended case needs one."""
    seed = import_module("cases.migrations.0007_reasons_and_review_backfill")
    for purpose, rows in ((ReasonPurpose.REFUSAL, seed.REFUSAL), (ReasonPurpose.SUSPENSION, seed.SUSPENSION)):
        for order, (code, label) in enumerate(rows, start=1):
            Reason.objects.get_or_create(
                purpose=purpose, code=code, defaults={"label": label, "sort_order": order * 10}
            )


def _known_ids(path: str, api) -> st.SearchStrategy:
    """Path parameters of existing objects for ``path``, or nothing for the generated ones alone."""
    if path.startswith("/api/v1/notifications/{id}"):
        return st.sampled_from(api["inbox"])
    if "{attachment_id}" in path:
        return st.sampled_from([{"id": c, "attachment_id": a} for c, a in api["attachments"]])
    match = re.match(r"^/api/v1/([^/]+)/.*\{id\}", path)
    if match is None:
        return st.nothing()
    return st.sampled_from([{"id": pk} for pk in api["ids"][match.group(1)]])


def _exercise(operation, mode: GenerationMode, api, seen: dict[str, set[int]]) -> None:
    """``EXAMPLES`` generated requests to one operation in one mode, each as one of ``ROLES``, and for an
    operation with ``{id}`` in part of them naming an existing object (else every detail and command
    endpoint would only ever answer 404)."""
    known = _known_ids(operation.path, api)
    logout = operation.path.startswith("/api/v1/auth/logout")

    @given(
        case=operation.as_strategy(generation_mode=mode),
        role=st.sampled_from(ROLES),
        path_parameters=st.none() | known,
    )
    @hypothesis_settings(
        max_examples=EXAMPLES,
        derandomize=DERANDOMIZE,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case, role, path_parameters):
        if path_parameters is not None:
            path_parameters = dict(path_parameters)
            role = path_parameters.pop("role", role)
            case.path_parameters = {**(case.path_parameters or {}), **path_parameters}
        token = api["tokens"][role]
        if logout:
            token = AuthToken.objects.create(user=api["logout_user"])[1]
        response = case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
        seen[f"{case.method} {case.path}"].add(response.status_code)

    exercise()


@pytest.mark.django_db(transaction=True)
def test_the_staff_api_keeps_its_schema(staff_api):
    """Every staff operation, valid and invalid input generated from the schema, over real HTTP."""
    operations = [result.ok() for result in staff_api["schema"].get_all_operations()]
    assert len(operations) >= 98
    seen: dict[str, set[int]] = defaultdict(set)
    for operation in operations:
        # An operation without any input of its own (``GET /me/``: only the credentials) has nothing to
        # make invalid.
        raw = operation.definition.raw
        has_input = bool(raw.get("parameters") or raw.get("requestBody"))
        _exercise(operation, GenerationMode.POSITIVE, staff_api, seen)
        if has_input:
            _exercise(operation, GenerationMode.NEGATIVE, staff_api, seen)
    # The run really reached the server: every operation answered, and the reads found things.
    assert len(seen) == len(operations)
    for read in (
        "GET /api/v1/cases/",
        "GET /api/v1/cases/{id}/",
        "GET /api/v1/cases/{id}/attachments/{attachment_id}/",
        "GET /api/v1/notifications/{id}/",
        "GET /api/v1/practice-items/{id}/",
        "GET /api/v1/writeups/{id}/",
    ):
        assert 200 in seen[read], read


# --- What the run found, pinned ----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_api_address_that_matches_no_url_answers_the_apis_own_404(client):
    """``/api/v1/cases/abc/`` matches no route (ids are digits): JSON like a missing case, not a page."""
    for path in ("/api/v1/cases/abc/", "/api/v1/practice-items/x/", "/api/v1/no-such-thing/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert set(response.json()) == {"detail"}
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_the_overdue_filters_are_checked_not_overflowed(api_client):
    """``min_days`` beyond the page's bound (365) was an OverflowError (500); now every filter is typed."""
    org = build_org()
    api_client.force_authenticate(org["county_supervisor"])
    url = "/api/v1/supervision/overdue/"
    assert api_client.get(url, {"min_days": 113990215}).status_code == 400
    assert set(api_client.get(url, {"light": "green", "sort": "x"}).json()) == {"light", "sort"}
    assert api_client.get(url, {"min_days": 3, "light": "red", "sort": "-due"}).status_code == 200


@pytest.mark.django_db
def test_a_username_longer_than_any_account_is_a_400_at_the_token_endpoint(api_client):
    """Found by the run: a 300-character username reached axes, whose column holds 255 (a 500)."""
    response = api_client.post("/api/v1/auth/token/", {"username": "u" * 300, "password": "x"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username"}


@pytest.mark.django_db
def test_a_datetime_filter_with_an_offset_postgresql_refuses_is_taken_as_the_same_instant(api_client):
    """Found by the run: ``taken_in_at_before=…-17:50`` went to PostgreSQL as is (offsets up to ±15:59 only:
    a 500). Filters and command inputs now carry the instant in UTC; one out of range is a 400."""
    org = build_org()
    api_client.force_authenticate(org["county_supervisor"])
    url = "/api/v1/cases/"
    assert api_client.get(url, {"taken_in_at_before": "2850-08-20T02:55:00-17:50"}).status_code == 200
    assert api_client.get(url, {"taken_in_at_after": "9999-12-31T23:00:00-17:50"}).status_code == 400


@pytest.mark.django_db
def test_a_command_body_that_is_not_an_object_is_a_400(api_client):
    """Found by the run: ``null`` (or a list) as the body of a case command was a 500."""
    org = build_org()
    case = drive(org, CaseStatus.IN_PROGRESS)
    api_client.force_authenticate(org["county_supervisor"])
    for url in (f"/api/v1/cases/{case.pk}/urge/", f"/api/v1/supervision/cases/{case.pk}/urge/"):
        for body in ("null", '["reason"]', '"reason"'):
            response = api_client.post(url, body, content_type="application/json")
            assert response.status_code == 400, (url, body)
            assert set(response.json()) == {"non_field_errors"}
