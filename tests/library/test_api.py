"""The library API: scoping (a town supervisor sees its subtree only; another county's write-up is 404),
commands as POST endpoints (200, 404, 409, 403, 400), filters, and the reuse record."""

from __future__ import annotations

import pytest

from library.models import WriteUp
from routing.choices import Tier
from tests.factories import RegionFactory, UserFactory, take_in

from .helpers import blocker, draft, published, solved_case

pytestmark = pytest.mark.django_db


def _login(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_a_town_supervisor_sees_its_subtree_only(api_client, org):
    mine = draft(org, solved_case(org, "v1"))
    other = draft(org, solved_case(org, "v2"), actor=org["v2_clerk"])
    client = _login(api_client, org["t1_supervisor"])
    ids = {row["id"] for row in client.get("/api/v1/writeups/").json()["results"]}
    assert ids == {mine.pk}
    assert client.get(f"/api/v1/writeups/{other.pk}/").status_code == 404
    assert client.post(f"/api/v1/writeups/{other.pk}/publish/", {}).status_code == 404
    county = _login(api_client, org["county_supervisor"])
    assert {r["id"] for r in county.get("/api/v1/writeups/").json()["results"]} == {mine.pk, other.pk}


def test_another_countys_writeup_is_404(api_client, org):
    from routing.choices import StaffRole
    from routing.models import Membership

    other_county = RegionFactory(code="330682", name="上虞区", tier=Tier.COUNTY)
    supervisor = UserFactory(username="other_supervisor")
    Membership.objects.create(user=supervisor, role=StaffRole.SUPERVISOR, region=other_county)
    writeup = published(org)
    client = _login(api_client, supervisor)
    assert client.get(f"/api/v1/writeups/{writeup.pk}/").status_code == 404
    assert client.get("/api/v1/writeups/").json()["results"] == []


def test_nobody_logged_in_is_refused(api_client, org):
    assert api_client.get("/api/v1/writeups/").status_code in (401, 403)


def test_create_submit_publish_through_the_api(api_client, org):
    case = solved_case(org)
    clerk = _login(api_client, org["v1_clerk"])
    body = {
        "case": case.pk,
        "title": "变更经营范围一次办结",
        "problem": "三次被退回。",
        "blocker_type": "cross_department",
        "solution": "统一口径。",
    }
    created = clerk.post("/api/v1/writeups/", body, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["allowed_commands"] == ["edit", "submit"]
    assert clerk.post("/api/v1/writeups/", body, format="json").status_code == 409  # one per case
    bad = clerk.post("/api/v1/writeups/", {**body, "case": solved_case(org).pk, "title": ""}, format="json")
    assert bad.status_code == 400 and "title" in bad.json()
    assert clerk.post(f"/api/v1/writeups/{pk}/publish/", {}).status_code == 409  # not from draft
    assert clerk.post(f"/api/v1/writeups/{pk}/submit/", {}).json()["status"] == "submitted"
    assert clerk.post(f"/api/v1/writeups/{pk}/publish/", {}).status_code == 403  # not a reviewer
    assert clerk.post(f"/api/v1/writeups/{pk}/submit/", {}).status_code == 409
    supervisor = _login(api_client, org["t1_supervisor"])
    refused = supervisor.post(f"/api/v1/writeups/{pk}/request-changes/", {"note": ""})
    assert refused.status_code == 400 and "note" in refused.json()
    answer = supervisor.post(f"/api/v1/writeups/{pk}/publish/", {})
    assert answer.status_code == 200 and answer.json()["status"] == "published"
    assert "mark_typical" in answer.json()["allowed_commands"]
    assert supervisor.post(f"/api/v1/writeups/{pk}/mark-typical/", {}).json()["typical"] is True
    detail = supervisor.get(f"/api/v1/writeups/{pk}/").json()
    assert [e["kind"] for e in detail["events"]] == ["create", "submit", "publish", "mark_typical"]


def test_edit_records_who_set_the_enterprise_consent(api_client, org):
    writeup = draft(org)
    clerk = _login(api_client, org["v1_clerk"])
    answer = clerk.post(f"/api/v1/writeups/{writeup.pk}/edit/", {"enterprise_consent": True}, format="json")
    assert answer.status_code == 200
    assert answer.json()["enterprise_consent_by"] == "v1_clerk"
    assert answer.json()["title"] == writeup.title  # unchanged fields stay


def test_filters_and_search(api_client, org):
    published(org, title="营业执照经营范围变更", typical=True)
    published(org, solved_case(org), title="不动产登记历史遗留", blocker_type=blocker("policy_gap"))
    client = _login(api_client, org["county_supervisor"])
    assert [r["title"] for r in client.get("/api/v1/writeups/", {"q": "营业执照"}).json()["results"]] == [
        "营业执照经营范围变更"
    ]
    assert len(client.get("/api/v1/writeups/", {"blocker_type": "policy_gap"}).json()["results"]) == 1
    assert len(client.get("/api/v1/writeups/", {"typical": "true"}).json()["results"]) == 1
    assert len(client.get("/api/v1/writeups/", {"region": "330681002"}).json()["results"]) == 0
    assert len(client.get("/api/v1/writeups/", {"year": WriteUp.objects.first().year}).json()["results"]) == 2


def test_reuse_is_recorded_on_a_visible_case(api_client, org):
    writeup = published(org)
    case = take_in(org, "v1")
    client = _login(api_client, org["v1_clerk"])
    answer = client.post("/api/v1/writeup-reuses/", {"case": case.pk, "writeup": writeup.pk}, format="json")
    assert answer.status_code == 201
    hidden = take_in(org, "v2")
    assert (
        client.post(
            "/api/v1/writeup-reuses/", {"case": hidden.pk, "writeup": writeup.pk}, format="json"
        ).status_code
        == 404
    )
    assert client.post("/api/v1/writeup-reuses/", {"case": case.pk}, format="json").status_code == 400


def test_a_typical_quarter_exports_as_xlsx(client, org):
    from io import BytesIO

    from openpyxl import load_workbook

    writeup = published(org, typical=True)
    client.force_login(org["t1_supervisor"])
    year, quarter = writeup.typical_at.year, (writeup.typical_at.month - 1) // 3 + 1
    answer = client.get("/library/typical/", {"year": year, "quarter": quarter, "format": "xlsx"})
    assert answer.status_code == 200
    rows = list(load_workbook(BytesIO(b"".join(answer.streaming_content))).active.values)
    assert rows[1][1] == writeup.title
    page = client.get("/library/typical/", {"year": year, "quarter": quarter})
    assert writeup.title in page.content.decode()


def test_a_writeup_stays_visible_exactly_like_its_case_when_the_case_moves(api_client, org):
    """The library is scoped on the write-up's own copy of where its case is handled; reopened and sent to
    another town's office, the case and its write-up become visible there together."""
    from cases import services as case_services
    from cases.models import Case

    writeup = draft(org, solved_case(org, "v1"))
    other_town = _login(api_client, org["t2_supervisor"])
    assert other_town.get(f"/api/v1/writeups/{writeup.pk}/").status_code == 404
    case_services.case_reopen(
        actor=org["county_supervisor"],
        case_id=writeup.case_id,
        reason="答复不实，改由二镇办理",
        lead_department=org.dept("t2_office").pk,
    )
    writeup.refresh_from_db()
    case = Case.objects.get(pk=writeup.case_id)
    assert writeup.handling_region_path == case.handling_region_path == org.dept("t2_office").region.path
    assert Case.objects.visible_to(org["t2_supervisor"]).filter(pk=case.pk).exists()
    assert other_town.get(f"/api/v1/writeups/{writeup.pk}/").status_code == 200
    assert writeup.pk in {row["id"] for row in other_town.get("/api/v1/writeups/").json()["results"]}
