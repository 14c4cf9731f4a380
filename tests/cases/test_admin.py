"""The cases admin: scoped changelists, masked personal data, no edits outside workflow commands."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from cases.choices import CaseStatus
from tests.factories import person, take_in

from .states import drive

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_superuser_sees_masked_requesters_and_cannot_edit_cases(org, client):
    case = take_in(org, "v1", requester=person(phone="13912345678"))
    login(client, org["root"])
    changelist = client.get(reverse("admin:cases_case_changelist"))
    assert changelist.status_code == 200
    page = changelist.content.decode()
    assert case.tracking_number in page
    assert "139****5678" in page and "13912345678" not in page
    change = client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert change.status_code == 200
    assert 'name="status"' not in change.content.decode()  # read-only: no input for the status
    assert client.get(reverse("admin:cases_case_add")).status_code == 403
    response = client.post(reverse("admin:cases_case_delete", args=[case.pk]), {"post": "yes"})
    assert response.status_code == 403
    requesters = client.get(reverse("admin:cases_requester_changelist")).content.decode()
    assert "139****5678" in requesters and "13912345678" not in requesters


def test_changelist_is_scoped_to_the_users_subtree(org, client):
    mine = take_in(org, "v1")
    sibling = take_in(org, "v2")
    admin = org["t1_admin"]
    admin.user_permissions.add(Permission.objects.get(codename="view_case", content_type__app_label="cases"))
    login(client, admin)
    page = client.get(reverse("admin:cases_case_changelist")).content.decode()
    assert mine.tracking_number in page and sibling.tracking_number not in page
    assert client.get(reverse("admin:cases_case_change", args=[sibling.pk])).status_code in (302, 404)


def test_events_are_shown_read_only_inline(org, client):
    case = drive(org, CaseStatus.IN_PROGRESS)
    login(client, org["root"])
    page = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert 'name="events-0-reason"' not in page
    assert "受理登记" in page and "签收" in page


def test_category_admin_is_limited_to_administered_counties(org, client):
    admin = org["county_admin"]
    admin.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="cases", codename__in=["view_category", "add_category", "change_category"]
        )
    )
    login(client, admin)
    page = client.get(reverse("admin:cases_category_changelist")).content.decode()
    assert "市场主体登记" in page
    login(client, org["t1_admin"])  # a town administrator: the county's categories are not theirs
    response = client.get(reverse("admin:cases_category_changelist"))
    assert response.status_code == 200
    assert "市场主体登记" not in response.content.decode()
