"""What an auditor (审计员) reads: the case events of their region subtree and the configuration history.

``auditor_scope`` is the gate of every audit page and endpoint: a user who is neither a superuser nor holds
an auditor membership is refused (403). Auditors read nothing else: ``routing.scoping`` gives their
membership no organisation, case or user visibility, and their group holds only the audit permissions.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.forms.models import model_to_dict
from rest_framework.exceptions import PermissionDenied

from cases.models import CaseEvent
from routing.scoping import Scope, paths_q, scope_for

from .models import ChainDigest

# The configuration history: each tracked model's event table (django-pghistory) and the path of the
# region it belongs to (None: installation-wide configuration, readable by every auditor).
HISTORY_MODELS: tuple[tuple[str, str | None], ...] = (
    ("routing.RegionEvent", "path"),
    ("routing.DepartmentEvent", "region__path"),
    ("routing.ServiceWindowEvent", "region__path"),
    ("routing.MembershipEvent", "region__path"),
    ("routing.WorkingDayEvent", "region__path"),
    ("routing.BusinessHoursEvent", "region__path"),
    ("cases.CategoryEvent", "county__path"),
    ("cases.CategoryDefaultDepartmentEvent", "region__path"),
    ("cases.SlaPolicyEvent", None),
    ("cases.ReasonEvent", None),
    ("citizens.Open311IntegrationEvent", "window__region__path"),
    ("notifications.MessageTemplateEvent", None),
)


def auditor_scope(user) -> Scope:
    """The user's scope when they may read the audit trail; ``PermissionDenied`` otherwise."""
    scope = scope_for(user)
    if not (scope.is_superuser or scope.audit_paths):
        raise PermissionDenied
    return scope


def case_events_audited(*, user, tracking_number: str = "") -> QuerySet[CaseEvent]:
    """Case events of cases taken in or handled in the auditor's subtree, newest first."""
    scope = auditor_scope(user)
    events = CaseEvent.objects.select_related("case", "actor", "department")
    if not scope.is_superuser:
        events = events.filter(
            paths_q("case__region_path", scope.audit_paths)
            | paths_q("case__handling_region_path", scope.audit_paths)
        )
    if tracking_number:
        events = events.filter(case__tracking_number=tracking_number)
    return events.order_by("-created_at", "-pk")


def chain_digests(*, user) -> QuerySet[ChainDigest]:
    auditor_scope(user)
    return ChainDigest.objects.order_by("-cutoff")


@dataclass(frozen=True)
class HistoryRow:
    """One configuration change: what, which object, insert/update/delete, when, by whom, the row after."""

    model: str
    model_label: str
    object_id: int
    change: str
    at: datetime
    user: str
    path: str
    data: dict


def _history_queryset(label: str, path_field: str | None, scope: Scope):
    model = apps.get_model(label)
    rows = model.objects.select_related("pgh_context")
    if scope.is_superuser or path_field is None:
        return rows
    q = paths_q(path_field, scope.audit_paths)
    if label == "routing.WorkingDayEvent":
        q |= Q(region__isnull=True)  # the national calendar
    return rows.filter(q)


def config_history(*, user, model: str = "", limit: int = 200) -> list[HistoryRow]:
    """The latest ``limit`` configuration changes the auditor may read, newest first (all models merged)."""
    scope = auditor_scope(user)
    streams = []
    for label, path_field in HISTORY_MODELS:
        if model and label.split(".")[1].removesuffix("Event").lower() != model.lower():
            continue
        rows = _history_queryset(label, path_field, scope).order_by("-pgh_created_at", "-pgh_id")[:limit]
        streams.append(list(rows))
    merged = list(islice(heapq.merge(*streams, key=lambda r: r.pgh_created_at, reverse=True), limit))
    user_ids = {_context(r).get("user") for r in merged} - {None}
    names = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
    result = []
    for row in merged:
        context = _context(row)
        tracked = row.pgh_tracked_model
        data = model_to_dict(row, exclude=["pgh_id", "pgh_created_at", "pgh_label", "pgh_obj", "pgh_context"])
        result.append(
            HistoryRow(
                model=tracked._meta.model_name,
                model_label=str(tracked._meta.verbose_name),
                object_id=row.pgh_obj_id,
                change=row.pgh_label,
                at=row.pgh_created_at,
                user=names.get(context.get("user"), ""),
                path=context.get("url", ""),
                data={k: _plain(v) for k, v in data.items()},
            )
        )
    return result


def _context(row) -> dict:
    return (row.pgh_context.metadata if row.pgh_context_id and row.pgh_context else None) or {}


def _plain(value):
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def history_models() -> list[str]:
    return [label.split(".")[1].removesuffix("Event").lower() for label, _ in HISTORY_MODELS]
