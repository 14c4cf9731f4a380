"""The platforms' API: signatures and replays, field errors, one case per order, landing, satisfaction."""

from __future__ import annotations

import time

import pytest

from cases import services
from cases.choices import CaseStatus, Channel, EventKind
from cases.models import Case
from hotline.choices import CallbackKind, RequestType
from hotline.models import HotlineCallback, WorkOrder
from tests.cases.states import STEPS
from tests.factories import build_org

from .helpers import PUSH, SATISFACTION, make_platform, order, signed_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return build_org()


@pytest.fixture
def platform(org):
    return make_platform(org)


def test_a_signed_push_makes_a_registered_hotline_case_and_the_same_order_twice_makes_one(
    client, org, platform
):
    _, key, secret = platform
    body = order(region_code="330681001001")
    first = signed_post(client, PUSH, key, secret, body)
    assert first.status_code == 201, first.content
    case = Case.objects.get(tracking_number=first.json()["tracking_number"])
    assert case.status == CaseStatus.REGISTERED
    assert case.channel == Channel.HOTLINE_12345
    assert case.window == org.windows["v1"]
    order_row = WorkOrder.objects.get(case=case)
    assert order_row.request_type == RequestType.COMPLAINT
    assert order_row.attachment_urls == ["https://12345.example.gov.cn/files/a.jpg"]
    assert order_row.hotline_due_at.isoformat() == "2026-12-20T09:00:00+00:00"
    again = signed_post(client, PUSH, key, secret, body)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "created": False}
    assert Case.objects.count() == 1


def test_without_a_region_code_the_address_decides_and_else_the_platforms_window(client, org, platform):
    _, key, secret = platform
    by_address = signed_post(client, PUSH, key, secret, order(location="浣东街道东江村委会旁"))
    assert Case.objects.get(tracking_number=by_address.json()["tracking_number"]).window == org.windows["v2"]
    nowhere = signed_post(client, PUSH, key, secret, order(location="不详"))
    assert Case.objects.get(tracking_number=nowhere.json()["tracking_number"]).window == org.windows["county"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda key, secret: {"key": "wrong-key", "secret": secret},
        lambda key, secret: {"key": key, "secret": "wrong-secret"},
        lambda key, secret: {"key": key, "secret": secret, "now": time.time() - 3600},
    ],
    ids=["unknown key", "bad signature", "stale timestamp"],
)
def test_unsigned_or_stale_requests_get_401_and_make_nothing(client, platform, tamper):
    _, key, secret = platform
    args = tamper(key, secret)
    now = args.pop("now", None)
    response = signed_post(client, PUSH, args["key"], args["secret"], order(), now=now)
    assert response.status_code == 401
    assert Case.objects.count() == 0


def test_a_replayed_nonce_is_refused(client, platform):
    _, key, secret = platform
    body = order()
    assert signed_post(client, PUSH, key, secret, body, nonce="n" * 20).status_code == 201
    assert signed_post(client, PUSH, key, secret, body, nonce="n" * 20).status_code == 401


def test_bad_fields_get_400_with_field_errors(client, platform):
    _, key, secret = platform
    response = signed_post(
        client,
        PUSH,
        key,
        secret,
        order(number="", contact="12", request_type="催办", attachments=["ftp://x"]),
    )
    assert response.status_code == 400
    errors = response.json()
    assert {"number", "contact", "request_type", "attachments"} <= set(errors.get("errors", errors))
    assert Case.objects.count() == 0


def _hotline_case(client, org, platform):
    _, key, secret = platform
    response = signed_post(client, PUSH, key, secret, order(region_code="330681001001"))
    return Case.objects.get(tracking_number=response.json()["tracking_number"])


def test_each_reported_step_writes_one_callback_row_and_assisting_sign_for_none(client, org, platform):
    case = _hotline_case(client, org, platform)
    for step in ("classify", "assign", "accept"):
        STEPS[step](org, case)
    # The assisting department signs too: not reported (the platform hears one sign-for).
    services.assignment_accept(actor=org["land_handler"], case_id=case.pk)
    for step in ("reply", "resolve", "callback", "close"):
        STEPS[step](org, case)
    kinds = list(HotlineCallback.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [
        CallbackKind.ACCEPT,
        CallbackKind.REPLY,
        CallbackKind.RESOLVE,
        CallbackKind.CALLBACK,
        CallbackKind.CLOSE,
    ]


def test_a_not_accepted_order_goes_back_to_the_platform_with_the_reason(client, org, platform):
    case = _hotline_case(client, org, platform)
    STEPS["not_accept"](org, case)
    row = HotlineCallback.objects.get()
    assert row.kind == CallbackKind.RETURN
    assert row.payload["text"] == "属于诉讼事项"


def test_the_platforms_unsatisfied_callback_reopens_the_case_and_is_not_told_back(client, org, platform):
    _, key, secret = platform
    case = _hotline_case(client, org, platform)
    for step in ("classify", "assign", "accept", "resolve"):
        STEPS[step](org, case)
    number = case.work_order.number
    bad = signed_post(
        client, SATISFACTION, key, secret, {"work_order_number": number, "satisfaction": "不满意"}
    )
    assert bad.status_code == 400
    response = signed_post(
        client,
        SATISFACTION,
        key,
        secret,
        {"work_order_number": number, "satisfaction": "不满意", "comment": "没解决"},
    )
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert list(case.events.order_by("-sequence").values_list("kind", flat=True)[:2]) == [
        EventKind.REOPEN,
        EventKind.CALLBACK,
    ]
    assert not HotlineCallback.objects.filter(kind=CallbackKind.CALLBACK).exists()
    other = signed_post(
        client, SATISFACTION, key, secret, {"work_order_number": "NOPE", "satisfaction": "满意"}
    )
    assert other.status_code == 404


def test_the_case_keeps_the_earlier_of_the_hotlines_deadline_and_its_own(client, org, platform):
    import datetime as dt

    from django.utils import timezone

    _, key, secret = platform
    soon = timezone.now() + dt.timedelta(hours=20)
    early = signed_post(client, PUSH, key, secret, order(region_code="330681001001", due_at=soon.isoformat()))
    late = signed_post(
        client, PUSH, key, secret, order(region_code="330681001001", due_at="2030-01-01T17:00:00+08:00")
    )
    early_case = Case.objects.get(tracking_number=early.json()["tracking_number"])
    late_case = Case.objects.get(tracking_number=late.json()["tracking_number"])
    assert early_case.external_due_at == soon
    assert early_case.due_at == soon
    assert late_case.due_at < late_case.external_due_at
    # Classified (deadlines computed again), suspended and resumed: still the hotline's.
    for step in ("classify", "assign", "accept", "suspend"):
        STEPS[step](org, early_case)
    services.case_resume(actor=org["t1_office_handler"], case_id=early_case.pk, reason="材料已补齐")
    early_case.refresh_from_db()
    assert early_case.due_at == soon
    assert early_case.yellow_at <= soon
