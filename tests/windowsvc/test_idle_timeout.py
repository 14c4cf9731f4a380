"""Staff sessions end after 30 idle minutes (STAFF_IDLE_TIMEOUT_SECONDS), not two weeks."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings

from tests.factories import build_org

START = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _at(client, minutes: float) -> int:
    with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
        return client.get("/cases/").status_code


@pytest.mark.django_db
def test_an_idle_staff_session_ends_and_an_active_one_lives_on(client):
    org = build_org()
    with time_machine.travel(START, tick=False):
        client.force_login(org["v1_clerk"])
    assert _at(client, 0) == 200
    # Working: a request every 20 minutes keeps the session for hours.
    for minutes in range(20, 200, 20):
        assert _at(client, minutes) == 200
    # Idle for 31 minutes: the next request is sent to log in.
    assert _at(client, 180 + 31) == 302


@pytest.mark.django_db
@override_settings(STAFF_IDLE_TIMEOUT_SECONDS=5 * 60)
def test_the_timeout_is_a_setting(client):
    org = build_org()
    with time_machine.travel(START, tick=False):
        client.force_login(org["county_supervisor"])
    assert _at(client, 0) == 200
    assert _at(client, 4) == 200
    assert _at(client, 4 + 6) == 302
