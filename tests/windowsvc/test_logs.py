"""Structured logs and the request id (windowsvc/logs.py): answered, carried into a real Celery worker's
task, and written as one JSON object per line with personal numbers hidden."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.conf import settings
from pythonjsonlogger.json import JsonFormatter

from windowsvc.logfilter import PersonalDataFilter
from windowsvc.logs import RequestIdFilter, request_id
from windowsvc.tasks import ping


@pytest.mark.django_db
def test_a_sane_incoming_request_id_is_kept_and_answered(client):
    response = client.get("/accounts/login/", HTTP_X_REQUEST_ID="lb-1234abcd")
    assert response["X-Request-ID"] == "lb-1234abcd"


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", [None, "short", "has spaces in it", "x" * 65, "semi;colon-12345"])
def test_otherwise_a_fresh_one_is_made(client, incoming):
    headers = {"HTTP_X_REQUEST_ID": incoming} if incoming else {}
    answered = client.get("/accounts/login/", **headers)["X-Request-ID"]
    assert answered != incoming
    assert len(answered) == 32 and answered.isalnum()


def test_json_lines_carry_the_request_id_and_hide_personal_numbers():
    config = dict(settings.LOGGING["formatters"]["json"])
    config.pop("()")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**config))
    handler.addFilter(RequestIdFilter())
    handler.addFilter(PersonalDataFilter())
    log = logging.getLogger("tests.json")
    log.addHandler(handler)
    token = request_id.set("req-abcdef12")
    try:
        log.warning("callback to %s failed", "13800138000")
    finally:
        request_id.reset(token)
        log.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["request_id"] == "req-abcdef12"
    assert line["level"] == "WARNING"
    assert line["logger"] == "tests.json"
    assert "13800138000" not in line["message"] and "[hidden]" in line["message"]
    assert "time" in line


@pytest.mark.worker
def test_the_request_id_travels_with_the_task_into_the_worker(celery_worker_process):
    token = request_id.set("req-into-the-worker")
    try:
        ping.apply_async(args=["rid"]).get(timeout=20)
    finally:
        request_id.reset(token)
    ping.apply_async(args=["none"]).get(timeout=20)  # enqueued outside a request: the task's own id
    log = celery_worker_process.log()
    assert "[req-into-the-worker] task windowsvc.tasks.ping started" in log
    assert "[task:" in log
