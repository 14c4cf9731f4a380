"""Model-level invariants: the append-only event log, assignment and requester constraints."""

import pytest
from django.db import IntegrityError, connection, transaction

from cases.choices import AssignmentOrigin, AssignmentRole, AssignmentStatus, CaseStatus, RequesterKind
from cases.models import Assignment, Case, CaseEvent, CaseEventImmutable, Requester
from tests.factories import take_in

from .states import drive

pytestmark = pytest.mark.django_db


def test_events_cannot_be_changed_or_deleted(org):
    case = take_in(org)
    event = case.events.get()
    event.reason = "改写历史"
    with pytest.raises(CaseEventImmutable):
        event.save()
    with pytest.raises(CaseEventImmutable):
        event.delete()
    with pytest.raises(CaseEventImmutable):
        CaseEvent.objects.filter(pk=event.pk).update(reason="改写历史")
    with pytest.raises(CaseEventImmutable):
        CaseEvent.objects.filter(pk=event.pk).delete()
    assert CaseEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database trigger exists on PostgreSQL only"
)
def test_postgresql_refuses_raw_updates_and_deletes_of_events(org):
    case = take_in(org)
    for sql in (
        "UPDATE cases_caseevent SET reason = 'x' WHERE case_id = %s",
        "DELETE FROM cases_caseevent WHERE case_id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [case.pk])
    assert case.events.count() == 1


def test_a_case_with_events_cannot_be_deleted(org):
    from django.db.models import ProtectedError

    case = take_in(org)
    with pytest.raises(ProtectedError):
        case.delete()


def test_event_sequence_is_unique_per_case(org):
    case = take_in(org)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent.objects.create(case=case, sequence=1, kind="note", to_status=case.status)


def test_a_case_has_one_current_lead(org):
    case = drive(org, CaseStatus.ASSIGNED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            case=case,
            department=org.dept("housing"),
            role=AssignmentRole.LEAD,
            origin=AssignmentOrigin.ASSIGN,
        )


def test_current_means_pending_or_accepted(org):
    case = drive(org, CaseStatus.ASSIGNED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(
            case=case,
            department=org.dept("housing"),
            role=AssignmentRole.ASSISTING,
            origin=AssignmentOrigin.ASSIGN,
            status=AssignmentStatus.RETURNED,
            is_current=True,
        )


def test_requester_identity_matches_its_kind(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        Requester.objects.create(kind=RequesterKind.ENTERPRISE, name="某公司", phone="13800138000")
    with pytest.raises(IntegrityError), transaction.atomic():
        Requester.objects.create(
            kind=RequesterKind.PERSON, name="某人", phone="13800138000", credit_code="91350100M000100Y43"
        )


def test_closed_at_only_on_closed_cases(org):
    from django.utils import timezone

    case = take_in(org)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(closed_at=timezone.now())


def test_case_str_and_county_path(org):
    case = take_in(org, "v1", title="办证难")
    assert str(case) == f"{case.tracking_number} 办证难"
    assert case.county_path == "/330681/"
    assert case.is_open
