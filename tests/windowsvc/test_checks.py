"""The project's deploy checks (windowsvc/checks.py): each fires on its unsafe setting and only then, and the
production profile's own defaults are named. (With the environment docs/DEPLOY.md asks for, the profile passes
``check --deploy --fail-level WARNING``: tests/windowsvc/test_foundation.py, as .ci/run.)"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.utils import translation

from windowsvc.checks import check_production_defaults

ROOT = Path(__file__).resolve().parents[2]
JSON_ONLY = {**settings.REST_FRAMEWORK, "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]}
BROWSABLE = {
    **settings.REST_FRAMEWORK,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
CSP = settings.CONTENT_SECURITY_POLICY


def csp_with(**directives):
    return {"DIRECTIVES": {**CSP["DIRECTIVES"], **directives}}


# What a production deployment sets (docs/DEPLOY.md): no project check fires.
SAFE = {
    "DEBUG": False,
    "REST_FRAMEWORK": JSON_ONLY,
    "SECRET_KEY": "x" * 20 + secrets.token_urlsafe(50),
    "PUBLIC_BASE_URL": "https://window.example.gov.cn",
    "AXES_ENABLED": True,
    "STAFF_IDLE_TIMEOUT_SECONDS": 1800,
    "SESSION_COOKIE_AGE": 12 * 3600,
    "SMS_BACKEND": "notifications.channels.sms.WebhookSmsBackend",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "PUBLIC_TRUSTED_PROXY_HOPS": 1,
}

# One row per check: the unsafe value(s) and the id that must answer them (alone).
UNSAFE = [
    pytest.param({"DEBUG": True}, "windowsvc.W001", id="debug"),
    pytest.param({"REST_FRAMEWORK": BROWSABLE}, "windowsvc.W002", id="browsable-api"),
    pytest.param({"CONTENT_SECURITY_POLICY": None}, "windowsvc.W003", id="csp-missing"),
    pytest.param({"CONTENT_SECURITY_POLICY": {"DIRECTIVES": {}}}, "windowsvc.W003", id="csp-empty"),
    pytest.param(
        {"MIDDLEWARE": [m for m in settings.MIDDLEWARE if m != "csp.middleware.CSPMiddleware"]},
        "windowsvc.W003",
        id="csp-middleware-missing",
    ),
    pytest.param(
        {"CONTENT_SECURITY_POLICY": csp_with(**{"script-src": ["'self'", "'unsafe-inline'"]})},
        "windowsvc.W004",
        id="csp-unsafe-inline",
    ),
    pytest.param(
        {"CONTENT_SECURITY_POLICY": csp_with(**{"script-src": ["'self'", "'unsafe-eval'"]})},
        "windowsvc.W004",
        id="csp-unsafe-eval",
    ),
    pytest.param(
        {"CONTENT_SECURITY_POLICY": {"DIRECTIVES": {"default-src": ["'self'", "'unsafe-inline'"]}}},
        "windowsvc.W004",
        id="csp-default-src-unsafe-inline",
    ),
    pytest.param({"PUBLIC_BASE_URL": ""}, "windowsvc.W005", id="public-url-unset"),
    pytest.param({"PUBLIC_BASE_URL": "http://window.example.gov.cn"}, "windowsvc.W005", id="public-url-http"),
    pytest.param({"PUBLIC_BASE_URL": "https://127.0.0.1:8000"}, "windowsvc.W005", id="public-url-loopback"),
    pytest.param({"AXES_ENABLED": False}, "windowsvc.W006", id="axes-disabled"),
    pytest.param({"AXES_FAILURE_LIMIT": 0}, "windowsvc.W006", id="axes-no-limit"),
    pytest.param({"STAFF_IDLE_TIMEOUT_SECONDS": 0}, "windowsvc.W007", id="idle-off"),
    pytest.param({"STAFF_IDLE_TIMEOUT_SECONDS": 1801}, "windowsvc.W007", id="idle-too-long"),
    pytest.param(
        {
            "MIDDLEWARE": [
                m for m in settings.MIDDLEWARE if m != "windowsvc.middleware.StaffIdleTimeoutMiddleware"
            ]
        },
        "windowsvc.W007",
        id="idle-middleware-missing",
    ),
    pytest.param({"SESSION_COOKIE_AGE": 12 * 3600 + 1}, "windowsvc.W008", id="session-too-long"),
    pytest.param(
        {"REST_KNOX": {**settings.REST_KNOX, "TOKEN_TTL": None}}, "windowsvc.W009", id="tokens-never-expire"
    ),
    pytest.param({"SECRET_KEY": settings.DEV_SECRET_KEY}, "windowsvc.W010", id="dev-secret-key"),
    pytest.param({"SECRET_KEY": "django-insecure-" + "k" * 50}, "windowsvc.W010", id="startproject-key"),
    pytest.param(
        {"SMS_BACKEND": "notifications.channels.sms.FileSmsBackend"}, "windowsvc.W011", id="sms-file"
    ),
    pytest.param(
        {"SMS_BACKEND": "notifications.channels.sms.ConsoleSmsBackend"}, "windowsvc.W011", id="sms-console"
    ),
    pytest.param(
        {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
        "windowsvc.W012",
        id="email-console",
    ),
    pytest.param({"PUBLIC_TRUSTED_PROXY_HOPS": 0}, "windowsvc.W013", id="proxy-hops-zero"),
]


def ids(**overrides) -> list[str]:
    with override_settings(**{**SAFE, **overrides}):
        return [message.id for message in check_production_defaults()]


def test_safe_production_settings_pass_every_check():
    assert ids() == []


@pytest.mark.parametrize(("overrides", "expected"), UNSAFE)
def test_each_check_fires_on_its_unsafe_setting_alone(overrides, expected):
    assert ids(**overrides) == [expected]


def test_proxy_hops_are_not_asked_for_without_a_proxy():
    assert ids(SECURE_PROXY_SSL_HEADER=None, PUBLIC_TRUSTED_PROXY_HOPS=0) == []


def test_finite_token_lifetime_passes():
    assert ids(REST_KNOX={**settings.REST_KNOX, "TOKEN_TTL": timedelta(hours=1)}) == []


def test_messages_are_chinese_with_an_english_translation():
    with override_settings(**{**SAFE, "DEBUG": True}):
        with translation.override("zh-hans"):
            [zh] = check_production_defaults()
        with translation.override("en"):
            [en] = check_production_defaults()
    assert "DEBUG 已开启" in zh.msg
    assert en.msg.startswith("DEBUG is on") and en.hint
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en.msg + en.hint)


def test_the_checks_run_only_with_deploy():
    # The development profile (dev key, browsable API) is fine for `check` and runserver ...
    call_command("check", fail_level="WARNING")
    # ... and refused by `check --deploy`.
    with pytest.raises(SystemCheckError, match=r"windowsvc\.W002(.|\n)*windowsvc\.W010"):
        call_command("check", deploy=True, fail_level="WARNING")


def production_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "windowsvc.settings.production",
        "SECRET_KEY": "ci-" + secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "window.example.gov.cn",
        # Production refuses to start without its own personal-data keys (windowsvc/encryption.py).
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "BLIND_INDEX_KEYS": "a-blind-index-key-for-the-test-" + secrets.token_hex(16),
    }
    # What this test process may carry: the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE (async.E001 in a deploy).
    for name in (
        "PUBLIC_BASE_URL",
        "PUBLIC_TRUSTED_PROXY_HOPS",
        "SMS_BACKEND",
        "EMAIL_BACKEND",
        "DEBUG",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    ):
        env.pop(name, None)
    return {**env, **extra}


def run_deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_profile_defaults_are_named_by_the_deploy_check():
    """The production profile's own defaults (no gateway, no public address, no proxy hops) fail it."""
    result = run_deploy_check(production_env())
    assert result.returncode != 0
    output = result.stderr + result.stdout
    for code in ("W005", "W011", "W012", "W013"):
        assert f"windowsvc.{code}" in output
    for code in ("W001", "W002", "W003", "W004", "W006", "W007", "W008", "W009", "W010"):
        assert f"windowsvc.{code}" not in output
