"""The application role (``grant_app_role``): reads and writes ordinary tables, only inserts into the
append-only ones, and, owning nothing, cannot switch a trigger off. The owner can, and ``audit_verify``
then finds what it edited. Run inside the test's transaction with ``SET LOCAL ROLE`` (roles and grants are
transactional in PostgreSQL, so nothing outlives the test)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from audit.chain import chain_digest_write, chains_verify
from cases import services
from tests.factories import CLASSIFICATION, build_org, take_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles are PostgreSQL's"),
]

ROLE = "windowsvc_app_test"


@pytest.fixture
def org(db):
    return build_org()


def _as_app(statement: str, params=()):
    """Run one statement as the app role in a savepoint; returns the error message or None."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {ROLE}")
            cursor.execute(statement, params)
            cursor.execute("RESET ROLE")
    except Exception as exc:
        return str(exc)
    return None


def test_the_app_role_cannot_rewrite_the_log_and_the_owner_edit_is_found(org):
    case = take_in(org, category=org.category, **CLASSIFICATION)
    services.case_note(actor=org["v1_clerk"], case_id=case.pk, text="进展")
    digest = chain_digest_write()
    with pytest.raises(CommandError, match="does not exist"):
        call_command("grant_app_role", "--role", ROLE)
    out = io.StringIO()
    call_command("grant_app_role", "--role", ROLE, "--create-with-password", "x-test-only", stdout=out)
    call_command("grant_app_role", "--role", ROLE, stdout=out)  # idempotent
    assert "SELECT/INSERT only" in out.getvalue()
    event = case.events.get(sequence=2)

    # The app role: ordinary tables read and written, events and digests only read and inserted.
    assert _as_app("SELECT count(*) FROM cases_caseevent") is None
    assert _as_app("UPDATE cases_case SET title = title WHERE id = %s", [case.pk]) is None
    assert "permission denied" in _as_app("UPDATE cases_caseevent SET reason = 'x' WHERE id = %s", [event.pk])
    assert "permission denied" in _as_app("DELETE FROM cases_caseevent WHERE id = %s", [event.pk])
    assert "permission denied" in _as_app("TRUNCATE cases_caseevent")
    assert "must be owner" in _as_app("ALTER TABLE cases_caseevent DISABLE TRIGGER ALL")
    assert "permission denied" in _as_app(
        "UPDATE audit_chaindigest SET digest = 'x' WHERE id = %s", [digest.pk]
    )
    assert "permission denied" in _as_app("DELETE FROM audit_chaindigest")
    assert "must be owner" in _as_app("ALTER TABLE audit_chaindigest DISABLE TRIGGER ALL")
    assert "permission denied" in _as_app("DELETE FROM routing_departmentevent")
    # A configuration change by the app role is recorded (its trigger inserts the history row).
    assert _as_app("UPDATE routing_department SET name = name || '（改）' WHERE code = 'D-market'") is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM routing_departmentevent WHERE pgh_label = 'update'")
        assert cursor.fetchone()[0] == 1

    # The owner (here the superuser that created the tables) can; the chain shows it.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE cases_caseevent DISABLE TRIGGER ALL")
        cursor.execute("UPDATE cases_caseevent SET reason = '改写' WHERE id = %s", [event.pk])
        cursor.execute("ALTER TABLE cases_caseevent ENABLE TRIGGER ALL")
    report = chains_verify()
    assert [(b.tracking_number, b.event_id) for b in report.breaks] == [(case.tracking_number, event.pk)]


def test_a_superuser_app_role_is_refused(org):
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {ROLE}_su SUPERUSER")
    with pytest.raises(CommandError, match="superuser"):
        call_command("grant_app_role", "--role", f"{ROLE}_su")
