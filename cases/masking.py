"""Masking of personal data for lists, pages, ``__str__`` and logs.

Whole values are shown only on a case's detail to staff who may see the case; everywhere else these
helpers are used. They never raise: odd or short input is masked as a whole rather than leaked.
"""

from __future__ import annotations

from .validators import is_mobile, normalize_phone

MASK = "*"


def _mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    if len(value) <= keep_start + keep_end:
        return MASK * len(value)
    return value[:keep_start] + MASK * (len(value) - keep_start - keep_end) + value[len(value) - keep_end :]


def mask_phone(value: str) -> str:
    """``13800138000`` → ``138****8000``; ``0571-88886666`` → ``0571-****6666`` (extension dropped)."""
    if not value:
        return ""
    value = normalize_phone(value)
    if is_mobile(value):
        return _mask_middle(value, 3, 4)
    if "-" in value:
        area, _, rest = value.partition("-")
        number = rest.split("-")[0]
        return f"{area}-{_mask_middle(number, 0, 4)}"
    return _mask_middle(value, 3, 4)


def mask_id_number(value: str) -> str:
    """``33010219900307123X`` → ``3301**********123X`` (region prefix and last four kept)."""
    return _mask_middle((value or "").strip().upper(), 4, 4)


def mask_credit_code(value: str) -> str:
    """``91330100716105852F`` → ``913301********852F`` (authority, type and province kept)."""
    return _mask_middle((value or "").strip().upper(), 6, 4)


def mask_name(value: str) -> str:
    """``张三丰`` → ``张**``; enterprise names keep their first two characters (``杭州*****``)."""
    value = (value or "").strip()
    if not value:
        return ""
    keep = 1 if len(value) <= 4 else 2
    return value[:keep] + MASK * (len(value) - keep)
