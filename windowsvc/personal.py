"""Personal data, normalised and masked in one place: phone numbers, id numbers, credit codes, names, e-mail.

Every app shows and logs personal data through these functions, so a requester's phone number reads the same
on a page, in the admin, in an outbox row and in an SMS log line. The module sits in the project package and
imports nothing from the apps, so ``cases``, ``notifications`` and the rest may all use it.

Three kinds of function, one name per concept:

- ``normalize_*``: the stored form (spaces and country code dropped, upper case). Never raises.
- ``*_address``: what a gateway sends to. Raises ``ValueError`` for anything that cannot be an address.
- ``mask_*``: what lists, ``__str__``, the admin and logs show. Never raises, and never returns a phone
  number, id number or credit code whole: short or odd input is masked as a whole rather than leaked.
  A mask depends on the number, not on how it is written: ``mask_phone(x) == mask_phone(phone_address(x))``.

Validators with check digits (GB 11643, GB 32100) stay with the requester data in ``cases.validators``.
"""

from __future__ import annotations

import re

MASK = "*"

# Patterns are matched with fullmatch and spell digits as [0-9]: ``\d`` would accept any Unicode digit and
# ``$`` a trailing newline.

# --- Phone numbers ------------------------------------------------------------------------------
# Mainland mobile: 11 digits starting 13–19. Landline: area code 0 + 2 digits (010, 02x) with an 8-digit
# number, or 0 + 3 digits with a 7- or 8-digit number; optional extension after a dash.
MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
# An area code is 0 and then a non-zero digit: "00" starts an international number, never a landline.
LANDLINE_RE = re.compile(r"(?:0[1-9][0-9]-?[0-9]{8}|0[1-9][0-9]{2}-?[0-9]{7,8})(?:-[0-9]{1,6})?")
# Area code and local number as digits only: the area code's length follows the national numbering plan
# (010 and 02x have three digits, every other area code four), so the split needs no dash.
_AREA_AND_NUMBER_RE = re.compile(r"(01[0-9]|02[0-9]|0[3-9][0-9]{2})([0-9]{7,8})")
_PHONE_NOISE_RE = re.compile(r"[\s()（）]")
_PHONE_ADDRESS_RE = re.compile(r"\+?[0-9]{5,20}")


def _mask_middle(value: str, keep_start: int, keep_end: int) -> str:
    if len(value) <= keep_start + keep_end:
        return MASK * len(value)
    return value[:keep_start] + MASK * (len(value) - keep_start - keep_end) + value[len(value) - keep_end :]


def normalize_phone(value: str) -> str:
    """The stored form of a phone number as written; never raises, and leaves what it cannot read alone.

    Spaces and brackets are dropped; a +86 / 0086 country code (or a bare 86 before a mobile number) is
    removed, and a landline written internationally gets its trunk 0 back (``+86 571 8888 6666`` →
    ``057188886666``); a mobile loses its dashes (``138-0013-8000`` → ``13800138000``); dashes between area
    code, number and extension are kept.
    """
    value = _PHONE_NOISE_RE.sub("", value or "")
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix) :].lstrip("-")
            if not is_mobile(value.replace("-", "")) and LANDLINE_RE.fullmatch("0" + value):
                value = "0" + value
            break
    if len(value) == 13 and value.startswith("86") and MOBILE_RE.fullmatch(value[2:]):
        value = value[2:]
    if "-" in value and MOBILE_RE.fullmatch(value.replace("-", "")):
        value = value.replace("-", "")
    return value


def is_mobile(value: str) -> bool:
    """A mainland mobile number in stored form (normalise first)."""
    return bool(MOBILE_RE.fullmatch(value or ""))


def phone_address(value: str) -> str:
    """The number a gateway sends to: digits with an optional leading ``+``, from the stored form without
    dashes and without a landline's extension (no message reaches an extension).

    Raises ``ValueError`` for anything that cannot be a phone number (fewer than 5 or more than 20 digits,
    letters). Two spellings of one number give one address (``+86 138 1234 5678`` and ``13812345678``).
    """
    address = normalize_phone(value)
    landline = _split_landline(address)
    if landline is not None:
        address = "".join(landline)
    address = address.replace("-", "")
    if not _PHONE_ADDRESS_RE.fullmatch(address):
        raise ValueError("not a phone number")
    return address


def _split_landline(value: str) -> tuple[str, str] | None:
    """(area code, local number) of a landline in stored form, extension dropped.

    The split follows the digits, not the dashes, so ``0571-88886666``, ``057188886666``,
    ``0571-88886666-801`` and ``057188886666-801`` give one answer. ``None`` for anything else.
    """
    head, _, rest = value.partition("-")
    for digits in (head + rest.split("-")[0], head):
        match = _AREA_AND_NUMBER_RE.fullmatch(digits)
        if match is not None:
            return match[1], match[2]
    return None


def mask_phone(value: str) -> str:
    """``13800138000`` → ``138****8000``; ``0571-88886666`` (or ``057188886666``) → ``0571-****6666``.

    Landlines keep their area code and the last four digits of the local number; an extension is dropped.
    Anything else keeps at most its first three and last four characters (dashes dropped), and a value of
    seven characters or fewer (short numbers such as ``95598``) is masked whole.
    """
    value = normalize_phone(value)
    if not value:
        return ""
    if is_mobile(value):
        return _mask_middle(value, 3, 4)
    landline = _split_landline(value)
    if landline is not None:
        area, number = landline
        return f"{area}-{_mask_middle(number, 0, 4)}"
    return _mask_middle(value.replace("-", ""), 3, 4)


# --- Resident id numbers and unified social credit codes -----------------------------------------


def normalize_id_number(value: str) -> str:
    """The stored form of a resident id number: no surrounding spaces, upper-case ``X``."""
    return (value or "").strip().upper()


def mask_id_number(value: str) -> str:
    """``33010219900307123X`` → ``3301**********123X`` (region prefix and last four kept)."""
    return _mask_middle(normalize_id_number(value), 4, 4)


def normalize_credit_code(value: str) -> str:
    """The stored form of a unified social credit code: no surrounding spaces, upper case."""
    return (value or "").strip().upper()


def mask_credit_code(value: str) -> str:
    """``91330100716105852F`` → ``913301********852F`` (authority, type and province kept)."""
    return _mask_middle(normalize_credit_code(value), 6, 4)


# --- Names ----------------------------------------------------------------------------------------


def mask_name(value: str) -> str:
    """``张三丰`` → ``张**``; enterprise names keep their first two characters (``杭州*****``)."""
    value = (value or "").strip()
    if not value:
        return ""
    keep = 1 if len(value) <= 4 else 2
    return value[:keep] + MASK * (len(value) - keep)


# --- E-mail addresses -----------------------------------------------------------------------------


def email_address(value: str) -> str:
    """The address a mail is sent to: surrounding spaces dropped, the domain in lower case.

    Raises ``ValueError`` for anything that cannot be an address (no local part, no dotted domain, spaces).
    """
    value = (value or "").strip()
    local, sep, domain = value.rpartition("@")
    if not sep or not local or "." not in domain or any(ch.isspace() for ch in value):
        raise ValueError("not an e-mail address")
    return f"{local}@{domain.lower()}"


def mask_email(value: str) -> str:
    """Keep the first character of the local part and the domain: ``z***@example.com``."""
    if not value:
        return ""
    local, _, domain = value.rpartition("@")
    return f"{local[:1]}***@{domain}"


# --- Numbers inside free text ---------------------------------------------------------------------
# The shapes of an id number and a credit code (check digits are ``cases.validators``' concern).
ID_NUMBER_RE = re.compile(r"[0-9]{17}[0-9X]")
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
USCC_RE = re.compile(rf"[{USCC_ALPHABET}]{{18}}")

# Full-width digits, letters and plus fold to ASCII for matching; the text shown keeps its own characters.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_SEPARATORS = frozenset(" \t\u3000-()（）－—.")
_MAX_SEPARATOR_RUN = 2
_B = r"(?<![0-9A-Z])"
_E = r"(?![0-9A-Z])"
# A mobile (country code spelled any usual way), a landline, or any 8–12 digits after a +86 / 0086 country
# code (a landline written internationally drops its trunk 0).
_PHONE = rf"(?:(?:\+|00)?86)?(?:{MOBILE_RE.pattern})|(?:{LANDLINE_RE.pattern})|(?:\+|00)86[1-9][0-9]{{7,11}}"
NUMBER_IN_TEXT_RE = re.compile(
    rf"{_B}(?:{ID_NUMBER_RE.pattern}|{USCC_RE.pattern}|(?:{_PHONE})(?:[0-9]{{1,6}})?){_E}"
)
_ANY_DIGIT_RE = re.compile(r"[0-9\uff10-\uff19]")


def _fold(text: str) -> tuple[str, list[int]]:
    """The text as numbers are matched in it, and for each kept character its index in ``text``.

    Full-width forms fold to ASCII and letters to upper case; a short run of separators between two digits
    is dropped (``138 0013-8000`` reads ``13800138000``), never next to a letter (``requester 139… called``
    keeps its spaces, so the number stands alone)."""
    folded: list[str] = []
    origin: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i].translate(_FOLD).upper()
        if ch in _SEPARATORS and folded and folded[-1].isascii() and folded[-1].isdigit():
            j = i
            while j < n and text[j].translate(_FOLD) in _SEPARATORS and j - i < _MAX_SEPARATOR_RUN:
                j += 1
            nxt = text[j].translate(_FOLD).upper() if j < n else ""
            if nxt and nxt.isascii() and nxt.isdigit():
                i = j
                continue
        folded.append(ch)
        origin.append(i)
        i += 1
    return "".join(folded), origin


def hide_numbers(text: str, *, also: tuple[str, ...] | list[str] = (), replacement: str = "[已隐去]") -> str:
    """``text`` with every phone / id-number / credit-code shape (however spaced, full-width or prefixed with
    +86) and every number of ``also`` (normalised forms) replaced by ``replacement``. Never raises.

    The one rule for personal numbers inside free text: the case library's public texts and every log line
    (``windowsvc.logfilter``) use it."""
    if not text or not _ANY_DIGIT_RE.search(text):
        return text
    folded, origin = _fold(text)
    spans = [m.span() for m in NUMBER_IN_TEXT_RE.finditer(folded)]
    for number in also:
        if len(number) >= 5:
            spans += [m.span() for m in re.finditer(re.escape(number), folded)]
    if not spans:
        return text
    # Back to the original text: from the first kept character to the last, merged where they overlap.
    cuts: list[list[int]] = []
    for start, end in sorted((origin[s], origin[e - 1] + 1) for s, e in spans):
        if cuts and start <= cuts[-1][1]:
            cuts[-1][1] = max(cuts[-1][1], end)
        else:
            cuts.append([start, end])
    out, last = [], 0
    for start, end in cuts:
        # A "+" written before a country code goes with the number.
        if start > 0 and text[start - 1] in "+＋":
            start -= 1
        # So does an area code's opening bracket: "(0575)8701…".
        if start > 0 and text[start - 1] in "(（" and any(c in ")）" for c in text[start:end]):
            start -= 1
        out.append(text[last:start])
        out.append(replacement)
        last = end
    out.append(text[last:])
    return "".join(out)
