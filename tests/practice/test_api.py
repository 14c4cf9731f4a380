"""The practice API: scoping (a town supervisor sees its subtree, not its sibling's; another county and
people without a role get 404), creation from a recurring problem, and each command's success, 404, 409,
403 and 400."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from practice.choices import ItemStatus, Measure
from practice.models import PracticeItem
from routing.choices import StaffRole
from tests.factories import RegionFactory, staff

from .helpers import cluster_in, item_on

pytestmark = pytest.mark.django_db

PROBLEMS = "/api/v1/recurring-problems/"
ITEMS = "/api/v1/practice-items/"


@pytest.fixture
def other_county_supervisor(db):
    return staff(StaffRole.SUPERVISOR, RegionFactory(code="330682", name="另一县"))


def ids(response):
    return sorted(row["id"] for row in response.json()["results"])


def test_recurring_problems_are_scoped(api_client, org, other_county_supervisor):
    t1 = cluster_in(org, "v1")  # all in t1's subtree
    t2 = cluster_in(
        org, "t2", lead_key="t2_office", text=("宅基地审批拖延", "农房翻建宅基地审批两个月没有结果。")
    )
    for username, seen in (
        ("county_supervisor", [t1.pk, t2.pk]),
        ("t1_supervisor", [t1.pk]),
        ("t2_supervisor", [t2.pk]),
    ):
        api_client.force_authenticate(org[username])
        assert ids(api_client.get(PROBLEMS)) == sorted(seen), username
    api_client.force_authenticate(org["t1_supervisor"])
    detail = api_client.get(f"{PROBLEMS}{t1.pk}/").json()
    assert (detail["case_count"], len(detail["cases"]), detail["region"]) == (3, 3, "330681001001")
    assert api_client.get(f"{PROBLEMS}{t2.pk}/").status_code == 404
    for user in (other_county_supervisor, org["stranger"], org["t1_office_handler"]):
        api_client.force_authenticate(user)
        assert api_client.get(f"{PROBLEMS}{t1.pk}/").status_code == 404
        assert ids(api_client.get(PROBLEMS)) == []


def test_create_an_item_from_a_problem(api_client, org, other_county_supervisor):
    problem = cluster_in(org, "t1")
    body = {
        "problem": problem.pk,
        "measure": Measure.PROCESS,
        "description": "新建低保材料一次性告知流程。",
        "department": org.dept("t1_office").pk,
        "days": 10,
    }
    for user in (other_county_supervisor, org["t2_supervisor"], org["t1_office_head"]):
        api_client.force_authenticate(user)
        assert api_client.post(ITEMS, body, format="json").status_code == 404
    api_client.force_authenticate(org["v1_supervisor"])  # v1 is below the cluster's region (t1)
    assert api_client.post(ITEMS, body, format="json").status_code == 404
    api_client.force_authenticate(org["t1_supervisor"])
    refused = api_client.post(ITEMS, {**body, "description": "", "days": 0}, format="json")
    assert refused.status_code == 400 and {"description", "days"} <= set(refused.json())
    refused = api_client.post(ITEMS, {**body, "department": org.dept("market").pk + 10_000}, format="json")
    assert refused.status_code == 400 and set(refused.json()) == {"department"}
    created = api_client.post(ITEMS, body, format="json")
    assert created.status_code == 201, created.json()
    item = created.json()
    assert (item["status"], item["days"], item["responsible_department"]) == (
        "open",
        10,
        "暨阳街道便民服务中心",
    )
    assert item["title"] == problem.title and [e["kind"] for e in item["events"]] == ["create"]
    # The responsible department sees it now, and the problem it came from.
    api_client.force_authenticate(org["t1_office_handler"])
    assert ids(api_client.get(ITEMS)) == [item["id"]]
    assert ids(api_client.get(PROBLEMS)) == [problem.pk]
    assert api_client.get(f"{ITEMS}{item['id']}/").json()["allowed_commands"] == ["progress", "submit"]


def test_commands(api_client, org, other_county_supervisor):
    item = item_on(cluster_in(org, "t1"), org["t1_supervisor"], org.dept("t1_office"))
    url = f"{ITEMS}{item.pk}/"
    api_client.force_authenticate(other_county_supervisor)
    assert api_client.post(url + "cancel/", {"reason": "x"}, format="json").status_code == 404
    api_client.force_authenticate(org["t1_supervisor"])
    answer = api_client.post(url + "accept/", {}, format="json")
    assert answer.status_code == 409 and answer.json()["current_status"] == "open"
    assert answer.json()["allowed_commands"] == ["cancel"]
    assert api_client.post(url + "progress/", {"text": "x"}, format="json").status_code == 403
    api_client.force_authenticate(org["t1_office_handler"])
    assert api_client.post(url + "progress/", {"text": ""}, format="json").status_code == 400
    assert (
        api_client.post(url + "progress/", {"text": "已起草"}, format="json").json()["status"]
        == "in_progress"
    )
    evidence = SimpleUploadedFile("指南.txt", "新版办事指南".encode(), content_type="text/plain")
    done = api_client.post(
        url + "submit/", {"evidence": "已发布新版指南", "file": evidence}, format="multipart"
    )
    assert done.status_code == 200 and done.json()["has_evidence_file"] is True
    api_client.force_authenticate(org["t1_supervisor"])
    assert api_client.post(url + "reject/", {}, format="json").status_code == 400
    accepted = api_client.post(url + "accept/", {"note": "同意"}, format="json").json()
    assert accepted["status"] == ItemStatus.DONE
    assert accepted["effect"] == {"days": 0, "before": 0, "since": 0}
    assert [e["kind"] for e in accepted["events"]] == ["create", "progress", "submit", "accept"]
    assert PracticeItem.objects.get().evidence_file.read() == "新版办事指南".encode()
