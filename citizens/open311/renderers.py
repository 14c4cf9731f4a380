"""GeoReport v2 output: JSON and XML from one data structure, chosen by the URL's ``.json`` / ``.xml``.

The XML is the spec's schemaless XML (``<?xml version="1.0" encoding="utf-8"?>``, no namespace); the JSON
is its Spark-convention mapping (a list of requests is a JSON array, an element is an object). Lists are
named by their items: ``services`` → ``service``, ``service_requests`` → ``request``, ``errors`` →
``error``, ``endpoints`` → ``endpoint``, ``formats`` → ``format``, ``attributes`` → ``attribute``,
``values`` → ``value``. None is an empty element in XML and null in JSON; booleans are ``true``/``false``.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement, tostring

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

LIST_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
# Characters XML 1.0 cannot carry at all (text typed into a case may hold them).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _default(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class Open311JSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_default).encode()


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _INVALID_XML.sub("", str(value))


def _append(parent: Element, name: str, value) -> None:
    element = SubElement(parent, name)
    _fill(element, name, value)


def _fill(element: Element, name: str, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list | tuple):
        item_name = LIST_ITEMS.get(name, "item")
        for item in value:
            _append(element, item_name, item)
    else:
        element.text = _text(value)


def to_xml(root: str, data) -> bytes:
    element = Element(root)
    _fill(element, root, data)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(element, encoding="unicode").encode()


class Open311XMLRenderer(BaseRenderer):
    """Renders with the root element the response (errors) or the view names (``xml_root``)."""

    media_type = "text/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        root = getattr(response, "xml_root", None) or getattr(renderer_context.get("view"), "xml_root", "")
        return to_xml(root or "response", data)


class FormatNegotiation(DefaultContentNegotiation):
    """The format is the URL's suffix, whatever the Accept header says (the spec's rule)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        for renderer in renderers:
            if renderer.format == format_suffix:
                return renderer, renderer.media_type
        return renderers[0], renderers[0].media_type
