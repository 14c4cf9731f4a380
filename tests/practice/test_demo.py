"""The demo has one recurring problem and one standing-practice item on it, and loading again adds none."""

import io

import pytest
from django.core.management import call_command

from practice.choices import ItemStatus, RecurringKind
from practice.models import PracticeItem, RecurringProblem

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_recurring_problem_and_an_item():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "standing practice (常态建设) demo rows created: 5" in out.getvalue()
    problem = RecurringProblem.objects.get(kind=RecurringKind.CATEGORY_DEPARTMENT)
    assert problem.window_count == 4  # the three matters and the escalated 低保年审 case of cases.demo
    item = PracticeItem.objects.get()
    assert (item.source_problem, item.status) == (problem, ItemStatus.OPEN)
    call_command("load_demo", stdout=io.StringIO())
    assert (RecurringProblem.objects.count(), PracticeItem.objects.count()) == (1, 1)
