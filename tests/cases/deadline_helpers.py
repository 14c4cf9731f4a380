"""Helpers of the deadline tests: Beijing times, the seeded time limits, a case driven at a fixed moment.

The week of Monday 2026-03-02 has no holiday: five working days 08:30–12:00 and 14:00–17:30 (7 h each).
"""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from cases import services
from cases.models import Case, SlaPolicy
from tests.factories import CLASSIFICATION, take_in

BJ = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)


def bj(month: int, day: int, hour: int = 9, minute: int = 0, *, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BJ)


def at(moment: datetime):
    """Freeze time at ``moment`` (Beijing) for the block."""
    return time_machine.travel(moment, tick=False)


def seed_policies() -> None:
    """The seeded rows (migrations 0005 and 0010): flushed away by ``transaction=True`` tests, so seed
    them again."""
    from django.apps import apps

    first = importlib.import_module("cases.migrations.0005_default_sla_policies")
    practice = importlib.import_module("cases.migrations.0010_practice_sla_policies")
    first.seed(apps, None)
    practice.seed(apps, None)
    assert SlaPolicy.objects.filter(category=None).count() >= len(first.DEFAULTS) + len(practice.PRACTICE)


def routed_case(org, when: datetime, *, accept: bool = True, assisting=("land",), **classification) -> Case:
    """A case taken in at v1, classified and routed at ``when`` to the t1 office (lead, signed for when
    ``accept``) with ``assisting`` departments (pending)."""
    with at(when):
        case = take_in(org, "v1")
        services.case_classify(
            actor=org["v1_clerk"],
            case_id=case.pk,
            category=org.category,
            **{**CLASSIFICATION, **classification},
        )
        services.case_assign(
            actor=org["v1_clerk"],
            case_id=case.pk,
            lead_department=org.dept("t1_office"),
            assisting_departments=[org.dept(key) for key in assisting],
        )
        if accept:
            services.assignment_accept(actor=org["t1_office_handler"], case_id=case.pk)
    case.refresh_from_db()
    return case


def local(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(BJ)
