"""Models of the closed loop: requesters, categories, cases, assignments, the event log, meetings, files.

Invariants (kept by ``cases.workflow``, the only module that changes ``Case.status``):
- ``Case.version`` equals the number of the case's events and the ``sequence`` of its latest event: every
  accepted command bumps the version and writes exactly one ``CaseEvent`` in the same transaction.
- ``Case.region_path`` is the intake window's region path and never changes (首问负责: the window follows the
  case to the end); ``Case.handling_region_path`` is the region path of whoever holds the case now: the
  current lead department's region, the coordination centre's county while it waits there, else the window's.
- An assignment is current exactly while it is pending or accepted; a case has at most one current lead
  assignment and a department at most one current assignment per case (database constraints).
- Events are append-only: ``save()`` refuses updates, deletion is refused (and on PostgreSQL a trigger
  refuses UPDATE and DELETE on the table itself).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from decimal import Decimal

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from routing import paths
from routing.choices import Tier
from routing.models import Department, Region, ServiceWindow
from windowsvc.encryption import BlindIndexField, EncryptedCharField
from windowsvc.models import (
    AppendOnlyModel,
    AppendOnlyViolation,
    TimeStampedModel,
    history_trackers,
    random_upload_name,
)
from windowsvc.personal import (
    mask_credit_code,
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_credit_code,
    normalize_id_number,
)

from . import auditchain
from .choices import (
    CASE_EVENT_KINDS,
    CURRENT_ASSIGNMENT_STATUSES,
    TERMINAL_STATUSES,
    AlarmLevel,
    AssignmentOrigin,
    AssignmentRole,
    AssignmentStatus,
    CaseStatus,
    Channel,
    Complexity,
    ExtensionStatus,
    HandlingMode,
    MatterKind,
    ReasonPurpose,
    RequesterKind,
    ReviewKind,
    ReviewStatus,
    Satisfaction,
    TimerKind,
)
from .querysets import (
    AssignmentQuerySet,
    CaseEventQuerySet,
    CaseQuerySet,
    CategoryQuerySet,
    RequesterQuerySet,
)
from .validators import validate_credit_code, validate_id_number, validate_phone

# The receipt's query code: no 0/O, 1/I/L, so it can be read aloud and typed from paper.
QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
QUERY_CODE_LENGTH = 8
# Partial indexes cover open work only: the predicate is exactly what ``CaseQuerySet.open()`` filters on.
OPEN_CASE = ~Q(status__in=TERMINAL_STATUSES)


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


class Requester(TimeStampedModel):
    """Who brought the matter: a person (群众) or an enterprise (企业), as given at intake.

    Each intake stores its own requester row (what the requester said that day). Id numbers and phones
    are shown whole only on the case detail to staff who may see the case; ``__str__`` is masked.
    Id numbers and credit codes are encrypted at rest (every credit code, not only those of individual
    businesses); exact search goes through ``RequesterQuerySet.with_id_number`` / ``with_credit_code``,
    which match their blind indexes (``windowsvc.encryption``).
    """

    kind = models.CharField(_("类型"), max_length=16, choices=RequesterKind.choices)
    name = models.CharField(_("姓名/名称"), max_length=100)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=24, validators=[validate_phone], db_index=True)
    # Encrypted at rest (NULL when empty, read back as ""); found by their blind indexes, never by value.
    id_number = EncryptedCharField(
        _("居民身份证号码"), max_length=18, blank=True, null=True, default="", validators=[validate_id_number]
    )
    id_number_index = BlindIndexField(
        _("居民身份证号码检索码"), source="id_number", normalize=normalize_id_number
    )
    credit_code = EncryptedCharField(
        _("统一社会信用代码"),
        max_length=18,
        blank=True,
        null=True,
        default="",
        validators=[validate_credit_code],
    )
    credit_code_index = BlindIndexField(
        _("统一社会信用代码检索码"), source="credit_code", normalize=normalize_credit_code
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)

    objects = RequesterQuerySet.as_manager()

    class Meta:
        verbose_name = _("反映人")
        verbose_name_plural = _("反映人")
        constraints = [
            # A person carries no credit code; an enterprise always carries one and no id number.
            models.CheckConstraint(
                condition=Q(kind=RequesterKind.PERSON, credit_code__isnull=True)
                | Q(kind=RequesterKind.ENTERPRISE, id_number__isnull=True, credit_code__isnull=False),
                name="cases_requester_identity_by_kind",
            ),
        ]
        indexes = [
            # Exact search by number; most rows lack one of the two, so only the filled ones are indexed.
            models.Index(
                fields=["id_number_index"], condition=~Q(id_number_index=""), name="cases_req_id_number_index"
            ),
            models.Index(
                fields=["credit_code_index"],
                condition=~Q(credit_code_index=""),
                name="cases_req_credit_code_index",
            ),
        ]

    def __str__(self) -> str:
        return f"{mask_name(self.name)} {self.masked_phone}"

    @classmethod
    def digests(cls, field: str, value: str) -> list[str]:
        """What an exact search for ``value`` in ``field`` (``id_number``, ``credit_code``) matches in
        ``<field>_index``: the digest under each blind-index key; none for an empty value."""
        return cls._meta.get_field(f"{field}_index").digests(value)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_credit_code(self) -> str:
        return mask_credit_code(self.credit_code)


@pghistory.track(*history_trackers(), exclude=["updated_at"])
class Category(TimeStampedModel):
    """A node of a county's tree of matter categories (事项类别); classification picks one."""

    county = models.ForeignKey(
        Region,
        verbose_name=_("所属县(市、区)"),
        on_delete=models.PROTECT,
        related_name="case_categories",
        limit_choices_to={"tier": Tier.COUNTY},
    )
    code = models.CharField(_("类别代码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_active = models.BooleanField(_("启用"), default=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("事项类别")
        verbose_name_plural = _("事项类别")
        ordering = ["county_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["county", "code"], name="cases_category_unique_code_per_county"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.parent_id and self.county_id and self.parent.county_id != self.county_id:
            raise ValidationError({"parent": _("上级类别应属于同一县(市、区)。")})
        ancestor, seen = self.parent, {self.pk}
        while ancestor is not None:
            if ancestor.pk in seen:
                raise ValidationError({"parent": _("类别不能成为自己的下级。")})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent

    def ancestors_and_self(self) -> list[Category]:
        """This category first, then its parent, up to the root (the tree is a few levels deep)."""
        chain, node = [], self
        while node is not None and node not in chain:
            chain.append(node)
            node = node.parent
        return chain


@pghistory.track(*history_trackers(), exclude=["updated_at"])
class CategoryDefaultDepartment(models.Model):
    """The default lead department of a category for cases taken in within a region's subtree.

    The most specific region on the case's region path wins (a village's own rule over its town's over the
    county's); a category without a rule falls back to its parent category's.
    """

    category = models.ForeignKey(
        Category, verbose_name=_("事项类别"), on_delete=models.CASCADE, related_name="default_departments"
    )
    region = models.ForeignKey(Region, verbose_name=_("适用区划"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, verbose_name=_("默认主办部门"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("默认主办部门")
        verbose_name_plural = _("默认主办部门")
        constraints = [
            models.UniqueConstraint(fields=["category", "region"], name="cases_category_default_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category} · {self.region} → {self.department}"


@pghistory.track(*history_trackers(), exclude=["updated_at"])
class SlaPolicy(TimeStampedModel):
    """Time limits (时限) of a kind of case; editable in the admin, defaults seeded (docs/DEADLINES.md).

    A row applies to the cases matching every key it sets; a blank key matches anything. For a case the
    most specific active row wins: a row naming the case's category (or, failing that, its nearest parent
    category) beats one naming no category, then a row with the handling mode, then the matter kind, then
    the complexity. Limits count working days on the official calendar ("N working days" = close of
    business of the Nth working day after the intake day; 0 = the same day); sign-for counts working hours.
    The green channel (绿色通道) multiplies every limit by ``green_channel_percent`` (rounded down, at
    least the same day). Changing a row applies to cases classified afterwards: stored deadlines move only
    on (re)classification, suspension and approved extensions.
    """

    name = models.CharField(_("名称"), max_length=100)
    category = models.ForeignKey(
        Category,
        verbose_name=_("事项类别"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sla_policies",
        help_text=_("留空适用于所有类别；指定类别时也适用于其下级类别。"),
    )
    matter_kind = models.CharField(
        _("事项性质"), max_length=16, choices=MatterKind.choices, blank=True, help_text=_("留空为任意。")
    )
    handling_mode = models.CharField(
        _("办理方式"), max_length=16, choices=HandlingMode.choices, blank=True, help_text=_("留空为任意。")
    )
    complexity = models.CharField(
        _("复杂程度"), max_length=16, choices=Complexity.choices, blank=True, help_text=_("留空为任意。")
    )
    sign_for_hours = models.DecimalField(
        _("签收时限（工作小时）"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("7"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("7 个工作小时即 1 个工作日。"),
    )
    first_contact_days = models.PositiveSmallIntegerField(
        _("首次联系时限（工作日）"), default=0, help_text=_("0 表示受理当日。")
    )
    reply_days = models.PositiveSmallIntegerField(_("答复时限（工作日）"), default=5)
    completion_days = models.PositiveSmallIntegerField(_("办结时限（工作日）"), default=5)
    reasoned_reply_days = models.PositiveSmallIntegerField(
        _("暂不能办理的说明答复时限（工作日）"),
        null=True,
        blank=True,
        default=3,
        help_text=_("在此时限内说明理由答复的，按时办结统计；留空表示此类事项不允许以说明答复代替办结。"),
    )
    extension_ceiling_days = models.PositiveSmallIntegerField(
        _("延期后最长办结时限（工作日）"),
        default=15,
        help_text=_("办结时限加上已批准的延期不得超过此数。"),
    )
    green_channel_percent = models.PositiveSmallIntegerField(
        _("绿色通道时限比例（%）"),
        default=50,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    is_active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("办理时限规则")
        verbose_name_plural = _("办理时限规则")
        ordering = ["category_id", "handling_mode", "matter_kind", "complexity"]
        constraints = [
            models.UniqueConstraint(
                fields=["matter_kind", "handling_mode", "complexity"],
                condition=Q(category__isnull=True),
                name="cases_slapolicy_unique_any_category",
            ),
            models.UniqueConstraint(
                fields=["category", "matter_kind", "handling_mode", "complexity"],
                condition=Q(category__isnull=False),
                name="cases_slapolicy_unique_per_category",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        ceiling, days = self.extension_ceiling_days, self.completion_days
        if ceiling is not None and days is not None and ceiling < days:
            raise ValidationError({"extension_ceiling_days": _("延期后最长办结时限不能短于办结时限。")})


class CaseNumberCounter(models.Model):
    """Per-(region, day) counter behind tracking numbers, incremented inside the intake transaction.

    One atomic upsert per intake (``INSERT … ON CONFLICT DO UPDATE … RETURNING``): concurrent intakes at one
    region serialise on this row only, and a rolled-back intake gives its number back (gaps are acceptable).
    """

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "day"], name="cases_counter_unique_region_day")
        ]

    def __str__(self) -> str:
        return f"{self.region_id}@{self.day}: {self.last_value}"


class Case(TimeStampedModel):
    """One matter brought to a “办不成事” window, from intake to closure (销号).

    Status, routing fields, counters and timestamps are changed only by ``cases.workflow``; the admin and the
    API show them read-only.
    """

    tracking_number = models.CharField(_("受理编号"), max_length=32, unique=True)
    query_code = models.CharField(_("查询码"), max_length=QUERY_CODE_LENGTH, default=new_query_code)
    channel = models.CharField(_("来源渠道"), max_length=16, choices=Channel.choices)
    # FK indexes of window and category are the leading columns of the composite indexes below.
    window = models.ForeignKey(
        ServiceWindow,
        verbose_name=_("受理窗口"),
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_taken_in",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("受理区划"), on_delete=models.PROTECT, related_name="cases"
    )
    # The intake window's region path: the scoping prefix for clerks and supervisors (never changes).
    region_path = models.CharField(_("受理区划路径"), max_length=64, editable=False)
    # The region path of whoever holds the case now (see the module docstring).
    handling_region_path = models.CharField(_("承办区划路径"), max_length=64, editable=False)
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("主办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_cases",
    )
    requester = models.ForeignKey(
        Requester, verbose_name=_("反映人"), on_delete=models.PROTECT, related_name="cases"
    )
    title = models.CharField(_("事项标题"), max_length=200)
    description = models.TextField(_("反映内容"))
    expectation = models.TextField(_("诉求"), blank=True)

    category = models.ForeignKey(
        Category,
        verbose_name=_("事项类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    matter_kind = models.CharField(_("事项性质"), max_length=16, choices=MatterKind.choices, blank=True)
    complexity = models.CharField(_("复杂程度"), max_length=16, choices=Complexity.choices, blank=True)
    handling_mode = models.CharField(_("办理方式"), max_length=16, choices=HandlingMode.choices, blank=True)
    green_channel = models.BooleanField(_("绿色通道"), default=False)

    status = models.CharField(
        _("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.REGISTERED
    )
    # Where resume goes back to (in progress or replied).
    status_before_suspend = models.CharField(
        max_length=16, choices=CaseStatus.choices, blank=True, editable=False
    )
    # 否定答复报告: a not-accepted or cannot-be-done answer waits for a supervisor's review.
    needs_review = models.BooleanField(_("待督办审核"), default=False)

    return_count = models.PositiveIntegerField(_("退回次数"), default=0)
    transfer_count = models.PositiveIntegerField(
        _("转办次数"), default=0
    )  # transfers, escalations, delegations
    reopen_count = models.PositiveIntegerField(_("重办次数"), default=0)

    resolution_summary = models.TextField(_("办结情况"), blank=True)
    callback_satisfaction = models.CharField(
        _("回访满意度"), max_length=24, choices=Satisfaction.choices, blank=True
    )
    callback_comment = models.TextField(_("回访意见"), blank=True)
    callback_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    callback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    taken_in_at = models.DateTimeField(_("受理时间"), default=timezone.now)
    first_contacted_at = models.DateTimeField(_("首次联系时间"), null=True, blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("挂起时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    # --- Deadlines (cases/clocks.py, cases/sla.py; docs/DEADLINES.md). Stored in UTC, computed by pure
    # functions when the clock starts (intake), on (re)classification and coordination, shifted by
    # suspensions (the working time used is kept) and by approved extensions; lights are derived on read.
    sla_policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("适用时限规则"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Origin of the case clock: intake, or the latest reopen (重办 starts a new round).
    clock_started_at = models.DateTimeField(_("计时起点"), null=True, blank=True, editable=False)
    clock_paused_at = models.DateTimeField(_("计时暂停时间"), null=True, blank=True, editable=False)
    # Working time spent suspended so far (added to every budget) and working time used at the last pause.
    clock_paused_total = models.DurationField(_("累计暂停工作时间"), default=timedelta, editable=False)
    clock_used = models.DurationField(_("已用工作时间"), default=timedelta, editable=False)
    extension_days = models.PositiveSmallIntegerField(_("已延期工作日"), default=0, editable=False)
    first_contact_due_at = models.DateTimeField(_("首次联系时限"), null=True, blank=True, editable=False)
    reply_due_at = models.DateTimeField(_("答复时限"), null=True, blank=True, editable=False)
    due_at = models.DateTimeField(_("办结时限"), null=True, blank=True, editable=False)
    # The deadline the source channel set (the 12345 hotline's 办理时限), given at intake and never moved:
    # the completion deadline is never later than it (``cases.sla.case_clock_compute``, ``_case_resume``).
    external_due_at = models.DateTimeField(_("来源渠道时限"), null=True, blank=True, editable=False)
    reasoned_reply_due_at = models.DateTimeField(_("说明答复时限"), null=True, blank=True, editable=False)
    yellow_at = models.DateTimeField(_("黄灯时间"), null=True, blank=True, editable=False)
    # Some deadline needed dates past the loaded calendar: counted on weekends only (an alert was raised).
    deadline_provisional = models.BooleanField(_("时限待确认"), default=False, editable=False)
    # First "cannot be done yet" answer with reasons (答复 with can_be_done = False) of this round.
    reasoned_reply_at = models.DateTimeField(_("说明答复时间"), null=True, blank=True, editable=False)
    # 答复未办结 / 跟踪督办: the new expected date given with a "cannot be done yet" answer (or set by a
    # supervisor overturning a "cannot be done"); from then on it is the deadline in force of the case clock.
    follow_up_due_at = models.DateTimeField(_("跟踪办结时限"), null=True, blank=True, editable=False)
    # 挂起: when the suspension is expected to end (its own clock, TimerKind.SUSPENSION).
    suspended_until = models.DateTimeField(_("挂起期限"), null=True, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True, editable=False)
    # The sweep's bookkeeping: when the next ladder step is due (NULL = nothing to watch) and the last fired.
    next_alarm_at = models.DateTimeField(null=True, blank=True, editable=False)
    alarm_level = models.PositiveSmallIntegerField(
        _("预警级别"), choices=AlarmLevel.choices, default=AlarmLevel.NONE, editable=False
    )
    supervision_due_at = models.DateTimeField(_("督办时限"), null=True, blank=True, editable=False)
    # Listed for the monthly bulletin (月通报): still overdue after the supervision order's deadline.
    bulletin_at = models.DateTimeField(_("列入通报时间"), null=True, blank=True, editable=False)
    # Row version: bumped by every command; equals the number of events (optimistic checks in forms).
    version = models.PositiveIntegerField(_("版本"), default=0, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-taken_in_at", "-id"]
        indexes = [
            # Scoping prefixes (LIKE 'path%'): pattern ops so PostgreSQL uses them under any collation.
            models.Index(
                fields=["region_path", "taken_in_at"],
                name="case_region_taken_idx",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            ),
            models.Index(
                fields=["handling_region_path"],
                name="case_handling_path_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            # Dashboards and sweeps look at open work only: small partial indexes that stay small.
            models.Index(
                fields=["region_path", "status"],
                name="case_open_region_idx",
                opclasses=["varchar_pattern_ops", "varchar_ops"],
                condition=OPEN_CASE,
            ),
            models.Index(
                fields=["handling_region_path", "status"],
                name="case_open_handling_idx",
                opclasses=["varchar_pattern_ops", "varchar_ops"],
                condition=OPEN_CASE,
            ),
            models.Index(
                fields=["lead_department", "status"], name="case_open_lead_idx", condition=OPEN_CASE
            ),
            models.Index(fields=["status", "updated_at"], name="case_status_updated_idx"),
            models.Index(fields=["window", "taken_in_at"], name="case_window_taken_idx"),
            models.Index(fields=["taken_in_at"], name="case_taken_idx"),
            models.Index(fields=["category", "taken_in_at"], name="case_category_taken_idx"),
            # The intake form's "same requester, same category, still open" warning.
            models.Index(
                fields=["requester", "category"], name="case_open_requester_idx", condition=OPEN_CASE
            ),
            models.Index(
                fields=["region_path"],
                name="case_needs_review_idx",
                opclasses=["varchar_pattern_ops"],
                condition=Q(needs_review=True),
            ),
            # The deadline sweep claims clocks due since the last sweep: only watched rows are indexed.
            models.Index(
                fields=["next_alarm_at"], name="case_next_alarm_idx", condition=Q(next_alarm_at__isnull=False)
            ),
            models.Index(
                fields=["bulletin_at"], name="case_bulletin_idx", condition=Q(bulletin_at__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(status=CaseStatus.CLOSED),
                name="cases_case_closed_at_only_when_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL_STATUSES

    @property
    def taken_in_by(self) -> str:
        """Who took the case in, as every page, receipt, export and API shows it: the clerk's name, else
        网上受理 for an online submission (Open311, the online form) or 系统 for any other intake without
        a person (imports, integrations). The one place this is decided: a case from any channel renders."""
        if self.clerk_id is not None:
            clerk = self.clerk
            return clerk.get_full_name() or clerk.get_username()
        if self.channel == Channel.ONLINE:
            return str(_("网上受理"))
        return str(_("系统"))

    @property
    def county_path(self) -> str:
        """``/330681/`` for any case taken in within county 330681."""
        return paths.county_path(self.region_path)

    def check_query_code(self, code: str) -> bool:
        """Constant-time comparison of a typed query code (case-insensitive)."""
        return hmac.compare_digest((code or "").strip().upper().encode(), self.query_code.encode())

    def bounce_count(self) -> int:
        """Returns plus transfers (incl. escalations and delegations): the ping-pong measure."""
        return self.return_count + self.transfer_count

    @property
    def clock_settled(self) -> bool:
        """The case clock has stopped this round: resolved, or answered "cannot be done" with reasons and
        no new date (the case then waits in the supervisors' review queue). A "cannot be done yet" answer
        with a new date keeps the clock running against that date (``deadline_in_force``)."""
        from .clocks import clock_settled

        return clock_settled(
            resolved_at=self.resolved_at,
            reasoned_reply_at=self.reasoned_reply_at,
            follow_up_due_at=self.follow_up_due_at,
        )

    @property
    def deadline_in_force(self):
        """The deadline the case clock runs against (``cases.clocks.deadline_in_force``): the new date
        of a "cannot be done yet" answer given in time, else the completion deadline."""
        from .clocks import deadline_in_force

        return deadline_in_force(
            due_at=self.due_at,
            follow_up_due_at=self.follow_up_due_at,
            reasoned_reply_at=self.reasoned_reply_at,
            reasoned_reply_due_at=self.reasoned_reply_due_at,
        )

    def on_time_at(self, now=None):
        """The on-time verdict (``cases.clocks.on_time``) of this case at ``now``."""
        from .clocks import on_time

        return on_time(
            now=now or timezone.now(),
            due_at=self.due_at,
            resolved_at=self.resolved_at,
            reasoned_reply_at=self.reasoned_reply_at,
            reasoned_reply_due_at=self.reasoned_reply_due_at,
            follow_up_due_at=self.follow_up_due_at,
            withdrawn_at=self.withdrawn_at,
            paused_at=self.clock_paused_at,
            is_open=self.is_open,
        )

    @property
    def is_follow_up(self) -> bool:
        """答复未办结: answered "cannot be done yet" with a new date, not resolved yet (its own badge)."""
        return self.follow_up_due_at is not None and self.resolved_at is None and self.is_open

    def light_at(self, now=None):
        """GREEN / YELLOW / RED of the case clock at ``now`` (None when no clock runs: not yet given a
        deadline, resolved, answered "cannot be done", or ended). ``CaseQuerySet.with_light`` is the same
        rule."""
        from .clocks import light

        if not self.is_open or self.clock_settled:
            return None
        return light(
            now=now or timezone.now(),
            due_at=self.deadline_in_force,
            yellow_at=self.yellow_at,
            paused_at=self.clock_paused_at,
        )

    @property
    def deadline_light(self):
        """The light now (pages, serializers); an annotated ``light`` (``with_light``) is used when present."""
        from .choices import Light

        annotated = self.__dict__.get("light")
        if annotated is not None:
            return Light(annotated)
        return self.light_at()


class Assignment(TimeStampedModel):
    """One department's part in a case: the lead (主办) or an assisting (协办) department.

    Each assignment has its own status (and, with the deadlines issue, its own clock). Returns and transfers
    are recorded on the department's assignment, so per-department counts are one grouped query.
    """

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="assignments"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="case_assignments"
    )
    role = models.CharField(_("承办角色"), max_length=16, choices=AssignmentRole.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    is_current = models.BooleanField(_("当前有效"), default=True)
    # False when the coordination centre (or a supervisor) named this department: it may not hand it back.
    can_return = models.BooleanField(_("可退回"), default=True)
    origin = models.CharField(_("来源"), max_length=16, choices=AssignmentOrigin.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("派单人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签收人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    returned_reason = models.TextField(_("退回理由"), blank=True)
    # --- This department's own clock (docs/DEADLINES.md): started when the assignment is created, paused
    # while the case is suspended, moved by its approved extensions.
    accept_due_at = models.DateTimeField(_("签收时限"), null=True, blank=True, editable=False)
    due_at = models.DateTimeField(_("办理时限"), null=True, blank=True, editable=False)
    yellow_at = models.DateTimeField(_("黄灯时间"), null=True, blank=True, editable=False)
    clock_paused_at = models.DateTimeField(_("计时暂停时间"), null=True, blank=True, editable=False)
    clock_paused_total = models.DurationField(_("累计暂停工作时间"), default=timedelta, editable=False)
    extension_days = models.PositiveSmallIntegerField(_("已延期工作日"), default=0, editable=False)
    next_alarm_at = models.DateTimeField(null=True, blank=True, editable=False)
    alarm_level = models.PositiveSmallIntegerField(
        _("预警级别"), choices=AlarmLevel.choices, default=AlarmLevel.NONE, editable=False
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("承办单")
        verbose_name_plural = _("承办单")
        ordering = ["case_id", "id"]
        indexes = [
            # Department work queues (to sign for, in progress).
            models.Index(
                fields=["department", "status", "created_at"],
                name="assignment_current_idx",
                condition=Q(is_current=True),
            ),
            # Rankings: returns and transfers per department over a period.
            models.Index(fields=["department", "status", "ended_at"], name="assignment_dept_status_idx"),
            models.Index(
                fields=["next_alarm_at"],
                name="assignment_next_alarm_idx",
                condition=Q(next_alarm_at__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(is_current=True, role=AssignmentRole.LEAD),
                name="cases_assignment_one_current_lead",
            ),
            models.UniqueConstraint(
                fields=["case", "department"],
                condition=Q(is_current=True),
                name="cases_assignment_one_current_per_department",
            ),
            models.CheckConstraint(
                condition=Q(is_current=True, status__in=CURRENT_ASSIGNMENT_STATUSES)
                | (Q(is_current=False) & ~Q(status__in=CURRENT_ASSIGNMENT_STATUSES)),
                name="cases_assignment_current_iff_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.tracking_number} · {self.department} · {self.get_role_display()}"

    def light_at(self, now=None):
        """The light of this department's own clock (None once the assignment has ended)."""
        from .clocks import light

        if not self.is_current:
            return None
        return light(
            now=now or timezone.now(),
            due_at=self.due_at,
            yellow_at=self.yellow_at,
            paused_at=self.clock_paused_at,
        )

    @property
    def deadline_light(self):
        return self.light_at()


class DepartmentCase(models.Model):
    """A department's access to a case: one row per department a case was ever assigned to.

    The department staff's side of the one visibility rule (``cases.querysets.case_visibility_q``: department
    staff see what was ever assigned to their department) as rows a list can be read from in order. The
    assignments hold the same fact, but a department's list over them costs as much as its history: its
    assignments repeat per case (returns, transfers, reassignments) and are not ordered by intake.

    Invariants: a row exists exactly for each (department, case) pair of ``Assignment`` rows; it is
    written by ``cases.workflow._create_assignment`` in the assignment's transaction (and by ``seed_cases``
    with the assignments it copies) and never changed or deleted. ``taken_in_at`` is the case's own, which
    never changes, so a department's cases come newest first from one index, however many it ever had.
    """

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", db_index=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="department_access", db_index=False)
    taken_in_at = models.DateTimeField()

    class Meta:
        verbose_name = _("部门可见案件")
        verbose_name_plural = _("部门可见案件")
        constraints = [
            # Also the index of the rule's EXISTS probe (this case, one of these departments).
            models.UniqueConstraint(fields=["case", "department"], name="cases_departmentcase_unique")
        ]
        indexes = [
            # A department's cases newest first (read backwards), and its capped count.
            models.Index(fields=["department", "taken_in_at", "case"], name="departmentcase_list_idx")
        ]

    def __str__(self) -> str:
        return f"{self.department_id} · {self.case_id}"


class CaseEventImmutable(AppendOnlyViolation):
    """Raised on any attempt to change or delete a ``CaseEvent`` (a programming error, not user input)."""


class CaseEvent(AppendOnlyModel):
    """One accepted command on a case: the append-only history (timeline) of the loop.

    Written only by ``cases.workflow``, exactly one per command, in the command's transaction. ``sequence``
    numbers a case's events 1, 2, 3… (unique per case), ``from_status`` is empty for the intake event.
    ``is_public`` marks the events the citizens' status page may show (without names or personal data).
    ``prev_hash`` and ``hash`` chain a case's events (``cases.auditchain``): set on save, never by callers.
    """

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField(_("序号"))
    kind = models.CharField(_("类型"), max_length=32, choices=CASE_EVENT_KINDS)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_events",
    )
    # The department the actor acted for, when they acted for one (signing, returning, replying …).
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(_("原状态"), max_length=16, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=CaseStatus.choices)
    reason = models.TextField(_("说明"), blank=True)
    payload = models.JSONField(_("数据"), default=dict, blank=True)
    is_public = models.BooleanField(_("公开"), default=False)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    # The tamper-evident chain (cases/auditchain.py): the previous event's hash and this one's.
    prev_hash = models.CharField(_("前一记录摘要"), max_length=64, default="", editable=False)
    hash = models.CharField(_("记录摘要"), max_length=64, default="", editable=False)

    append_only_error = CaseEventImmutable
    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件记录")
        verbose_name_plural = _("案件记录")
        ordering = ["case_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["case", "sequence"], name="cases_event_unique_sequence"),
        ]
        indexes = [
            models.Index(fields=["kind", "created_at"], name="event_kind_created_idx"),
            models.Index(fields=["department", "kind", "created_at"], name="event_dept_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        """Append: link to the case's previous event and hash (the caller holds the case row locked)."""
        if self._state.adding:
            auditchain.seal(self, self._previous_hash())
        super().save(*args, **kwargs)

    def _previous_hash(self) -> str:
        if self.sequence == 1:
            return auditchain.GENESIS
        previous = (
            CaseEvent.objects.filter(case_id=self.case_id, sequence=self.sequence - 1)
            .values_list("hash", flat=True)
            .first()
        )
        if previous is None:
            raise CaseEventImmutable(f"case {self.case_id}: no event {self.sequence - 1} to follow")
        return previous


class Extension(TimeStampedModel):
    """延期申请: a department asks for more working days before its deadline; a supervisor decides.

    ``assignment`` is the requesting department's assignment. For the lead department the request is
    about the case (``applies_to_case``): approval moves the case's completion deadline and the lead
    assignment's; for an assisting department only that assignment's. Approval moves nothing but these
    due times (and their yellow points); the requesting staff user is told the decision, the requester
    (群众/企业) the new deadline. Written only by the workflow commands ``extension_request`` and
    ``extension_decide`` (one event each); counts and lengths are capped (``CASE_EXTENSION_MAX_COUNT``, the
    policy's ``extension_ceiling_days``).
    """

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="extensions"
    )
    assignment = models.ForeignKey(
        Assignment,
        verbose_name=_("承办单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="extensions",
    )
    applies_to_case = models.BooleanField(_("延长案件办结时限"), default=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("申请部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("申请理由"))
    days = models.PositiveSmallIntegerField(_("申请延长工作日"), validators=[MinValueValidator(1)])
    status = models.CharField(
        _("状态"), max_length=16, choices=ExtensionStatus.choices, default=ExtensionStatus.REQUESTED
    )
    due_before = models.DateTimeField(_("原时限"), null=True, blank=True)
    due_after = models.DateTimeField(_("批准后时限"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["case_id", "id"]
        constraints = [
            # One open request per clock at a time.
            models.UniqueConstraint(
                fields=["case", "assignment"],
                condition=Q(status=ExtensionStatus.REQUESTED),
                name="cases_extension_one_pending_per_clock",
            ),
        ]
        indexes = [
            models.Index(
                fields=["case"], name="extension_pending_idx", condition=Q(status=ExtensionStatus.REQUESTED)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.tracking_number} · {self.days} · {self.get_status_display()}"


@pghistory.track(*history_trackers(), exclude=["updated_at"])
class Reason(models.Model):
    """A configurable reason (理由) of a list: refusals and "cannot be done" answers (诉讼/仲裁, 信访, 民事纠纷,
    不属本级职责 …) and suspensions (等待补充材料 …). Commands record the code, so refusals can be counted
    by reason on the dashboards; a reason in use is retired (``is_active``), never deleted."""

    purpose = models.CharField(_("用途"), max_length=16, choices=ReasonPurpose.choices)
    code = models.SlugField(_("代码"), max_length=32)
    label = models.CharField(_("名称"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("理由选项")
        verbose_name_plural = _("理由选项")
        ordering = ["purpose", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "code"], name="cases_reason_unique_code"),
        ]

    def __str__(self) -> str:
        return self.label


class RefusalReview(TimeStampedModel):
    """否定答复报告: a "no" waiting for a supervisor — a case not accepted, a "cannot be done" answer, a
    withdrawal after the deadline, a suspension beyond its limit.

    Created by the command that said no (in its transaction), decided by the ``review`` command (confirm or
    overturn) of a supervisor of the case; at most one pending review per case; ``Case.needs_review`` is
    True exactly while one is pending. Its decision deadline ``due_at`` is a swept clock
    (``TimerKind.REVIEW``).
    """

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="reviews")
    kind = models.CharField(_("类型"), max_length=16, choices=ReviewKind.choices)
    status = models.CharField(
        _("状态"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reason = models.ForeignKey(
        Reason, verbose_name=_("理由"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    explanation = models.TextField(_("说明"), blank=True)
    basis = models.TextField(_("法律或政策依据"), blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The status the case left when it was refused or withdrawn (where an overturn may send it back).
    from_status = models.CharField(_("原状态"), max_length=16, choices=CaseStatus.choices, blank=True)
    due_at = models.DateTimeField(_("审核时限"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    instruction = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("否定答复审核")
        verbose_name_plural = _("否定答复审核")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status=ReviewStatus.PENDING),
                name="cases_review_one_pending_per_case",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="review_status_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case.tracking_number} · {self.get_kind_display()} · {self.get_status_display()}"


class CaseTimer(TimeStampedModel):
    """One deadline of a case other than the completion clock, watched by the deadline sweep until the act
    it waits for: reply, reasoned reply, first contact, a suspension's end, an extension decision, a
    review, the callback (docs/DEADLINES.md has the table).

    Which timers run is a function of the case's state (``cases.sla.timers_wanted``), reconciled after
    every command in the command's transaction: a timer no longer wanted is stopped (``stopped_at``), a
    moved deadline re-arms its ladder. At most one running timer per (case, kind, subject).
    ``subject_id`` names what it is about when several of a kind can run (an assignment, an extension, a
    review); 0 otherwise. The ladder: a reminder at ``due_at``, 催办 one working day later, 督办 after
    ``CASE_SUPERVISE_AFTER_DAYS`` — each fired once (``alarm_level``), like the case clock's.
    """

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="timers")
    kind = models.CharField(_("类型"), max_length=24, choices=TimerKind.choices)
    subject_id = models.PositiveIntegerField(_("对象"), default=0)
    started_at = models.DateTimeField(_("开始时间"))
    due_at = models.DateTimeField(_("时限"))
    stopped_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    next_alarm_at = models.DateTimeField(null=True, blank=True)
    alarm_level = models.PositiveSmallIntegerField(
        _("预警级别"), choices=AlarmLevel.choices, default=AlarmLevel.NONE
    )

    class Meta:
        verbose_name = _("案件计时")
        verbose_name_plural = _("案件计时")
        ordering = ["case_id", "due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "subject_id"],
                condition=Q(stopped_at__isnull=True),
                name="cases_timer_one_running",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_alarm_at"],
                name="timer_next_alarm_idx",
                condition=Q(next_alarm_at__isnull=False),
            ),
            models.Index(fields=["case"], name="timer_running_idx", condition=Q(stopped_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.get_kind_display()} · {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None

    def light_at(self, now=None):
        """RED once past due, else GREEN (a timer has no yellow: it is short)."""
        from .choices import Light

        if self.stopped_at is not None:
            return None
        return Light.RED if (now or timezone.now()) > self.due_at else Light.GREEN


class CoordinationMeeting(TimeStampedModel):
    """A coordination meeting (协调会) of the county centre on a case: who sat, what was decided, who leads."""

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="coordination_meetings"
    )
    departments = models.ManyToManyField(Department, verbose_name=_("参会部门"), related_name="+")
    decisions = models.TextField(_("会议决定"))
    lead_department = models.ForeignKey(
        Department, verbose_name=_("确定的主办部门"), on_delete=models.PROTECT, related_name="+"
    )
    held_at = models.DateTimeField(_("召开时间"), default=timezone.now)
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("召集人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("协调会")
        verbose_name_plural = _("协调会")
        ordering = ["case_id", "held_at"]

    def __str__(self) -> str:
        return f"{self.case.tracking_number} · {self.held_at:%Y-%m-%d}"


def attachment_path(instance: CaseAttachment, filename: str) -> str:
    return random_upload_name("cases", filename)


class CaseAttachment(TimeStampedModel):
    """A file on a case (material brought at intake, evidence of handling), stored via Django storage.

    Type and size are checked by ``services.case_attachment_add`` against the settings
    ``CASE_ATTACHMENT_CONTENT_TYPES`` and ``CASE_ATTACHMENT_MAX_BYTES``.
    """

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["case_id", "id"]

    def __str__(self) -> str:
        return self.original_name


class IdempotencyRecord(models.Model):
    """Remembers an intake by (user, ``Idempotency-Key``) so a retried request returns the same case.

    The same key with a different request fingerprint is refused (``IdempotencyConflict``, 422). The unique
    constraint is what makes concurrent duplicates safe: the second insert (ON CONFLICT DO NOTHING) waits
    for the first transaction and then inserts nothing, and the service replays the first one's answer.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    case = models.ForeignKey(Case, null=True, on_delete=models.CASCADE, related_name="+")
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="cases_idempotency_unique_key")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class SurveyToken(models.Model):
    """The requester's single-use, expiring link to the satisfaction survey (满意度回访), sent by SMS on resolve.

    Invariants: one token per resolving event (``event`` is unique), so processing that event again finds the
    same link the outbox already holds; the token is random (``secrets``), never derived from ids; it is
    usable while unused, before ``expires_at``, and while the case still waits for this resolution's
    callback (a reopen or a recorded callback supersedes it). ``cases.surveys`` issues, checks and
    consumes tokens; the survey page (Citizens issue) consumes one in the same transaction as its callback.
    """

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="survey_tokens"
    )
    event = models.OneToOneField(
        CaseEvent, verbose_name=_("办结记录"), on_delete=models.PROTECT, related_name="survey_token"
    )
    token = models.CharField(_("令牌"), max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("过期时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("回访链接")
        verbose_name_plural = _("回访链接")
        ordering = ["case_id", "id"]

    def __str__(self) -> str:  # never the token itself: it is a bearer credential
        return f"{self.case_id} · {self.event_id}"
