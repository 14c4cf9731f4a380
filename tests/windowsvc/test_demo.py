"""The demo data the run command loads: complete, made through the real services, and idempotent."""

import io

import pytest
from django.core.management import call_command

from cases.choices import CaseStatus
from cases.models import Case, CaseEvent, Category

pytestmark = pytest.mark.django_db


def _load() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_load_demo_builds_categories_and_cases_in_many_states_then_changes_nothing():
    first = _load()
    assert "demo cases created: 11" in first  # 8 in 浣江县, 3 in the second county 溪山县
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {CaseStatus.REGISTERED, CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS, CaseStatus.CLOSED} <= statuses
    assert CaseStatus.NOT_ACCEPTED in statuses
    # The loop's queues and clocks have something to show: a refusal to review, a follow-up, a suspension.
    assert {CaseStatus.REPLIED, CaseStatus.SUSPENDED} <= statuses
    assert Case.objects.filter(needs_review=True).count() == 1
    assert Case.objects.filter(follow_up_due_at__isnull=False).count() == 1
    # Every case's history is genuine: one event per accepted command, numbered without gaps.
    for case in Case.objects.all():
        sequences = list(
            CaseEvent.objects.filter(case=case).order_by("sequence").values_list("sequence", flat=True)
        )
        assert sequences == list(range(1, case.version + 1))
    assert Category.objects.filter(code="SB03", parent__code="SB").exists()
    events = CaseEvent.objects.count()

    second = _load()
    assert "demo data ready (no changes)" in second
    assert Case.objects.filter(region_path__startswith="/330698/").count() == 3
    assert Case.objects.count() == 11 + 3  # plus the standing-practice demo's three matters (practice.demo)
    assert CaseEvent.objects.count() == events
