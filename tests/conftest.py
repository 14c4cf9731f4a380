"""Shared pytest fixtures: the database/Redis banner, API clients, and a real Celery worker process."""

import sys

import pytest

BANNER = pytest.StashKey[str]()

pytest_plugins = ["tests.fixtures.celery_worker", "tests.fixtures.browser"]


def pytest_sessionstart(session):
    # English pages need compiled catalogs; .mo files are build products, not committed.
    from windowsvc.management.commands.compile_translations import compile_translations

    compile_translations()


@pytest.fixture(scope="session", autouse=True)
def _announce_backends(request, django_db_setup, django_db_blocker):
    """Print which database server and Redis the suite really runs on (CI logs must show it)."""
    import redis
    from django.conf import settings
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
        else:
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        version = cursor.fetchone()[0]
    try:
        redis_version = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).info("server")[
            "redis_version"
        ]
    except redis.RedisError as exc:
        redis_version = f"unreachable ({exc})"
    line = (
        f"database: {connection.vendor} {connection.settings_dict['NAME']} — {version}\n"
        f"redis: {settings.REDIS_URL} — {redis_version}; celery queue {settings.CELERY_TASK_DEFAULT_QUEUE}"
    )
    # Straight to the real stdout (output capture is active here), and again in the summary at the end.
    sys.__stdout__.write(f"\n{line}\n")
    sys.__stdout__.flush()
    request.config.stash[BANNER] = line


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    banner = config.stash.get(BANNER, None)
    if banner:
        terminalreporter.section("backends")
        terminalreporter.write_line(banner)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture(autouse=True)
def _fresh_working_day_calendar():
    """The calendar snapshot is cached per process; a test's calendar rows are rolled back after it (no
    signal fires on rollback), so every test starts and ends with an empty cache. The same holds for the
    reference caches (categories, SLA policies, message templates: ``windowsvc.refcache``)."""
    from routing.calendar import calendar_cache_clear
    from windowsvc.refcache import reference_caches_clear

    calendar_cache_clear()
    reference_caches_clear()
    yield
    calendar_cache_clear()
    reference_caches_clear()
