"""No phone or id number in any log line (windowsvc/logfilter.py): the configured handler's output of a full
run through the API — SQL included — is grepped for every number the requester gave."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from django.db import connection

from cases.choices import Satisfaction
from tests.cases.api_helpers import CASES, case_url, client_for, intake_body
from tests.factories import build_org, make_id_number
from windowsvc.logfilter import PersonalDataFilter

PHONE = "13912345678"
LANDLINE = "0575-87012345"


@pytest.mark.parametrize(
    ("message", "kept"),
    [
        ("requester 13912345678 called", "requester [hidden] called"),
        ("call +86 139 1234 5678 back", "call [hidden] back"),
        ("desk (0575)87012345 ext", "desk [hidden] ext"),
        ("case 330681001001202612050001 taken in", "case 330681001001202612050001 taken in"),
        ("masked 139****5678 is fine", "masked 139****5678 is fine"),
    ],
)
def test_the_filter_hides_numbers_and_keeps_the_rest(message, kept):
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, None, None)
    assert PersonalDataFilter().filter(record) is True
    assert record.getMessage() == kept


def test_arguments_and_exception_text_are_hidden_too():
    try:
        raise ValueError(f"bad phone {PHONE}")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "for %s", (PHONE,), sys.exc_info())
    PersonalDataFilter().filter(record)
    assert PHONE not in record.getMessage() and PHONE not in record.exc_text


@pytest.mark.django_db
def test_a_full_run_logs_no_personal_number(settings):
    console = next(
        h for h in logging.getLogger().handlers if any(isinstance(f, PersonalDataFilter) for f in h.filters)
    )
    stream = io.StringIO()
    previous_stream, previous_level = console.setStream(stream), logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    sql_logger = logging.getLogger("django.db.backends")
    previous_sql = sql_logger.level
    sql_logger.setLevel(logging.DEBUG)
    connection.force_debug_cursor = True  # every SQL statement logged with its parameters
    id_number = make_id_number()
    try:
        org = build_org()
        clerk = client_for(org["v1_clerk"])
        body = intake_body(org)
        body["requester"].update({"phone": PHONE, "id_number": id_number, "address": f"城西路1号 {LANDLINE}"})
        created = clerk.post(CASES, body, format="json")
        assert created.status_code == 201, created.content
        pk = created.json()["id"]
        assert (
            clerk.post(
                case_url(pk, "assign"), {"lead_department": org.dept("market").pk}, format="json"
            ).status_code
            == 200
        )
        handler = client_for(org["market_handler"])
        assert handler.post(case_url(pk, "accept"), {}, format="json").status_code == 200
        assert (
            handler.post(
                case_url(pk, "resolve"), {"summary": f"已电话{PHONE}告知办结"}, format="json"
            ).status_code
            == 200
        )
        assert (
            clerk.post(
                case_url(pk, "callback"), {"satisfaction": Satisfaction.SATISFIED}, format="json"
            ).status_code
            == 200
        )
        assert clerk.post(case_url(pk, "close"), {}, format="json").status_code == 200
        # A refused request logs its warning too.
        assert clerk.post(case_url(pk, "note"), {"text": PHONE}, format="json").status_code == 409
    finally:
        connection.force_debug_cursor = False
        sql_logger.setLevel(previous_sql)
        logging.getLogger().setLevel(previous_level)
        console.setStream(previous_stream)
    text = stream.getvalue()
    assert "INSERT" in text and "cases_requester" in text  # the run was really logged, SQL included
    for number in (PHONE, id_number, "87012345"):
        assert number not in text
