"""The auditor (审计员): reads the case events of their subtree and the configuration history, nothing else."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from cases import services
from routing.choices import StaffRole, Tier
from routing.models import Department
from routing.scoping import scope_for
from tests.factories import CLASSIFICATION, RegionFactory, ServiceWindowFactory, build_org, staff, take_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db):
    return build_org()


@pytest.fixture
def auditor(org):
    return staff(StaffRole.AUDITOR, org.regions["county"], username="auditor")


@pytest.fixture
def cases(org):
    ours = take_in(org, category=org.category, **CLASSIFICATION)
    other_county = RegionFactory(code="330682", name="邻县", tier=Tier.COUNTY)
    window = ServiceWindowFactory(code="W-other", region=other_county)
    clerk = staff(StaffRole.CLERK, other_county, username="other_clerk")
    theirs = services.case_intake(
        actor=clerk,
        window=window,
        channel="walk_in",
        requester={"kind": "person", "name": "王芳", "phone": "13800138001"},
        title="邻县的事",
        description="邻县窗口受理",
    ).case
    return ours, theirs


def test_the_auditor_reads_the_events_of_their_subtree_only(api_client, auditor, cases):
    ours, theirs = cases
    api_client.force_authenticate(auditor)
    answer = api_client.get("/api/v1/audit/events/")
    assert answer.status_code == 200
    numbers = {row["tracking_number"] for row in answer.json()["results"]}
    assert numbers == {ours.tracking_number}
    row = answer.json()["results"][0]
    assert len(row["hash"]) == 64 and len(row["prev_hash"]) == 64
    assert api_client.get("/api/v1/audit/events/", {"case": theirs.tracking_number}).json()["count"] == 0
    assert api_client.get("/api/v1/audit/digests/").status_code == 200


def test_the_auditor_runs_no_command_and_sees_no_case(api_client, client, auditor, cases):
    """Each refused path: the case list is empty, a case and its commands are 404 (as if absent), the
    organisation is invisible, the admin is closed, supervision is 403."""
    ours, _theirs = cases
    scope = scope_for(auditor)
    assert scope.audit_paths and not scope.member_paths and not scope.oversight_paths
    api_client.force_authenticate(auditor)
    assert api_client.get("/api/v1/cases/").json()["count"] == 0
    assert api_client.get(f"/api/v1/cases/{ours.pk}/").status_code == 404
    answer = api_client.post(f"/api/v1/cases/{ours.pk}/note/", {"text": "审计员不能写"}, format="json")
    assert answer.status_code == 404
    assert api_client.get("/api/v1/regions/").json()["count"] == 0
    assert api_client.get("/api/v1/supervision/dashboard/").status_code == 403
    client.force_login(auditor)
    assert client.get(f"/cases/{ours.pk}/").status_code == 404
    assert client.get("/admin/").status_code == 302  # not staff: the admin's login page
    assert not auditor.is_staff
    assert client.get(reverse("audit:index")).status_code == 200


@pytest.mark.parametrize("role", [StaffRole.SUPERVISOR, StaffRole.ADMINISTRATOR, StaffRole.CLERK])
def test_no_other_role_reads_the_audit_trail(api_client, client, org, role):
    user = org[
        {"supervisor": "county_supervisor", "administrator": "county_admin", "clerk": "v1_clerk"}[role]
    ]
    api_client.force_authenticate(user)
    for url in ("/api/v1/audit/events/", "/api/v1/audit/config-history/", "/api/v1/audit/digests/"):
        assert api_client.get(url).status_code == 403
    client.force_login(user)
    assert client.get(reverse("audit:index")).status_code == 403


def test_anonymous_is_refused(api_client, client):
    assert api_client.get("/api/v1/audit/events/").status_code == 401
    assert client.get(reverse("audit:index")).status_code == 302


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the history is kept by PostgreSQL triggers")
def test_configuration_changes_are_kept_with_who_and_when(client, org, auditor):
    """A department renamed through the admin by the county administrator: the auditor reads the change
    and who made it; another county's auditor does not."""
    admin_user = org["county_admin"]
    department = org.dept("market")
    client.force_login(admin_user)
    answer = client.post(
        f"/admin/routing/department/{department.pk}/change/",
        {
            "code": department.code,
            "name": "市场监督管理局",
            "region": department.region_id,
            "role": department.role,
            "is_active": "on",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert Department.objects.get(pk=department.pk).name == "市场监督管理局"

    api = APIClient()
    api.force_authenticate(auditor)
    rows = api.get("/api/v1/audit/config-history/", {"model": "department"}).json()
    change = next(r for r in rows if r["object_id"] == department.pk and r["change"] == "update")
    assert change["user"] == admin_user.username
    assert change["data"]["name"] == "市场监督管理局"
    assert change["path"].startswith("/admin/routing/department/")

    elsewhere = staff(StaffRole.AUDITOR, RegionFactory(code="330683", name="另一县", tier=Tier.COUNTY))
    api.force_authenticate(elsewhere)
    rows = api.get("/api/v1/audit/config-history/", {"model": "department"}).json()
    assert all(r["object_id"] != department.pk for r in rows)
