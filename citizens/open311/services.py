"""Open311 writes: a submitted request becomes a case through ``cases.services.case_intake``.

``request_submit`` checks a POST (api_key, service_code, location, requester, attributes) and either takes
the case in at once (the integration's window, channel “online”, the system actor) or, for an integration
that queues, stores it and answers a token; ``submission_process`` turns a queued submission into a case
(run by the worker on commit and by the beat sweep ``submissions_process_queued``, so nothing queued is
lost when the broker is down). Each is one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import services as case_services
from cases.choices import Channel, MatterKind, RequesterKind
from cases.models import Case, Category
from cases.validators import validate_phone
from routing.models import Region
from windowsvc.errors import ValidationFailed
from windowsvc.personal import normalize_phone

from ..models import Open311Integration, Open311Submission, SubmissionStatus, hash_api_key
from .errors import Open311Error

logger = logging.getLogger(__name__)

DESCRIPTION_MAX = 4000  # the spec's limit
TITLE_MAX = 60
MATTER_KIND_ATTRIBUTE = "MATTER_KIND"
EXPECTATION_ATTRIBUTE = "EXPECTATION"
EXPECTATION_MAX = 2000


@dataclass(frozen=True)
class Submitted:
    """What POST answers: the case's tracking number (realtime) or the submission's token (queued)."""

    submission: Open311Submission
    service_request_id: str | None
    token: str | None


def integration_for_key(api_key: str) -> Open311Integration:
    """The active integration holding ``api_key``, else ``Open311Error`` 403 (missing, unknown, disabled)."""
    key = (api_key or "").strip()
    integration = None
    if key:
        integration = (
            Open311Integration.objects.select_related("window__region")
            .filter(key_hash=hash_api_key(key), is_active=True)
            .first()
        )
    if integration is None:
        raise Open311Error(403, _("api_key 无效或未提供，无法提交请求。"))
    return integration


def jurisdiction(value: Any) -> Region | None:
    """The region named by ``jurisdiction_id`` (a region code), None when not given; 404 when unknown."""
    code = value.strip() if isinstance(value, str) else ""
    if not code:
        return None
    region = Region.objects.filter(code=code).only("id", "code", "name", "path", "tier").first()
    if region is None:
        raise Open311Error(404, _("jurisdiction_id 不存在：%(code)s") % {"code": code[:32]})
    return region


def _text(data, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def _decimal(raw: str, name: str, bound: int) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise Open311Error(400, _("%(name)s 应为数字。") % {"name": name}) from None
    if not value.is_finite() or not -bound <= value <= bound:
        raise Open311Error(400, _("%(name)s 超出范围。") % {"name": name})
    return value.quantize(Decimal("0.000001"))


def _title(description: str) -> str:
    first_line = description.strip().splitlines()[0].strip() if description.strip() else ""
    return first_line if len(first_line) <= TITLE_MAX else first_line[: TITLE_MAX - 1] + "…"


# Where intake's field errors come from in Open311 terms.
_FIELD_NAMES = {
    "requester.name": "first_name/last_name",
    "requester.phone": "phone",
    "title": "description",
    "category": "service_code",
    "matter_kind": f"attribute[{MATTER_KIND_ATTRIBUTE}]",
}


def _errors(exc: ValidationFailed) -> list[tuple[int, str]]:
    return [
        (400, f"{_FIELD_NAMES.get(field, field)}: {message}")
        for field, messages in exc.errors.items()
        for message in messages
    ]


def request_submit(*, data) -> Submitted:
    """Check one POST ``requests`` form and take it in (or queue it). Raises ``Open311Error``."""
    integration = integration_for_key(_text(data, "api_key"))
    window = integration.window
    region = jurisdiction(data.get("jurisdiction_id"))
    if region is not None and not window.region.path.startswith(region.path):
        raise Open311Error(400, _("jurisdiction_id 与该 api_key 的受理窗口不符。"))
    code = _text(data, "service_code")
    if not code:
        raise Open311Error(400, _("service_code 未提供。"))
    category = (
        Category.objects.filter(code=code, county__code=window.region.county_code, is_active=True)
        .only("id", "code", "name")
        .first()
    )
    if category is None:
        raise Open311Error(404, _("service_code 不存在：%(code)s") % {"code": code[:32]})

    errors: list[tuple[int, str]] = []
    lat_raw, long_raw = _text(data, "lat"), _text(data, "long")
    address_string, address_id = _text(data, "address_string"), _text(data, "address_id")
    lat = long = None
    if lat_raw or long_raw:
        if not (lat_raw and long_raw):
            errors.append((400, _("lat 和 long 须同时提供。")))
        else:
            try:
                lat, long = _decimal(lat_raw, "lat", 90), _decimal(long_raw, "long", 180)
            except Open311Error as exc:
                errors.extend(exc.errors)
    if lat is None and not address_string and not address_id and not errors:
        errors.append((400, _("须提供地点：lat 和 long，或 address_string，或 address_id。")))
    if len(address_string) > 300 or len(address_id) > 100:
        errors.append((400, _("address_string 或 address_id 过长。")))

    name = (_text(data, "last_name") + _text(data, "first_name"))[:100]
    if not name:
        errors.append((400, _("first_name/last_name: 请提供反映人姓名。")))
    phone = normalize_phone(_text(data, "phone"))
    if not phone:
        errors.append((400, _("phone: 请提供反映人联系电话。")))
    else:
        try:
            validate_phone(phone)
        except DjangoValidationError as exc:
            errors.extend((400, f"phone: {message}") for message in exc.messages)
    email = _text(data, "email")
    if email:
        try:
            EmailValidator()(email)
        except DjangoValidationError:
            errors.append((400, _("email 格式不正确。")))
    media_url = _text(data, "media_url")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except DjangoValidationError:
            errors.append((400, _("media_url 格式不正确。")))
        if len(media_url) > 500:
            errors.append((400, _("media_url 过长。")))
    description = _text(data, "description")
    if not description:
        errors.append((400, _("description: 请填写反映内容。")))
    elif len(description) > DESCRIPTION_MAX:
        errors.append((400, _("description 不能超过 4000 字。")))
    matter_kind = _text(data, f"attribute[{MATTER_KIND_ATTRIBUTE}]")
    if matter_kind and matter_kind not in MatterKind.values:
        errors.append((400, _("attribute[MATTER_KIND] 应为 urgent、difficult 或 novel。")))
    expectation = _text(data, f"attribute[{EXPECTATION_ATTRIBUTE}]")
    if len(expectation) > EXPECTATION_MAX:
        errors.append((400, _("attribute[EXPECTATION] 过长。")))
    if errors:
        raise Open311Error(errors=errors)

    # What staff read on the case: where it happened goes with the description (the case has no place).
    body = description
    if address_string:
        body += "\n\n" + _("地点：%(address)s") % {"address": address_string}
    if lat is not None:
        body += "\n" + _("坐标：%(lat)s, %(long)s") % {"lat": lat, "long": long}
    intake = {
        "requester": {"kind": RequesterKind.PERSON, "name": name, "phone": phone},
        "title": _title(description),
        "description": body,
        "expectation": expectation,
        "category": category.pk,
        "matter_kind": matter_kind,
    }
    submission = Open311Submission(
        integration=integration,
        token=Open311Submission.new_token(),
        service_code=category.code,
        email=email,
        account_id=_text(data, "account_id")[:100],
        device_id=_text(data, "device_id")[:100],
        address_string=address_string,
        address_id=address_id,
        lat=lat,
        long=long,
        media_url=media_url,
    )
    now = timezone.now()
    with transaction.atomic():
        Open311Integration.objects.filter(pk=integration.pk).update(last_used_at=now)
        if integration.queue_requests:
            submission.data = intake
            submission.save()
            transaction.on_commit(lambda: _enqueue(submission.pk))
            return Submitted(submission, None, submission.token)
        try:
            case = _intake(window.pk, intake)
        except ValidationFailed as exc:
            raise Open311Error(errors=_errors(exc)) from exc
        submission.status = SubmissionStatus.REGISTERED
        submission.case = case
        submission.processed_at = now
        submission.save()
    return Submitted(submission, case.tracking_number, None)


def _intake(window_id: int, intake: dict) -> Case:
    return case_services.case_intake(actor=None, window=window_id, channel=Channel.ONLINE, **intake).case


def _enqueue(submission_id: int) -> None:
    # A broker that is down must not fail the request: the beat sweep processes what was not enqueued.
    from ..tasks import open311_submission_process

    try:
        open311_submission_process.delay(submission_id)
    except Exception:
        logger.warning("open311 submission %s not enqueued; the sweep will process it", submission_id)


def submission_process(*, submission_id: int) -> Open311Submission | None:
    """Take one queued submission in (idempotent: a processed or locked one is left alone)."""
    with transaction.atomic():
        submission = (
            Open311Submission.objects.select_for_update(skip_locked=True)
            .select_related("integration")
            .filter(pk=submission_id, status=SubmissionStatus.QUEUED)
            .first()
        )
        if submission is None:
            return None
        now = timezone.now()
        try:
            with transaction.atomic():
                case = _intake(submission.integration.window_id, submission.data)
        except ValidationFailed as exc:
            submission.status = SubmissionStatus.REJECTED
            submission.error = "; ".join(description for _code, description in _errors(exc))
            logger.info("open311 submission %s rejected: %s", submission.pk, submission.error)
        else:
            submission.status = SubmissionStatus.REGISTERED
            submission.case = case
        submission.processed_at = now
        submission.data = {}  # the requester's data now lives on the case (or nowhere, when rejected)
        submission.save(update_fields=["status", "case", "error", "processed_at", "data"])
        return submission


def submissions_process_queued(*, batch_size: int = 50) -> int:
    """Process queued submissions, oldest first (the beat sweep); returns how many were processed."""
    ids = list(
        Open311Submission.objects.filter(status=SubmissionStatus.QUEUED)
        .order_by("created_at")
        .values_list("pk", flat=True)[:batch_size]
    )
    return sum(1 for pk in ids if submission_process(submission_id=pk) is not None)
