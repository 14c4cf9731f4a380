"""One phone mask everywhere: a page (``Requester.masked_phone``), an outbox row (``recipient_display``) and the
SMS log show a requester's number the same way, whatever way it was written."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.models import Requester
from notifications import services
from notifications.choices import Channel, TemplateCode
from notifications.delivery import deliver_notification
from notifications.services import notification_request
from windowsvc.personal import (
    LANDLINE_RE,
    MOBILE_RE,
    email_address,
    mask_email,
    mask_phone,
    normalize_phone,
    phone_address,
)

# (format, as written, masked, sent to — None: notifications refuse it, digits that must never show whole)
PHONES = [
    ("mobile", "13800138000", "138****8000", "13800138000", "13800138000"),
    ("mobile, spaced", "138 0013 8000", "138****8000", "13800138000", "13800138000"),
    ("mobile, dashed", "138-0013-8000", "138****8000", "13800138000", "13800138000"),
    ("+86 mobile", "+86 138 0013 8000", "138****8000", "13800138000", "13800138000"),
    ("0086 mobile", "0086-13800138000", "138****8000", "13800138000", "13800138000"),
    ("landline", "0571-88886666", "0571-****6666", "057188886666", "88886666"),
    ("landline, no dash", "057188886666", "0571-****6666", "057188886666", "88886666"),
    ("landline, brackets", "(0571) 8888 6666", "0571-****6666", "057188886666", "88886666"),
    ("landline, +86", "+86 571 8888 6666", "0571-****6666", "057188886666", "88886666"),
    ("landline, 7 digits", "0575-8701234", "0575-***1234", "05758701234", "8701234"),
    ("Beijing landline", "010-12345678", "010-****5678", "01012345678", "12345678"),
    ("landline + extension", "0571-88886666-801", "0571-****6666", "057188886666", "88886666"),
    ("short number", "95598", "*****", "95598", "95598"),
    ("short number, 3 digits", "110", "***", None, "110"),
    ("long digits", "123456789012345", "123********2345", "123456789012345", "123456789012345"),
    ("empty", "", "", None, None),
    ("garbage", "call me", "******", None, None),
    ("garbage with a dash", "abc-defg", "*******", None, None),
]


@pytest.fixture
def file_sms(settings, tmp_path):
    settings.SMS_BACKEND = "notifications.channels.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    settings.NOTIFICATIONS_QUIET_HOURS = ("00:00", "00:00")
    services._broker_paused_until = 0.0
    return tmp_path / "sms.log"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("label", "written", "masked", "address", "secret"), PHONES, ids=[p[0] for p in PHONES]
)
def test_a_phone_masks_the_same_on_pages_in_the_outbox_and_in_the_sms_log(
    file_sms, label, written, masked, address, secret
):
    assert Requester(phone=written).masked_phone == masked
    assert Requester(phone=normalize_phone(written)).masked_phone == masked  # as stored by intake
    if address is None:
        with pytest.raises(ValueError):
            notification_request(
                event_key="case:1:event:1",
                template_code=TemplateCode.RECEIPT,
                channel=Channel.SMS,
                recipient_phone=written,
                context={"tracking_number": "330681-20260305-0001", "query_code": "K7Q4M2"},
            )
        return
    row = notification_request(
        event_key="case:1:event:1",
        template_code=TemplateCode.RECEIPT,
        channel=Channel.SMS,
        recipient_phone=written,
        context={"tracking_number": "330681-20260305-0001", "query_code": "K7Q4M2"},
    )
    assert row.recipient_address == address
    assert row.recipient_display == masked
    assert secret not in str(row)
    assert deliver_notification(row.pk) == "sent"
    (line,) = file_sms.read_text().splitlines()
    assert f'"to": "{masked}"' in line
    assert secret not in line and address not in line


@given(st.one_of(st.from_regex(MOBILE_RE, fullmatch=True), st.from_regex(LANDLINE_RE, fullmatch=True)))
def test_a_mask_depends_on_the_number_not_on_how_it_is_written(phone):
    assert mask_phone(phone) == mask_phone(phone_address(phone)) == mask_phone(normalize_phone(phone))
    # The local number shows its last four digits only (three or more are always hidden).
    assert mask_phone(phone).count("*") >= 3 and re.fullmatch(r"[0-9]*-?\**[0-9]{4}", mask_phone(phone))


def test_email_address_and_mask():
    assert email_address("  Zhang.San@Example.COM ") == "Zhang.San@example.com"
    assert mask_email("zhang@example.com") == "z***@example.com"
    assert mask_email("") == ""
    for bad in ("", "zhang", "@example.com", "zhang@localhost", "zhang san@example.com"):
        with pytest.raises(ValueError):
            email_address(bad)


def test_a_number_starting_00_is_no_landline():
    """Found by the property above: "00…" is an international prefix, never an area code."""
    for number in ("008-60000000", "00860000000", "0086-1234567"):
        assert not LANDLINE_RE.fullmatch(number)
    assert LANDLINE_RE.fullmatch("0571-88886666") and LANDLINE_RE.fullmatch("010-12345678")
