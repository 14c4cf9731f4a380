"""Writes on cases: one thin keyword-only function per workflow command, plus attachments.

Every function takes the acting user (``actor``; None = the system, for the few commands that allow it),
runs in one transaction through ``cases.workflow.run`` and returns the ``CaseEvent`` it wrote (intake
returns an ``IntakeResult``). Errors (``windowsvc.errors``): ``NotFound`` (missing or not visible),
``TransitionNotAllowed`` (409: ``.current`` status, ``.allowed`` commands), ``PermissionDenied`` (403),
``ValidationFailed`` (400: ``.errors`` field → messages; requester fields as ``requester.<field>``),
``IdempotencyConflict`` (422). Departments, categories, windows and attachments are passed as ids (or
model instances). ``expected_version`` (optional) refuses a command if the case changed since it was read.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext as _

from windowsvc.bulk import insert_new
from windowsvc.errors import IdempotencyConflict, NotFound, PermissionDenied, ValidationFailed

from . import workflow
from .choices import CaseStatus, EventKind, SweepEventKind
from .commands import EXPECTED_VERSION, Kind
from .models import Case, CaseAttachment, CaseEvent, IdempotencyRecord
from .selectors import case_get_visible

logger = logging.getLogger(__name__)

E = EventKind


@dataclass(frozen=True)
class IntakeResult:
    """What an intake returns; ``replayed`` is True when an idempotency key returned an earlier case."""

    case: Case
    event: CaseEvent | None
    replayed: bool = False
    # The stored answer of the first request (ids, numbers, status): what a replay should send back.
    snapshot: dict[str, Any] | None = None


def _ref(value):
    return value.pk if hasattr(value, "pk") else value


# Besides its declared input, every command's service takes these.
CALL_ARGUMENTS = ("actor", "case_id", "expected_version")
# The service of every command on a case, by command (filled by ``command``).
SERVICES: dict[str, Callable[..., CaseEvent]] = {}

F = TypeVar("F", bound=Callable[..., CaseEvent])


def command_arguments(kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """A command's service arguments from a request body (API, forms posting raw values): the declared
    inputs the body holds, and ``expected_version``. A required input the body lacks is passed as None,
    so the workflow answers it like any other field error; anything undeclared is ignored. A body that is
    not an object (JSON ``null``, a list, a string) is refused whole, as DRF's serializers do."""
    if not isinstance(body, Mapping):
        raise ValidationFailed({"non_field_errors": [_("请求内容应为一个对象（JSON object）。")]})
    arguments: dict[str, Any] = {}
    versioned = () if kind == E.INTAKE else (EXPECTED_VERSION,)  # intake creates the case
    for spec in (*workflow.RULES[kind].inputs, *versioned):
        if spec.name in body:
            many = spec.kind is Kind.IDS and hasattr(body, "getlist")  # a form post repeats the key
            arguments[spec.name] = body.getlist(spec.name) if many else body[spec.name]
        elif spec.required:
            arguments[spec.name] = None
    return arguments


def command(kind: str) -> Callable[[F], F]:
    """Declare the service of the workflow command ``kind`` by its signature (the body is not run).

    The signature is the command's typed, keyword-only interface for Python callers (pages, admin, tasks,
    seed, tests); its keyword arguments besides ``CALL_ARGUMENTS`` must be exactly the inputs declared in
    the command's row of ``workflow.RULES`` (checked here, at import), and its defaults are what a caller
    who leaves one out means. The input is validated once, by the workflow (``cases.commands``); model
    instances may be passed where ids are expected.
    """

    def declare(signature: F) -> F:
        spec = inspect.signature(signature)
        names = tuple(name for name in spec.parameters if name not in CALL_ARGUMENTS)
        declared = {i.name for i in workflow.RULES[kind].inputs}
        if set(names) != declared or not set(CALL_ARGUMENTS) <= set(spec.parameters):
            raise ImproperlyConfigured(
                f"{signature.__name__}: arguments {sorted(names)} ≠ the inputs of {kind} {sorted(declared)}"
            )

        @functools.wraps(signature)
        def service(*, actor, case_id, expected_version=None, **inputs):
            bound = spec.bind(actor=actor, case_id=case_id, expected_version=expected_version, **inputs)
            bound.apply_defaults()
            data = {name: bound.arguments[name] for name in names}
            return workflow.run(case_id, kind, actor, data, expected_version=expected_version)

        service.command = kind  # type: ignore[attr-defined]
        SERVICES[kind] = service
        return cast(F, service)

    return declare


def request_fingerprint(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of an intake's input: same body → same fingerprint."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _snapshot(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "tracking_number": case.tracking_number,
        "query_code": case.query_code,
        "status": case.status,
    }


def case_intake(
    *,
    actor,
    window: Any,
    channel: str,
    requester: Mapping[str, Any],
    title: str,
    description: str,
    expectation: str = "",
    category: Any = None,
    matter_kind: str = "",
    complexity: str = "",
    handling_mode: str = "",
    green_channel: bool = False,
    resolution_summary: str = "",
    external_due_at: datetime | None = None,
    idempotency_key: str | None = None,
) -> IntakeResult:
    """Take a matter in (受理登记) at a window: creates the requester, the case and its intake event.

    ``requester`` = {kind, name, phone, id_number | credit_code, contact_name, address}. Classification fields
    are optional (all four given → the case waits for routing, else for classification); an immediate
    (即办) case with a ``resolution_summary`` is resolved at the window in the same step. ``external_due_at``
    is a deadline set by the source channel (the 12345 hotline's): the completion deadline never falls later.

    With an ``idempotency_key`` the same actor sending the same input again gets the first case back
    (``replayed``), also when both requests run at once; the same key with other input raises
    ``IdempotencyConflict``.
    """
    data = {
        "window": _ref(window),
        "channel": channel,
        "requester": requester,
        "title": title,
        "description": description,
        "expectation": expectation,
        "category": _ref(category),
        "matter_kind": matter_kind,
        "complexity": complexity,
        "handling_mode": handling_mode,
        "green_channel": green_channel,
        "resolution_summary": resolution_summary,
        "external_due_at": external_due_at,
    }
    if not idempotency_key or actor is None:
        event = workflow.run(None, E.INTAKE, actor, data)
        return IntakeResult(case=event.case, event=event, snapshot=_snapshot(event.case))
    key = idempotency_key.strip()[:200]
    if not key:
        raise ValidationFailed({"idempotency_key": [_("幂等键不能为空。")]})
    fingerprint = request_fingerprint(data)
    # Checked and numbered before the transaction (``workflow.intake_prepare``): a replay leaves the number
    # it drew unused, a gap like any failed intake's.
    write = workflow.intake_prepare(actor, data)
    with transaction.atomic():
        # The insert is the lock: a concurrent request with the same key waits here until the transaction
        # that stored the key ends, then inserts nothing and replays what that one stored (read committed:
        # the next statement sees it). No savepoint needed, as no error is raised.
        record = IdempotencyRecord(user=actor, key=key, fingerprint=fingerprint)
        if not insert_new(IdempotencyRecord, [record], returning="key"):
            return _replay(actor, key, fingerprint)
        event = write()
        record.case = event.case
        record.response = _snapshot(event.case)
        record.save(update_fields=["case", "response"])
    return IntakeResult(case=event.case, event=event, snapshot=record.response)


def _replay(actor, key: str, fingerprint: str) -> IntakeResult:
    # With what the receipt shows of the case (window, region, requester): one query.
    record = IdempotencyRecord.objects.select_related("case__window", "case__region", "case__requester").get(
        user=actor, key=key
    )
    if record.fingerprint != fingerprint:
        raise IdempotencyConflict(_("该幂等键已用于内容不同的受理请求。"))
    logger.info("intake replayed for key of user %s: case %s", actor.pk, record.case.tracking_number)
    return IntakeResult(case=record.case, event=None, replayed=True, snapshot=record.response)


@command(E.NOT_ACCEPT)
def case_not_accept(
    *,
    actor,
    case_id: int,
    reason: str,
    guidance: str,
    reason_code: str = "",
    expected_version: int | None = None,
) -> CaseEvent:
    """不予受理: refuse with the reason (``reason_code`` from the refusal list, default 其他) and where the
    requester can turn (一次性告知); the refusal enters the supervisors' review queue (否定答复报告)."""


@command(E.WITHDRAW)
def case_withdraw(
    *,
    actor,
    case_id: int,
    reason: str,
    requester_confirmed: bool = False,
    expected_version: int | None = None,
) -> CaseEvent:
    """The requester withdraws the matter; current assignments are cancelled. After the deadline it needs
    the requester's confirmation (``requester_confirmed``; then reviewed) or a supervisor, and counts late."""


@command(E.CLASSIFY)
def case_classify(
    *,
    actor,
    case_id: int,
    category: Any,
    matter_kind: str,
    complexity: str,
    handling_mode: str,
    green_channel: bool = False,
    expected_version: int | None = None,
) -> CaseEvent:
    """分类: fix category, matter kind, complexity, handling mode (→ routing, or coordinating for 协调办/特事特办)."""


@command(E.RECLASSIFY)
def case_reclassify(
    *,
    actor,
    case_id: int,
    reason: str,
    category: Any = None,
    matter_kind: str = "",
    complexity: str = "",
    handling_mode: str = "",
    green_channel: bool | None = None,
    expected_version: int | None = None,
) -> CaseEvent:
    """Change the classification of a routed case (deadlines are recomputed from it); no status change."""


@command(E.ASSIGN)
def case_assign(
    *,
    actor,
    case_id: int,
    lead_department: Any = None,
    assisting_departments: Iterable[Any] = (),
    note: str = "",
    expected_version: int | None = None,
) -> CaseEvent:
    """派单: one lead (default: the category's default department) and optional assisting departments."""


@command(E.ACCEPT)
def assignment_accept(
    *, actor, case_id: int, assignment: Any = None, expected_version: int | None = None
) -> CaseEvent:
    """签收 an assignment of the actor's department (the only pending one unless ``assignment`` is given)."""


@command(E.RETURN)
def assignment_return(
    *, actor, case_id: int, reason: str, assignment: Any = None, expected_version: int | None = None
) -> CaseEvent:
    """退回 by the department head: the case goes back to the window, or to the coordination centre."""


@command(E.TRANSFER)
def case_transfer(
    *, actor, case_id: int, department: Any, reason: str, expected_version: int | None = None
) -> CaseEvent:
    """转办: the lead's head hands the case to another department of the county."""


@command(E.ESCALATE)
def case_escalate(
    *, actor, case_id: int, department: Any, reason: str, expected_version: int | None = None
) -> CaseEvent:
    """上报: to a department of the lead department's parent region."""


@command(E.DELEGATE)
def case_delegate(
    *, actor, case_id: int, department: Any, reason: str, expected_version: int | None = None
) -> CaseEvent:
    """下派: to a department of a child region of the lead department's region."""


@command(E.COORDINATE)
def case_coordinate(
    *,
    actor,
    case_id: int,
    lead_department: Any,
    decisions: str,
    assisting_departments: Iterable[Any] = (),
    participants: Iterable[Any] = (),
    held_at: datetime | None = None,
    handling_mode: str = "",
    expected_version: int | None = None,
) -> CaseEvent:
    """协调: record the coordination meeting and name the lead (who can no longer return it) and assistants."""


@command(E.REASSIGN)
def case_reassign(
    *, actor, case_id: int, lead_department: Any, reason: str, expected_version: int | None = None
) -> CaseEvent:
    """改派 by a supervisor: a new lead that cannot return it; assisting departments stay."""


@command(E.NOTE)
def case_note(
    *, actor, case_id: int, text: str, contacted_requester: bool = False, expected_version: int | None = None
) -> CaseEvent:
    """办理进展: a progress note (no status change); ``contacted_requester`` records the first contact."""


@command(E.SUSPEND)
def case_suspend(
    *,
    actor,
    case_id: int,
    reason: str,
    reason_code: str,
    days: int | None = None,
    expected_version: int | None = None,
) -> CaseEvent:
    """挂起 while waiting (the clock pauses) with a reason from the suspension list, for ``days`` working
    days (default ``CASE_SUSPENSION_DAYS``); beyond ``CASE_SUSPENSION_MAX_DAYS`` a supervisor reviews it."""


# 催办 / 督办: a supervisor runs by hand the two ladder steps the sweep fires as RED and SUPERVISE (same
# event kinds, ``cases.choices.STEP_EVENT``). The actions by name, for the forms and URLs that carry one.
SUPERVISOR_ACTIONS: tuple[SweepEventKind, ...] = (SweepEventKind.URGE, SweepEventKind.SUPERVISE)


def supervisor_action_kind(action: str) -> SweepEventKind:
    """The event kind of the 催办 / 督办 named ``action``; any other name is ``ValidationFailed``."""
    if action not in SUPERVISOR_ACTIONS:
        raise ValidationFailed({"action": [_("未知的操作。")]})
    return SweepEventKind(action)


def case_supervisor_action(
    *,
    actor,
    case_id: int,
    action: str,
    reason: str,
    days: int | None = None,
    expected_version: int | None = None,
) -> CaseEvent:
    """催办 (``urge``) or 督办 (``supervise``) of one case by a supervisor whose subtree holds it, while a
    department holds it (no status change); returns the event.

    For callers that carry the action by name: the supervision pages, ``/api/v1/supervision/cases/…`` and
    supervision's ticked and department-wide sets (``supervision.services``, once per case); it runs
    ``case_urge`` or ``case_supervise``, so every way records the same event. ``days`` (督办 only, ignored
    for 催办) is the order's own limit in working days (default ``CASE_SUPERVISION_DAYS``).
    """
    kind = supervisor_action_kind(action)
    extra = {"days": days} if kind == SweepEventKind.SUPERVISE else {}
    return SERVICES[kind](
        actor=actor, case_id=case_id, reason=reason, expected_version=expected_version, **extra
    )


@command(SweepEventKind.URGE)
def case_urge(*, actor, case_id: int, reason: str, expected_version: int | None = None) -> CaseEvent:
    """催办 by a supervisor (no status change): a reminder to the department holding the case."""


@command(SweepEventKind.SUPERVISE)
def case_supervise(
    *, actor, case_id: int, reason: str, days: int | None = None, expected_version: int | None = None
) -> CaseEvent:
    """督办 by a supervisor (no status change): a formal order with its own deadline (``days`` working days,
    default ``CASE_SUPERVISION_DAYS``)."""


@command(E.RESUME)
def case_resume(*, actor, case_id: int, reason: str, expected_version: int | None = None) -> CaseEvent:
    """恢复: back to the state before the suspension."""


@command(E.REPLY)
def case_reply(
    *,
    actor,
    case_id: int,
    answer: str,
    can_be_done: bool = True,
    follow_up_due_at: Any = None,
    cannot_be_done: bool = False,
    reason_code: str = "",
    basis: str = "",
    expected_version: int | None = None,
) -> CaseEvent:
    """答复 the requester. ``can_be_done=False`` is the reasoned "cannot be done (yet)" answer: with the new
    expected date ``follow_up_due_at`` (the follow-up clock runs until resolved), or ``cannot_be_done``
    with ``reason_code`` (refusal list) and ``basis`` (law or policy), which a supervisor reviews."""


@command(E.REVIEW)
def case_review(
    *,
    actor,
    case_id: int,
    decision: str,
    instruction: str = "",
    follow_up_due_at: Any = None,
    expected_version: int | None = None,
) -> CaseEvent:
    """否定答复审核 by a supervisor: ``confirm`` or ``overturn`` the pending "no" (``instruction`` required to
    overturn; ``follow_up_due_at`` is the new date when overturning a "cannot be done")."""


@command(E.RESOLVE)
def case_resolve(
    *, actor, case_id: int, summary: str, evidence: Iterable[Any] = (), expected_version: int | None = None
) -> CaseEvent:
    """办结 with a handling summary and evidence (ids of this case's attachments)."""


@command(E.CALLBACK)
def case_callback(
    *, actor, case_id: int, satisfaction: str, comment: str = "", expected_version: int | None = None
) -> CaseEvent:
    """回访: satisfied / basically satisfied / unsatisfied (a comment is required when unsatisfied)."""


@command(E.REOPEN)
def case_reopen(
    *, actor, case_id: int, reason: str, lead_department: Any = None, expected_version: int | None = None
) -> CaseEvent:
    """重办 after an unsatisfied callback (or by a supervisor): to the same lead unless a supervisor names one."""


@command(E.CLOSE)
def case_close(
    *,
    actor,
    case_id: int,
    reason: str = "",
    override: bool = False,
    evidence: Iterable[Any] = (),
    expected_version: int | None = None,
) -> CaseEvent:
    """销号: after a satisfied or basically satisfied callback, or a supervisor's override with a reason;
    optionally with evidence (ids of this case's attachments)."""


@command(E.EXTENSION_REQUEST)
def case_extension_request(
    *,
    actor,
    case_id: int,
    reason: str,
    days: int,
    assignment: Any = None,
    expected_version: int | None = None,
) -> CaseEvent:
    """延期申请 before the deadline: ``days`` more working days, with a reason, for the actor's department
    (the lead's request is about the case's completion deadline; an assisting department's about its own).
    Capped in number (``CASE_EXTENSION_MAX_COUNT``) and length (the policy's ceiling)."""


@command(E.EXTENSION_DECIDE)
def case_extension_decide(
    *,
    actor,
    case_id: int,
    approve: bool,
    note: str = "",
    extension: Any = None,
    expected_version: int | None = None,
) -> CaseEvent:
    """延期审批 by a supervisor (the only pending request unless ``extension`` is given): approval moves
    only the due time(s); refusing needs a ``note``. Whoever asked is told, and the requester (群众/企业)
    gets the new deadline."""


# --- Attachments ----------------------------------------------------------------------------------

# Leading bytes of the binary types we accept: the declared type must match what the file really is.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "application/msword": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
    "application/vnd.ms-excel": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
}


def case_attachment_add(*, actor, case_id: int, file, content_type: str | None = None) -> CaseAttachment:
    """Store a file on a case the actor may act on (any command allowed now, or notes), checked first.

    Type: the declared content type must be in ``CASE_ATTACHMENT_CONTENT_TYPES`` and, for binary formats,
    the file must start like one. Size: at most ``CASE_ATTACHMENT_MAX_BYTES``. Stored through Django's
    default storage under a random name; the original name is kept for display.
    """
    case = case_get_visible(user=actor, case_id=case_id)
    if not workflow.allowed_commands(case, actor) and not (actor and actor.is_superuser):
        raise PermissionDenied(_("您不能为该案件上传附件。"))
    return _attachment_store(case, file, content_type=content_type, uploaded_by=actor)


def case_submission_attachment_add(*, case_id: int, file, content_type: str | None = None) -> CaseAttachment:
    """Store a file the requester sent with a submission taken in without a person (the online form),
    in the intake's transaction. Only while the case is as the system took it in (registered, no clerk);
    the same checks of type and size as ``case_attachment_add``."""
    case = Case.objects.filter(pk=case_id, clerk__isnull=True, status=CaseStatus.REGISTERED).first()
    if case is None:
        raise NotFound(_("未找到该案件。"))
    return _attachment_store(case, file, content_type=content_type, uploaded_by=None)


def _attachment_store(case: Case, file, *, content_type: str | None, uploaded_by) -> CaseAttachment:
    declared = (content_type or getattr(file, "content_type", "") or "").split(";")[0].strip().lower()
    allowed = [t.lower() for t in settings.CASE_ATTACHMENT_CONTENT_TYPES]
    if declared not in allowed:
        raise ValidationFailed({"file": [_("不支持的文件类型：%(type)s。") % {"type": declared or "?"}]})
    size = file.size
    if size is None or size > settings.CASE_ATTACHMENT_MAX_BYTES:
        raise ValidationFailed(
            {
                "file": [
                    _("文件不能超过 %(mb)s MB。")
                    % {"mb": settings.CASE_ATTACHMENT_MAX_BYTES // (1024 * 1024)}
                ]
            }
        )
    if size == 0:
        raise ValidationFailed({"file": [_("文件为空。")]})
    digest = hashlib.sha256()
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    signatures = _SIGNATURES.get(declared)
    if signatures and not any(head.startswith(sig) for sig in signatures):
        raise ValidationFailed({"file": [_("文件内容与声明的类型不符。")]})
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    name = (getattr(file, "name", "") or "file").replace("\\", "/").rsplit("/", 1)[-1][:200]
    attachment = CaseAttachment(
        case=case,
        original_name=name,
        content_type=declared,
        size=size,
        sha256=digest.hexdigest(),
        uploaded_by=uploaded_by,
    )
    attachment.file.save(name, file, save=False)
    try:
        attachment.save()
    except Exception:
        # Do not leave an orphaned file in storage when the row cannot be written.
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment
