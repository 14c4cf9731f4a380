"""The in-app inbox: API (/api/v1/notifications/), page (/notifications/) and the header's unread count."""

import pytest
from rest_framework.test import APIClient

from notifications.choices import Channel, TemplateCode
from notifications.models import Notification
from notifications.services import notification_request
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _inbox_item(user, n: int, **context):
    return notification_request(
        event_key=f"case:{n}:event:1",
        template_code=TemplateCode.ASSIGNMENT,
        channel=Channel.IN_APP,
        recipient_user_id=user.pk,
        context={"tracking_number": f"T-{n}", "department": "自然资源局", **context},
    )


@pytest.fixture
def alice():
    return UserFactory(with_email=True, username="alice")


@pytest.fixture
def bob():
    return UserFactory(with_email=True, username="bob")


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_without_login_the_inbox_is_refused(api_client):
    # 401 with a challenge: token authentication comes first in the settings.
    for response in (
        api_client.get("/api/v1/notifications/"),
        api_client.get("/api/v1/notifications/unread-count/"),
        api_client.post("/api/v1/notifications/read-all/"),
    ):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"


def test_a_user_lists_only_their_own_in_app_messages(alice, bob):
    mine = [_inbox_item(alice, 1, url="/cases/1/"), _inbox_item(alice, 2)]
    _inbox_item(bob, 3)
    # Alice's SMS and e-mail rows are outbox rows, not inbox items.
    notification_request(
        event_key="case:1:event:1",
        template_code=TemplateCode.ASSIGNMENT,
        channel=Channel.EMAIL,
        recipient_user_id=alice.pk,
        context={"tracking_number": "T-1", "department": "自然资源局"},
    )
    response = _client(alice).get("/api/v1/notifications/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [mine[1].pk, mine[0].pk]  # newest first
    first = body["results"][1]
    assert first["subject"] == "新派单：T-1" and first["link"] == "/cases/1/" and first["is_read"] is False
    assert set(first) == {
        "id",
        "template_code",
        "subject",
        "body",
        "link",
        "emergency",
        "created_at",
        "read_at",
        "is_read",
    }


def test_another_users_message_answers_404(alice, bob):
    bobs = _inbox_item(bob, 3)
    client = _client(alice)
    assert client.get(f"/api/v1/notifications/{bobs.pk}/").status_code == 404
    assert client.post(f"/api/v1/notifications/{bobs.pk}/read/").status_code == 404
    bobs.refresh_from_db()
    assert bobs.read_at is None


def test_mark_read_unread_count_and_read_all(alice, bob):
    items = [_inbox_item(alice, n) for n in (1, 2, 3)]
    _inbox_item(bob, 4)
    client = _client(alice)
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 3}

    response = client.post(f"/api/v1/notifications/{items[0].pk}/read/")
    assert response.status_code == 200 and response.json()["is_read"] is True
    read_at = response.json()["read_at"]
    # Marking again keeps the first reading time.
    assert client.post(f"/api/v1/notifications/{items[0].pk}/read/").json()["read_at"] == read_at
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 2

    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 2}
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}
    assert Notification.objects.filter(recipient_user=bob, read_at__isnull=True).count() == 1


def test_the_inbox_cannot_be_written_through_the_api(alice):
    item = _inbox_item(alice, 1)
    client = _client(alice)
    assert client.post("/api/v1/notifications/", {"subject": "x"}).status_code == 405
    assert client.patch(f"/api/v1/notifications/{item.pk}/", {"subject": "x"}).status_code == 405
    assert client.delete(f"/api/v1/notifications/{item.pk}/").status_code == 405


def test_the_page_requires_login(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_lists_messages_and_the_header_shows_the_unread_count(client, alice, bob):
    first = _inbox_item(alice, 1, url="/cases/1/")
    second = _inbox_item(alice, 2)
    _inbox_item(bob, 3)
    client.force_login(alice)

    page = client.get("/notifications/").content.decode()
    assert "新派单：T-1" in page and "新派单：T-2" in page and "T-3" not in page
    assert f'href="/notifications/{first.pk}/open/"' in page
    assert 'class="badge unread-count"' in page and ">2</span>" in page

    response = client.post(f"/notifications/{second.pk}/read/", {"next": "/notifications/"})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    home = client.get("/").content.decode()
    assert ">1</span>" in home

    client.post("/notifications/read-all/")
    assert "unread-count" not in client.get("/").content.decode()


def test_marking_another_users_message_from_the_page_is_404(client, alice, bob):
    bobs = _inbox_item(bob, 3)
    client.force_login(alice)
    assert client.post(f"/notifications/{bobs.pk}/read/").status_code == 404


def test_the_page_never_redirects_off_site(client, alice):
    item = _inbox_item(alice, 1)
    client.force_login(alice)
    response = client.post(f"/notifications/{item.pk}/read/", {"next": "https://evil.example.com/"})
    assert response["Location"] == "/notifications/"


def test_opening_a_message_marks_it_read_and_goes_to_its_link(client, alice, bob):
    item = _inbox_item(alice, 1, url="/cases/1/")
    client.force_login(alice)
    response = client.get(f"/notifications/{item.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/cases/1/"
    item.refresh_from_db()
    assert item.read_at is not None
    offsite = _inbox_item(alice, 2, url="https://evil.example.com/")
    assert client.get(f"/notifications/{offsite.pk}/open/")["Location"] == "/notifications/"
    bobs = _inbox_item(bob, 3, url="/cases/1/")
    assert client.get(f"/notifications/{bobs.pk}/open/").status_code == 404
    bobs.refresh_from_db()
    assert bobs.read_at is None
