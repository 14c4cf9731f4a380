"""Render message templates and count SMS segments.

Texts come from a ``MessageTemplate`` row when an administrator has overridden the code and language, else
from ``defaults.DEFAULT_TEMPLATES``. They are rendered by a bare Django template engine: no loaders (so
``{% include %}`` and ``{% extends %}`` reach no file) and only the built-in tags and filters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.template import Context, Engine
from django.utils import timezone, translation

from windowsvc.refcache import ReferenceCache

from .choices import Language, TemplateCode
from .defaults import DEFAULT_TEMPLATES, REQUIRED_VARIABLES, MessageText

_TEMPLATE_CODES = frozenset(TemplateCode.values)
_LANGUAGES = frozenset(Language.values)

# Plain text: the e-mail's HTML part escapes the body itself.
_ENGINE = Engine(loaders=[], autoescape=False, libraries={})

# GSM 03.38 default alphabet (one septet each) and its extension table (escape + char: two septets).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")

SMS_UCS2_SINGLE, SMS_UCS2_PART = 70, 67
SMS_GSM_SINGLE, SMS_GSM_PART = 160, 153


@dataclass(frozen=True)
class RenderedMessage:
    """One template rendered for one context and language."""

    subject: str
    body: str
    sms: str

    @property
    def sms_segments(self) -> int:
        return sms_segments(self.sms)


def _pack(widths: list[int], single: int, part: int) -> int:
    """Parts needed when a unit of width > 1 (escape sequence, surrogate pair) may not be split."""
    total = sum(widths)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts, used = 1, 0
    for width in widths:
        if used + width > part:
            parts += 1
            used = 0
        used += width
    return parts


def sms_encoding(text: str) -> str:
    """``"gsm7"`` when every character is in the GSM 7-bit alphabet, else ``"ucs2"`` (any Chinese)."""
    return "gsm7" if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text) else "ucs2"


def sms_segments(text: str) -> int:
    """How many SMS parts the text takes.

    UCS-2 (any character outside GSM 7-bit, e.g. Chinese): 70 per single message, 67 per part when
    concatenated (the user-data header takes the rest), counted in UTF-16 code units. GSM 7-bit: 160 and
    153 septets, extension characters (``{ } [ ] ~ \\ | ^ €``) taking two.
    """
    if sms_encoding(text) == "gsm7":
        return _pack([2 if ch in _GSM_EXTENDED else 1 for ch in text], SMS_GSM_SINGLE, SMS_GSM_PART)
    widths = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return _pack(widths, SMS_UCS2_SINGLE, SMS_UCS2_PART)


def normalise_language(language: str | None) -> str:
    """A supported template language; anything else falls back to Chinese (the source language)."""
    value = (language or "").lower()
    if value in _LANGUAGES:
        return value
    if value.startswith("zh"):
        return Language.ZH_HANS
    if value.startswith("en"):
        return Language.EN
    return Language.ZH_HANS


def prepare_context(context: dict) -> dict:
    """Format dates and times once, in local time, so templates and the stored JSON agree."""
    prepared = {}
    for key, value in context.items():
        if isinstance(value, dt.datetime):
            value = (
                timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
                if timezone.is_aware(value)
                else (value.strftime("%Y-%m-%d %H:%M"))
            )
        elif isinstance(value, dt.date):
            value = value.isoformat()
        prepared[key] = value
    return prepared


def missing_variables(template_code: str, context: dict) -> list[str]:
    return [name for name in REQUIRED_VARIABLES.get(template_code, ()) if name not in context]


def template_texts(template_code: str, language: str) -> MessageText:
    """The texts in force: an active administrator override, else the shipped default."""
    language = normalise_language(language)
    return _overrides().get((template_code, language)) or DEFAULT_TEMPLATES[template_code][language]


def templates_in_force(template_codes: Iterable[str]) -> dict[tuple[str, str], MessageText]:
    """The texts in force of each code in every language, ``{(code, language): texts}``: the active
    overrides (all of them, cached per process), the shipped defaults for the rest."""
    overrides = _overrides()
    return {
        (code, language): overrides.get((code, language)) or text
        for code in sorted(set(template_codes))
        for language, text in DEFAULT_TEMPLATES[code].items()
    }


def _overrides() -> dict[tuple[str, str], MessageText]:
    """The administrators' active overrides by (code, language): one small table read whole, cached per
    process (``windowsvc.refcache``: emptied by a save or delete of a template, at most
    ``REFERENCE_CACHE_SECONDS`` old); the cache is made on first use because this module is imported
    before the models are ready."""
    global _override_cache
    from .models import MessageTemplate

    if _override_cache is None:
        _override_cache = ReferenceCache("message_templates", MessageTemplate)

    def load() -> dict[tuple[str, str], MessageText]:
        rows = MessageTemplate.objects.filter(is_active=True).only(
            "code", "language", "subject", "body", "sms"
        )
        return {(row.code, row.language): row.texts() for row in rows}

    return _override_cache.get("active", load)


_override_cache: ReferenceCache | None = None


@lru_cache(maxsize=512)
def _compiled(source: str):
    # Compiling is most of a render's cost and the sources are a handful of texts; a compiled template
    # keeps no state between renders (each gets its own Context), so one copy serves every render.
    return _ENGINE.from_string(source)


def render_text(source: str, context: dict, language: str) -> str:
    with translation.override(normalise_language(language)):
        return _compiled(source).render(Context(context, autoescape=False)).strip()


def render_texts(texts: MessageText, context: dict, language: str) -> RenderedMessage:
    prepared = prepare_context(context)

    def render(source: str) -> str:
        return _compiled(source).render(Context(prepared, autoescape=False)).strip()

    with translation.override(normalise_language(language)):
        return RenderedMessage(
            # A subject is one line whatever the template does.
            subject=" ".join(render(texts.subject).split()),
            body=render(texts.body),
            sms=" ".join(render(texts.sms).split()),
        )


def render_message(
    template_code: str, language: str, context: dict, *, texts: MessageText | None = None
) -> RenderedMessage:
    """Render the template in force for the code and language (``texts`` when the caller already read
    them, ``templates_in_force``); unknown codes raise ``ValueError``."""
    if template_code not in _TEMPLATE_CODES:
        raise ValueError(f"unknown template code {template_code!r}")
    return render_texts(texts or template_texts(template_code, language), context, language)
