"""Must show 1: a round trip against a fake 12345 platform, with real Celery worker and PostgreSQL.

The platform (a local HTTP server in a thread) pushes a signed work order; the case is on the village
window's worklist; a department signs for it and resolves it, and the platform receives each status callback
exactly once. Then the platform goes down: the callback and closure reports fail and wait with backoff;
when it is back, the beat sweep (sent to the worker as beat would) delivers them, once each.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from cases.choices import CaseStatus, Channel
from cases.models import Case
from hotline.choices import CallbackKind, DeliveryStatus
from hotline.models import HotlineCallback
from hotline.tasks import relay_callbacks
from tests.cases.api_helpers import CASES, client_for
from tests.cases.states import STEPS
from tests.factories import build_org
from tests.fixtures.celery_worker import start_worker

from .fake_platform import FakePlatform
from .helpers import PUSH, make_platform, order, signed_post

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def worker(tmp_path, request):
    process = start_worker(
        tmp_path, extra_env={"HOTLINE_BACKOFF_SECONDS": "1", "HOTLINE_BACKOFF_MAX_SECONDS": "2"}
    )
    yield process
    process.stop()
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        print(process.log())


def test_round_trip_with_a_fake_platform_each_callback_exactly_once_also_across_an_outage(
    client, settings, worker
):
    settings.HOTLINE_BACKOFF_SECONDS = 1
    org = build_org()
    platform, key, secret = make_platform(org)
    fake = FakePlatform(secret).start()
    platform.callback_url = fake.url
    platform.save(update_fields=["callback_url"])
    try:
        # The platform pushes an order (twice: its own retry) → one registered case at the village window.
        body = order(region_code="330681001001")
        pushed = signed_post(client, PUSH, key, secret, body)
        assert pushed.status_code == 201, pushed.content
        assert signed_post(client, PUSH, key, secret, body).status_code == 200
        case = Case.objects.get(tracking_number=pushed.json()["tracking_number"])
        assert (case.status, case.channel) == (CaseStatus.REGISTERED, Channel.HOTLINE_12345)
        worklist = client_for(org["v1_clerk"]).get(CASES, {"status": CaseStatus.REGISTERED})
        assert [row["tracking_number"] for row in worklist.json()["results"]] == [case.tracking_number]

        # Signed for and resolved: the worker reports each step on commit.
        for step in ("classify", "assign", "accept", "resolve"):
            STEPS[step](org, case)
        assert _wait_for(lambda: fake.kinds() == [CallbackKind.ACCEPT, CallbackKind.RESOLVE]), fake.kinds()

        # The platform goes down: the reports fail and wait for their next try.
        fake.stop()
        STEPS["callback"](org, case)
        STEPS["close"](org, case)
        waiting = HotlineCallback.objects.filter(kind__in=[CallbackKind.CALLBACK, CallbackKind.CLOSE])
        assert _wait_for(
            lambda: waiting.filter(status=DeliveryStatus.PENDING, attempts__gte=1).count() == 2
        ), list(waiting.values("status", "attempts", "last_error"))
        assert "Connection refused" in waiting.first().last_error

        # Back up: beat's sweep (sent to the worker, as beat does every 30 s) delivers them.
        fake.start()

        def delivered() -> bool:
            relay_callbacks.delay()
            time.sleep(0.5)
            return not HotlineCallback.objects.exclude(status=DeliveryStatus.SENT).exists()

        assert _wait_for(delivered, timeout=60)
        # More sweeps and a resent task change nothing.
        for row in HotlineCallback.objects.all():
            relay_callbacks.delay()
            from hotline.tasks import deliver_callback

            deliver_callback.delay(row.pk)
        time.sleep(2)
        kinds = fake.kinds()
        assert kinds == [
            CallbackKind.ACCEPT,
            CallbackKind.RESOLVE,
            CallbackKind.CALLBACK,
            CallbackKind.CLOSE,
        ]
        assert set(Counter(r["key"] for r in fake.received).values()) == {1}
        assert fake.bad_signatures == 0
        assert [r["work_order_number"] for r in fake.received] == [body["number"]] * 4
        assert fake.received[-1]["status"] == CaseStatus.CLOSED
    finally:
        fake.stop()
