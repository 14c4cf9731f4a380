"""Masking of phones, id numbers, credit codes and names for lists, ``__str__`` and logs."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.models import Requester
from windowsvc.personal import mask_credit_code, mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+86 138 0013 8000", "138****8000"),
        ("0571-88886666", "0571-****6666"),
        ("0571-88886666-801", "0571-****6666"),
        ("010-12345678", "010-****5678"),
        ("", ""),
        ("123", "***"),
    ],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


def test_mask_id_number_and_credit_code():
    assert mask_id_number("33010219900307123x") == "3301**********123X"
    assert mask_credit_code("91330100716105852F") == "913301********852F"
    assert mask_id_number("") == ""


def test_mask_name():
    assert mask_name("张三丰") == "张**"
    assert mask_name("杭州某某机械有限公司") == "杭州********"


@given(st.from_regex(r"\A1[3-9][0-9]{9}\Z"))
def test_a_masked_mobile_never_shows_the_middle_four_digits(phone):
    masked = mask_phone(phone)
    assert len(masked) == 11 and masked[3:7] == "****" and masked[:3] == phone[:3] and masked[7:] == phone[7:]


@given(st.from_regex(r"\A[0-9]{17}[0-9X]\Z"))
def test_a_masked_id_number_keeps_only_eight_characters(number):
    masked = mask_id_number(number)
    assert len(masked) == 18 and masked.count("*") == 10 and masked[4:14] == "*" * 10


def test_requester_str_is_masked():
    requester = Requester(kind="person", name="王小明", phone="13912345678", id_number="11010519491231002X")
    assert str(requester) == "王** 139****5678"
    assert "12345678" not in str(requester)
    assert requester.masked_id_number == "1101**********002X"
