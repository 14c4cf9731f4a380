"""Links that leave the building: every address a requester, an enterprise or an outside system is given
(the receipt's QR code, SMS links, Open311's endpoint) is built on ``settings.PUBLIC_BASE_URL``, never on the
host a staff request came in on. Staff reach the system on an internal name (or an IP behind the counter)
that a citizen's phone cannot open; the public address is configured once."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def public_base() -> str:
    """The site's public address without a trailing slash (``PUBLIC_BASE_URL``)."""
    return str(settings.PUBLIC_BASE_URL).rstrip("/")


def public_url(path: str) -> str:
    """The absolute public URL of ``path`` (which starts with ``/``)."""
    return public_base() + path


def public_reverse(viewname: str, *, query: str = "", **kwargs) -> str:
    """``reverse(viewname, kwargs=…)`` on the public address, with an optional encoded query string."""
    path = reverse(viewname, kwargs=kwargs or None)
    return public_url(path + (f"?{query}" if query else ""))
