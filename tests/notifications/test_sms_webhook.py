"""The HTTP JSON webhook SMS backend against a real HTTP server on 127.0.0.1."""

import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from notifications.channels import PermanentDeliveryError, TransientDeliveryError
from notifications.channels.sms import SmsMessage, WebhookSmsBackend, sign, verify_signature
from notifications.choices import Channel, Status, TemplateCode
from notifications.delivery import deliver_notification
from notifications.services import notification_request

from .local_redis import free_port
from .webhook_server import Step

MESSAGE = SmsMessage(
    phone="13812345678",
    body="您反映的事项已受理，受理编号T-1，查询码K7Q4M2。",
    idempotency_key="5b0f6a4e-0000-4000-8000-000000000001",
    template_code="receipt",
    params={"tracking_number": "T-1", "query_code": "K7Q4M2"},
)


def test_a_signed_request_reaches_the_gateway_and_its_message_id_is_returned(webhook_settings, gateway):
    assert WebhookSmsBackend().send(MESSAGE) == "gw-1"
    (request,) = gateway.requests
    assert request.signature_ok
    assert request.idempotency_key == MESSAGE.idempotency_key
    assert request.headers["Content-Type"].startswith("application/json")
    payload = request.json
    assert payload["to"] == "13812345678" and payload["body"] == MESSAGE.body
    assert payload["template_code"] == "receipt" and payload["params"] == {
        "tracking_number": "T-1",
        "query_code": "K7Q4M2",
    }
    assert payload["idempotency_key"] == MESSAGE.idempotency_key


def test_the_receiver_can_verify_the_signature_and_detect_tampering(webhook_settings, gateway):
    WebhookSmsBackend().send(MESSAGE)
    (request,) = gateway.requests
    timestamp = request.headers["X-Windowsvc-Timestamp"]
    signature = request.headers["X-Windowsvc-Signature"]
    assert signature == sign("test-webhook-secret", timestamp, request.body)
    assert verify_signature(
        secret="test-webhook-secret", timestamp=timestamp, body=request.body, signature=signature
    )
    tampered = request.body.replace(b"K7Q4M2", b"AAAAAA")
    assert not verify_signature(
        secret="test-webhook-secret", timestamp=timestamp, body=tampered, signature=signature
    )
    assert not verify_signature(
        secret="another-secret", timestamp=timestamp, body=request.body, signature=signature
    )
    # A replay long after the fact is refused.
    assert not verify_signature(
        secret="test-webhook-secret",
        timestamp=timestamp,
        body=request.body,
        signature=signature,
        now=time.time() + 3600,
    )


def test_a_wrong_secret_is_refused_by_the_gateway_and_not_retried(webhook_settings, gateway):
    webhook_settings.SMS_WEBHOOK_SECRET = "not-the-gateways-secret"
    with pytest.raises(PermanentDeliveryError, match="401"):
        WebhookSmsBackend().send(MESSAGE)
    assert len(gateway.requests) == 1


def test_5xx_is_retried_with_the_same_idempotency_key(webhook_settings, gateway):
    gateway.script(Step(503), Step(500))
    assert WebhookSmsBackend().send(MESSAGE) == "gw-1"
    assert len(gateway.requests) == 3
    assert {r.idempotency_key for r in gateway.requests} == {MESSAGE.idempotency_key}
    assert all(r.signature_ok for r in gateway.requests)


def test_5xx_every_time_gives_up_after_the_retries_as_transient(webhook_settings, gateway):
    gateway.script(Step(502), Step(503), Step(504), Step(200))
    with pytest.raises(TransientDeliveryError, match="HTTP 504"):
        WebhookSmsBackend().send(MESSAGE)
    assert len(gateway.requests) == 3  # one try and SMS_WEBHOOK_RETRIES=2 retries
    assert gateway.state.delivered == {}


def test_a_timeout_is_retried(webhook_settings, gateway):
    gateway.script(Step(200, delay=1.5))  # longer than SMS_WEBHOOK_TIMEOUT=0.5
    started = time.monotonic()
    assert WebhookSmsBackend().send(MESSAGE) == "gw-1"
    assert len(gateway.requests) == 2
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_4xx_is_not_retried(webhook_settings, gateway, status):
    gateway.script(Step(status), Step(200))
    with pytest.raises(PermanentDeliveryError, match=f"HTTP {status}"):
        WebhookSmsBackend().send(MESSAGE)
    assert len(gateway.requests) == 1


def test_429_is_left_to_the_outbox_backoff(webhook_settings, gateway):
    gateway.script(Step(429), Step(200))
    with pytest.raises(TransientDeliveryError, match="429"):
        WebhookSmsBackend().send(MESSAGE)
    assert len(gateway.requests) == 1


def test_an_unreachable_gateway_is_retried_then_transient(webhook_settings):
    webhook_settings.SMS_WEBHOOK_URL = f"http://127.0.0.1:{free_port()}/sms"
    with pytest.raises(TransientDeliveryError, match="unreachable"):
        WebhookSmsBackend().send(MESSAGE)


def test_configuration_is_checked(settings):
    settings.SMS_WEBHOOK_URL = "file:///etc/passwd"
    settings.SMS_WEBHOOK_SECRET = "x"
    with pytest.raises(ImproperlyConfigured):
        WebhookSmsBackend()
    settings.SMS_WEBHOOK_URL = "https://sms.example.com/send"
    settings.SMS_WEBHOOK_SECRET = ""
    with pytest.raises(ImproperlyConfigured):
        WebhookSmsBackend()


def _receipt():
    return notification_request(
        event_key="case:1:event:1",
        template_code=TemplateCode.RECEIPT,
        channel=Channel.SMS,
        recipient_phone="13812345678",
        context={"tracking_number": "T-1", "query_code": "K7Q4M2"},
    )


@pytest.mark.django_db
def test_through_the_outbox_a_4xx_fails_the_row_and_a_5xx_schedules_a_retry(webhook_settings, gateway):
    gateway.script(Step(400))
    refused = _receipt()
    assert deliver_notification(refused.pk) == "failed"
    refused.refresh_from_db()
    assert refused.status == Status.FAILED and "HTTP 400" in refused.last_error

    gateway.script(Step(503), Step(503), Step(503))
    busy = notification_request(
        event_key="case:1:event:2",
        template_code=TemplateCode.RESOLVE,
        channel=Channel.SMS,
        recipient_phone="13812345678",
        context={"tracking_number": "T-1"},
    )
    assert deliver_notification(busy.pk) == "retry"
    busy.refresh_from_db()
    assert busy.status == Status.PENDING and busy.attempts == 1 and "HTTP 503" in busy.last_error

    ok = notification_request(
        event_key="case:1:event:3",
        template_code=TemplateCode.SURVEY,
        channel=Channel.SMS,
        recipient_phone="13812345678",
        context={"tracking_number": "T-1", "survey_url": "https://w.example.cn/s/K7"},
    )
    assert deliver_notification(ok.pk) == "sent"
    ok.refresh_from_db()
    assert ok.provider_message_id == "gw-1"
    sent = gateway.requests[-1].json
    assert sent["idempotency_key"] == str(ok.idempotency_key) and "https://w.example.cn/s/K7" in sent["body"]
    assert sent["segments"] == ok.sms_segments
