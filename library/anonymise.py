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
from windowsvc.personal import (
    hide_numbers,
    normalize_credit_code,
    normalize_id_number,
    phone_address,
)

HIDDEN = "[已隐去]"
PERSON = "某群众"
ENTERPRISE = "某企业"
CONTACT = "某联系人"
PLACE = "某地"


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
    return hide_numbers(text, also=_own_numbers(data), replacement=HIDDEN)


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
