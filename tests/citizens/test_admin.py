"""Admin of the public side: integration keys shown once and stored hashed; publications scoped."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from citizens.models import Open311Integration, PublishedCase, hash_api_key
from citizens.open311.errors import Open311Error
from citizens.open311.services import integration_for_key
from tests.factories import take_in

from .scenarios import make_integration, publish

pytestmark = pytest.mark.django_db


def _key_from_messages(response) -> str:
    [message] = [str(m) for m in get_messages(response.wsgi_request) if "API 密钥" in str(m)]
    return message.rsplit("：", 1)[1]


def test_creating_an_integration_shows_its_key_once_and_stores_a_digest(client, org):
    client.force_login(org["root"])
    response = client.post(
        "/admin/citizens/open311integration/add/",
        {"name": "12345平台", "window": org.windows["v1"].pk, "is_active": "on"},
    )
    assert response.status_code == 302
    key = _key_from_messages(response)
    integration = Open311Integration.objects.get()
    assert integration.key_hash == hash_api_key(key)
    assert key not in str(Open311Integration.objects.values().get())  # never stored in clear
    assert integration_for_key(key) == integration


def test_regenerating_a_key_revokes_the_old_one(client, org):
    integration, old = make_integration(org)
    client.force_login(org["root"])
    response = client.post(
        "/admin/citizens/open311integration/",
        {"action": "regenerate_key", "_selected_action": [integration.pk]},
    )
    new = _key_from_messages(response)
    assert new != old
    assert integration_for_key(new) == integration
    with pytest.raises(Open311Error) as refused:
        integration_for_key(old)
    assert refused.value.status == 403


def test_integrations_are_for_superusers_only(client, org):
    org["county_admin"].is_staff = True
    org["county_admin"].save(update_fields=["is_staff"])
    client.force_login(org["county_admin"])
    assert client.get("/admin/citizens/open311integration/").status_code == 403


def test_publications_are_scoped_to_visible_cases(client, org):
    mine = publish(take_in(org, "t1"), "镇里的案例")
    publish(take_in(org, "t2"), "另一个镇的案例")
    admin = org["t1_admin"]
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    from django.contrib.auth.models import Permission

    admin.user_permissions.add(*Permission.objects.filter(codename__endswith="publishedcase"))
    client.force_login(admin)
    response = client.get("/admin/citizens/publishedcase/")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    assert PublishedCase.objects.count() == 2
