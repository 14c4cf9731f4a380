"""Two nodes on one PostgreSQL and one Redis, one killed mid-sweep (docs/DEPLOY.md, "Several nodes").

Each node is its own process group, as a machine would be: a Celery worker named ``node<X>@<host>`` and a
Celery beat on RedBeat. Only one beat holds RedBeat's lock in Redis; the other waits for it. Node A holds the
lock and its worker is inside a sweep batch (``WINDOWSVC_SWEEP_TEST_DELAY``) when the whole group is
SIGKILLed. Node B's beat takes the lock once A's expires (``REDBEAT_LOCK_TIMEOUT``), its beat schedules the
sweep, its worker runs it, and every clock's step fires exactly once: one ``CaseEvent`` per clock and level,
its notifications written once, nothing left due.

The beat intervals are shortened through the settings' environment (``CASE_SWEEP_INTERVAL_SECONDS`` …) so the
take-over shows within a minute; the figures are printed (``-s``) but not asserted (no timing assertions).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from cases.choices import SweepEventKind
from cases.models import Assignment, Case, CaseEvent, CaseTimer
from notifications.models import Notification
from tests.fixtures.celery_worker import ROOT, _database_url

from .deadline_helpers import bj, routed_case, seed_policies

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

LOCK_TIMEOUT = 6  # seconds; production's default is 30 (docs/DEPLOY.md)
SWEEP_DELAY = 4  # seconds per clock inside node A's batch: long enough to kill it there


class Node:
    """One machine: a worker and a beat in one process group, killed together."""

    def __init__(self, name: str, tmp_path: Path, env: dict):
        self.name = name
        self.worker_log = tmp_path / f"{name}-worker.log"
        self.beat_log = tmp_path / f"{name}-beat.log"
        celery = [sys.executable, "-m", "celery", "-A", "windowsvc"]
        self.worker = subprocess.Popen(
            [*celery, "worker", "--pool", "solo", "--queues", settings.CELERY_TASK_DEFAULT_QUEUE,
             "--hostname", f"{name}@windowsvc-test-{name}", "--without-gossip", "--without-mingle",
             "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=self.worker_log.open("w"), stderr=subprocess.STDOUT,
            process_group=0,  # a group of its own: the node
        )  # fmt: skip
        self.pgid = self.worker.pid
        try:
            self.beat = subprocess.Popen(
                [*celery, "beat", "--loglevel", "DEBUG"],
                cwd=ROOT, env=env, stdout=self.beat_log.open("w"), stderr=subprocess.STDOUT,
                process_group=self.pgid,
            )  # fmt: skip
        except BaseException:
            os.killpg(self.pgid, signal.SIGKILL)  # never leave half a node behind
            self.worker.wait(timeout=10)
            raise

    def log(self, which: str = "worker") -> str:
        return (self.worker_log if which == "worker" else self.beat_log).read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL to the whole group: the machine is gone, nothing gets to clean up."""
        os.killpg(self.pgid, signal.SIGKILL)
        for process in (self.worker, self.beat):
            process.wait(timeout=10)

    def stop(self) -> None:
        for process in (self.beat, self.worker):
            if process.poll() is None:
                process.terminate()
        for process in (self.beat, self.worker):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def wait_for(predicate, what: str, timeout: float = 90.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def node_env(tmp_path: Path, *, extra: dict | None = None) -> dict:
    from django.db import connection

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "windowsvc.settings",
            "DATABASE_URL": _database_url(connection.settings_dict),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
            "WINDOWSVC_TEST_RUN_ID": settings.TEST_RUN_ID,
            "REDBEAT_KEY_PREFIX": settings.CELERY_REDBEAT_KEY_PREFIX,
            "REDBEAT_LOCK_TIMEOUT": str(LOCK_TIMEOUT),
            "BEAT_MAX_LOOP_INTERVAL": "1",
            "CASE_SWEEP_INTERVAL_SECONDS": "2",
            "BEAT_HEARTBEAT_SECONDS": "2",
            "SMS_FILE_PATH": str(tmp_path / "sms.log"),
            "CASE_SWEEP_BATCH_SIZE": "3",
            **(extra or {}),
        }
    )
    return env


def sweep_steps() -> list[tuple]:
    """Every ladder step fired, as (case, clock, what it watches, level)."""
    rows = CaseEvent.objects.filter(kind__in=SweepEventKind.values, payload__has_key="level").values_list(
        "case_id", "payload"
    )
    return [(case_id, p["clock"], p.get("assignment") or p.get("timer"), p["level"]) for case_id, p in rows]


def still_due(now) -> int:
    due = Q(next_alarm_at__lte=now)
    return sum(model.objects.filter(due).count() for model in (Case, Assignment, CaseTimer))


@pytest.fixture
def redbeat_keys():
    yield
    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(f"{settings.CELERY_REDBEAT_KEY_PREFIX}*"):
        client.delete(key)


def test_node_a_killed_mid_sweep_node_b_takes_over_beat_and_every_step_fires_once(
    org, tmp_path, redbeat_keys
):
    seed_policies()
    cases = [routed_case(org, bj(3, 2, 9), assisting=("land",)) for _ in range(6)]
    now = timezone.now()
    due_before = still_due(now)
    assert due_before >= len(cases)

    a = Node("nodeA", tmp_path, node_env(tmp_path, extra={"WINDOWSVC_SWEEP_TEST_DELAY": str(SWEEP_DELAY)}))
    b = None
    try:
        wait_for(lambda: "beat: Acquired lock" in a.log("beat"), "node A's beat to take the lock")
        wait_for(lambda: "sweep: inside a batch" in a.log(), "node A's worker inside a sweep batch")
        b = Node("nodeB", tmp_path, node_env(tmp_path))
        wait_for(lambda: "ready." in b.log(), "node B's worker")
        time.sleep(2)  # node B's beat is up and waiting on the lock node A holds
        assert "beat: Acquired lock" not in b.log("beat"), "two beats held the lock at once"
        assert "beat: Starting..." in b.log("beat")

        a.kill()  # mid-batch: its transaction rolls back when PostgreSQL sees the connection die
        killed_at = time.monotonic()
        took_over = wait_for(
            lambda: "beat: Acquired lock" in b.log("beat"), "node B's beat to take over", LOCK_TIMEOUT + 60
        )
        wait_for(lambda: still_due(now) == 0, "node B's sweeps to fire every due step")
        wait_for(lambda: "succeeded" in b.log() and "cases.tasks.sweep_deadlines" in b.log(), "B's sweep")
        time.sleep(4)  # two more sweeps by node B: they must find nothing to fire
        print(
            f"\ntake-over {took_over:.1f} s after the kill (lock timeout {LOCK_TIMEOUT} s), "
            f"all fired {time.monotonic() - killed_at:.1f} s after the kill"
        )
    finally:
        a.stop()
        if b is not None:
            b.stop()

    steps = sweep_steps()
    assert steps, "nothing fired"
    repeated = {step: n for step, n in Counter(steps).items() if n > 1}
    assert repeated == {}, repeated
    assert {case_id for case_id, *_ in steps} == {case.pk for case in cases}
    # Node A's open batch rolled back with its connection (what it committed before stays); node B's worker
    # swept beside it (SKIP LOCKED) and after it, and no step fired twice.
    assert "cases.tasks.sweep_deadlines" in b.log() and "succeeded" in b.log()
    events = CaseEvent.objects.filter(kind__in=SweepEventKind.values, payload__has_key="level")
    keys = Counter(Notification.objects.values_list("event_key", "channel", "recipient_user_id"))
    assert all(n == 1 for n in keys.values())
    notified = {key.split(":")[1] for key, *_ in keys if key.startswith("case-event:")}
    assert {str(pk) for pk in events.values_list("pk", flat=True)} <= notified  # each step told someone
    for case in cases:
        case.refresh_from_db()
        assert case.version == case.events.count()  # the chain of events has no gap and no double
    assert still_due(now + timedelta(seconds=1)) == 0
