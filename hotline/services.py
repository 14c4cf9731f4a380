"""Writes of the hotline app: take a work order in, and record the platform's satisfaction callback.

A work order becomes a case through ``cases.services.case_intake`` (system actor, channel
``hotline_12345``) in the transaction that stores the ``WorkOrder``; ``(platform, number)`` is unique, so
the same order twice — pushed twice at once, pushed and imported, imported twice — makes one case: the
second attempt finds the first (or loses the insert race, rolls back its case, and finds it then).
Where it lands: the region named by ``region_code``, else the deepest region of the platform's county whose
name the address contains, else the platform's own window; the case is taken in at the nearest window on
the way up from that region.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from cases import services as case_services
from cases.choices import Channel, RequesterKind, Satisfaction
from cases.validators import validate_phone
from routing.models import Region, ServiceWindow
from windowsvc.errors import NotFound, ValidationFailed
from windowsvc.personal import normalize_phone

from .choices import RequestType
from .models import HotlinePlatform, WorkOrder

logger = logging.getLogger(__name__)

TITLE_MAX = 60
ATTACHMENTS_MAX = 20
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Set while the platform's own satisfaction callback is recorded: that result is not reported back to it.
from_platform: contextvars.ContextVar[bool] = contextvars.ContextVar("hotline_from_platform", default=False)

_TYPE_BY_LABEL = {str(label): value for value, label in RequestType.choices}


@dataclass(frozen=True)
class Taken:
    """What taking an order in did: the work order (with its case) and whether this call created it."""

    work_order: WorkOrder
    created: bool


def _text(data: Mapping, name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    return str(value).strip()


def order_clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check one work order's fields (push body or import row); ``ValidationFailed`` with field errors.

    Fields: ``number``, ``requester_name``, ``contact``, ``request_type`` (value or 咨询/求助/投诉/举报/建议),
    ``content``, ``location``, ``region_code``, ``due_at`` (ISO 8601; without an offset: Asia/Shanghai),
    ``attachments`` (a list of http(s) URLs, or one string of them separated by whitespace or ``;``).
    """
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}

    def need(name: str, limit: int) -> None:
        value = _text(data, name)
        if not value:
            errors.setdefault(name, []).append(_("必填。"))
        elif len(value) > limit:
            errors.setdefault(name, []).append(_("不能超过 %(n)s 个字符。") % {"n": limit})
        clean[name] = value

    need("number", 64)
    need("requester_name", 100)
    need("content", 4000)
    contact = normalize_phone(_text(data, "contact"))
    if not contact:
        errors.setdefault("contact", []).append(_("必填。"))
    else:
        try:
            validate_phone(contact)
        except DjangoValidationError as exc:
            errors.setdefault("contact", []).extend(str(m) for m in exc.messages)
    clean["contact"] = contact
    raw_type = _text(data, "request_type")
    request_type = raw_type if raw_type in RequestType.values else _TYPE_BY_LABEL.get(raw_type, "")
    if not request_type:
        errors.setdefault("request_type", []).append(_("应为 咨询、求助、投诉、举报 或 建议 之一。"))
    clean["request_type"] = request_type
    clean["location"] = _text(data, "location")[:300]
    clean["region_code"] = _text(data, "region_code")[:32]
    raw_due = data.get("due_at")
    due = None
    if isinstance(raw_due, dt.datetime):
        due = raw_due
    elif raw_due not in (None, ""):
        due = parse_datetime(str(raw_due).strip().replace("/", "-"))
        if due is None:
            errors.setdefault("due_at", []).append(_("时间格式应为 YYYY-MM-DD HH:MM。"))
    if due is not None and timezone.is_naive(due):
        due = due.replace(tzinfo=SHANGHAI)
    clean["due_at"] = due
    raw_urls = data.get("attachments") or []
    if isinstance(raw_urls, str):
        raw_urls = [u for u in raw_urls.replace(";", " ").split() if u]
    if not isinstance(raw_urls, list | tuple):
        errors.setdefault("attachments", []).append(_("应为地址列表。"))
        raw_urls = []
    urls = []
    validate_url = URLValidator(schemes=["http", "https"])
    for url in list(raw_urls)[: ATTACHMENTS_MAX + 1]:
        try:
            validate_url(str(url))
            urls.append(str(url))
        except DjangoValidationError:
            errors.setdefault("attachments", []).append(_("附件地址无效。"))
            break
    if len(raw_urls) > ATTACHMENTS_MAX:
        errors.setdefault("attachments", []).append(_("附件不能超过 %(n)s 个。") % {"n": ATTACHMENTS_MAX})
    clean["attachments"] = urls
    if errors:
        raise ValidationFailed(errors)
    return clean


def landing_window(*, platform: HotlinePlatform, region_code: str, location: str) -> ServiceWindow:
    """The window an order lands at: by region code, else by the address, else the platform's window."""
    county = platform.window.region
    region = None
    if region_code:
        region = Region.objects.filter(code=region_code).first()
    if region is None and location:
        candidates = Region.objects.filter(path__startswith=county.path).only("id", "name", "path")
        matches = [r for r in candidates if r.name and r.name in location]
        if matches:
            region = max(matches, key=lambda r: len(r.path))
    if region is None:
        return platform.window
    # The nearest active window on the way up from that region.
    windows = {
        w.region.path: w
        for w in ServiceWindow.objects.filter(is_active=True).select_related("region")
        if region.path.startswith(w.region.path)
    }
    if not windows:
        return platform.window
    return windows[max(windows, key=len)]


def _title(request_type: str, content: str) -> str:
    first = content.strip().splitlines()[0].strip() if content.strip() else ""
    head = f"【12345·{RequestType(request_type).label}】"
    room = TITLE_MAX - len(head)
    return head + (first if len(first) <= room else first[: room - 1] + "…")


def _description(clean: Mapping[str, Any]) -> str:
    lines = [clean["content"]]
    if clean["location"]:
        lines.append(_("事发地点：%(v)s") % {"v": clean["location"]})
    if clean["attachments"]:
        lines.append(_("附件：%(urls)s") % {"urls": " ".join(clean["attachments"])})
    return "\n".join(lines)


def work_order_take_in(*, platform: HotlinePlatform, data: Mapping[str, Any], via: str = "push") -> Taken:
    """Take one work order in as a registered case (one transaction); the same number again: no change.

    ``data`` is checked by ``order_clean`` (``ValidationFailed`` → 400 with field errors).
    """
    clean = order_clean(data)
    existing = WorkOrder.objects.filter(platform=platform, number=clean["number"]).select_related("case")
    found = existing.first()
    if found is not None:
        return Taken(found, False)
    window = landing_window(platform=platform, region_code=clean["region_code"], location=clean["location"])
    try:
        with transaction.atomic():
            result = case_services.case_intake(
                actor=None,
                window=window,
                channel=Channel.HOTLINE_12345,
                requester={
                    "kind": RequesterKind.PERSON,
                    "name": clean["requester_name"],
                    "phone": clean["contact"],
                    "address": clean["location"][:200],
                },
                title=_title(clean["request_type"], clean["content"]),
                description=_description(clean),
                external_due_at=clean["due_at"],
            )
            order = WorkOrder.objects.create(
                platform=platform,
                number=clean["number"],
                case=result.case,
                requester_name=clean["requester_name"],
                contact=clean["contact"],
                request_type=clean["request_type"],
                content=clean["content"],
                location=clean["location"],
                region_code=clean["region_code"],
                hotline_due_at=clean["due_at"],
                attachment_urls=clean["attachments"],
                received_via=via,
            )
    except IntegrityError:
        # Another request took the same order in meanwhile; its case stands, ours was rolled back.
        found = existing.first()
        if found is None:
            raise
        return Taken(found, False)
    return Taken(order, True)


_SATISFACTION_BY_LABEL = {str(label): value for value, label in Satisfaction.choices}


def work_order_satisfaction(*, platform: HotlinePlatform, number: str, satisfaction: str, comment: str = ""):
    """The platform's 回访 result, recorded like ours: the case's callback (system actor); 不满意 then
    reopens the case (重办) as its own command. Unknown order → ``NotFound``; a case that cannot take a
    callback now → ``TransitionNotAllowed`` (409). Not reported back to the platform it came from."""
    value = satisfaction if satisfaction in Satisfaction.values else _SATISFACTION_BY_LABEL.get(satisfaction)
    errors: dict[str, list[str]] = {}
    if not value:
        errors["satisfaction"] = [_("应为 满意、基本满意 或 不满意 之一。")]
    comment = (comment or "").strip()[:1000]
    if value == Satisfaction.UNSATISFIED and not comment:
        errors["comment"] = [_("不满意时请填写原因。")]
    if errors:
        raise ValidationFailed(errors)
    order = WorkOrder.objects.filter(platform=platform, number=(number or "").strip()).first()
    if order is None:
        raise NotFound(_("工单不存在。"))
    token = from_platform.set(True)
    try:
        event = case_services.case_callback(
            actor=None, case_id=order.case_id, satisfaction=value, comment=comment
        )
        if value == Satisfaction.UNSATISFIED:
            case_services.case_reopen(
                actor=None,
                case_id=order.case_id,
                reason=_("12345回访不满意：%(comment)s") % {"comment": comment},
            )
    finally:
        from_platform.reset(token)
    return event
