"""Foundation: a real task round trip through Redis and a worker process, settings profiles."""

import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from windowsvc.tasks import ping

pytestmark = pytest.mark.worker


def test_task_round_trip_through_redis_and_a_real_worker(celery_worker_process):
    result = ping.apply_async(args=["hello"])
    answer = result.get(timeout=20)
    assert answer["payload"] == "hello"
    # It really ran in the child process (its log shows the task), not eagerly in this one.
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    assert "windowsvc.tasks.ping" in celery_worker_process.log()


# The probes (/livez, /readyz, /healthz) are tests/windowsvc/test_health.py's.


def _run_manage(args, extra_env):
    # A fresh process environment as a deployment would have: none of the test session's switches.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )


def test_production_profile_passes_check_deploy():
    result = _run_manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {
            "DJANGO_SETTINGS_MODULE": "windowsvc.settings.production",
            "SECRET_KEY": "x" * 20 + "-production-secret-for-the-test-0123456789",
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "BLIND_INDEX_KEYS": "a-blind-index-key-for-the-test-0123456789",
            "ALLOWED_HOSTS": "window.example.gov.cn",
            # What docs/DEPLOY.md requires besides (the project's deploy checks, windowsvc/checks.py, ask for
            # them; without them see tests/windowsvc/test_checks.py), as .ci/run sets them.
            "PUBLIC_BASE_URL": "https://window.example.gov.cn",
            "PUBLIC_TRUSTED_PROXY_HOPS": "1",
            "SMS_BACKEND": "notifications.channels.sms.WebhookSmsBackend",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_profile_refuses_a_missing_secret_key():
    result = _run_manage(
        ["check"], {"DJANGO_SETTINGS_MODULE": "windowsvc.settings.production", "SECRET_KEY": ""}
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_sqlite_default_is_configured_for_concurrent_writers():
    # The zero-setup default must survive web + worker + beat writing at once.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", (
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='windowsvc.settings'; django.setup();"
            "from django.db import connection; c=connection.cursor();"
            "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]);"
            "print(connection.settings_dict['OPTIONS']['transaction_mode'])"
        )],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "IMMEDIATE"]


@pytest.mark.django_db
def test_default_language_is_chinese_with_english_available(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    assert "“办不成事”反映窗口" in response.content.decode()
    english = client.get("/", headers={"accept-language": "en"})
    assert english["Content-Language"] == "en"
