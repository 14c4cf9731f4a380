"""Helpers of the cases API tests: logged-in clients, URLs, intake bodies, who-sees-what through HTTP.

Clients log in with a session (``force_login``), so every request loads the user afresh like a real one
does (no scope cached on a shared user object between requests).
"""

from __future__ import annotations

import threading
import time

from django.db import close_old_connections, connection, connections, transaction
from rest_framework.test import APIClient

from cases.choices import Channel, Complexity, HandlingMode, MatterKind
from tests.factories import person

CASES = "/api/v1/cases/"
MISSING_PK = 10**9


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def case_url(pk: int, command: str | None = None) -> str:
    """``/api/v1/cases/{pk}/`` or a command's ``/api/v1/cases/{pk}/{kebab-case command}/``."""
    return f"{CASES}{pk}/" if command is None else f"{CASES}{pk}/{command.replace('_', '-')}/"


def intake_body(org, where: str = "v1", *, classified: bool = True, **overrides) -> dict:
    body = {
        "window": org.windows[where].pk,
        "channel": Channel.WALK_IN,
        "requester": person(),
        "title": "营业执照变更多次未办成",
        "description": "申请变更经营范围三次被退回，原因说法不一。",
        "expectation": "一次办好",
    }
    if classified:
        body.update(
            category=org.category.pk,
            matter_kind=MatterKind.DIFFICULT,
            complexity=Complexity.GENERAL,
            handling_mode=HandlingMode.STANDARD,
        )
    body.update(overrides)
    return body


def listed_ids(client, **params) -> set[int]:
    response = client.get(CASES, {"page_size": 500, **params})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def sees(client, case_id: int) -> bool:
    """Whether the case is in the user's list and retrievable; the two must agree (else the test fails)."""
    in_list = case_id in listed_ids(client)
    response = client.get(case_url(case_id))
    assert response.status_code in (200, 404), response.content
    assert in_list == (response.status_code == 200), f"list says {in_list}, retrieve {response.status_code}"
    return in_list


# --- Real concurrency -------------------------------------------------------------------------------


def _blocked_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _wait_until_blocked(count: int, timeout: float = 15.0) -> None:
    if connection.vendor != "postgresql":
        # SQLite's IMMEDIATE transactions serialise the writers anyway; give the threads time to queue.
        time.sleep(0.5)
        return
    deadline = time.monotonic() + timeout
    while _blocked_backends() < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} blocked transactions")
        time.sleep(0.02)


def race(calls, *, hold=None) -> list:
    """Run the callables in threads at once, each on its own database connection; returns their results.

    With ``hold`` (a callable run in a transaction of this thread that takes the contended row lock), the
    threads start while the lock is held and all of them are queued on it before it is released, so the
    race really happens instead of being hoped for.
    """
    results: list = [None] * len(calls)
    errors: list = [None] * len(calls)

    def worker(i, call):
        try:
            results[i] = call()
        except Exception as exc:  # reported below, in the test thread
            errors[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    if hold is None:
        for thread in threads:
            thread.start()
    else:
        with transaction.atomic():
            hold()
            for thread in threads:
                thread.start()
            _wait_until_blocked(len(threads))
    for thread in threads:
        thread.join(60)
    close_old_connections()
    assert errors == [None] * len(calls), errors
    return results
