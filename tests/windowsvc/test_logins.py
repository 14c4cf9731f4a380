"""Logins (docs/SECURITY.md): lockout on every login path, and hashed, expiring, revocable API tokens.

Each login path — the login page, the admin login, the API token endpoint — is driven the same way and its
answer reduced to ``ok`` (logged in / a token), ``wrong`` (refused, try again) or ``locked`` (429 with the
lockout message, whatever the password).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory, build_org

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
WRONG = "not-the-password"
LOCKED_TEXT = "登录失败次数过多"


def _page(path: str):
    def attempt(username: str, password: str, address: str, forwarded: str | None = None) -> str:
        extra = {"REMOTE_ADDR": address}
        if forwarded:
            extra["HTTP_X_FORWARDED_FOR"] = forwarded
        response = Client().post(path, {"username": username, "password": password}, **extra)
        if response.status_code == 429:
            assert LOCKED_TEXT in response.content.decode()
            assert int(response["Retry-After"]) > 0
            return "locked"
        if response.status_code == 302:
            return "ok"
        assert response.status_code == 200, response.status_code
        return "wrong"

    return attempt


def _api(username: str, password: str, address: str, forwarded: str | None = None) -> str:
    extra = {"REMOTE_ADDR": address}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    response = APIClient().post(reverse("api-token"), {"username": username, "password": password}, **extra)
    if response.status_code == 429:
        assert LOCKED_TEXT in response.json()["detail"]
        return "locked"
    if response.status_code == 200:
        assert set(response.json()) == {"token", "expiry"}
        return "ok"
    assert response.status_code == 400, response.status_code
    return "wrong"


PATHS = {"page": _page("/accounts/login/"), "admin": _page("/admin/login/"), "api": _api}


def _at(minutes: float):
    return time_machine.travel(START + timedelta(minutes=minutes), tick=False)


@pytest.fixture
def users():
    # Staff of the admin site, so the admin login accepts them too.
    return {name: UserFactory(username=name, is_staff=True) for name in ("alice", "bob", "carol")}


@pytest.mark.parametrize("path", PATHS)
def test_locked_after_the_limit_and_released_after_the_cool_off(path, users):
    attempt = PATHS[path]
    with _at(0):
        assert [attempt("alice", WRONG, "10.0.0.1") for _ in range(4)] == ["wrong"] * 4
        # The fifth failure reaches LOGIN_FAILURE_LIMIT (5): locked at once.
        assert attempt("alice", WRONG, "10.0.0.1") == "locked"
        # The right password during the lockout is refused too.
        assert attempt("alice", PASSWORD, "10.0.0.1") == "locked"
    with _at(14):
        assert attempt("alice", PASSWORD, "10.0.0.1") == "locked"
    # Attempts during the lockout are not counted: it ends LOGIN_COOLOFF_MINUTES after the fifth failure.
    with _at(16):
        assert attempt("alice", PASSWORD, "10.0.0.1") == "ok"


@pytest.mark.parametrize("path", PATHS)
def test_the_lock_holds_the_account_from_that_address_only(path, users):
    attempt = PATHS[path]
    with _at(0):
        for _ in range(5):
            attempt("alice", WRONG, "10.0.0.1")
        assert attempt("alice", PASSWORD, "10.0.0.1") == "locked"
        # A colleague behind the same office address works on; alice from her other machine too.
        assert attempt("bob", PASSWORD, "10.0.0.1") == "ok"
        assert attempt("alice", PASSWORD, "10.0.0.2") == "ok"


def test_the_failure_limit_and_cool_off_are_settings(users, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=3)
    with _at(0):
        assert [_api("alice", WRONG, "10.0.0.1") for _ in range(2)] == ["wrong", "locked"]
    with _at(4):
        assert _api("alice", PASSWORD, "10.0.0.1") == "ok"


def test_one_address_guessing_many_accounts_is_locked(users, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    with _at(0):
        assert [_api("alice", WRONG, "10.0.0.1") for _ in range(4)] == ["wrong"] * 4
        # The eighth failure from 10.0.0.1 over all accounts locks the address, for every account.
        assert [_api("bob", WRONG, "10.0.0.1") for _ in range(4)] == ["wrong"] * 3 + ["locked"]
        assert _api("carol", PASSWORD, "10.0.0.1") == "locked"
        assert _api("carol", PASSWORD, "10.0.0.2") == "ok"
    with _at(16):
        assert _api("carol", PASSWORD, "10.0.0.1") == "ok"


def test_many_addresses_guessing_one_account_lock_it(users, settings):
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 8
    with _at(0):
        assert [_api("alice", WRONG, "10.0.0.1") for _ in range(4)] == ["wrong"] * 4
        assert [_api("alice", WRONG, "10.0.0.2") for _ in range(4)] == ["wrong"] * 3 + ["locked"]
        assert _api("alice", PASSWORD, "10.0.0.3") == "locked"
        assert _api("bob", PASSWORD, "10.0.0.3") == "ok"


def test_behind_our_proxy_the_client_address_comes_from_the_configured_hop(users, settings):
    with _at(0):
        # No trusted proxy (the default): a client cannot escape its lock by writing X-Forwarded-For.
        for _ in range(5):
            _api("alice", WRONG, "10.0.0.1")
        assert _api("alice", PASSWORD, "10.0.0.1", forwarded="203.0.113.9") == "locked"

        # One proxy of ours: clients behind it are told apart by the address it saw (the rightmost entry).
        settings.PUBLIC_TRUSTED_PROXY_HOPS = 1
        for _ in range(5):
            _api("bob", WRONG, "192.168.0.10", forwarded="203.0.113.1")
        assert _api("bob", PASSWORD, "192.168.0.10", forwarded="203.0.113.1") == "locked"
        assert _api("bob", PASSWORD, "192.168.0.10", forwarded="203.0.113.1, 203.0.113.2") == "ok"
        assert _api("bob", PASSWORD, "192.168.0.10", forwarded="198.51.100.7, 203.0.113.1") == "locked"
    assert set(AccessAttempt.objects.filter(username="bob").values_list("ip_address", flat=True)) == {
        "203.0.113.1"
    }


def test_the_api_lockout_answer(users):
    with _at(0):
        for _ in range(5):
            _api("alice", WRONG, "10.0.0.1")
        response = APIClient().post(
            reverse("api-token"), {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
        )
    assert response.status_code == 429
    assert response.json() == {
        "detail": "登录失败次数过多，已暂时锁定。请在 15 分钟后再试，或联系系统管理员解锁。"
    }
    assert not AuthToken.objects.exists()


def test_lockouts_are_logged_kept_and_reset_by_command(users, caplog):
    with _at(0), caplog.at_level(logging.WARNING, logger="windowsvc.logins"):
        for _ in range(5):
            _api("alice", WRONG, "10.0.0.1")
    assert "login locked out: username='alice' address=10.0.0.1" in caplog.text
    attempt = AccessAttempt.objects.get(username="alice")
    assert (attempt.ip_address, attempt.failures_since_start) == ("10.0.0.1", 5)

    with _at(1):
        call_command("axes_reset_username", "alice")
        assert _api("alice", PASSWORD, "10.0.0.1") == "ok"


def test_only_superusers_see_the_lockouts_in_the_admin(users):
    org = build_org()
    with _at(0):
        for _ in range(5):
            _api("alice", WRONG, "10.0.0.1")
    url = reverse("admin:axes_accessattempt_changelist")

    with _at(1):
        superuser = Client()
        superuser.force_login(org["root"])
        page = superuser.get(url)
        assert page.status_code == 200
        assert "alice" in page.content.decode()

        # A county administrator enters the admin, but lockouts are not theirs to see (no axes permission).
        administrator = Client()
        administrator.force_login(org["county_admin"])
        assert administrator.get(reverse("admin:index")).status_code == 200
        assert administrator.get(url).status_code == 403


# --- API tokens -------------------------------------------------------------------------------------


def _token(username: str = "alice") -> tuple[str, dict]:
    response = APIClient().post(reverse("api-token"), {"username": username, "password": PASSWORD})
    assert response.status_code == 200
    return response.json()["token"], response.json()


def _me(token: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(reverse("me")).status_code


def test_the_token_endpoint_answers_a_token_and_its_expiry(users):
    with _at(0):
        token, body = _token()
        assert _me(token) == 200
    assert set(body) == {"token", "expiry"}
    expiry = datetime.fromisoformat(body["expiry"])
    assert expiry == START + timedelta(hours=10)


def test_an_expired_token_is_refused(users):
    with _at(0):
        token, _body = _token()
        assert _me(token) == 200
    with _at(9 * 60 + 59):
        assert _me(token) == 200
    with _at(10 * 60 + 1):
        assert _me(token) == 401


def test_a_request_reads_only_its_own_token_and_a_new_token_clears_the_expired_ones(users):
    with _at(0):
        old, _body = _token()
    with _at(6 * 60):
        current, _body = _token()
    with _at(10 * 60 + 1):  # the first token has expired, the second has not
        # One query for the token (with its user); no sweep of the user's other tokens on each request.
        with CaptureQueriesContext(connection) as queries:
            assert _me(current) == 200
        token_reads = [q["sql"] for q in queries if 'FROM "knox_authtoken"' in q["sql"]]
        assert len(token_reads) == 1 and '"knox_authtoken"."token_key" =' in token_reads[0]
        assert AuthToken.objects.count() == 2
        assert _me(old) == 401  # refused, and deleted
        assert AuthToken.objects.count() == 1
    with _at(16 * 60 + 1):  # now the second has expired too: issuing a third token deletes it
        _third, _body = _token()
        assert AuthToken.objects.count() == 1


def test_logout_revokes_that_token_and_logout_all_every_token(users):
    with _at(0):
        first, _ = _token()
        second, _ = _token()
        third, _ = _token()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
        assert client.post(reverse("api-logout")).status_code == 204
        assert (_me(first), _me(second), _me(third)) == (401, 200, 200)

        client.credentials(HTTP_AUTHORIZATION=f"Token {second}")
        assert client.post(reverse("api-logout-all")).status_code == 204
        assert (_me(second), _me(third)) == (401, 401)


def test_a_password_change_revokes_every_token(users):
    alice, bob = users["alice"], users["bob"]
    with _at(0):
        token, _ = _token("alice")
        others, _ = _token("bob")
        # Saving the user without touching the password keeps the tokens.
        alice.first_name = "爱丽丝"
        alice.save()
        assert _me(token) == 200

        alice.set_password("a-new-long-passphrase-2026")
        alice.save()
        assert _me(token) == 401
        assert _me(others) == 200
    assert not AuthToken.objects.filter(user=alice).exists()
    assert AuthToken.objects.filter(user=bob).count() == 1


def test_a_password_change_in_the_admin_revokes_every_token(users):
    alice = users["alice"]
    with _at(0):
        token, _ = _token("alice")
        client = Client()
        client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
        response = client.post(
            reverse("admin:auth_user_password_change", args=[alice.pk]),
            {"password1": "a-new-long-passphrase-2026", "password2": "a-new-long-passphrase-2026"},
        )
        assert response.status_code == 302
        assert _me(token) == 401


def test_the_admin_refuses_a_weak_password(users):
    alice = users["alice"]
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:auth_user_password_change", args=[alice.pk]), {"password1": "1", "password2": "1"}
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_unauthenticated_api_calls_still_answer_401_with_a_challenge():
    response = APIClient().get(reverse("me"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_session_lasts_twelve_hours_at_most_by_default(monkeypatch):
    import importlib

    import windowsvc.settings as base

    monkeypatch.delenv("SESSION_COOKIE_AGE", raising=False)
    assert importlib.reload(base).SESSION_COOKIE_AGE == 12 * 3600
