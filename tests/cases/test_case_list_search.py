"""The staff case list: the API's filters in the URL, and the requester search (posted, kept in the
session, matched exactly on normalised values, shown masked, never in a URL)."""

import pytest
from django.urls import reverse

from cases.choices import CaseStatus, Light
from cases.models import Case
from tests.cases.page_helpers import routed_case
from tests.factories import enterprise, make_id_number, person, take_in

pytestmark = pytest.mark.django_db

URL = "/cases/"


def listed(response) -> set[str]:
    return {c.tracking_number for c in response.context["cases"]}


def test_requester_search_by_phone_is_posted_and_masked(client, org):
    wanted = take_in(org, "v1", requester=person(phone="13911112222"))
    other = take_in(org, "v1", requester=person(phone="13800138000"))
    client.force_login(org["v1_clerk"])
    response = client.post(URL + "?status=registered", {"phone": "139-1111-2222"}, follow=True)
    # Back on the list with the URL's filters kept, and no number in any URL.
    assert response.redirect_chain == [(URL + "?status=registered", 302)]
    assert "13911112222" not in response.redirect_chain[0][0]
    assert listed(response) == {wanted.tracking_number}
    html = response.content.decode()
    assert "139****2222" in html and "13911112222" not in html
    assert other.tracking_number not in html
    # Cleared: everything again.
    response = client.post(URL, {"clear": "1"}, follow=True)
    assert listed(response) == {wanted.tracking_number, other.tracking_number}


def test_requester_search_by_id_number_credit_code_and_name(client, org):
    id_number = make_id_number()
    by_id = take_in(org, "v1", requester=person(id_number=id_number, name="王五"))
    company = enterprise()
    by_code = take_in(org, "v1", requester=company)
    take_in(org, "v1")
    client.force_login(org["v1_clerk"])
    assert listed(client.post(URL, {"id_number": id_number.lower()}, follow=True)) == {by_id.tracking_number}
    response = client.post(URL, {"credit_code": f" {company['credit_code'].lower()} "}, follow=True)
    assert listed(response) == {by_code.tracking_number}
    assert company["credit_code"] not in response.content.decode()
    assert listed(client.post(URL, {"requester_name": "王五"}, follow=True)) == {by_id.tracking_number}
    # Exact only: a prefix of a number finds nothing.
    assert listed(client.post(URL, {"id_number": id_number[:10]}, follow=True)) == set()
    # Nothing typed: an error, the list as it was.
    response = client.post(URL, {})
    assert response.status_code == 200 and "请至少填写一项" in response.content.decode()


def test_requester_search_stays_in_the_users_scope(client, org):
    take_in(org, "v2", requester=person(phone="13911112222"))
    client.force_login(org["v1_clerk"])
    assert listed(client.post(URL, {"phone": "13911112222"}, follow=True)) == set()


def test_the_api_filters_work_on_the_page_and_sort_by_urgency(client, org):
    green = routed_case(org, lead="market")
    Case.objects.filter(pk=green.pk).update(green_channel=True)
    plain = take_in(org, "v1")
    client.force_login(org["county_supervisor"])
    assert listed(client.get(URL, {"green_channel": "true"})) == {green.tracking_number}
    assert listed(client.get(URL, {"status": [CaseStatus.REGISTERED]})) == {plain.tracking_number}
    assert green.tracking_number in listed(client.get(URL, {"light": [Light.GREEN]}))
    assert listed(client.get(URL, {"light": [Light.RED]})) == set()
    response = client.get(URL, {"sort": "urgency", "open": "true"})
    assert next(c.pk for c in response.context["cases"]) == green.pk
    assert reverse("cases:list") == URL


def test_the_session_keeps_no_plain_id_number(client, org):
    id_number = make_id_number()
    take_in(org, "v1", requester=person(id_number=id_number))
    client.force_login(org["v1_clerk"])
    client.post(URL, {"id_number": id_number})
    from django.contrib.sessions.models import Session

    stored = str(Session.objects.get(session_key=client.session.session_key).get_decoded())
    assert id_number not in stored and id_number[-4:] in stored  # only digests and the mask
