"""Supervision reads from a real PostgreSQL streaming replica (windowsvc/dbrouters.py).

``test_supervision_reads_come_from_the_replica_within_the_staleness_bound`` builds a primary of its own
(``initdb``, ``wal_level=replica``), migrates it and takes cases in through the real services, clones it
with ``pg_basebackup -R`` into a hot standby, and serves the project from gunicorn with ``DATABASE_URL`` and
``DATABASE_REPLICA_URL``. Replay on the standby is then paused and two more cases are taken in on the primary:
the supervision dashboard keeps the standby's older count (it is read there: ``X-Read-Database: replica``)
while the standby is within ``REPLICA_MAX_LAG_SECONDS``, falls back to the primary once it is not, and
reads the standby again when replay resumes. The standby never received a write (its log has no read-only
refusal, and PostgreSQL would refuse one). The other tests check the router's rules in-process.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, transaction

from cases.models import Case
from tests.fixtures.processes import ROOT, Gunicorn, PgCluster, postgres_owned_tmpdir, project_env
from windowsvc import dbrouters
from windowsvc.dbrouters import REPLICA_ALIAS, PrimaryReplicaRouter, replica_reads

BOUND = 20  # REPLICA_MAX_LAG_SECONDS of the test's gunicorn: well above the two intakes' few seconds


def _dashboard(web: Gunicorn, token: str) -> tuple[str, int]:
    status, headers, body = web.get(
        "/api/v1/supervision/dashboard/", headers={"Authorization": f"Token {token}"}
    )
    assert status == 200, body[:500]
    return headers.get("X-Read-Database", ""), json.loads(body)["open"]


def _seed(env: dict, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "tests/fixtures/replica_seed.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _wait(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_supervision_reads_come_from_the_replica_within_the_staleness_bound(tmp_path, settings):
    root = postgres_owned_tmpdir("ops-replica-")
    primary = replica = web = None
    try:
        primary = PgCluster(root, "primary")
        primary.execute("CREATE DATABASE windowsvc")
        env = project_env(
            DATABASE_URL=primary.url(),
            REDIS_URL=settings.REDIS_URL,
            CELERY_TASK_DEFAULT_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE,
            CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
            WINDOWSVC_VAR_DIR=str(tmp_path),
        )
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, capture_output=True,
            text=True,
        )  # fmt: skip
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        token = _seed(env, "--org", "--cases", "3")["token"]

        replica = PgCluster(root, "replica", replica_of=primary)
        assert replica.execute("SELECT pg_is_in_recovery()") == [(True,)]
        web = Gunicorn(
            {
                **env,
                "DATABASE_REPLICA_URL": replica.url(),
                "REPLICA_MAX_LAG_SECONDS": str(BOUND),
                "REPLICA_LAG_CHECK_SECONDS": "0",  # measure on every request: the test moves the lag
                "READ_DATABASE_HEADER": "true",
            },
            tmp_path / "gunicorn.log",
        )
        assert _dashboard(web, token) == ("replica", 3)

        # Let the standby replay a fresh commit, then stop its replay: its lag starts at about zero.
        primary.execute(
            "CREATE TABLE IF NOT EXISTS replay_tick (at timestamptz); INSERT INTO replay_tick VALUES (now())"
        )
        lsn = primary.execute("SELECT pg_current_wal_lsn()")[0][0]
        _wait(lambda: replica.execute(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'")[0][0], "replay")
        replica.execute("SELECT pg_wal_replay_pause()")
        paused_at = time.monotonic()
        _seed(env, "--cases", "2")  # on the primary, through the services
        assert primary.execute("SELECT count(*) FROM cases_case", "windowsvc") == [(5,)]

        served, lag = _dashboard(web, token), time.monotonic() - paused_at
        assert lag < BOUND, f"the intakes took {lag:.0f} s: past the bound before the page was asked"
        assert served == ("replica", 3)  # the standby's older numbers: the page was read there
        # Past the bound the same page is read from the primary.
        _wait(lambda: _dashboard(web, token) == ("default", 5), "the fallback to the primary", BOUND + 30)
        replica.execute("SELECT pg_wal_replay_resume()")
        _wait(lambda: _dashboard(web, token) == ("replica", 5), "reads back on the caught-up replica")

        # Writes never went to the standby: PostgreSQL would have refused them and logged it.
        assert "read-only transaction" not in replica.log()
        assert "read-only transaction" not in web.log()
    finally:
        for thing in (web, replica, primary):
            if thing is not None:
                thing.stop()
        shutil.rmtree(root, ignore_errors=True)


# --- The router's rules, in-process (no replica configured: the test database alone) ------------------


@pytest.fixture
def replica_chosen(monkeypatch):
    """As inside ``replica_reads()`` when the replica was fresh enough."""
    token = dbrouters._read_alias.set(REPLICA_ALIAS)
    yield
    dbrouters._read_alias.reset(token)


def test_writes_and_migrations_always_go_to_default(replica_chosen):
    router = PrimaryReplicaRouter()
    assert router.db_for_write(Case) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(REPLICA_ALIAS, "cases") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "cases") is True


def test_reads_of_case_data_go_to_the_replica_but_never_users_or_sessions(replica_chosen):
    router = PrimaryReplicaRouter()
    assert router.db_for_read(Case) == REPLICA_ALIAS
    assert router.db_for_read(get_user_model()) is None
    assert router.db_for_read(Session) is None


@pytest.mark.django_db
def test_inside_a_transaction_on_the_primary_reads_stay_there(replica_chosen):
    with transaction.atomic():
        assert PrimaryReplicaRouter().db_for_read(Case) is None


def test_outside_replica_reads_nothing_is_routed():
    assert PrimaryReplicaRouter().db_for_read(Case) is None


def test_without_a_replica_the_pages_read_from_default(settings):
    assert REPLICA_ALIAS not in settings.DATABASES
    with replica_reads() as alias:
        assert alias == DEFAULT_DB_ALIAS
        assert PrimaryReplicaRouter().db_for_read(Case) is None
