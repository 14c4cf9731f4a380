"""Helpers of the public-side tests: status lookups over HTTP, identical-answer checks, survey links."""

from __future__ import annotations

from cases.choices import CaseStatus, EventKind
from cases.models import CaseEvent
from cases.surveys import survey_token_issue

STATUS_URL = "/api/public/status/"


def lookup(client, *, address: str = "203.0.113.7", **body):
    return client.post(STATUS_URL, body, content_type="application/json", REMOTE_ADDR=address)


def answer_bytes(response) -> tuple:
    """Everything a client can observe of an answer: status, body and every header (sorted), except the
    request id each answer echoes (windowsvc/logs.py: random per request, it tells nothing of the case)."""
    headers = tuple(sorted((k, v) for k, v in response.headers.items() if k != "X-Request-ID"))
    return (response.status_code, response.content, headers)


def survey_link(case) -> str:
    """The survey token of the case's latest resolution (the one the survey SMS carries)."""
    assert case.status == CaseStatus.RESOLVED
    event = CaseEvent.objects.filter(case=case, kind=EventKind.RESOLVE).order_by("-sequence").first()
    return survey_token_issue(event=event).token
