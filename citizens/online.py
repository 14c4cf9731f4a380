"""The online form (网上反映): a citizen or an enterprise submits a matter without coming to a window.

- ``sms_code_send``: a 6-digit one-time code to a mobile number, through the SMS gateway at once (a code
  must not wait in the outbox for quiet hours or retries). Rate-limited per phone (one a minute, a few an
  hour) and per client address, with the atomic Redis counters of ``citizens.ratelimit`` (fail closed).
- ``online_submit``: checks the requester as at the window (``cases`` validates kind, name, phone, id
  number or credit code), the region (must have a window), the consent to the privacy notice and the code,
  then takes the case in at the chosen region's window (system actor, channel ``online``) with its
  attachments, in one transaction that also uses up the code. The receipt SMS is the intake's own notice.
  A wrong code counts a try (committed on its own) and changes nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import services as case_services
from cases.choices import Channel
from cases.models import Case
from notifications.channels.sms import SmsMessage, get_sms_backend
from routing.models import Region, ServiceWindow
from windowsvc.encryption import blind_index
from windowsvc.errors import ValidationFailed
from windowsvc.personal import is_mobile, normalize_phone

from . import conf, ratelimit
from .models import SmsCode

CODE_DIGITS = 6
MAX_ATTACHMENTS = 5


class TooManyRequests(Exception):
    """Past a rate limit (429)."""


def _phone_index(phone: str) -> str:
    return blind_index(phone, purpose="online-sms-code")


def _code_hash(salt: str, code: str) -> str:
    key = hashlib.sha256(f"online-sms-code:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def clean_mobile(raw: str) -> str:
    phone = normalize_phone(raw or "")
    if not is_mobile(phone):
        raise ValidationFailed({"phone": [_("请填写正确的手机号码（接收验证码）。")]})
    return phone


def sms_code_send(*, phone: str, address: str) -> None:
    """Send a fresh code to ``phone``; ``ValidationFailed`` (not a mobile), ``TooManyRequests``,
    ``ratelimit.RateLimitUnavailable`` (Redis down: refused)."""
    phone = clean_mobile(phone)
    limits = [
        ratelimit.Limit(
            "online-sms-phone-1", _phone_index(phone), 1, conf.get("ONLINE_SMS_INTERVAL_PER_PHONE")
        ),
        ratelimit.Limit(
            "online-sms-phone",
            _phone_index(phone),
            conf.get("ONLINE_SMS_LIMIT_PER_PHONE"),
            conf.get("ONLINE_SMS_WINDOW_PER_PHONE"),
        ),
        ratelimit.Limit(
            "online-sms-address",
            address,
            conf.get("ONLINE_SMS_LIMIT_PER_ADDRESS"),
            conf.get("ONLINE_SMS_WINDOW_PER_ADDRESS"),
        ),
    ]
    if not ratelimit.hit(limits):
        raise TooManyRequests
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(8)
    now = timezone.now()
    index = _phone_index(phone)
    with transaction.atomic():
        SmsCode.objects.filter(phone_index=index, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        row = SmsCode.objects.create(
            phone_index=index,
            salt=salt,
            code_hash=_code_hash(salt, code),
            expires_at=now + dt.timedelta(seconds=conf.get("ONLINE_SMS_CODE_SECONDS")),
        )
    minutes = conf.get("ONLINE_SMS_CODE_SECONDS") // 60
    body = _("验证码%(code)s，%(minutes)s分钟内有效，用于网上反映提交。请勿告诉他人。") % {
        "code": code,
        "minutes": minutes,
    }
    get_sms_backend().send(
        SmsMessage(phone=phone, body=body, idempotency_key=f"online-sms-code:{row.pk}", emergency=True)
    )


def _code_matches(phone: str, code: str) -> SmsCode | None:
    """Count one try against the phone's current code (committed); the row when ``code`` is right."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            SmsCode.objects.select_for_update()
            .filter(phone_index=_phone_index(phone), used_at__isnull=True, expires_at__gt=now)
            .order_by("-id")
            .first()
        )
        if row is None or row.attempts >= conf.get("ONLINE_SMS_CODE_ATTEMPTS"):
            return None
        SmsCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
    return row if hmac.compare_digest(row.code_hash, _code_hash(row.salt, (code or "").strip())) else None


def region_choices() -> list[tuple[str, str]]:
    """Regions with an active window, in tree order, indented by depth: (code, label)."""
    paths = set(ServiceWindow.objects.filter(is_active=True).values_list("region__path", flat=True))
    regions = Region.objects.filter(path__in=paths).order_by("path").only("code", "name", "path")
    return [(r.code, "\u3000" * (r.path.strip("/").count("/")) + r.name) for r in regions]


def _window_for(code: str) -> ServiceWindow:
    window = (
        ServiceWindow.objects.filter(region__code=code, is_active=True)
        .select_related("region")
        .order_by("id")
        .first()
    )
    if window is None:
        raise ValidationFailed({"region": [_("请选择事项所在的区划。")]})
    return window


@dataclass(frozen=True)
class Submitted:
    case: Case


def online_submit(
    *,
    requester: dict,
    region: str,
    title: str,
    description: str,
    expectation: str = "",
    consent: bool,
    sms_code: str,
    files=(),
    address: str,
) -> Submitted:
    """Take a submission in (see the module docstring); ``ValidationFailed`` with field errors."""
    if not ratelimit.hit(
        [
            ratelimit.Limit(
                "online-submit-address",
                address,
                conf.get("ONLINE_SUBMIT_LIMIT_PER_ADDRESS"),
                conf.get("ONLINE_SUBMIT_WINDOW_PER_ADDRESS"),
            )
        ]
    ):
        raise TooManyRequests
    errors: dict[str, list[str]] = {}
    if not consent:
        errors["consent"] = [_("请阅读并同意个人信息保护说明。")]
    if len(files) > MAX_ATTACHMENTS:
        errors["attachments"] = [_("附件最多 %(n)s 个。") % {"n": MAX_ATTACHMENTS}]
    try:
        phone = clean_mobile(requester.get("phone", ""))
    except ValidationFailed as exc:
        errors.update({"requester.phone": exc.errors["phone"]})
        phone = ""
    try:
        window = _window_for(region)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    row = _code_matches(phone, sms_code)
    if row is None:
        raise ValidationFailed({"sms_code": [_("验证码错误或已过期，请重新获取。")]})
    with transaction.atomic():
        if not SmsCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now()):
            raise ValidationFailed({"sms_code": [_("验证码错误或已过期，请重新获取。")]})
        result = case_services.case_intake(
            actor=None,
            window=window,
            channel=Channel.ONLINE,
            requester={**requester, "phone": phone},
            title=title,
            description=description,
            expectation=expectation,
        )
        for file in files:
            try:
                case_services.case_submission_attachment_add(case_id=result.case.pk, file=file)
            except ValidationFailed as exc:
                raise ValidationFailed(
                    {"attachments": [f"{getattr(file, 'name', '')}: {m}" for m in exc.errors.get("file", [])]}
                ) from None
    return Submitted(case=result.case)
