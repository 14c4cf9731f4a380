"""Helpers of the practice tests: cases written straight to the table (the detector reads only the table),
and a recurring problem with an item on it made through the real services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from cases.choices import Channel, RequesterKind
from cases.models import Case, Requester
from practice import services
from practice.choices import Measure
from practice.models import RecurringProblem

_serial = itertools.count(1)


@dataclass
class Row:
    title: str
    description: str
    where: str = "v1"
    category: object = None
    lead: object = None
    taken_in_at: datetime | None = None


def bulk_cases(org, rows: list[Row]) -> list[Case]:
    requester = Requester.objects.create(kind=RequesterKind.PERSON, name="王五", phone="13900139000")
    cases = []
    for row in rows:
        region = org.regions[row.where]
        handling = row.lead.region.path if row.lead is not None else region.path
        cases.append(
            Case(
                tracking_number=f"T-PRAC-{next(_serial):06d}",
                channel=Channel.WALK_IN,
                window=org.windows[row.where],
                region=region,
                region_path=region.path,
                handling_region_path=handling,
                requester=requester,
                title=row.title,
                description=row.description,
                category=row.category,
                lead_department=row.lead,
                taken_in_at=row.taken_in_at or timezone.now(),
            )
        )
    return Case.objects.bulk_create(cases)


def cluster_in(
    org,
    where: str = "t1",
    *,
    size: int = 3,
    lead_key: str = "t1_office",
    text: tuple[str, str] = ("低保申请材料反复退回", "低保申请被要求重复提供证明。"),
) -> RecurringProblem:
    """A category × department cluster of ``size`` cases taken in at ``where``, found by the detector."""
    lead = org.dept(lead_key)
    title, description = text
    bulk_cases(org, [Row(f"{title}{i}", description, where, org.category, lead) for i in range(size)])
    services.recurring_problems_detect()
    return RecurringProblem.objects.get(category=org.category, department=lead)


def item_on(problem: RecurringProblem, supervisor, department, **extra):
    data = {
        "actor": supervisor,
        "problem_id": problem.pk,
        "measure": Measure.GUIDE,
        "description": "修订低保办事指南，列明一次性告知的材料清单。",
        "department_id": department.pk,
    }
    data.update(extra)
    return services.practice_item_create(**data)
