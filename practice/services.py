"""Writes of 共性问题 and 常态建设: the nightly detector and the commands on standing-practice items.

Every command is ``practice_item_<verb>(*, actor, item_id, …)``: one transaction that locks the item
through ``PracticeItem.objects.visible_to(actor)`` and checks, in this order (the same as the closed loop):

| check | refusal | HTTP |
|---|---|---|
| item missing or not visible to the actor | ``NotFound`` | 404 |
| status not a source of the command (``RULES``) | ``TransitionNotAllowed`` | 409 |
| the actor is not who runs it (supervisor of the item's region / staff of the responsible department) | ``PermissionDenied`` | 403 |
| input | ``ValidationFailed({field: [messages]})`` | 400 |

then changes the status to the rule's target, saves with ``update_fields``, bumps ``version`` and writes
exactly one ``PracticeItemEvent``; its notification rows are written in the same transaction
(``practice.notices``) and delivered on commit by the outbox.

The transition table (``RULES``; ``create`` has no source):

| command | from | to | who | input |
|---|---|---|---|---|
| create 立项 | — | open | supervisor of the region | measure, description, department (+ days, title) |
| progress 报告进展 | open, in_progress | in_progress | department staff | text |
| submit 报告完成 | open, in_progress | submitted | department staff | evidence (+ a file) |
| accept 验收通过 | submitted | done | supervisor | (note) |
| reject 退回整改 | submitted | in_progress | supervisor | reason |
| cancel 撤销 | open, in_progress, submitted | cancelled | supervisor | reason |
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.choices import CaseStatus
from cases.models import Case
from routing.calendar import calendar_snapshot
from routing.choices import StaffRole, Tier
from routing.models import Department, Membership, Region
from routing.paths import path_prefixes
from windowsvc.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed

from . import clock, conf, detector, notices, text
from .choices import ItemAlarm, ItemCommand, ItemStatus, Measure, RecurringKind
from .models import CaseTerms, PracticeItem, PracticeItemEvent, RecurringProblem, RecurringProblemCase

logger = logging.getLogger(__name__)

C = ItemCommand
S = ItemStatus

# Matters outside the window's remit (petitions, court cases …) say nothing about a service that fails.
EXCLUDED_STATUSES = (CaseStatus.NOT_ACCEPTED,)
# Key of the transaction-level advisory lock a detector run holds per county (PostgreSQL).
_LOCK_CLASS = 7201


# --- The detector (nightly; practice.tasks.detect_recurring_problems) ------------------------------------


@dataclass
class DetectResult:
    counties: int = 0
    segmented: int = 0
    found: int = 0
    created: int = 0
    updated: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def case_terms_refresh(*, start: datetime, end: datetime, batch: int = 1000) -> int:
    """Segment the cases taken in within [start, end] that have no ``CaseTerms`` yet; returns how many.

    Each case is segmented once in its life (title and description do not change after intake), so a
    nightly run only segments the day's new matters. Two runs at once both insert: the second insert of
    a case is ignored.
    """
    made = 0
    pending = Case.objects.filter(taken_in_at__gte=start, taken_in_at__lte=end).exclude(
        pk__in=CaseTerms.objects.values("case_id")
    )
    rows = pending.order_by("pk").values_list("pk", "title", "description")
    buffer: list[CaseTerms] = []
    for pk, title, description in rows.iterator(chunk_size=batch):
        buffer.append(CaseTerms(case_id=pk, terms=" ".join(text.terms(text.case_text(title, description)))))
        if len(buffer) >= batch:
            CaseTerms.objects.bulk_create(buffer, ignore_conflicts=True)
            made += len(buffer)
            buffer = []
    if buffer:
        CaseTerms.objects.bulk_create(buffer, ignore_conflicts=True)
        made += len(buffer)
    return made


def recurring_problems_detect(*, now: datetime | None = None) -> DetectResult:
    """Find the recurring problems of every county over the last ``PRACTICE_WINDOW_DAYS`` and store them.

    Two rules (docs/PRACTICE.md): (a) at least ``PRACTICE_MIN_CLUSTER_SIZE`` matters of one category led by
    one department; (b) at least as many textually similar matters, whatever their category
    (``practice.detector``), unless they are all inside one cluster of rule (a). A cluster found before is
    updated (its cases added, counts and times refreshed), a new one is stored and told to its region's
    supervisors once. One transaction per county; safe to run twice or at once (an advisory lock per county
    on PostgreSQL, unique keys everywhere).
    """
    now = now or timezone.now()
    start = now - timedelta(days=conf.window_days())
    result = DetectResult()
    result.segmented = case_terms_refresh(start=start, end=now)
    counties = Region.objects.filter(tier=Tier.COUNTY).order_by("code")
    for county in counties:
        cases = _window_cases(county, start, now)
        if not cases.exists():
            continue
        result.counties += 1
        with transaction.atomic():
            _lock_county(county)
            _detect_county(county, cases, now, result)
    if result.created or result.updated:
        logger.info("recurring problems at %s: %s", now.isoformat(), result.as_dict())
    return result


def _window_cases(county: Region, start: datetime, end: datetime):
    return Case.objects.filter(
        region_path__startswith=county.path, taken_in_at__gte=start, taken_in_at__lte=end
    ).exclude(status__in=EXCLUDED_STATUSES)


def _lock_county(county: Region) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, county.pk])


def _detect_county(county: Region, cases, now: datetime, result: DetectResult) -> None:
    min_size = conf.min_cluster_size()
    grouped: list[set[int]] = []
    groups = (
        cases.filter(category__isnull=False, lead_department__isnull=False)
        .values("category_id", "lead_department_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=min_size)
        .order_by("category_id", "lead_department_id")
    )
    for group in groups:
        members = list(
            cases.filter(category_id=group["category_id"], lead_department_id=group["lead_department_id"])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        grouped.append(set(members))
        key = f"category:{group['category_id']}:department:{group['lead_department_id']}"
        _problem_store(
            kind=RecurringKind.CATEGORY_DEPARTMENT,
            key=key,
            county=county,
            members=members,
            now=now,
            result=result,
            category_id=group["category_id"],
            department_id=group["lead_department_id"],
        )
    docs = {
        case_id: terms.split()
        for case_id, terms in CaseTerms.objects.filter(case_id__in=cases.values("pk")).values_list(
            "case_id", "terms"
        )
    }
    clusters = detector.text_clusters(
        docs,
        threshold=conf.text_similarity(),
        min_size=min_size,
        top_k=conf.text_top_terms(),
        max_df=conf.text_max_df(),
        core_share=conf.text_core_share(),
    )
    for cluster in clusters:
        members = set(cluster.members)
        if any(members <= group for group in grouped):
            continue  # the same matters, already raised as one category and department
        existing = (
            RecurringProblemCase.objects.filter(
                case_id__in=members, problem__kind=RecurringKind.SIMILAR_TEXT, problem__county=county
            )
            .values("problem_id")
            .annotate(shared=Count("pk"))
            .order_by("-shared", "problem_id")
            .first()
        )
        if existing is not None:
            key = RecurringProblem.objects.get(pk=existing["problem_id"]).key
        else:
            key = f"text:{county.code}:{_digest(cluster.core)}"
        _problem_store(
            kind=RecurringKind.SIMILAR_TEXT,
            key=key,
            county=county,
            members=sorted(members),
            now=now,
            result=result,
            terms=_clip_terms(cluster.core, 300),
        )


def _clip_terms(core: tuple[str, ...], limit: int) -> str:
    """The core terms joined by spaces, as many whole terms as fit in ``limit`` characters."""
    kept: list[str] = []
    for word in core:
        if len(" ".join([*kept, word])) > limit:
            break
        kept.append(word)
    return " ".join(kept)


def _digest(core: tuple[str, ...]) -> str:
    import hashlib

    return hashlib.sha256(" ".join(sorted(core)).encode()).hexdigest()[:16]


def _problem_store(
    *,
    kind: str,
    key: str,
    county: Region,
    members: list[int],
    now: datetime,
    result: DetectResult,
    category_id: int | None = None,
    department_id: int | None = None,
    terms: str = "",
) -> RecurringProblem:
    problem = RecurringProblem.objects.select_for_update().filter(kind=kind, key=key).first()
    created = problem is None
    if created:
        problem = RecurringProblem(
            kind=kind,
            key=key,
            county=county,
            region=county,
            region_path=county.path,
            category_id=category_id,
            department_id=department_id,
            first_seen_at=now,
        )
    if terms:
        problem.terms = terms
    problem.title = _problem_title(problem)
    problem.last_seen_at = now
    problem.window_count = len(members)
    problem.save()
    RecurringProblemCase.objects.bulk_create(
        [RecurringProblemCase(problem=problem, case_id=pk, added_at=now) for pk in members],
        ignore_conflicts=True,
    )
    all_cases = Case.objects.filter(pk__in=problem.memberships.values("case_id"))
    span = all_cases.aggregate(first=Min("taken_in_at"), last=Max("taken_in_at"))
    region_path = detector.common_path(all_cases.values_list("region_path", flat=True).distinct())
    region = Region.objects.filter(path=region_path).first() or county
    problem.case_count = problem.memberships.count()
    problem.first_case_at, problem.last_case_at = span["first"], span["last"]
    problem.region, problem.region_path = region, region.path
    problem.save(
        update_fields=["case_count", "first_case_at", "last_case_at", "region", "region_path", "updated_at"]
    )
    result.found += 1
    if created:
        result.created += 1
        notices.problem_raised(problem)
    else:
        result.updated += 1
    return problem


def _problem_title(problem: RecurringProblem) -> str:
    if problem.kind == RecurringKind.CATEGORY_DEPARTMENT:
        category = problem.category.name if problem.category_id else ""
        department = problem.department.name if problem.department_id else ""
        return f"{category} · {department}"[:200]
    return "、".join(problem.terms.split()[:6])[:200] or _("相似事项")


# --- Standing-practice items -----------------------------------------------------------------------------

SUPERVISOR, DEPARTMENT = "supervisor", "department"


@dataclass(frozen=True)
class Rule:
    sources: tuple[str, ...]
    target: str
    who: str


RULES: dict[str, Rule] = {
    C.PROGRESS: Rule((S.OPEN, S.IN_PROGRESS), S.IN_PROGRESS, DEPARTMENT),
    C.SUBMIT: Rule((S.OPEN, S.IN_PROGRESS), S.SUBMITTED, DEPARTMENT),
    C.ACCEPT: Rule((S.SUBMITTED,), S.DONE, SUPERVISOR),
    C.REJECT: Rule((S.SUBMITTED,), S.IN_PROGRESS, SUPERVISOR),
    C.CANCEL: Rule((S.OPEN, S.IN_PROGRESS, S.SUBMITTED), S.CANCELLED, SUPERVISOR),
}


def supervises(user, region_path: str) -> bool:
    """A supervisor of the region or of a region above it (or a superuser)."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(
        user_id=user.pk, role=StaffRole.SUPERVISOR, region__path__in=path_prefixes(region_path)
    ).exists()


def serves_department(user, department_id: int) -> bool:
    """A handler or head of the department (or a superuser)."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(
        user_id=user.pk,
        department_id=department_id,
        role__in=(StaffRole.HANDLER, StaffRole.DEPARTMENT_HEAD),
    ).exists()


def _may(user, item: PracticeItem, who: str) -> bool:
    if who == SUPERVISOR:
        return supervises(user, item.region_path)
    return serves_department(user, item.responsible_department_id)


def allowed_commands(item: PracticeItem, user) -> list[str]:
    """The commands the user may run on the item now (buttons, and the 409 answer's list)."""
    return [
        command
        for command, rule in RULES.items()
        if item.status in rule.sources and _may(user, item, rule.who)
    ]


def _deadline(region: Region, start: datetime, days: int) -> clock.ItemDeadline:
    share = float(getattr(settings, "CASE_YELLOW_SHARE", 0.8))
    return clock.item_deadline(start, days, share=share, calendar=calendar_snapshot(region=region))


def _record(
    item: PracticeItem, kind: str, *, actor, from_status: str, text: str, now: datetime
) -> PracticeItemEvent:
    item.version += 1
    return PracticeItemEvent.objects.create(
        item=item,
        sequence=item.version,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        from_status=from_status,
        to_status=item.status,
        text=text,
        created_at=now,
    )


def practice_item_create(
    *,
    actor,
    measure: str,
    description: str,
    department_id: int | None,
    problem_id: int | None = None,
    region_id: int | None = None,
    title: str = "",
    days: int | None = None,
) -> PracticeItem:
    """Open a standing-practice item from a recurring problem (``problem_id``) — or, for sources added
    later (a write-up), in a region (``region_id``) with a title of its own.

    The actor must supervise the item's region; the department must be active and inside the same county,
    and visible to the actor. The deadline is ``days`` (default ``PRACTICE_ITEM_DAYS``) working days on the
    county's calendar; the sweep watches it from now on.
    """
    with transaction.atomic():
        problem = None
        if problem_id is not None:
            problem = (
                RecurringProblem.objects.visible_to(actor)
                .select_related("region")
                .filter(pk=problem_id)
                .first()
            )
            if problem is None:
                raise NotFound
            region = problem.region
        elif region_id is not None:
            region = Region.objects.visible_to(actor).filter(pk=region_id).first()
            if region is None:
                raise NotFound
        else:
            raise ValidationFailed({"problem": [_("请选择共性问题。")]})
        if not supervises(actor, region.path):
            raise PermissionDenied(_("只有督办人员可以立项常态建设事项。"))
        errors: dict[str, list[str]] = {}
        if measure not in Measure.values:
            errors["measure"] = [_("请选择整改措施。")]
        description = (description or "").strip()
        if not description:
            errors["description"] = [_("请填写整改内容。")]
        department = None
        if department_id is None:
            errors["department"] = [_("请选择责任部门。")]
        else:
            department = (
                Department.objects.visible_to(actor)
                .filter(pk=department_id, is_active=True, region__path__startswith=region.county_path)
                .first()
            )
            if department is None:
                errors["department"] = [_("责任部门应为本县(市、区)内启用的部门。")]
        days = conf.item_days() if days is None else days
        if not 1 <= days <= conf.item_max_days():
            errors["days"] = [_("完成时限应为 1 至 %(max)s 个工作日。") % {"max": conf.item_max_days()}]
        title = (title or "").strip() or (problem.title if problem else "")
        if not title:
            errors["title"] = [_("请填写名称。")]
        if errors:
            raise ValidationFailed(errors)
        assert department is not None
        now = timezone.now()
        deadline = _deadline(region, now, days)
        item = PracticeItem.objects.create(
            source_problem=problem,
            title=title[:200],
            measure=measure,
            description=description,
            responsible_department=department,
            region=region,
            region_path=region.path,
            created_by=actor,
            status=S.OPEN,
            days=days,
            due_at=deadline.due_at,
            yellow_at=deadline.yellow_at,
            deadline_provisional=deadline.provisional,
            next_alarm_at=clock.next_alarm_at(
                due_at=deadline.due_at, yellow_at=deadline.yellow_at, level=ItemAlarm.NONE
            ),
        )
        event = _record(item, C.CREATE, actor=actor, from_status="", text=description, now=now)
        item.save(update_fields=["version", "updated_at"])
        notices.item_event_told(event)
    return item


def _transition(
    *,
    actor,
    item_id: int,
    command: str,
    text: str = "",
    check: Callable[[PracticeItem], dict] | None = None,
    apply: Callable[[PracticeItem, datetime], list[str]] | None = None,
) -> PracticeItemEvent:
    rule = RULES[command]
    with transaction.atomic():
        item = (
            PracticeItem.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .select_related("responsible_department")
            .filter(pk=item_id)
            .first()
        )
        if item is None:
            raise NotFound
        if item.status not in rule.sources:
            raise TransitionNotAllowed(
                _("当前状态（%(status)s）不能执行“%(command)s”。")
                % {"status": item.get_status_display(), "command": C(command).label},
                current=item.status,
                allowed=allowed_commands(item, actor),
            )
        if not _may(actor, item, rule.who):
            raise PermissionDenied(_("您不能对该事项执行此操作。"))
        errors = check(item) if check else {}
        if errors:
            raise ValidationFailed(errors)
        now = timezone.now()
        from_status = item.status
        item.status = rule.target
        fields = ["status", "version", "updated_at"]
        if apply is not None:
            fields += apply(item, now)
        event = _record(item, command, actor=actor, from_status=from_status, text=text, now=now)
        item.save(update_fields=sorted(set(fields)))
        notices.item_event_told(event)
    return event


def _required(value: str, field: str, message: str) -> Callable[[PracticeItem], dict]:
    return lambda _item: {} if (value or "").strip() else {field: [message]}


def _rearm(item: PracticeItem, now: datetime) -> list[str]:
    """Point the sweep at the next step not yet fired while the clock runs; nothing to watch otherwise."""
    if item.status in (S.OPEN, S.IN_PROGRESS):
        item.next_alarm_at = clock.next_alarm_at(
            due_at=item.due_at, yellow_at=item.yellow_at, level=item.alarm_level
        )
    else:
        item.next_alarm_at = None
    return ["next_alarm_at"]


def practice_item_progress(*, actor, item_id: int, text: str) -> PracticeItemEvent:
    """The responsible department reports what it has done so far (open → in progress)."""

    def apply(item: PracticeItem, now: datetime) -> list[str]:
        if item.started_at is None:
            item.started_at = now
        return ["started_at"]

    return _transition(
        actor=actor,
        item_id=item_id,
        command=C.PROGRESS,
        text=(text or "").strip(),
        check=_required(text, "text", _("请填写进展情况。")),
        apply=apply,
    )


def practice_item_submit(
    *, actor, item_id: int, evidence: str, file=None, content_type: str | None = None
) -> PracticeItemEvent:
    """The responsible department reports the item done, with evidence (text, optional file): the clock
    stops and the supervisor is asked to accept it. The file's type and size follow the case attachments'
    settings (``CASE_ATTACHMENT_CONTENT_TYPES``, ``CASE_ATTACHMENT_MAX_BYTES``)."""
    declared = ""
    if file is not None:
        declared = (content_type or getattr(file, "content_type", "") or "").split(";")[0].strip().lower()

    def check(item: PracticeItem) -> dict:
        errors = _required(evidence, "evidence", _("请填写完成情况。"))(item)
        if file is not None:
            allowed = [t.lower() for t in settings.CASE_ATTACHMENT_CONTENT_TYPES]
            if declared not in allowed:
                errors["file"] = [_("不支持的文件类型：%(type)s。") % {"type": declared or "?"}]
            elif not file.size or file.size > settings.CASE_ATTACHMENT_MAX_BYTES:
                errors["file"] = [_("文件为空或过大。")]
        return errors

    def apply(item: PracticeItem, now: datetime) -> list[str]:
        item.submitted_at = now
        item.evidence_text = evidence.strip()
        fields = ["submitted_at", "evidence_text"]
        if item.started_at is None:
            item.started_at = now
            fields.append("started_at")
        if file is not None:
            name = (getattr(file, "name", "") or "file").replace("\\", "/").rsplit("/", 1)[-1][:200]
            item.evidence_file.save(name, file, save=False)
            item.evidence_name, item.evidence_content_type = name, declared
            fields += ["evidence_file", "evidence_name", "evidence_content_type"]
        return fields + _rearm(item, now)

    return _transition(
        actor=actor,
        item_id=item_id,
        command=C.SUBMIT,
        text=(evidence or "").strip(),
        check=check,
        apply=apply,
    )


def practice_item_accept(*, actor, item_id: int, note: str = "") -> PracticeItemEvent:
    """A supervisor accepts the reported work: the item is done (the before/since count starts now)."""

    def apply(item: PracticeItem, now: datetime) -> list[str]:
        item.done_at = now
        return ["done_at", *_rearm(item, now)]

    return _transition(actor=actor, item_id=item_id, command=C.ACCEPT, text=(note or "").strip(), apply=apply)


def practice_item_reject(*, actor, item_id: int, reason: str) -> PracticeItemEvent:
    """A supervisor sends the reported work back: in progress again, against the same deadline (a step
    already fired does not fire again; an overdue one still to come does)."""
    return _transition(
        actor=actor,
        item_id=item_id,
        command=C.REJECT,
        text=(reason or "").strip(),
        check=_required(reason, "reason", _("请填写退回理由。")),
        apply=_rearm,
    )


def practice_item_cancel(*, actor, item_id: int, reason: str) -> PracticeItemEvent:
    """A supervisor cancels the item, with a reason; the clock stops."""

    def apply(item: PracticeItem, now: datetime) -> list[str]:
        item.cancelled_at = now
        return ["cancelled_at", *_rearm(item, now)]

    return _transition(
        actor=actor,
        item_id=item_id,
        command=C.CANCEL,
        text=(reason or "").strip(),
        check=_required(reason, "reason", _("请填写撤销理由。")),
        apply=apply,
    )


SERVICES: dict[str, Callable[..., PracticeItemEvent]] = {
    C.PROGRESS: practice_item_progress,
    C.SUBMIT: practice_item_submit,
    C.ACCEPT: practice_item_accept,
    C.REJECT: practice_item_reject,
    C.CANCEL: practice_item_cancel,
}
