"""Admin: the outbox is read-only and masks addresses; dead rows can be resent; templates can be overridden."""

import pytest
from django.contrib.auth import get_user_model

from notifications.choices import Channel, Status, TemplateCode
from notifications.delivery import deliver_notification
from notifications.models import MessageTemplate, Notification
from notifications.services import notification_request
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.gov.cn", "s3cret-pass-2026")
    client.force_login(user)
    return client


def _receipt(n: int = 1) -> Notification:
    return notification_request(
        event_key=f"case:{n}:event:1",
        template_code=TemplateCode.RECEIPT,
        channel=Channel.SMS,
        recipient_phone="13812345678",
        context={"tracking_number": f"T-{n}", "query_code": "K7Q4M2"},
    )


def test_the_outbox_shows_masked_numbers_only(admin_client):
    notification = _receipt()
    listing = admin_client.get("/admin/notifications/notification/").content.decode()
    detail = admin_client.get(f"/admin/notifications/notification/{notification.pk}/change/").content.decode()
    for page in (listing, detail):
        assert "138****5678" in page
        assert "13812345678" not in page
    assert admin_client.get("/admin/notifications/notification/add/").status_code == 403


def test_resend_action_requeues_dead_rows_only(admin_client, settings):
    settings.SMS_BACKEND = "tests.notifications.sms_backends.TransientFailureSmsBackend"
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 1
    dead = _receipt(1)
    assert deliver_notification(dead.pk) == "dead"
    pending = _receipt(2)
    response = admin_client.post(
        "/admin/notifications/notification/",
        {"action": "resend", "_selected_action": [dead.pk, pending.pk]},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "已重新排队 1 条通知" in page and "1 条通知不是" in page
    dead.refresh_from_db()
    assert dead.status == Status.PENDING and dead.attempts == 0

    settings.SMS_BACKEND = "notifications.channels.sms.FileSmsBackend"
    assert deliver_notification(dead.pk) == "sent"


def test_resend_needs_change_permission(client):
    viewer = UserFactory(with_email=True, is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.force_login(viewer)
    page = client.get("/admin/notifications/notification/").content.decode()
    assert 'value="resend"' not in page


def test_a_new_override_starts_from_the_shipped_text_and_takes_effect(admin_client):
    add = admin_client.get(
        "/admin/notifications/messagetemplate/add/?code=survey&language=en"
    ).content.decode()
    assert "Please rate us: {{ survey_url }}" in add

    response = admin_client.post(
        "/admin/notifications/messagetemplate/add/",
        {
            "code": "survey",
            "language": "en",
            "is_active": "on",
            "subject": "Rate {{ tracking_number }}",
            "body": "Rate us at {{ survey_url }}",
            "sms": "Rate case {{ tracking_number }}: {{ survey_url }}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    override = MessageTemplate.objects.get(code="survey", language="en")
    change = admin_client.get(f"/admin/notifications/messagetemplate/{override.pk}/change/").content.decode()
    assert "Rate case 330681-20260305-0001: https://window.example.gov.cn/s/K7Q4M2" in change  # preview

    notification = notification_request(
        event_key="case:9:event:1",
        template_code=TemplateCode.SURVEY,
        channel=Channel.SMS,
        recipient_phone="13812345678",
        language="en",
        context={"tracking_number": "T-9", "survey_url": "https://w.example.cn/s/9"},
    )
    assert notification.body == "Rate case T-9: https://w.example.cn/s/9"


def test_an_override_with_a_syntax_error_is_refused_in_the_admin(admin_client):
    response = admin_client.post(
        "/admin/notifications/messagetemplate/add/",
        {
            "code": "urge",
            "language": "zh-hans",
            "is_active": "on",
            "subject": "x",
            "body": "{% for %}",
            "sms": "y",
        },
    )
    assert response.status_code == 200
    assert "模板语法错误" in response.content.decode()
    assert not MessageTemplate.objects.exists()


def test_preferences_list_masks_phone_numbers(admin_client):
    from tests.factories import ChannelPreferenceFactory

    ChannelPreferenceFactory(sms_enabled=True, phone="13700001234")
    page = admin_client.get("/admin/notifications/channelpreference/").content.decode()
    assert "137****1234" in page and "13700001234" not in page
