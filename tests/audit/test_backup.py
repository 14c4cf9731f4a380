"""Backups (scripts/backup, scripts/restore; docs/DEPLOY.md "Backups"): a pg_dump of the test database
restored into a fresh database on the same server passes ``audit_verify`` there, and the same restore with
one event altered afterwards fails it: the check really reads the restored log."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg
import pytest
from django.db import connection

from cases.models import CaseEvent
from tests.factories import build_org, take_in
from tests.fixtures.celery_worker import ROOT, _database_url
from tests.fixtures.processes import pg_bin

pytestmark = pytest.mark.django_db(transaction=True)


def _run(script: str, *args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="windowsvc.settings",
        PG_BIN=os.path.dirname(pg_bin("pg_dump")),
        PATH=f"{os.path.dirname(sys.executable)}:{env.get('PATH', '')}",
    )
    return subprocess.run(
        [str(ROOT / "scripts" / script), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_a_dump_restored_into_a_fresh_database_reverifies_the_case_event_log(tmp_path):
    if connection.vendor != "postgresql":
        raise AssertionError("the backup round trip needs PostgreSQL (DATABASE_URL), as in CI")
    org = build_org()
    for _ in range(3):
        take_in(org, "v1")
    events = CaseEvent.objects.count()
    source = _database_url(connection.settings_dict)
    dump = tmp_path / "windowsvc.dump"
    backup = _run("backup", str(dump), database_url=source)
    assert backup.returncode == 0, backup.stderr
    assert dump.stat().st_size > 0

    name = f"restore_{uuid.uuid4().hex[:8]}"
    admin = source.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    target = source.rsplit("/", 1)[0] + f"/{name}"
    try:
        restore = _run("restore", str(dump), database_url=target)
        assert restore.returncode == 0, restore.stdout + restore.stderr
        with psycopg.connect(target) as conn:
            assert conn.execute("SELECT count(*) FROM cases_caseevent").fetchone()[0] == events
            # Someone edits the restored log behind the trigger's back: the verification must notice.
            conn.execute("ALTER TABLE cases_caseevent DISABLE TRIGGER ALL")
            conn.execute(
                "UPDATE cases_caseevent SET reason = 'rewritten' WHERE id = (SELECT min(id) FROM cases_caseevent)"
            )
            conn.commit()
        env = {**os.environ, "DATABASE_URL": target, "DJANGO_SETTINGS_MODULE": "windowsvc.settings"}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        tampered = subprocess.run(
            [sys.executable, "manage.py", "audit_verify"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert tampered.returncode == 1, tampered.stdout + tampered.stderr
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
