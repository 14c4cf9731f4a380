"""Writes of the case library, one keyword-only service per command: what pages, API, admin and tests call.

Each runs in one transaction through ``library.workflow`` (which checks visibility, state, role and input
and writes exactly one ``WriteUpEvent``); nothing else changes a write-up's status.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case
from routing.models import Department
from windowsvc.errors import NotFound, TransitionNotAllowed, ValidationFailed

from . import indexing, workflow
from .choices import WriteUpCommand
from .models import BlockerType, WriteUp, WriteUpEvent, WriteUpReuse

C = WriteUpCommand
TEXT_FIELDS = ("title", "problem", "blocker_note", "solution", "basis", "lessons")
REQUIRED_FIELDS = ("title", "problem", "solution")
TEXT_LIMITS = {"title": 200}


def _blocker(value: Any) -> BlockerType:
    pk = getattr(value, "pk", value)
    blocker = BlockerType.objects.filter(pk=pk, is_active=True).first() if pk not in (None, "") else None
    if blocker is None:
        raise ValidationFailed({"blocker_type": [_("请选择有效的卡点类型。")]})
    return blocker


def _departments(values: Iterable[Any], writeup: WriteUp) -> list[Department]:
    ids = sorted({getattr(v, "pk", v) for v in values})
    found = list(Department.objects.filter(pk__in=ids))
    if len(found) != len(ids):
        raise ValidationFailed({"departments": [_("部门不存在。")]})
    return found


def _set_text(writeup: WriteUp, fields: dict[str, Any], *, partial: bool) -> list[str]:
    errors: dict[str, list[str]] = {}
    changed = []
    for name in TEXT_FIELDS:
        if name not in fields:
            if not partial and name in REQUIRED_FIELDS:
                errors[name] = [_("此项为必填项。")]
            continue
        value = (fields[name] or "").strip()
        if name in REQUIRED_FIELDS and not value:
            errors[name] = [_("此项为必填项。")]
        elif name in TEXT_LIMITS and len(value) > TEXT_LIMITS[name]:
            errors[name] = [_("不能超过 %(n)d 字。") % {"n": TEXT_LIMITS[name]}]
        setattr(writeup, name, value)
        changed.append(name)
    if errors:
        raise ValidationFailed(errors)
    return changed


def _set_consent(writeup: WriteUp, consent: bool | None, *, actor, now: datetime) -> list[str]:
    if consent is None or bool(consent) == writeup.enterprise_consent:
        return []
    writeup.enterprise_consent = bool(consent)
    writeup.enterprise_consent_by = actor
    writeup.enterprise_consent_at = now
    return ["enterprise_consent", "enterprise_consent_by", "enterprise_consent_at"]


def writeup_create(
    *,
    actor,
    case_id: int,
    title: str,
    problem: str,
    blocker_type: Any,
    solution: str,
    blocker_note: str = "",
    basis: str = "",
    lessons: str = "",
    departments: Iterable[Any] | None = None,
    enterprise_consent: bool = False,
) -> WriteUp:
    """Draft the write-up of a resolved or closed case (one per case) as its lead department's staff or a
    clerk of its intake window. Departments default to those the case was assigned to; working days are
    computed from the case's clock. 404 for a case the actor cannot see, 409 for a case not done or already
    written up, 403 for someone else, 400 for missing text."""
    blocker = _blocker(blocker_type)
    fields = {
        "title": title,
        "problem": problem,
        "blocker_note": blocker_note,
        "solution": solution,
        "basis": basis,
        "lessons": lessons,
    }
    chosen: list[Department] = []

    def apply(writeup: WriteUp) -> None:
        nonlocal chosen
        _set_text(writeup, fields, partial=False)
        writeup.blocker_type = blocker
        _set_consent(writeup, enterprise_consent, actor=actor, now=timezone.now())
        if departments is not None:
            chosen = _departments(departments, writeup)

    try:
        event = workflow.create(actor=actor, case_id=case_id, apply=apply)
    except IntegrityError:  # two drafts of one case at once: the second loses
        raise TransitionNotAllowed(_("该案件已有案例。")) from None
    writeup = event.writeup
    if departments is None:
        chosen = list(
            Department.objects.filter(case_assignments__case_id=writeup.case_id).distinct().order_by("pk")
        )
    writeup.departments.set(chosen)
    return writeup


def writeup_edit(*, actor, writeup_id: int, expected_version: int | None = None, **changes: Any) -> WriteUp:
    """Change the text, 卡点, departments or the enterprise's consent of a write-up still with its authors
    (draft, changes requested, withdrawn). A change of consent records who set it and when; the public
    version and the tokens are rebuilt."""
    unknown = set(changes) - {*TEXT_FIELDS, "blocker_type", "departments", "enterprise_consent"}
    if unknown:
        raise ValidationFailed({name: [_("不能修改此项。")] for name in sorted(unknown)})
    departments: list[Department] | None = None

    def apply(writeup: WriteUp, now: datetime) -> list[str]:
        nonlocal departments
        changed = _set_text(writeup, {k: v for k, v in changes.items() if k in TEXT_FIELDS}, partial=True)
        if "blocker_type" in changes:
            writeup.blocker_type = _blocker(changes["blocker_type"])
            changed.append("blocker_type")
        changed += _set_consent(writeup, changes.get("enterprise_consent"), actor=actor, now=now)
        if changes.get("departments") is not None:
            departments = _departments(changes["departments"], writeup)
        return changed + indexing.writeup_refresh(writeup)

    with transaction.atomic():
        event = workflow.run(
            writeup_id=writeup_id, command=C.EDIT, actor=actor, apply=apply, expected_version=expected_version
        )
        if departments is not None:
            event.writeup.departments.set(departments)
    return event.writeup


def _simple(command: WriteUpCommand, doc: str):
    def service(
        *, actor, writeup_id: int, note: str = "", expected_version: int | None = None
    ) -> WriteUpEvent:
        return workflow.run(
            writeup_id=writeup_id,
            command=command,
            actor=actor,
            note=note,
            apply=_APPLY.get(command),
            expected_version=expected_version,
        )

    service.__name__ = f"writeup_{command.value}"
    service.__doc__ = doc
    return service


def _apply_mark_typical(writeup: WriteUp, now: datetime) -> list[str]:
    writeup.typical, writeup.typical_at = True, now
    return ["typical", "typical_at"]


def _apply_unmark_typical(writeup: WriteUp, now: datetime) -> list[str]:
    writeup.typical, writeup.typical_at = False, None
    return ["typical", "typical_at"]


_APPLY = {
    C.MARK_TYPICAL: _apply_mark_typical,
    C.UNMARK_TYPICAL: _apply_unmark_typical,
    # Withdrawing takes the write-up off the public page and out of the typical collection.
    C.WITHDRAW: _apply_unmark_typical,
}

writeup_submit = _simple(
    C.SUBMIT, "Send the write-up to its reviewers (from draft, changes requested, withdrawn)."
)
writeup_request_changes = _simple(
    C.REQUEST_CHANGES, "Send a submitted write-up back to its authors with a note (required)."
)
writeup_mark_typical = _simple(C.MARK_TYPICAL, "Mark a published write-up as a typical case (典型案例).")
writeup_unmark_typical = _simple(C.UNMARK_TYPICAL, "Take a published write-up out of the typical cases.")
writeup_withdraw = _simple(
    C.WITHDRAW, "Take a published write-up off the public page (note required); its authors may resubmit."
)


def writeup_publish(
    *, actor, writeup_id: int, note: str = "", expected_version: int | None = None
) -> WriteUpEvent:
    """Publish a submitted write-up: its anonymised version appears on the public page and as the Open311
    description of its case; the reviewer and the moment are recorded."""

    def apply(writeup: WriteUp, now: datetime) -> list[str]:
        writeup.published_at = now
        writeup.published_by = actor
        return ["published_at", "published_by", *indexing.writeup_refresh(writeup)]

    return workflow.run(
        writeup_id=writeup_id,
        command=C.PUBLISH,
        actor=actor,
        note=note,
        apply=apply,
        expected_version=expected_version,
    )


SERVICES = {
    C.SUBMIT: writeup_submit,
    C.REQUEST_CHANGES: writeup_request_changes,
    C.PUBLISH: writeup_publish,
    C.MARK_TYPICAL: writeup_mark_typical,
    C.UNMARK_TYPICAL: writeup_unmark_typical,
    C.WITHDRAW: writeup_withdraw,
}


# --- Reuse at intake --------------------------------------------------------------------------------


def writeup_reuse_record(
    *, actor, case_id: int, writeup_id: int | None = None, source_case_id: int | None = None
) -> WriteUpReuse:
    """按此案例办理: record on a case the clerk may see that it follows a published write-up (of the case's
    county) or an earlier solved case the clerk may see. Recording the same source twice returns the first
    record. 404 for anything the actor may not see; 400 unless exactly one source is named."""
    if (writeup_id is None) == (source_case_id is None):
        raise ValidationFailed({"source": [_("请选择一个参照案例或案件。")]})
    with transaction.atomic():
        case = Case.objects.visible_to(actor).filter(pk=case_id).first()
        if case is None:
            raise NotFound("case")
        if writeup_id is not None:
            county = "/" + case.region_path.strip("/").split("/")[0] + "/"
            source = (
                WriteUp.objects.published()
                .filter(pk=writeup_id, region_path__startswith=county)
                .exclude(case_id=case.pk)
                .first()
            )
            lookup: dict[str, Any] = {"writeup": source}
        else:
            source = (
                Case.objects.visible_to(actor)
                .filter(pk=source_case_id, status__in=indexing.SOLVED_STATUSES)
                .exclude(pk=case.pk)
                .first()
            )
            lookup = {"source_case": source}
        if source is None:
            raise NotFound("source")
        reuse, _created = WriteUpReuse.objects.get_or_create(
            case=case, **lookup, defaults={"chosen_by": actor, "chosen_at": timezone.now()}
        )
        return reuse


def writeup_reuse_choose(
    *, actor, intake_key: str, writeup_id: int | None = None, source_case_id: int | None = None
) -> WriteUpReuse:
    """按此案例办理 on the intake page, before the case exists: a pending choice under the intake form's
    idempotency key, attached to the case once its intake commits (``indexing.reuse_attach``). The source
    must be a published write-up of a county where the clerk has a window, or a solved case the clerk may
    see (404 otherwise)."""
    from cases.forms import intake_windows

    key = (intake_key or "").strip()
    if not key or len(key) > 200:
        raise ValidationFailed({"key": [_("缺少受理表单标识。")]})
    if (writeup_id is None) == (source_case_id is None):
        raise ValidationFailed({"source": [_("请选择一个参照案例或案件。")]})
    counties = {
        "/" + path.strip("/").split("/")[0] + "/"
        for path in intake_windows(actor).values_list("region__path", flat=True)
    }
    if not counties:
        raise NotFound("window")
    lookup: dict[str, Any]
    if writeup_id is not None:
        writeup = WriteUp.objects.published().filter(pk=writeup_id).first()
        if writeup is None or writeup.county_path not in counties:
            raise NotFound("write-up")
        lookup = {"writeup": writeup}
    else:
        source = (
            Case.objects.visible_to(actor)
            .filter(pk=source_case_id, status__in=indexing.SOLVED_STATUSES)
            .first()
        )
        if source is None:
            raise NotFound("case")
        lookup = {"source_case": source}
    reuse, _created = WriteUpReuse.objects.get_or_create(
        case=None, chosen_by=actor, intake_key=key, **lookup, defaults={"chosen_at": timezone.now()}
    )
    return reuse
