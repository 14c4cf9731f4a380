"""The nightly detector on generated data with known clusters (tests/practice/matters.py, fixed seed):
it finds the planted clusters, puts no unrelated matter with them or together, and a second run (the
beat task, run for real) changes nothing and tells nobody twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Category
from notifications.choices import Channel, TemplateCode
from notifications.models import Notification
from practice import detector, tasks
from practice.choices import RecurringKind
from practice.models import RecurringProblem
from tests.factories import CategoryFactory

from .helpers import Row, bulk_cases
from .matters import generate

pytestmark = pytest.mark.django_db


def _plant(org):
    """The 213 matters, in the county's regions, over the last 80 days; returns {case id: planted cluster}."""
    matters = generate()
    county = org.regions["county"]
    categories = [CategoryFactory(county=county, code=f"R{i:02d}", name=f"随机类别{i}") for i in range(6)]
    stalls = Category.objects.create(county=county, code="STALL", name="占道经营")
    places = ["v1", "v1b", "v2", "t1", "t2", "county"]
    departments = ["land", "housing", "market", "t1_office", "t2_office"]
    now = timezone.now()
    rows, labels = [], []
    for i, matter in enumerate(matters):
        row = Row(
            matter.title,
            matter.description,
            places[i % len(places)],
            taken_in_at=now - timedelta(days=i % 80),
        )
        if matter.cluster == "stalls":  # one category led by one department, in one town's subtree
            row.where, row.category, row.lead = ("v1", "v1b")[i % 2], stalls, org.dept("t1_office")
        elif matter.cluster:  # similar text, across categories and departments: never 3 with one pair
            row.category = categories[i % len(categories)]
            row.lead = org.dept(departments[i % len(departments)])
        else:  # unrelated: classified, not routed yet
            row.category = categories[i % len(categories)]
        rows.append(row)
        labels.append(matter.cluster)
    cases = bulk_cases(org, rows)
    return {case.pk: label for case, label in zip(cases, labels, strict=True)}


def _found():
    return {
        problem.pk: (problem.kind, sorted(problem.memberships.values_list("case_id", flat=True)))
        for problem in RecurringProblem.objects.all()
    }


def test_the_planted_clusters_are_found_and_nothing_else(org):
    planted = _plant(org)
    result = tasks.detect_recurring_problems()
    assert (result["found"], result["created"], result["segmented"]) == (3, 3, len(planted))
    clusters = {}
    for kind, members in _found().values():
        labels = {planted[pk] for pk in members}
        assert len(labels) == 1 and None not in labels, f"{kind}: unrelated matters clustered {labels}"
        clusters[labels.pop()] = (kind, len(members))
    assert clusters == {
        "elevator": (RecurringKind.SIMILAR_TEXT, 5),
        "newborn": (RecurringKind.SIMILAR_TEXT, 4),
        "stalls": (RecurringKind.CATEGORY_DEPARTMENT, 4),
    }
    elevator = RecurringProblem.objects.get(kind=RecurringKind.SIMILAR_TEXT, terms__contains="电梯")
    assert {"加装", "电梯"} <= set(elevator.term_list)
    # The stalls all came in within town t1's subtree: the cluster is raised there, not to the county.
    stalls = RecurringProblem.objects.get(kind=RecurringKind.CATEGORY_DEPARTMENT)
    assert stalls.region == org.regions["t1"]
    assert (stalls.case_count, stalls.window_count) == (4, 4)
    assert stalls.title == "占道经营 · 暨阳街道便民服务中心"


def test_a_second_run_updates_and_tells_nobody_again(org):
    _plant(org)
    tasks.detect_recurring_problems()
    before = _found()
    raised = Notification.objects.filter(template_code=TemplateCode.RECURRING_PROBLEM, channel=Channel.IN_APP)
    told = sorted(raised.values_list("event_key", "recipient_user__username"))
    # One notice per new cluster: t1's supervisor hears of the t1 cluster, the county's of the other two.
    assert sorted(user for _key, user in told) == ["county_supervisor", "county_supervisor", "t1_supervisor"]

    again = tasks.detect_recurring_problems()
    assert (again["created"], again["updated"], again["segmented"]) == (0, 3, 0)
    assert _found() == before
    assert sorted(raised.values_list("event_key", "recipient_user__username")) == told


def test_a_new_matter_joins_its_cluster_instead_of_making_another(org):
    _plant(org)
    tasks.detect_recurring_problems()
    elevator = RecurringProblem.objects.get(kind=RecurringKind.SIMILAR_TEXT, terms__contains="电梯")
    bulk_cases(
        org,
        [
            Row(
                "城西小区加装电梯规划审批又被退回",
                "老旧住宅加装电梯，业主都同意了，规划许可仍然办不下来。",
                "v1",
            )
        ],
    )
    tasks.detect_recurring_problems()
    elevator.refresh_from_db()
    assert elevator.case_count == 6
    assert RecurringProblem.objects.count() == 3


def test_matters_outside_the_window_do_not_count(org):
    lead = org.dept("market")
    old = timezone.now() - timedelta(days=120)
    bulk_cases(org, [Row(f"旧事项{i}", "早已办结", "v1", org.category, lead, old) for i in range(5)])
    assert tasks.detect_recurring_problems()["found"] == 0


def test_common_path_is_the_deepest_shared_region():
    assert (
        detector.common_path(["/330681/330681001/330681001001/", "/330681/330681001/"])
        == "/330681/330681001/"
    )
    assert detector.common_path(["/330681/330681001/", "/330681/330681002/"]) == "/330681/"
    assert detector.common_path(["/330681/", "/330682/"]) == ""
