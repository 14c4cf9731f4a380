"""Reads: one case, lists, timelines, work queues, duplicate warnings, category search."""

import pytest

from cases import selectors, services
from cases.choices import AssignmentStatus, CaseStatus, EventKind
from cases.models import Case
from tests.factories import CategoryFactory, person, take_in
from windowsvc.errors import NotFound

from .states import drive

pytestmark = pytest.mark.django_db


def test_case_get_visible_by_id_or_tracking_number(org):
    case = take_in(org, "v1")
    assert selectors.case_get_visible(user=org["v1_clerk"], case_id=case.pk) == case
    assert selectors.case_get_visible(user=org["v1_clerk"], tracking_number=case.tracking_number) == case
    for kwargs in ({"case_id": case.pk}, {"tracking_number": case.tracking_number}, {"case_id": "x"}, {}):
        with pytest.raises(NotFound):
            selectors.case_get_visible(user=org["v2_clerk"], **kwargs)


def test_case_list_visible_is_scoped_and_can_show_open_cases_only(org, django_assert_max_num_queries):
    mine = drive(org, CaseStatus.IN_PROGRESS)
    done = drive(org, CaseStatus.CLOSED)
    take_in(org, "v2")
    user = org["v1_clerk"]
    # the scope, the list with its requesters, then its windows, regions, lead departments and categories
    with django_assert_max_num_queries(6):
        rows = list(selectors.case_list_visible(user=user))
        [(r.requester.phone, r.window.name, r.lead_department) for r in rows]
    assert set(rows) == {mine, done}
    assert list(selectors.case_list_visible(user=user, open_only=True)) == [mine]


def test_timeline_and_public_timeline(org):
    case = drive(org, CaseStatus.IN_PROGRESS)
    kinds = [e.kind for e in selectors.case_timeline(user=org["t1_office_handler"], case_id=case.pk)]
    assert kinds == [EventKind.INTAKE, EventKind.CLASSIFY, EventKind.ASSIGN, EventKind.ACCEPT]
    public = [e.kind for e in selectors.case_public_timeline(case=case)]
    assert public == [EventKind.INTAKE, EventKind.ASSIGN, EventKind.ACCEPT]
    with pytest.raises(NotFound):
        selectors.case_timeline(user=org["housing_head"], case_id=case.pk)


def test_department_queue(org):
    waiting = drive(org, CaseStatus.ASSIGNED)
    working = drive(org, CaseStatus.IN_PROGRESS)
    returned = drive(org, CaseStatus.ASSIGNED)
    services.assignment_return(actor=org["t1_office_head"], case_id=returned.pk, reason="不归街道")
    user = org["t1_office_handler"]
    to_sign = selectors.department_queue(user=user, status=AssignmentStatus.PENDING)
    assert [a.case for a in to_sign] == [waiting]
    in_progress = selectors.department_queue(user=user, status=AssignmentStatus.ACCEPTED)
    assert [a.case for a in in_progress] == [working]
    assert [a.case for a in selectors.department_queue(user=user, status=AssignmentStatus.RETURNED)] == [
        returned
    ]
    assert not selectors.department_queue(user=org["housing_head"]).exists()


def test_requester_open_cases_warns_of_duplicates(org):
    requester = person(phone="13911112222")
    first = take_in(org, "v1", requester=requester)
    take_in(org, "v2", requester=requester)  # not visible to the v1 clerk
    services.case_classify(
        actor=org["v1_clerk"], case_id=first.pk, category=org.category,
        matter_kind="urgent", complexity="simple", handling_mode="standard",
    )  # fmt: skip
    found = selectors.requester_open_cases(user=org["v1_clerk"], phone="139 1111 2222")
    assert list(found) == [first]
    assert list(
        selectors.requester_open_cases(
            user=org["v1_clerk"], id_number=requester["id_number"], category_id=org.category.pk
        )
    ) == [first]
    assert not selectors.requester_open_cases(
        user=org["v1_clerk"], phone="13911112222", category_id=org.category_coordinated.pk
    ).exists()
    assert not selectors.requester_open_cases(user=org["v1_clerk"]).exists()
    services.case_withdraw(actor=org["v1_clerk"], case_id=first.pk, reason="撤回")
    assert not selectors.requester_open_cases(user=org["v1_clerk"], phone="13911112222").exists()


def test_category_search(org):
    CategoryFactory(county=org.regions["county"], code="MKT-2", name="食品经营许可", is_active=False)
    found = selectors.category_search(user=org["v1_clerk"], county_path=org.regions["v1"].path, text="MKT")
    assert [c.code for c in found] == ["MKT"]
    assert [
        c.code for c in selectors.category_search(user=org["v1_clerk"], county_path="/330681/", text="规划")
    ] == ["LAND"]
    assert not selectors.category_search(user=org["stranger"], county_path="/330681/").exists()


def test_category_default_department(org):
    assert selectors.category_default_department(
        category=org.category, region_path=org.regions["v2"].path
    ) == org.dept("market")
    assert (
        selectors.category_default_department(category=org.category_coordinated, region_path="/330681/")
        is None
    )


def test_bounce_counts_by_period_and_region(org):
    from datetime import timedelta

    from django.utils import timezone

    case = drive(org, CaseStatus.ASSIGNED)
    services.assignment_return(actor=org["t1_office_head"], case_id=case.pk, reason="不归街道")
    now = timezone.now()
    assert selectors.department_bounce_counts(since=now - timedelta(minutes=1)) == [
        {"department_id": org.dept("t1_office").pk, "returned": 1, "transferred": 0}
    ]
    assert selectors.department_bounce_counts(since=now + timedelta(minutes=1)) == []
    assert selectors.department_bounce_counts(region_path=org.regions["t2"].path) == []
    assert Case.objects.get(pk=case.pk).return_count == 1
