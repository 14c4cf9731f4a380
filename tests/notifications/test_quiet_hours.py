"""Quiet hours: no SMS to requesters from 21:00 to 08:00 Asia/Shanghai, except emergencies."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from notifications.choices import Channel, Status, TemplateCode
from notifications.delivery import deliver_notification, quiet_hours_end, relay_pending
from notifications.services import notification_request
from tests.factories import ChannelPreferenceFactory

from .sms_backends import RecordingSmsBackend

SHANGHAI = ZoneInfo("Asia/Shanghai")
RECEIPT = {"tracking_number": "330681-20260305-0001", "query_code": "K7Q4M2"}


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _quiet_hours(settings):
    settings.NOTIFICATIONS_QUIET_HOURS = ("21:00", "08:00")
    settings.NOTIFICATIONS_QUIET_HOURS_TIME_ZONE = "Asia/Shanghai"
    settings.SMS_BACKEND = "tests.notifications.sms_backends.RecordingSmsBackend"


def _receipt(event: str = "case:1:event:1", **overrides):
    kwargs = {
        "event_key": event,
        "template_code": TemplateCode.RECEIPT,
        "channel": Channel.SMS,
        "recipient_phone": "13812345678",
        "context": RECEIPT,
    }
    return notification_request(**{**kwargs, **overrides})


@pytest.mark.parametrize(
    ("now", "release"),
    [
        (at(5, 20, 59, 59), None),
        (at(5, 21), at(6, 8)),
        (at(5, 23, 30), at(6, 8)),
        (at(6, 0, 0), at(6, 8)),
        (at(6, 7, 59, 59), at(6, 8)),
        (at(6, 8), None),
        (at(6, 12), None),
    ],
)
def test_quiet_hours_end(settings, now, release):
    settings.NOTIFICATIONS_QUIET_HOURS = ("21:00", "08:00")
    assert quiet_hours_end(now) == release
    # The same instant given in UTC gives the same answer.
    assert quiet_hours_end(now.astimezone(dt.UTC)) == release


@pytest.mark.django_db
def test_an_sms_to_a_requester_at_night_is_held_until_eight_then_sent():
    with time_machine.travel(at(5, 22, 30), tick=False) as traveller:
        notification = _receipt()
        assert notification.status == Status.HELD
        assert notification.next_attempt_at == at(6, 8)
        assert deliver_notification(notification.pk) == "skipped"
        traveller.move_to(at(6, 7, 59))
        assert relay_pending() == {}
        traveller.move_to(at(6, 8, 0, 30))
        assert relay_pending() == {"sent": 1}
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.attempts == 1
    assert len(RecordingSmsBackend.sent) == 1


@pytest.mark.django_db
def test_an_emergency_sms_goes_out_at_night():
    with time_machine.travel(at(5, 23), tick=False):
        notification = _receipt(emergency=True)
        assert notification.status == Status.PENDING
        assert deliver_notification(notification.pk) == "sent"


@pytest.mark.django_db
def test_staff_sms_and_requester_email_are_not_held():
    user = ChannelPreferenceFactory(sms_enabled=True, phone="13700000001").user
    with time_machine.travel(at(5, 23), tick=False):
        staff = notification_request(
            event_key="case:1:event:2",
            template_code=TemplateCode.WARNING_RED,
            channel=Channel.SMS,
            recipient_user_id=user.pk,
            context={"tracking_number": "T-1", "deadline": "2026-03-05 17:30"},
        )
        email = _receipt(channel=Channel.EMAIL, recipient_phone=None, recipient_email="zhang@example.com")
        assert staff.status == email.status == Status.PENDING
        assert deliver_notification(staff.pk) == "sent"


@pytest.mark.django_db
def test_a_retry_that_falls_due_at_night_is_held_without_counting_an_attempt(settings):
    settings.SMS_BACKEND = "tests.notifications.sms_backends.TransientFailureSmsBackend"
    settings.NOTIFICATIONS_BACKOFF_SECONDS = 3600
    with time_machine.travel(at(5, 20, 30), tick=False) as traveller:
        notification = _receipt()
        assert deliver_notification(notification.pk) == "retry"  # next try 21:30
        traveller.move_to(at(5, 21, 30))
        settings.SMS_BACKEND = "tests.notifications.sms_backends.RecordingSmsBackend"
        assert relay_pending() == {"held": 1}
        notification.refresh_from_db()
        assert notification.status == Status.HELD and notification.attempts == 1
        assert notification.next_attempt_at == at(6, 8)
        traveller.move_to(at(6, 8, 1))
        assert relay_pending() == {"sent": 1}
    notification.refresh_from_db()
    assert notification.attempts == 2
