"""The admin: a platform's credentials shown once (key hashed, secret encrypted), the import page, and the
dead-letter list's resend."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case
from hotline.choices import CallbackKind, DeliveryStatus
from hotline.models import HotlineCallback, HotlinePlatform, WorkOrder, hash_key
from tests.cases.states import STEPS
from tests.factories import build_org

from .helpers import PUSH, make_platform, order, signed_post

pytestmark = pytest.mark.django_db

CSV = "工单号,诉求人,联系电话,诉求类型,诉求内容,所属区划\n"


@pytest.fixture
def org():
    return build_org()


def test_a_new_platform_shows_its_key_and_secret_once(client, org):
    client.force_login(org["root"])
    response = client.post(
        "/admin/hotline/hotlineplatform/add/",
        {"code": "zj12345", "name": "省12345", "window": org.windows["county"].pk, "is_active": "on"},
        follow=True,
    )
    platform = HotlinePlatform.objects.get(code="zj12345")
    message = next(str(m) for m in response.context["messages"])
    key = message.split("key=")[1].split(" ")[0]
    assert platform.key_hash == hash_key(key) and key not in platform.key_hash
    assert platform.secret and platform.secret in message
    assert (
        client.get(f"/admin/hotline/hotlineplatform/{platform.pk}/change/").content.decode().count(key) == 0
    )


def test_the_import_page_previews_line_errors_and_imports_all_or_nothing(client, org):
    platform, _, _ = make_platform(org)
    client.force_login(org["root"])
    assert client.get("/admin/hotline/workorder/import/").status_code == 200
    bad = CSV + "A1,张三,13800000001,投诉,办不成,330681001001\nA2,李四,12,吐槽,办不成,\n"
    page = client.post(
        "/admin/hotline/workorder/import/",
        {"platform": platform.pk, "commit": "on", "file": SimpleUploadedFile("e.csv", bad.encode())},
    )
    text = page.content.decode()
    assert 'id="import-errors"' in text and "<td>3</td><td>联系电话</td>" in text
    assert WorkOrder.objects.count() == 0
    good = CSV + "A1,张三,13800000001,投诉,办不成,330681001001\nA2,李四,13800000002,咨询,办不成,\n"
    page = client.post(
        "/admin/hotline/workorder/import/",
        {"platform": platform.pk, "commit": "on", "file": SimpleUploadedFile("e.csv", good.encode())},
    )
    assert 'id="import-done"' in page.content.decode()
    assert WorkOrder.objects.count() == 2
    assert client.get("/admin/hotline/workorder/import/").status_code == 200
    org["v1_clerk"].is_staff = True
    org["v1_clerk"].save(update_fields=["is_staff"])
    client.force_login(org["v1_clerk"])
    assert client.get("/admin/hotline/workorder/import/").status_code == 403


def test_dead_letters_are_resent_from_the_admin(client, org):
    _, key, secret = make_platform(org)
    pushed = signed_post(client, PUSH, key, secret, order(region_code="330681001001")).json()
    case = Case.objects.get(tracking_number=pushed["tracking_number"])
    for step in ("classify", "assign", "accept"):
        STEPS[step](org, case)
    row = HotlineCallback.objects.get(kind=CallbackKind.ACCEPT)
    HotlineCallback.objects.filter(pk=row.pk).update(status=DeliveryStatus.DEAD, attempts=10, last_error="x")
    client.force_login(org["root"])
    listing = client.get("/admin/hotline/hotlinecallback/", {"status__exact": "dead"})
    assert listing.status_code == 200
    client.post("/admin/hotline/hotlinecallback/", {"action": "resend", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.PENDING, 0, "")
