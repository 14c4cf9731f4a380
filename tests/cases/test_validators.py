"""Phone numbers, resident id numbers (GB 11643) and credit codes (GB 32100): valid and invalid."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from cases.validators import (
    USCC_ALPHABET,
    credit_code_check_char,
    id_number_check_digit,
    validate_credit_code,
    validate_id_number,
    validate_phone,
)
from windowsvc.personal import normalize_phone


def valid(validator, value) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    "phone",
    ["13800138000", "19912345678", "+86 138 0013 8000", "8613800138000", "010-12345678", "01012345678",
     "0571-88886666", "0575-8701234", "0571-88886666-801", "(0571)88886666"],
)  # fmt: skip
def test_valid_phones(phone):
    assert valid(validate_phone, phone)


@pytest.mark.parametrize(
    "phone",
    ["", "12800138000", "1380013800", "138001380001", "23800138000", "88886666", "010-1234567",
     "0571-888866", "0571-888866661", "1380013800a", "0571-88886666-1234567"],
)  # fmt: skip
def test_invalid_phones(phone):
    assert not valid(validate_phone, phone)


@pytest.mark.parametrize("value", ["１３８００１３８０００", "1٣800138000", "13800138000x"])
def test_only_ascii_digits(value):
    assert not valid(validate_phone, value)


def test_unicode_digits_in_id_numbers_and_credit_codes_are_refused():
    assert not valid(validate_id_number, "١1010519491231002X")
    assert not valid(validate_credit_code, "91٣50100M000100Y43")


def test_normalize_phone():
    assert normalize_phone(" +86 138-0013 8000 ".replace("-", "")) == "13800138000"


# --- GB 11643 ---------------------------------------------------------------------------------------

REAL_ID_NUMBERS = ["11010519491231002X", "110101199003074477", "330681199003071233"]


@pytest.mark.parametrize("number", REAL_ID_NUMBERS)
def test_valid_id_numbers(number):
    assert valid(validate_id_number, number)
    assert valid(validate_id_number, number.lower())


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("110105194912310021", "check digit"),
        ("11010519491231002", "17 characters"),
        ("11010519491231002XX", "19 characters"),
        ("1101051949123100X2", "X not last"),
        ("990105194912310026", "unknown province"),
        ("110105194902300027", "30 February"),
        ("110105189912310027", "born before 1900"),
        ("110105299912310027", "born in the future"),
    ],
)
def test_invalid_id_numbers(number, why):
    assert not valid(validate_id_number, number), why


id_bodies = st.builds(
    lambda region, year, month, day, seq: f"{region}{year:04d}{month:02d}{day:02d}{seq:03d}",
    st.sampled_from(["110105", "330681", "440305", "650102"]),
    st.integers(1920, 2020),
    st.integers(1, 12),
    st.integers(1, 28),
    st.integers(0, 999),
)


@given(id_bodies)
def test_every_id_number_with_its_check_digit_is_valid(body):
    assert valid(validate_id_number, body + id_number_check_digit(body))


@given(id_bodies, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_character_change_is_caught(body, position, replacement):
    number = body + id_number_check_digit(body)
    changed = number[:position] + replacement + number[position + 1 :]
    if changed != number:
        assert not valid(validate_id_number, changed)


# --- GB 32100 ---------------------------------------------------------------------------------------

REAL_CREDIT_CODES = ["91350100M000100Y43", "9144030071526726XG", "914403001922038216", "91330100716105852F"]


@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_valid_credit_codes(code):
    assert valid(validate_credit_code, code)
    assert valid(validate_credit_code, code.lower())


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("91350100M000100Y44", "check character"),
        ("91350100M000100Y4", "17 characters"),
        ("91350100M0001O0Y43", "letter O is not in the alphabet"),
        ("99350100M000100Y43", "organisation type 9 under market regulation"),
        ("Z1350100M000100Y43", "unknown registration authority"),
        ("913501A0M000100Y43", "division code with a letter"),
    ],
)
def test_invalid_credit_codes(code, why):
    assert not valid(validate_credit_code, code), why


uscc_bodies = st.builds(
    lambda prefix, region, body: f"{prefix}{region}{body}",
    st.sampled_from(["91", "92", "93", "11", "12", "51", "52", "Y1", "N1"]),
    st.from_regex(r"\A[1-6][0-9]{5}\Z"),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)


@given(uscc_bodies)
def test_every_credit_code_with_its_check_character_is_valid(body):
    assert valid(validate_credit_code, body + credit_code_check_char(body))


@given(uscc_bodies, st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_any_single_character_change_of_a_credit_code_is_caught(body, position, replacement):
    code = body + credit_code_check_char(body)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        assert not valid(validate_credit_code, changed)
