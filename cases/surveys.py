"""Survey links (满意度回访): the single-use, expiring token sent to the requester by SMS when a case is resolved.

The link is ``PUBLIC_BASE_URL`` + ``/survey/<token>/`` (``SURVEY_PATH``); the page behind it comes with the
Citizens issue. A token is a stored random row (``SurveyToken``), not a signed value, so it can be used once
and superseded: it is good while unused, before its expiry (``CASE_SURVEY_LINK_DAYS``, default 30), and while
the case still waits for the callback of the resolution that issued it.

The survey page should call ``survey_token_get`` to show the form and ``survey_token_use`` inside the same
transaction as its ``callback`` command, so a failed callback leaves the link usable.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from windowsvc.errors import NotFound
from windowsvc.links import public_url

from .choices import CaseStatus, EventKind
from .models import CaseEvent, SurveyToken

# The survey page's path; ``<token>`` is URL-safe base64 (letters, digits, ``-`` and ``_``), never a slash.
SURVEY_PATH = "/survey/<token>/"
# 16 random bytes: 128 bits, 22 characters, so the SMS stays short.
TOKEN_BYTES = 16


class SurveyLinkInvalid(NotFound):
    """A survey link that cannot be used; ``reason`` says why (one of the constants below) for the page."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    SUPERSEDED = "superseded"  # the case was reopened or its callback was recorded some other way

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def survey_path(token: str) -> str:
    return SURVEY_PATH.replace("<token>", token)


def survey_url(token: str) -> str:
    """The absolute link for an SMS: ``PUBLIC_BASE_URL`` + ``/survey/<token>/``."""
    return public_url(survey_path(token))


def survey_link_lifetime() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "CASE_SURVEY_LINK_DAYS", 30)))


def survey_token_issue(*, event: CaseEvent) -> SurveyToken:
    """The survey token of a resolving event (resolve, or an intake resolved at the window), created once.

    Call inside the event's transaction. Idempotent: the same event gives the same token, so an event
    processed twice sends (and the outbox dedupes) one link.
    """
    if event.to_status != CaseStatus.RESOLVED:
        raise ValueError("a survey link belongs to an event that resolved the case")
    token, _created = SurveyToken.objects.get_or_create(
        event=event,
        defaults={
            "case_id": event.case_id,
            "token": secrets.token_urlsafe(TOKEN_BYTES),
            "expires_at": event.created_at + survey_link_lifetime(),
        },
    )
    return token


def _check(row: SurveyToken | None, now: dt.datetime) -> SurveyToken:
    if row is None:
        raise SurveyLinkInvalid(SurveyLinkInvalid.UNKNOWN)
    if row.used_at is not None:
        raise SurveyLinkInvalid(SurveyLinkInvalid.USED)
    if now >= row.expires_at:
        raise SurveyLinkInvalid(SurveyLinkInvalid.EXPIRED)
    case = row.case
    reopened = CaseEvent.objects.filter(
        case_id=row.case_id, sequence__gt=row.event.sequence, kind=EventKind.REOPEN
    ).exists()
    if case.status != CaseStatus.RESOLVED or case.callback_satisfaction or reopened:
        raise SurveyLinkInvalid(SurveyLinkInvalid.SUPERSEDED)
    return row


def survey_token_get(*, token: str, now: dt.datetime | None = None) -> SurveyToken:
    """The usable token (with its case) behind a link, else ``SurveyLinkInvalid`` (a ``NotFound``)."""
    row = SurveyToken.objects.select_related("case", "event").filter(token=token or "").first()
    return _check(row, now or timezone.now())


def survey_token_use(*, token: str, now: dt.datetime | None = None) -> SurveyToken:
    """Consume a link: lock it, check it, mark it used. Run it in the transaction of the callback it records,
    so two submissions of one link cannot both pass and a failed callback gives the link back."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            SurveyToken.objects.select_for_update(of=("self",))
            .select_related("case", "event")
            .filter(token=token or "")
            .first()
        )
        row = _check(row, now)
        row.used_at = now
        row.save(update_fields=["used_at"])
    return row
