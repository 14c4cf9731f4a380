"""The tamper-evident log: every writer chains, ``audit_verify`` finds an edit made by the tables' owner with
the trigger off, a backdated insertion, a deleted event and a chain re-hashed after the digest."""

from __future__ import annotations

import io
import itertools
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from audit.chain import chain_digest_write, chains_verify
from audit.models import ChainDigest
from cases import auditchain, services
from cases.models import CaseEvent
from tests.factories import CLASSIFICATION, build_org, take_in

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="triggers and roles are PostgreSQL's"
)


@pytest.fixture
def org(db):
    return build_org()


def _case(org, notes: int = 3):
    case = take_in(org, category=org.category, **CLASSIFICATION)
    for i in range(notes):
        services.case_note(actor=org["v1_clerk"], case_id=case.pk, text=f"进展 {i}")
    return case


def _verify() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError:
        return 1, out.getvalue()
    return 0, out.getvalue()


def _sql(statement: str, params=()):
    # A savepoint, so that a refused statement leaves the test's transaction usable.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def _trigger_off():
    """What the owner role can do: switch the table's triggers off (the test's deferred foreign-key checks
    first run, as ALTER TABLE needs; a real session would have none pending)."""
    _sql("SET CONSTRAINTS ALL IMMEDIATE")
    _sql("ALTER TABLE cases_caseevent DISABLE TRIGGER ALL")


def test_every_event_the_workflow_writes_is_chained(org):
    case = _case(org)
    events = list(case.events.order_by("sequence"))
    assert len(events) >= 4
    assert events[0].prev_hash == auditchain.GENESIS
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert all(e.hash == auditchain.hash_of(e, e.prev_hash) for e in events)
    report = chains_verify()
    assert report.ok and report.cases == 1 and report.events == len(events)


def test_a_bulk_insert_is_chained_like_a_save(org):
    case = _case(org, notes=0)
    last = case.events.order_by("-sequence").first()
    now = timezone.now()
    extra = [
        CaseEvent(case=case, sequence=last.sequence + i, kind="note", to_status=case.status, created_at=now)
        for i in (2, 1)  # out of order on purpose
    ]
    CaseEvent.objects.bulk_create(extra)
    assert chains_verify().ok


def test_a_hash_ignores_how_the_payload_was_spelt():
    base = dict(
        prev_hash=auditchain.GENESIS,
        case_id=1,
        sequence=1,
        kind="intake",
        actor_id=None,
        department_id=None,
        from_status="",
        to_status="registered",
        reason="",
        is_public=True,
        created_us=1,
    )
    a = auditchain.event_hash(payload={"b": [1, 2], "a": "中"}, **base)
    b = auditchain.event_hash(payload={"a": "中", "b": [1, 2]}, **base)
    assert a == b
    assert auditchain.normalise_payload({1: (1, 2)}) == {"1": [1, 2]}
    assert auditchain.event_hash(payload={"a": "中", "b": [1, 3]}, **base) != a


@postgresql_only
def test_an_event_edited_by_the_owner_with_the_trigger_disabled_is_found(org):
    """Must show: the table's owner (here the superuser) switches the trigger off, edits an event's payload
    and time, switches it on again; ``audit_verify`` names the case and the event and exits non-zero."""
    other = _case(org)
    case = _case(org)
    assert _verify()[0] == 0
    event = case.events.get(sequence=2)
    with pytest.raises(Exception, match="append-only"):
        _sql("UPDATE cases_caseevent SET reason = 'x' WHERE id = %s", [event.pk])
    _trigger_off()
    _sql(
        'UPDATE cases_caseevent SET payload = payload || \'{"decision": "改写"}\'::jsonb, '
        "created_at = created_at - interval '3 days' WHERE id = %s",
        [event.pk],
    )
    _sql("ALTER TABLE cases_caseevent ENABLE TRIGGER ALL")

    code, out = _verify()
    assert code == 1
    assert f"BROKEN case {case.tracking_number}" in out
    assert f"event id {event.pk} #2: hash" in out
    assert other.tracking_number not in out  # the other chain still holds
    report = chains_verify()
    assert [(b.case_id, b.event_id, b.problem) for b in report.breaks] == [(case.pk, event.pk, "hash")]
    assert report.breaks[0].stored == event.hash


def test_a_backdated_event_appended_with_a_valid_hash_is_found(org, settings):
    """Someone able to insert appends an event dated a month back, chained correctly: its time betrays it."""
    case = _case(org)
    last = case.events.order_by("-sequence").first()
    forged = CaseEvent.objects.create(
        case=case,
        sequence=last.sequence + 1,
        kind="note",
        to_status=case.status,
        from_status=case.status,
        reason="补录",
        created_at=last.created_at - timedelta(days=30),
    )
    report = chains_verify()
    assert [(b.event_id, b.problem) for b in report.breaks] == [(forged.pk, "time")]
    settings.AUDIT_CLOCK_SKEW_SECONDS = 40 * 86400  # a tolerance wider than the backdating hides it
    assert chains_verify().ok


@postgresql_only
def test_an_event_inserted_in_the_middle_or_deleted_is_found(org):
    case = _case(org)
    events = list(case.events.order_by("sequence"))
    _trigger_off()
    _sql("DELETE FROM cases_caseevent WHERE id = %s", [events[1].pk])
    _sql("ALTER TABLE cases_caseevent ENABLE TRIGGER ALL")
    report = chains_verify()
    assert [(b.event_id, b.problem) for b in report.breaks] == [(events[2].pk, "sequence")]


def test_one_case_and_since_options(org):
    case = _case(org)
    out = io.StringIO()
    call_command("audit_verify", "--case", case.tracking_number, stdout=out)
    assert "1 cases" in out.getvalue()
    call_command("audit_verify", "--since", timezone.localdate().isoformat(), "--json", stdout=out)
    assert '"ok": true' in out.getvalue()
    with pytest.raises(CommandError):
        call_command("audit_verify", "--case", "nope")


@postgresql_only
def test_a_chain_rewritten_and_rehashed_after_the_digest_no_longer_matches_it(org):
    """The owner edits an event and recomputes every later hash: each chain holds, the digest does not."""
    case = _case(org)
    digest = chain_digest_write(now=timezone.now() + timedelta(days=1))
    assert digest.cases == 1 and digest.events == case.events.count()
    assert chain_digest_write(now=timezone.now() + timedelta(days=1)).pk == digest.pk  # once a day
    assert _verify()[0] == 0

    _trigger_off()
    prev = auditchain.GENESIS
    for event in case.events.order_by("sequence"):
        if event.sequence == 2:
            event.reason = "改写后的说明"
        new_hash = auditchain.hash_of(event, prev)
        _sql(
            "UPDATE cases_caseevent SET reason = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [event.reason, prev, new_hash, event.pk],
        )
        prev = new_hash
    _sql("ALTER TABLE cases_caseevent ENABLE TRIGGER ALL")

    report = chains_verify()
    assert not report.breaks
    assert report.digest_ok is False and not report.ok
    code, out = _verify()
    assert code == 1 and "DOES NOT MATCH" in out


@postgresql_only
def test_digests_are_append_only(org):
    digest = chain_digest_write()
    with pytest.raises(Exception, match="append-only"):
        _sql("UPDATE audit_chaindigest SET digest = 'x' WHERE id = %s", [digest.pk])
    with pytest.raises(Exception, match="append-only"):
        ChainDigest.objects.filter(pk=digest.pk).delete()
    with pytest.raises(Exception, match="append-only"):
        _sql("DELETE FROM audit_chaindigest")
