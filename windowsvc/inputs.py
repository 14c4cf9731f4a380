"""One input-cleaning layer for every request: characters no field may hold are refused with 400 before
any view runs (security baseline, docs/SECURITY.md).

Refused anywhere in a query string, a URL-encoded form or a JSON body:
- NUL (U+0000): PostgreSQL stores no NUL in text, so it would end as a server error;
- bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069): they make a text display in another
  order than it is stored ("Trojan source"), e.g. a case title that reads differently on the review page.

A multipart body's text fields are checked too (files are not read as text): Django parses the body once
here and DRF reuses that parse (``request.POST`` / ``request.FILES``) instead of reading the stream again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

FORBIDDEN = re.compile("[\x00\u202a-\u202e\u2066-\u2069]")
_BODY_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key), str(key)
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, path)


def forbidden_fields(request: HttpRequest) -> list[str]:
    """The names of the fields (query, form or JSON) holding a forbidden character, in order."""
    found: list[str] = []
    pairs: list[tuple[str, str]] = []
    for key, values in request.GET.lists():
        pairs.append((key, key))
        pairs.extend((key, v) for v in values)
    content_type = (request.content_type or "").lower()
    if request.method in ("POST", "PUT", "PATCH") and content_type in _BODY_TYPES:
        if content_type == "application/json":
            try:
                body = json.loads(request.body or b"null")
            except (ValueError, UnicodeDecodeError):
                body = None  # malformed JSON is the parser's 400
            pairs.extend(_strings(body, ""))
        else:
            for key, values in request.POST.lists():
                pairs.append((key, key))
                pairs.extend((key, v) for v in values)
    for name, text in pairs:
        if FORBIDDEN.search(text) and (name or "_") not in found:
            found.append(name or "_")
    return found


def refusal(request: HttpRequest, fields: list[str]) -> HttpResponse:
    """The 400 answer in the shape the caller reads: field errors for the API, Open311's error list on
    Open311, a short page otherwise."""
    message = _("含有不允许的字符（空字符或文字方向控制符）。")
    path = request.path
    if path.startswith("/open311/"):
        if path.endswith(".xml"):
            body = f"<?xml version='1.0' encoding='utf-8'?><errors><error><code>400</code><description>{message}</description></error></errors>"
            return HttpResponse(body, status=400, content_type="text/xml; charset=utf-8")
        return JsonResponse([{"code": 400, "description": message}], status=400, safe=False)
    if path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({name: [message] for name in fields}, status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


class InputCleaningMiddleware:
    """Refuse (400) a request carrying a character no field may hold (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = forbidden_fields(request)
        if fields:
            return refusal(request, fields)
        return self.get_response(request)
