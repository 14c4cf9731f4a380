"""The anonymiser: the public version of a write-up (docs/LIBRARY.md, "What the public version hides").

Rules, applied to every text field of the write-up:
1. the case requester's own values, wherever they occur (spaces between characters tolerated): the name
   (→ 某群众, or 某企业 for an enterprise — kept only when the enterprise agreed), the contact person
   (→ 某联系人), the address (→ 某地);
2. anything shaped like a phone number (mobile or landline, with spaces, dashes, brackets, +86 / 0086 /
   86, full-width digits), a resident id number or a unified social credit code (→ ``HIDDEN``), and the
   requester's own phone, id number and credit code however they are written.

The shapes are those of ``windowsvc.personal`` (phones) and ``cases.validators`` (id numbers, credit
codes); numbers are read on a folded copy of the text (full-width → ASCII, upper case, separators between
digits dropped) and the matches are cut out of the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cases.choices import RequesterKind
from cases.validators import ID_NUMBER_RE, USCC_RE
from windowsvc.personal import (
    LANDLINE_RE,
    MOBILE_RE,
    normalize_credit_code,
    normalize_id_number,
    phone_address,
)

HIDDEN = "[已隐去]"
PERSON = "某群众"
ENTERPRISE = "某企业"
CONTACT = "某联系人"
PLACE = "某地"

# Full-width digits, letters and plus fold to ASCII for matching; the text shown keeps its own characters.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_SEPARATORS = frozenset(" \t\u3000-()（）－—.")
_MAX_SEPARATOR_RUN = 2

_B = r"(?<![0-9A-Z])"
_E = r"(?![0-9A-Z])"
# A mobile (country code spelled any usual way), a landline, or any 8–12 digits after a +86 / 0086 country
# code (a landline written internationally drops its trunk 0).
_PHONE = rf"(?:(?:\+|00)?86)?(?:{MOBILE_RE.pattern})|(?:{LANDLINE_RE.pattern})|(?:\+|00)86[1-9][0-9]{{7,11}}"
_NUMBER_RE = re.compile(
    rf"{_B}(?:{ID_NUMBER_RE.pattern}|{USCC_RE.pattern}|(?:{_PHONE})(?:[0-9]{{1,6}})?){_E}"
)


@dataclass(frozen=True)
class PersonalData:
    """The requester's values the anonymiser removes; ``enterprise_consent`` keeps an enterprise's name."""

    kind: str = RequesterKind.PERSON
    name: str = ""
    contact_name: str = ""
    phone: str = ""
    id_number: str = ""
    credit_code: str = ""
    address: str = ""
    enterprise_consent: bool = False

    @classmethod
    def of_requester(cls, requester, *, enterprise_consent: bool = False) -> PersonalData:
        return cls(
            kind=requester.kind,
            name=requester.name or "",
            contact_name=requester.contact_name or "",
            phone=requester.phone or "",
            id_number=requester.id_number or "",
            credit_code=requester.credit_code or "",
            address=requester.address or "",
            enterprise_consent=enterprise_consent,
        )


def _spaced(value: str) -> re.Pattern[str] | None:
    chars = [c for c in value if not c.isspace()]
    if len(chars) < 2:
        return None
    return re.compile(r"[\s\u3000]*".join(re.escape(c) for c in chars))


def _fold(text: str) -> tuple[str, list[int]]:
    """The text as numbers are matched in it, and for each kept character its index in ``text``.

    Full-width forms fold to ASCII and letters to upper case; a short run of separators between two digits
    or letters is dropped (``138 0013-8000`` reads ``13800138000``)."""
    folded: list[str] = []
    origin: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i].translate(_FOLD).upper()
        if ch in _SEPARATORS and folded and folded[-1].isascii() and folded[-1].isalnum():
            j = i
            while j < n and text[j].translate(_FOLD) in _SEPARATORS and j - i < _MAX_SEPARATOR_RUN:
                j += 1
            nxt = text[j].translate(_FOLD).upper() if j < n else ""
            if nxt and nxt.isascii() and nxt.isalnum():
                i = j
                continue
        folded.append(ch)
        origin.append(i)
        i += 1
    return "".join(folded), origin


def _own_numbers(data: PersonalData) -> list[str]:
    numbers = []
    if data.phone:
        try:
            numbers.append(phone_address(data.phone).lstrip("+"))
        except ValueError:
            numbers.append(data.phone)
    for value in (normalize_id_number(data.id_number), normalize_credit_code(data.credit_code)):
        if value:
            numbers.append(value)
    return [n for n in numbers if len(n) >= 5]


def _hide_numbers(text: str, data: PersonalData) -> str:
    folded, origin = _fold(text)
    spans = [m.span() for m in _NUMBER_RE.finditer(folded)]
    for number in _own_numbers(data):
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
        out.append(HIDDEN)
        last = end
    out.append(text[last:])
    return "".join(out)


def anonymise(text: str, data: PersonalData) -> str:
    """``text`` without the requester's personal data and without any phone / id / credit-code shape."""
    if not text:
        return ""
    replacements: list[tuple[str, str]] = []
    if data.kind == RequesterKind.ENTERPRISE:
        if not data.enterprise_consent:
            replacements.append((data.name, ENTERPRISE))
    else:
        replacements.append((data.name, PERSON))
    replacements += [(data.contact_name, CONTACT), (data.address, PLACE)]
    # Longest first, so an address containing the name is replaced whole.
    for value, placeholder in sorted(replacements, key=lambda r: -len(r[0] or "")):
        pattern = _spaced(value or "")
        if pattern is not None:
            text = pattern.sub(placeholder, text)
    return _hide_numbers(text, data)
