"""The home worklist per role (``cases.selectors.worklist`` and the home page): the right cases, most
urgent first, deadline, days left and light shown, returns to the window marked."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases import selectors, services
from cases.choices import CaseStatus, Light
from cases.models import Assignment, Case
from tests.cases.page_helpers import routed_case
from tests.cases.states import drive

pytestmark = pytest.mark.django_db


def _due(case, *, days: float):
    """Move a case's and its current assignments' deadlines to ``days`` from now (yellow a day before)."""
    due = timezone.now() + timedelta(days=days)
    Case.objects.filter(pk=case.pk).update(due_at=due, yellow_at=due - timedelta(days=1))
    Assignment.objects.filter(case=case, is_current=True).update(
        due_at=due, yellow_at=due - timedelta(days=1)
    )


def _section(user, key):
    return next(s for s in selectors.worklist(user=user) if s.key == key)


def test_the_department_sees_what_to_sign_for_most_urgent_first(org):
    green = routed_case(org, lead="market")
    red = routed_case(org, lead="market")
    yellow = routed_case(org, lead="market")
    _due(green, days=5)
    _due(red, days=-1.5)
    _due(yellow, days=0.5)
    section = _section(org["market_head"], "dept-to-sign")
    assert section.count == 3
    assert [row.case_id for row in section.rows] == [red.pk, yellow.pk, green.pk]
    assert [row.work_light for row in section.rows] == [Light.RED, Light.YELLOW, Light.GREEN]
    assert section.rows[0].days_left == -2 and section.rows[0].overdue_days == 2
    assert section.command == "accept"
    # Another department sees none of them.
    assert _section(org["land_head"], "dept-to-sign").count == 0


def test_the_clerk_sees_returns_callbacks_and_closures(org):
    returned = routed_case(org, lead="market")
    services.assignment_return(actor=org["market_head"], case_id=returned.pk, reason="不属于本部门职责")
    resolved = drive(org, CaseStatus.RESOLVED)
    keys = {s.key: s for s in selectors.worklist(user=org["v1_clerk"])}
    assert [r.pk for r in keys["clerk-returned"].rows] == [returned.pk]
    assert keys["clerk-returned"].rows[0].returned
    assert returned.pk not in [r.pk for r in keys["clerk-to-route"].rows]
    assert [r.pk for r in keys["clerk-callback"].rows] == [resolved.pk]
    assert keys["clerk-close"].count == 0
    # Another village's clerk sees none of them.
    other = {s.key: s for s in selectors.worklist(user=org["v2_clerk"])}
    assert all(s.count == 0 for s in other.values())


def test_the_supervisor_sees_red_cases_and_then_what_was_urged(org):
    case = routed_case(org, lead="market")
    _due(case, days=-1)
    supervisor = org["county_supervisor"]
    assert [r.pk for r in _section(supervisor, "sup-red").rows] == [case.pk]
    services.case_urge(actor=supervisor, case_id=case.pk, reason="请抓紧办理")
    assert _section(supervisor, "sup-red").count == 0
    urged = _section(supervisor, "sup-urged")
    assert [r.pk for r in urged.rows] == [case.pk]
    assert urged.rows[0].action_marks.urged == 1


def test_the_home_page_shows_each_role_its_lists(client, org):
    case = routed_case(org, lead="market")
    _due(case, days=-0.5)
    client.force_login(org["market_head"])
    html = client.get("/").content.decode()
    assert 'data-section="dept-to-sign"' in html
    assert case.tracking_number in html
    assert 'data-light="red"' in html and "超期 1 天" in html
    assert f"/cases/{case.pk}/actions/accept/" in html
    client.force_login(org["county_supervisor"])
    html = client.get("/?sort=newest").content.decode()
    assert 'data-section="sup-red"' in html and 'data-section="dept-to-sign"' not in html
