"""Writes of the public side that are not Open311: the satisfaction survey answered through its link.

``survey_answer`` records the requester's answer as the case's callback (回访) with the system actor, in
the same transaction as consuming the link (a failed callback gives the link back; two submissions of one
link cannot both pass). An unsatisfied answer then reopens the case (重办) as its own command and event;
if that second command is refused (someone reopened or closed it meanwhile), the callback stands and the
window sees an unsatisfied callback waiting for its reopen.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from cases import services as case_services
from cases.choices import Satisfaction
from cases.models import CaseEvent
from cases.surveys import survey_token_use
from windowsvc.errors import ServiceError

logger = logging.getLogger(__name__)

COMMENT_MAX = 1000


def survey_answer(*, token: str, satisfaction: str, comment: str = "") -> CaseEvent:
    """Record a survey answer; returns the callback event. Raises ``SurveyLinkInvalid`` (a ``NotFound``)
    for an unknown, used, expired or superseded link, ``ValidationFailed`` for bad input."""
    comment = (comment or "").strip()[:COMMENT_MAX]
    with transaction.atomic():
        row = survey_token_use(token=token)
        event = case_services.case_callback(
            actor=None, case_id=row.case_id, satisfaction=satisfaction, comment=comment
        )
    if satisfaction == Satisfaction.UNSATISFIED:
        try:
            case_services.case_reopen(
                actor=None,
                case_id=row.case_id,
                reason=_("群众通过回访链接表示不满意：%(comment)s") % {"comment": comment},
            )
        except ServiceError:
            logger.exception("case %s: reopen after an unsatisfied survey answer refused", row.case_id)
    return event
