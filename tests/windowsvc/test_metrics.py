"""/metrics (windowsvc/metrics.py): who may scrape, and the state gauges read from the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.choices import Channel, Status, TemplateCode
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def _value(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{line_start} not in the scrape")


def test_a_local_scrape_reads_requests_and_state(client, settings):
    settings.METRICS_TOKEN = ""
    client.get("/accounts/login/")
    Notification.objects.create(
        event_key="test:late",
        dedupe_key="late-1",
        channel=Channel.SMS,
        template_code=TemplateCode.URGE,
        recipient_address="13800138000",
        recipient_display="138****8000",
        status=Status.PENDING,
        next_attempt_at=timezone.now() - timedelta(minutes=10),
    )
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert _value(text, 'windowsvc_outbox_backlog{outbox="notifications"}') == 1
    assert _value(text, 'windowsvc_outbox_oldest_age_seconds{outbox="notifications"}') >= 600
    assert _value(text, 'windowsvc_outbox_backlog{outbox="hotline"}') == 0
    assert _value(text, 'windowsvc_sweep_due{clock="cases"}') == 0
    assert _value(text, 'windowsvc_dead_letters{outbox="notifications"}') == 0
    assert _value(text, f'windowsvc_queue_depth{{queue="{settings.CELERY_TASK_DEFAULT_QUEUE}"}}') >= 0
    assert _value(text, 'windowsvc_scrape_error{source="database"}') == 0


def test_through_the_proxy_or_from_elsewhere_without_the_token_there_is_nothing(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 404


def test_with_a_token_only_its_bearer_scrapes(client, settings):
    settings.METRICS_TOKEN = "scrape-secret-0123456789"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-0123456789", REMOTE_ADDR="10.1.2.3")
    assert ok.status_code == 200
