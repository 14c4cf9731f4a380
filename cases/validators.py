"""Validators for requester data: phone numbers, resident id numbers (GB 11643), credit codes (GB 32100).

Each ``validate_*`` raises Django's ``ValidationError`` (so model fields, forms and DRF serializers can all
use it); the ``*_check_*`` helpers compute check characters and are public so factories and tests can build
valid numbers. The stored forms they check (``normalize_*``) live in ``windowsvc.personal`` with the masks.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from windowsvc.personal import (
    ID_NUMBER_RE,
    LANDLINE_RE,
    MOBILE_RE,
    USCC_ALPHABET,
    USCC_RE,
    normalize_credit_code,
    normalize_id_number,
    normalize_phone,
)

# --- Phone numbers ------------------------------------------------------------------------------


def validate_phone(value: str) -> None:
    """A mainland mobile (1[3-9] + 9 digits) or a landline with area code (0xx(x)-7/8 digits[-ext])."""
    value = normalize_phone(value)
    if not (MOBILE_RE.fullmatch(value) or LANDLINE_RE.fullmatch(value)):
        raise ValidationError(
            _("请输入有效的手机号码（11位）或带区号的固定电话（如 0571-88886666）。"), code="invalid_phone"
        )


# --- Resident id number (GB 11643-1999) ---------------------------------------------------------
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"  # index = weighted sum mod 11
# First two digits: province-level division codes (GB/T 2260), incl. Taiwan, Hong Kong and Macao.
_PROVINCE_CODES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    }
)
# Patterns are matched with fullmatch and spell digits as [0-9] (see windowsvc.personal).


def id_number_check_digit(first17: str) -> str:
    """The GB 11643 check character (0–9 or X) for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(value: str) -> None:
    """18 characters, a known province code, a real birth date not in the future, and the check digit."""
    value = normalize_id_number(value)
    if not ID_NUMBER_RE.fullmatch(value):
        raise ValidationError(_("居民身份证号码应为18位（最后一位可以是X）。"), code="invalid_id_format")
    if value[:2] not in _PROVINCE_CODES:
        raise ValidationError(_("居民身份证号码的地址码无效。"), code="invalid_id_region")
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(_("居民身份证号码中的出生日期无效。"), code="invalid_id_birth") from None
    # The comparison date is the calendar date in China; a birth date of "tomorrow" is never valid.
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
    if birth.year < 1900 or birth > today:
        raise ValidationError(_("居民身份证号码中的出生日期无效。"), code="invalid_id_birth")
    if id_number_check_digit(value[:17]) != value[17]:
        raise ValidationError(_("居民身份证号码校验位不正确。"), code="invalid_id_checksum")


# --- Unified social credit code (GB 32100-2015) -------------------------------------------------
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Registration authority (first character) and, per authority, the organisation types (second character).
_USCC_TYPES = {
    "1": "1239",  # organisation establishment (机构编制)
    "2": "19",  # foreign affairs
    "3": "123459",  # judicial administration
    "4": "19",  # culture
    "5": "1239",  # civil affairs
    "6": "129",  # tourism
    "7": "129",  # religious affairs
    "8": "19",  # trade unions
    "9": "123",  # market regulation (industry and commerce)
    "A": "19",  # central military commission
    "B": "129",  # ethnic affairs
    "C": "19",  # others
    "N": "12345679",  # agriculture
    "Y": "1",  # other registration authorities
}


def credit_code_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = sum(
        USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """18 characters of the GB 32100 alphabet, a known authority and type, a division code, the check char."""
    value = normalize_credit_code(value)
    if not USCC_RE.fullmatch(value):
        raise ValidationError(
            _("统一社会信用代码应为18位数字或大写字母（不含 I、O、S、V、Z）。"), code="invalid_uscc_format"
        )
    if value[1] not in _USCC_TYPES.get(value[0], ""):
        raise ValidationError(
            _("统一社会信用代码的登记管理部门或机构类别代码无效。"), code="invalid_uscc_type"
        )
    if not value[2:8].isascii() or not value[2:8].isdigit():
        raise ValidationError(_("统一社会信用代码的登记管理机关行政区划码无效。"), code="invalid_uscc_region")
    if credit_code_check_char(value[:17]) != value[17]:
        raise ValidationError(_("统一社会信用代码校验位不正确。"), code="invalid_uscc_checksum")
