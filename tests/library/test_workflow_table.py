"""The write-up transition table, pair by pair: every command from every status, allowed or refused (409),
and by the roles the row names only (403 for others who can see the write-up)."""

from __future__ import annotations

import pytest

from library import services, workflow
from library.choices import WriteUpCommand, WriteUpStatus
from library.models import WriteUp, WriteUpEvent
from windowsvc.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed

from .helpers import draft

pytestmark = pytest.mark.django_db
S, C = WriteUpStatus, WriteUpCommand

# How to bring a fresh draft into each status (author = v1 clerk, reviewer = t1 supervisor).
PATHS = {
    S.DRAFT: [],
    S.SUBMITTED: [C.SUBMIT],
    S.CHANGES_REQUESTED: [C.SUBMIT, C.REQUEST_CHANGES],
    S.PUBLISHED: [C.SUBMIT, C.PUBLISH],
    S.WITHDRAWN: [C.SUBMIT, C.PUBLISH, C.WITHDRAW],
}
REVIEWER_COMMANDS = {C.REQUEST_CHANGES, C.PUBLISH, C.MARK_TYPICAL, C.UNMARK_TYPICAL, C.WITHDRAW}
EXPECTED = {
    # command: {source status: target status}
    C.EDIT: {S.DRAFT: S.DRAFT, S.CHANGES_REQUESTED: S.CHANGES_REQUESTED, S.WITHDRAWN: S.WITHDRAWN},
    C.SUBMIT: {S.DRAFT: S.SUBMITTED, S.CHANGES_REQUESTED: S.SUBMITTED, S.WITHDRAWN: S.SUBMITTED},
    C.REQUEST_CHANGES: {S.SUBMITTED: S.CHANGES_REQUESTED},
    C.PUBLISH: {S.SUBMITTED: S.PUBLISHED},
    C.MARK_TYPICAL: {S.PUBLISHED: S.PUBLISHED},
    C.WITHDRAW: {S.PUBLISHED: S.WITHDRAWN},
}


def _actor(org, command):
    return org["t1_supervisor"] if command in REVIEWER_COMMANDS else org["v1_clerk"]


def _run(org, writeup, command, actor=None):
    actor = actor or _actor(org, command)
    if command is C.EDIT:
        return services.writeup_edit(actor=actor, writeup_id=writeup.pk, lessons="补充")
    return services.SERVICES[command](actor=actor, writeup_id=writeup.pk, note="说明")


def _in(org, status):
    writeup = draft(org)
    for command in PATHS[status]:
        _run(org, writeup, command)
    writeup.refresh_from_db()
    assert writeup.status == status
    return writeup


def test_the_table_is_the_one_documented():
    assert {c: set(r.sources) for c, r in workflow.RULES.items() if c in EXPECTED} == {
        c: set(m) for c, m in EXPECTED.items()
    }


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("command", list(EXPECTED))
def test_every_pair(org, status, command):
    writeup = _in(org, status)
    before = WriteUpEvent.objects.filter(writeup=writeup).count()
    if status in EXPECTED[command]:
        _run(org, writeup, command)
        writeup.refresh_from_db()
        assert writeup.status == EXPECTED[command][status]
        assert WriteUpEvent.objects.filter(writeup=writeup).count() == before + 1
        assert writeup.version == before + 1
    else:
        with pytest.raises(TransitionNotAllowed):
            _run(org, writeup, command)
        assert WriteUpEvent.objects.filter(writeup=writeup).count() == before


@pytest.mark.parametrize("command", list(EXPECTED))
def test_the_other_role_is_refused(org, command):
    source = next(iter(EXPECTED[command]))
    writeup = _in(org, source)
    # Both see the case; each may run only their own role's commands.
    other = org["v1_clerk"] if command in REVIEWER_COMMANDS else org["t1_supervisor"]
    with pytest.raises(PermissionDenied):
        _run(org, writeup, command, actor=other)


def test_typical_only_while_published_and_withdraw_clears_it(org):
    writeup = _in(org, S.PUBLISHED)
    services.writeup_mark_typical(actor=org["t1_supervisor"], writeup_id=writeup.pk)
    with pytest.raises(TransitionNotAllowed):  # already typical
        services.writeup_mark_typical(actor=org["t1_supervisor"], writeup_id=writeup.pk)
    services.writeup_withdraw(actor=org["t1_supervisor"], writeup_id=writeup.pk, note="需补充依据")
    writeup.refresh_from_db()
    assert writeup.status == S.WITHDRAWN and not writeup.typical


@pytest.mark.parametrize("command", [C.REQUEST_CHANGES, C.WITHDRAW])
def test_a_note_is_required(org, command):
    writeup = _in(org, next(iter(EXPECTED[command])))
    with pytest.raises(ValidationFailed) as exc:
        services.SERVICES[command](actor=org["t1_supervisor"], writeup_id=writeup.pk, note=" ")
    assert "note" in exc.value.errors


def test_stale_version_is_refused(org):
    writeup = _in(org, S.DRAFT)
    with pytest.raises(TransitionNotAllowed):
        services.writeup_submit(actor=org["v1_clerk"], writeup_id=writeup.pk, expected_version=99)


def test_create_only_for_a_solved_case_once(org):
    from tests.factories import take_in

    open_case = take_in(org, "v1")
    with pytest.raises(TransitionNotAllowed):
        draft(org, open_case)
    writeup = draft(org)
    with pytest.raises(TransitionNotAllowed):
        draft(org, writeup.case)
    assert WriteUp.objects.count() == 1
    event = writeup.events.get()
    assert (event.kind, event.from_status, event.to_status) == (C.CREATE, "", S.DRAFT)
    assert writeup.working_days == 1


def test_create_by_the_lead_department_and_not_by_others(org):
    from tests.cases.states import drive

    case = drive(org, "resolved")
    writeup = draft(org, case, actor=org["t1_office_handler"])
    assert writeup.created_by == org["t1_office_handler"]
    assert set(writeup.departments.values_list("name", flat=True)) >= {"暨阳街道便民服务中心"}
    other = drive(org, "resolved")
    with pytest.raises(PermissionDenied):
        draft(org, other, actor=org["t1_supervisor"])


def test_events_are_append_only(org):
    from library.querysets import WriteUpEventImmutable

    event = draft(org).events.get()
    with pytest.raises(WriteUpEventImmutable):
        event.save()
    with pytest.raises(WriteUpEventImmutable):
        WriteUpEvent.objects.all().delete()
