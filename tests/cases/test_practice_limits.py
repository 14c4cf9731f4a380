"""The time limits as practised (migration cases/0010, docs/DEADLINES.md "Time limits"): each kind of
case gets its deadline through the real services, the built-in copy agrees with the seeded rows, and the
seed never overwrites an administrator's row.

Intake on Monday 2026-03-02 09:00 (a week without holidays): N working days end at 17:30 of the Nth
working day after it.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from cases import services, sla
from cases.choices import CaseStatus, Complexity, HandlingMode, MatterKind
from cases.clocks import builtin_limits
from cases.models import SlaPolicy
from tests.factories import take_in

from .deadline_helpers import at, bj, local, seed_policies

pytestmark = pytest.mark.django_db

PRACTICE = importlib.import_module("cases.migrations.0010_practice_sla_policies")
FIRST = importlib.import_module("cases.migrations.0005_default_sla_policies")

K, M, C = MatterKind, HandlingMode, Complexity


@pytest.fixture(autouse=True)
def _policies(db):
    seed_policies()


CASES = [
    # matter kind, handling mode, complexity, green channel → (completion, reply) deadline, policy name
    (K.EMERGENCY, M.STANDARD, C.GENERAL, False, bj(3, 2, 17, 30), bj(3, 2, 17, 30), "紧急"),
    (K.EMERGENCY, M.EXPEDITED, C.GENERAL, False, bj(3, 2, 17, 30), bj(3, 2, 17, 30), "紧急·加急办"),
    (K.EMERGENCY, M.SPECIAL, C.COMPLEX, False, bj(3, 2, 17, 30), bj(3, 2, 17, 30), "紧急·特事特办"),
    (K.EMERGENCY, M.COORDINATED, C.COMPLEX, False, bj(3, 2, 17, 30), bj(3, 2, 17, 30), "紧急·协调办"),
    (K.URGENT, M.STANDARD, C.GENERAL, False, bj(3, 5, 17, 30), bj(3, 5, 17, 30), "急事"),
    # A matter-kind row ranks above a complexity row: an urgent complex matter is still urgent.
    (K.URGENT, M.STANDARD, C.COMPLEX, False, bj(3, 5, 17, 30), bj(3, 5, 17, 30), "急事"),
    (K.URGENT, M.STANDARD, C.GENERAL, True, bj(3, 3, 17, 30), bj(3, 3, 17, 30), "急事"),  # 50%: 1 day
    (K.DIFFICULT, M.STANDARD, C.GENERAL, False, bj(3, 9, 17, 30), bj(3, 9, 17, 30), "默认（一般事项）"),
    (K.NOVEL, M.STANDARD, C.COMPLEX, False, bj(3, 16, 17, 30), bj(3, 9, 17, 30), "复杂事项"),
    (K.DIFFICULT, M.SPECIAL, C.GENERAL, False, bj(3, 16, 17, 30), bj(3, 9, 17, 30), "特事特办（联动会审）"),
    (
        K.DIFFICULT,
        M.COORDINATED,
        C.COMPLEX,
        False,
        bj(3, 23, 17, 30),
        bj(3, 9, 17, 30),
        "协调办·复杂事项（中心牵头）",
    ),
    # Centre-led but not complex: the general limit.
    (K.DIFFICULT, M.COORDINATED, C.GENERAL, False, bj(3, 9, 17, 30), bj(3, 9, 17, 30), "默认（一般事项）"),
    (K.DIFFICULT, M.EXPEDITED, C.GENERAL, False, bj(3, 5, 17, 30), bj(3, 5, 17, 30), "加急办"),
    (K.DIFFICULT, M.IMMEDIATE, C.SIMPLE, False, bj(3, 2, 17, 30), bj(3, 2, 17, 30), "即办"),
]


@pytest.mark.parametrize(("kind", "mode", "complexity", "green", "due", "reply", "policy"), CASES)
def test_each_kind_of_case_gets_the_limit_of_practice(org, kind, mode, complexity, green, due, reply, policy):
    with at(bj(3, 2, 9)):
        case = take_in(org, "v1")
        services.case_classify(
            actor=org["v1_clerk"],
            case_id=case.pk,
            category=org.category,
            matter_kind=kind,
            handling_mode=mode,
            complexity=complexity,
            green_channel=green,
        )
    case.refresh_from_db()
    assert (case.sla_policy.name, local(case.due_at), local(case.reply_due_at)) == (policy, due, reply)
    assert case.deadline_provisional is False
    if mode in (M.COORDINATED, M.SPECIAL):
        assert case.status == CaseStatus.COORDINATING  # the centre leads it


def test_centre_led_complex_cases_have_no_extension_room_beyond_fifteen_days(org):
    with at(bj(3, 2, 9)):
        case = take_in(
            org,
            "v1",
            category=org.category,
            matter_kind=K.DIFFICULT,
            handling_mode=M.COORDINATED,
            complexity=C.COMPLEX,
        )
    limits, _policy = sla.limits_for(case)
    assert (limits.completion_days, limits.extension_ceiling_days, limits.extension_room(0)) == (15, 15, 0)


def test_the_emergency_kind_is_offered_and_filtered_by_the_api(org, api_client):
    with at(bj(3, 2, 9)):
        case = take_in(org, "v1", category=org.category, matter_kind=K.EMERGENCY, complexity=C.GENERAL)
        take_in(org, "v1", category=org.category, matter_kind=K.URGENT, complexity=C.GENERAL)
    api_client.force_authenticate(org["v1_clerk"])
    body = api_client.get("/api/v1/cases/", {"matter_kind": "emergency"}).json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [row["id"] for row in rows] == [case.pk]
    assert local(case.due_at) == bj(3, 2, 17, 30)


def test_the_built_in_limits_are_the_seeded_rows():
    rows = SlaPolicy.objects.filter(category=None)
    assert rows.count() == len(FIRST.DEFAULTS) + len(PRACTICE.PRACTICE)
    for row in rows:
        assert builtin_limits(
            matter_kind=row.matter_kind, handling_mode=row.handling_mode, complexity=row.complexity
        ) == sla.limits_of(row, green_channel=False), row.name


def test_the_seed_keeps_an_administrators_row_and_fills_only_missing_keys():
    SlaPolicy.objects.filter(category=None, matter_kind=K.URGENT).delete()
    SlaPolicy.objects.filter(category=None, handling_mode=M.SPECIAL, matter_kind="").delete()
    SlaPolicy.objects.create(name="急事（本县）", matter_kind=K.URGENT, reply_days=2, completion_days=4)
    PRACTICE.seed(apps, None)
    urgent = SlaPolicy.objects.get(category=None, matter_kind=K.URGENT, handling_mode="", complexity="")
    assert (urgent.name, urgent.completion_days, urgent.reply_days) == ("急事（本县）", 4, 2)
    special = SlaPolicy.objects.get(category=None, matter_kind="", handling_mode=M.SPECIAL, complexity="")
    assert (special.name, special.completion_days) == ("特事特办（联动会审）", 10)
    # Unseeding removes only rows still holding the seeded values.
    PRACTICE.unseed(apps, None)
    assert SlaPolicy.objects.filter(pk=urgent.pk).exists()
    assert not SlaPolicy.objects.filter(handling_mode=M.SPECIAL, matter_kind="").exists()
