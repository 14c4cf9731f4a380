"""notification_request / notify_staff: outbox rows in the caller's transaction, dedupe, preferences, privacy."""

import threading

import pytest
from django.db import connection, transaction

from notifications.choices import Channel, Status, TemplateCode
from notifications.delivery import deliver_notification
from notifications.models import Notification
from notifications.services import notification_request, notify_staff
from tests.factories import ChannelPreferenceFactory, UserFactory

RECEIPT = {"tracking_number": "330681-20260305-0001", "query_code": "K7Q4M2"}
ASSIGNMENT = {"tracking_number": "330681-20260305-0001", "department": "市场监管局"}


def _receipt(**overrides):
    kwargs = {
        "event_key": "case:1:event:1",
        "template_code": TemplateCode.RECEIPT,
        "channel": Channel.SMS,
        "recipient_phone": "138 1234 5678",
        "context": RECEIPT,
    }
    return notification_request(**{**kwargs, **overrides})


@pytest.mark.django_db
def test_a_request_writes_a_pending_rendered_row_with_a_masked_recipient():
    notification = _receipt()
    notification.refresh_from_db()
    assert notification.status == Status.PENDING
    assert notification.recipient_address == "13812345678"
    assert notification.recipient_display == "138****5678"
    assert "13812345678" not in str(notification) and "138****5678" in str(notification)
    assert "K7Q4M2" in notification.body and notification.sms_segments == 1
    assert notification.context == RECEIPT
    assert notification.attempts == 0 and notification.next_attempt_at is not None


@pytest.mark.django_db
def test_a_repeated_event_gives_the_same_row_and_sends_once(sms_log):
    first = _receipt()
    again = _receipt(recipient_phone="13812345678")  # same number, written differently
    assert again.pk == first.pk
    assert Notification.objects.count() == 1
    assert deliver_notification(first.pk) == "sent"
    _receipt()
    assert deliver_notification(first.pk) == "skipped"
    assert len(sms_log()) == 1


@pytest.mark.django_db
def test_the_dedupe_key_is_event_recipient_and_channel():
    user = UserFactory(with_email=True)
    _receipt()
    _receipt(event_key="case:1:event:2")
    _receipt(recipient_phone="13900000000")
    notification_request(
        event_key="case:1:event:1",
        template_code=TemplateCode.RECEIPT,
        channel=Channel.EMAIL,
        recipient_email="Zhang@Example.com",
        context=RECEIPT,
    )
    for channel in (Channel.IN_APP, Channel.EMAIL, Channel.SMS):
        notification_request(
            event_key="case:1:event:1",
            template_code=TemplateCode.RECEIPT,
            channel=channel,
            recipient_user_id=user.pk,
            context=RECEIPT,
        )
    assert Notification.objects.count() == 7
    # The key does not reveal the number.
    assert not Notification.objects.filter(dedupe_key__contains="13812345678").exists()


@pytest.mark.django_db
def test_the_row_rolls_back_with_the_callers_transaction():
    with pytest.raises(RuntimeError), transaction.atomic():
        _receipt()
        raise RuntimeError("the intake failed")
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_for_one_event_store_one_row(sms_log):
    """Two transactions race on one dedupe key: the second INSERT waits and then does nothing."""
    barrier = threading.Barrier(2)
    results, failures = [], []

    def request(hold: float):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                results.append(_receipt().pk)
                threading.Event().wait(hold)  # keep the transaction open while the other one inserts
        except Exception as exc:  # surfaced below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=(hold,)) for hold in (0.5, 0.0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert len(results) == 2 and len(set(results)) == 1
    assert Notification.objects.count() == 1
    deliver_notification(results[0])
    deliver_notification(results[0])
    assert len(sms_log()) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"template_code": "birthday"}, "unknown template code"),
        ({"channel": "fax"}, "unknown channel"),
        ({"context": {"tracking_number": "1"}}, "query_code"),
        ({"recipient_phone": "call me"}, "not a phone number"),
        ({"recipient_phone": None}, "exactly one"),
        ({"recipient_email": "a@b.cn"}, "exactly one"),
        ({"channel": Channel.EMAIL}, "needs the sms channel"),
        ({"channel": Channel.IN_APP}, "staff users only"),
        ({"event_key": ""}, "event_key"),
        ({"recipient_phone": None, "recipient_user_id": 987654}, "no user"),
    ],
)
def test_invalid_requests_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _receipt(**kwargs)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_in_app_rows_are_the_inbox_item_and_are_delivered_on_write():
    user = UserFactory(with_email=True)
    notification = notification_request(
        event_key="case:1:event:3",
        template_code=TemplateCode.ASSIGNMENT,
        channel=Channel.IN_APP,
        recipient_user_id=user.pk,
        context={**ASSIGNMENT, "url": "/cases/1/"},
    )
    assert notification.status == Status.SENT and notification.sent_at is not None
    assert notification.read_at is None and notification.link == "/cases/1/"
    assert notification.recipient_display == user.username


@pytest.mark.django_db
def test_notify_staff_follows_each_users_channel_preferences():
    default_user = UserFactory(with_email=True)  # no preference row: in-app and e-mail
    no_mail = ChannelPreferenceFactory(email_enabled=False).user
    everything = ChannelPreferenceFactory(sms_enabled=True, phone="13700000001", language="en").user
    no_address = UserFactory(email="")
    inactive = UserFactory(with_email=True, is_active=False)

    rows = notify_staff(
        event_key="case:7:event:20",
        template_code=TemplateCode.ASSIGNMENT,
        user_ids=[default_user.pk, no_mail.pk, everything.pk, no_address.pk, inactive.pk, 424242],
        context=ASSIGNMENT,
    )
    channels = {}
    for row in rows:
        channels.setdefault(row.recipient_user_id, set()).add(row.channel)
    assert channels == {
        default_user.pk: {Channel.IN_APP, Channel.EMAIL},
        no_mail.pk: {Channel.IN_APP},
        everything.pk: {Channel.IN_APP, Channel.EMAIL, Channel.SMS},
        no_address.pk: {Channel.IN_APP},
    }
    english = next(r for r in rows if r.recipient_user_id == everything.pk and r.channel == Channel.SMS)
    assert english.language == "en" and english.body.startswith("市场监管局: new assignment")
    # Staff phone numbers stay in the preference, not in the outbox.
    assert english.recipient_address == ""
    # Calling again for the same event adds nothing.
    again = notify_staff(
        event_key="case:7:event:20",
        template_code=TemplateCode.ASSIGNMENT,
        user_ids=[everything.pk],
        context=ASSIGNMENT,
    )
    assert {r.pk for r in again} <= {r.pk for r in rows}
    assert Notification.objects.count() == len(rows) == 7


@pytest.mark.django_db
def test_a_requesters_phone_is_forgotten_once_sent(sms_log):
    notification = _receipt()
    assert deliver_notification(notification.pk) == "sent"
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.recipient_address == ""
    assert notification.recipient_display == "138****5678"
    (line,) = sms_log()
    assert line["to"] == "138****5678" and "13812345678" not in str(line)
    assert line["idempotency_key"] == str(notification.idempotency_key)
