"""Every page, receipt, export and API answer renders for a case from every channel.

A case taken in through Open311 (or by the system) has no clerk; a phone or letter intake has a clerk but
no visit; an enterprise may give a landline. Each such case is rendered through every staff page, the
receipt, the supervisors' overdue list (and every link on it), the exports, the staff API, the public
status page and API, the Open311 answers, the home worklists, the printable documents (交办单, 督办通知书)
and the quarter's bulletin with its split by channel — none may answer 500, and where no person took the
case in the pages say 网上受理 (online) or 系统 (system).
"""

from __future__ import annotations

import csv
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from cases import services
from cases.choices import Channel
from cases.models import Case
from cases.selectors import DOCUMENT_KINDS, case_document_kinds
from cases.sweep import sweep
from tests.citizens.helpers import lookup
from tests.citizens.scenarios import make_integration
from tests.factories import enterprise, take_in

from .states import STEPS, classify

pytestmark = pytest.mark.django_db


def _open311_case(client, org) -> Case:
    _integration, key = make_integration(org)
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": org.category.code,
            "address_string": "诸暨市暨阳街道某路1号",
            "first_name": "三丰",
            "last_name": "张",
            "phone": "13800138000",
            "description": "营业执照变更多次未办成\n申请变更经营范围三次被退回。",
            "attribute[MATTER_KIND]": "difficult",
        },
    )
    assert response.status_code == 200, response.content
    return Case.objects.get(tracking_number=response.json()[0]["service_request_id"])


def _cases(client, org) -> dict[str, Case]:
    cases = {
        "open311": _open311_case(client, org),
        "system": services.case_intake(
            actor=None,
            window=org.windows["v1"],
            channel=Channel.HOTLINE_12345,
            requester={"kind": "person", "name": "李四", "phone": "13900139000"},
            title="12345 转来的工单",
            description="路灯损坏多日无人修。",
        ).case,
        "walk_in": take_in(org, "v1"),
        "phone": take_in(org, "v1", channel=Channel.PHONE),
        "letter": take_in(org, "v1", channel=Channel.LETTER, requester=enterprise()),
    }
    for case in cases.values():
        classify(org, case)
    return {key: Case.objects.get(pk=case.pk) for key, case in cases.items()}


def test_every_channel_renders_everywhere(client, org):
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False):
        cases = _cases(client, org)
    assert cases["open311"].clerk is None and cases["system"].clerk is None
    # Past every deadline: the cases are on the overdue list and red in the exports.
    with time_machine.travel("2026-03-30 10:00 +0800", tick=False):
        client.force_login(org["county_supervisor"])
        for key, case in cases.items():
            for name in ("cases:detail", "cases:receipt"):
                page = client.get(reverse(name, args=[case.pk]))
                assert page.status_code == 200, (key, name)
            detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
            expected = {"open311": "网上受理", "system": "系统"}.get(key, "v1_clerk")
            assert expected in detail, key
            api = client.get(f"/api/v1/cases/{case.pk}/")
            assert api.status_code == 200, key
            assert api.json()["taken_in_by"] == expected
            for part in ("events", "receipt", "assignments", "commands"):
                assert client.get(f"/api/v1/cases/{case.pk}/{part}/").status_code == 200, (key, part)

        overdue = client.get(reverse("supervision:overdue"))
        assert overdue.status_code == 200
        links = [reverse("cases:detail", args=[case.pk]) for case in cases.values()]
        html = overdue.content.decode()
        for link in links:
            assert link in html
            assert client.get(link).status_code == 200
        assert client.get(reverse("supervision:dashboard")).status_code == 200
        assert client.get("/api/v1/cases/").status_code == 200

        rows = list(
            csv.reader(
                io.StringIO(
                    b"".join(
                        client.get(reverse("supervision:export", args=["csv"])).streaming_content
                    ).decode("utf-8-sig")
                )
            )
        )
        by_number = {row[0]: row for row in rows[1:]}
        taken_in_by = rows[0].index("受理人")
        assert by_number[cases["open311"].tracking_number][taken_in_by] == "网上受理"
        assert by_number[cases["system"].tracking_number][taken_in_by] == "系统"
        assert by_number[cases["walk_in"].tracking_number][taken_in_by] == "v1_clerk"
        xlsx = client.get(reverse("supervision:export", args=["xlsx"]))
        sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)), read_only=True).active
        assert len(list(sheet.iter_rows(values_only=True))) == len(cases) + 1

        # The review queue and a refused case's page render for a case nobody took in at a counter.
        services.case_not_accept(
            actor=org["county_supervisor"],
            case_id=cases["open311"].pk,
            reason="属于民事纠纷",
            guidance="请向人民调解委员会申请调解",
            reason_code="civil_dispute",
        )
        reviews = client.get(reverse("supervision:reviews"))
        assert reviews.status_code == 200
        assert cases["open311"].tracking_number in reviews.content.decode()
        assert client.get(reverse("cases:detail", args=[cases["open311"].pk])).status_code == 200
        assert client.get("/api/v1/reviews/").status_code == 200

        client.logout()
        for key, case in cases.items():
            public = lookup(client, tracking_number=case.tracking_number, query_code=case.query_code)
            assert public.status_code == 200, key
            page = client.post(
                reverse("public-status-page"),
                {"tracking_number": case.tracking_number, "secret": case.query_code},
            )
            assert page.status_code == 200, key
            assert case.tracking_number in page.content.decode()
        open311 = client.get(
            "/open311/v2/requests.json", {"service_request_id": cases["open311"].tracking_number}
        )
        assert open311.status_code == 200


def test_every_channel_on_the_worklists_the_printed_documents_and_the_bulletin(client, org):
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False):
        cases = _cases(client, org)
        for case in cases.values():
            STEPS["assign"](org, case)
    with time_machine.travel("2026-03-30 10:00 +0800", tick=False):
        # Overdue by weeks: the sweep has urged and supervised, so a 督办通知书 exists too.
        sweep()
        numbers = {key: case.tracking_number for key, case in cases.items()}

        # The home worklists: the department that must sign for them, the window, the supervisor.
        for user in ("t1_office_handler", "v1_clerk", "county_supervisor"):
            client.force_login(org[user])
            home = client.get("/")
            assert home.status_code == 200, user
        client.force_login(org["t1_office_handler"])
        home = client.get("/").content.decode()
        for key, number in numbers.items():
            assert number in home, key

        # Every printable document each case has, and no other.
        client.force_login(org["county_supervisor"])
        for key, case in cases.items():
            kinds = {kind for kind, _label in case_document_kinds(case=case)}
            assert {"assignment", "supervision"} <= kinds, key
            for kind in DOCUMENT_KINDS:
                page = client.get(reverse("cases:document", args=[case.pk, kind]))
                assert page.status_code == (200 if kind in kinds else 404), (key, kind)
                if kind in kinds:
                    assert case.tracking_number in page.content.decode(), (key, kind)

        # The quarter's bulletin counts the intake by channel, page and XLSX.
        bulletin = client.get(reverse("supervision:bulletin"), {"period": "2026-Q1"})
        assert bulletin.status_code == 200
        html = bulletin.content.decode()
        for label in ("网上反映", "12345转办", "窗口来访", "电话", "来信"):
            assert label in html, label
        xlsx = client.get(reverse("supervision:bulletin"), {"period": "2026-Q1", "format": "xlsx"})
        book = load_workbook(io.BytesIO(_content(xlsx)), read_only=True)
        rows = {row[0]: row[1] for row in book["受理渠道"].iter_rows(min_row=2, values_only=True) if row[0]}
        assert rows["网上反映"] == 1 and rows["12345转办"] == 1, rows
        assert rows["窗口来访"] == 1 and rows["电话"] == 1 and rows["来信"] == 1, rows


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_every_channel_on_a_city_supervisors_pages(client, org):
    """A city above the county: its supervisor's dashboard, overdue list, ranking of counties, light board,
    bulletin and export show the cases of every channel (no clerk, no window member, no phone)."""
    from routing.choices import StaffRole, Tier
    from tests.factories import RegionFactory, staff

    city = RegionFactory(code="330600", name="绍兴市", tier=Tier.CITY)
    county = org.regions["county"]
    county.parent = city
    county.save()
    supervisor = staff(StaffRole.SUPERVISOR, city)
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False):
        cases = _cases(client, org)
    with time_machine.travel("2026-03-30 10:00 +0800", tick=False):
        client.force_login(supervisor)
        dashboard = client.get(reverse("supervision:dashboard"), {"region": "330600"})
        assert dashboard.status_code == 200
        assert 'data-region="330681"' in dashboard.content.decode()
        overdue = client.get(reverse("supervision:overdue"), {"region": "330600"}).content.decode()
        for key, case in cases.items():
            assert reverse("cases:detail", args=[case.pk]) in overdue, key
            assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200, key
        for name in ("supervision:rankings", "supervision:lights", "supervision:bulletin"):
            assert client.get(reverse(name), {"region": "330600"}).status_code == 200, name
        export = client.get(reverse("supervision:export", args=["csv"]), {"node": "330600"})
        text = b"".join(export.streaming_content).decode("utf-8-sig")
        for key, case in cases.items():
            assert case.tracking_number in text, key
