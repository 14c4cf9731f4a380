"""Printable 交办单, 督办通知书 and 协调会纪要: issuing body, number, date and seal line; the case's scoping."""

import pytest

from cases import services
from cases.choices import HandlingMode
from tests.cases.page_helpers import routed_case
from tests.cases.states import classify
from tests.factories import take_in

pytestmark = pytest.mark.django_db


def test_assignment_order_prints_with_issuer_number_date_and_seal(client, org):
    case = routed_case(org, lead="market", assisting=("land",))
    client.force_login(org["v1_clerk"])
    detail = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/cases/{case.pk}/print/assignment/" in detail
    assert "/print/supervision/" not in detail
    html = client.get(f"/cases/{case.pk}/print/assignment/").content.decode()
    assert "交办单" in html and "城西社区办不成事窗口" in html
    assert f"-{case.tracking_number}-J" in html and "（盖章）" in html and 'class="seal-date"' in html
    assert "市场监管局" in html and "自然资源局" in html
    assert case.requester.phone not in html  # masked
    assert "css/print-a4" in html
    # No supervision yet: 404. Another department that never had the case: 404.
    assert client.get(f"/cases/{case.pk}/print/supervision/").status_code == 404
    client.force_login(org["housing_head"])
    assert client.get(f"/cases/{case.pk}/print/assignment/").status_code == 404


def test_supervision_order_and_meeting_minutes(client, org):
    case = routed_case(org, lead="market")
    services.case_supervise(actor=org["county_supervisor"], case_id=case.pk, reason="超期未办结", days=2)
    client.force_login(org["county_supervisor"])
    html = client.get(f"/cases/{case.pk}/print/supervision/").content.decode()
    assert "督办通知书" in html and "诸暨市“办不成事”反映窗口督办" in html and "超期未办结" in html
    assert "市场监管局：" in html and "（盖章）" in html

    coordinated = take_in(org, "v1")
    classify(org, coordinated, handling_mode=HandlingMode.COORDINATED)
    services.case_coordinate(
        actor=org["coordinator"],
        case_id=coordinated.pk,
        lead_department=org.dept("housing"),
        decisions="由住建局牵头办理",
        participants=[org.dept("housing"), org.dept("market")],
    )
    html = client.get(f"/cases/{coordinated.pk}/print/coordination/").content.decode()
    assert "协调会纪要" in html and "县行政服务中心" in html and "由住建局牵头办理" in html
    assert client.get(f"/cases/{coordinated.pk}/print/other/").status_code == 404
