"""Models of the case library (案例汇总): 卡点 types, write-ups, their history, the solved-case index, and
the record of a case taken in "following" an earlier one (按此案例办理).

The app sits above ``cases``: it reads cases and the organisation; ``cases`` never imports it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Category
from routing.models import Department
from windowsvc.models import AppendOnlyModel, TimeStampedModel

from .choices import WriteUpCommand, WriteUpStatus
from .querysets import SolvedCaseQuerySet, WriteUpEventImmutable, WriteUpEventQuerySet, WriteUpQuerySet


class BlockerType(models.Model):
    """卡点: why the normal process failed (政策空白, 流程缺失, 部门作风 …).

    A configurable list edited in the admin and seeded by a data migration; a type in use is never deleted
    (write-ups protect it) but may be switched off (``is_active``), which hides it from new write-ups.
    """

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    label = models.CharField(_("名称"), max_length=50)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("卡点类型")
        verbose_name_plural = _("卡点类型")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label


class WriteUp(TimeStampedModel):
    """案例: the written account of one solved case (resolved or closed), one write-up per case.

    Invariants:
    - ``status`` changes only through ``library.workflow.run`` (the table ``RULES``), which writes exactly
      one ``WriteUpEvent`` per command in the same transaction and bumps ``version``;
    - ``typical`` is only ever true while published (withdrawing clears it);
    - ``working_days`` is computed from the case's clock (intake to resolution on the county's working-day
      calendar, suspensions excluded), never typed;
    - ``public`` is the anonymised version (``library.anonymise``), rebuilt whenever the text or the
      enterprise's consent changes; it is the only text anonymous callers ever see;
    - the copied case facts (paths, category, lead department, ``year``) are set from the case on create
      and serve the filters and the indexes; ``region_path`` (intake) never changes and
      ``handling_region_path`` follows the case's on every case event (``indexing.writeup_follow_case``),
      so scoping reads them with the cases' own rule (``cases.querysets.case_visibility_q``).
    """

    case = models.OneToOneField(
        Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="writeup"
    )
    title = models.CharField(_("案例标题"), max_length=200)
    problem = models.TextField(_("反映问题"))
    blocker_type = models.ForeignKey(
        BlockerType, verbose_name=_("卡点类型"), on_delete=models.PROTECT, related_name="writeups"
    )
    blocker_note = models.TextField(_("卡点说明"), blank=True, help_text=_("为什么按正常流程办不成。"))
    solution = models.TextField(_("解决办法"))
    basis = models.TextField(_("政策或法律依据"), blank=True)
    departments = models.ManyToManyField(
        Department, verbose_name=_("涉及部门"), blank=True, related_name="writeups"
    )
    lessons = models.TextField(_("经验启示"), blank=True)
    working_days = models.PositiveSmallIntegerField(_("办理用时（工作日）"), null=True, editable=False)

    status = models.CharField(
        _("状态"), max_length=20, choices=WriteUpStatus.choices, default=WriteUpStatus.DRAFT, editable=False
    )
    typical = models.BooleanField(_("典型案例"), default=False, editable=False)
    typical_at = models.DateTimeField(_("列为典型时间"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    enterprise_consent = models.BooleanField(
        _("企业同意公开名称"), default=False, help_text=_("未经企业同意，公开版本不出现企业名称。")
    )
    enterprise_consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("同意记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    enterprise_consent_at = models.DateTimeField(_("同意记录时间"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撰写人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    # Copied from the case on create: filters and indexes without a join.
    region_path = models.CharField(_("受理区划路径"), max_length=64, editable=False)
    handling_region_path = models.CharField(_("承办区划路径"), max_length=64, editable=False)
    category = models.ForeignKey(
        Category,
        verbose_name=_("事项类别"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("主办部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    year = models.PositiveSmallIntegerField(_("办结年度"), editable=False)

    # Search: jieba tokens, space-separated and space-padded (docs/LIBRARY.md).
    search_tokens = models.TextField(editable=False, default="")
    public = models.JSONField(_("公开版本"), default=dict, editable=False)
    public_tokens = models.TextField(editable=False, default="")
    version = models.PositiveIntegerField(_("版本"), default=0, editable=False)

    objects = WriteUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("案例")
        verbose_name_plural = _("案例")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="library_writeup_status_idx"),
            models.Index(fields=["region_path"], name="library_writeup_region_idx"),
            models.Index(fields=["handling_region_path"], name="library_writeup_hregion_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(typical=False) | models.Q(status=WriteUpStatus.PUBLISHED),
                name="library_writeup_typical_only_published",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def county_path(self) -> str:
        parts = [p for p in self.region_path.split("/") if p]
        return f"/{parts[0]}/" if parts else ""


class WriteUpEvent(AppendOnlyModel):
    """One command on a write-up: who, from which status to which, with what note. Append-only: the model
    refuses save-as-update and delete, its queryset refuses ``update()`` and ``delete()``."""

    writeup = models.ForeignKey(
        WriteUp, verbose_name=_("案例"), on_delete=models.PROTECT, related_name="events"
    )
    sequence = models.PositiveIntegerField(_("序号"))
    kind = models.CharField(_("类型"), max_length=20, choices=WriteUpCommand.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_status = models.CharField(_("原状态"), max_length=20, choices=WriteUpStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=WriteUpStatus.choices)
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    append_only_error = WriteUpEventImmutable
    objects = WriteUpEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("案例记录")
        verbose_name_plural = _("案例记录")
        ordering = ["writeup", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["writeup", "sequence"], name="library_writeupevent_sequence_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.writeup_id} #{self.sequence} {self.kind}"


class SolvedCase(models.Model):
    """The suggestion index: one row per case that is resolved or closed with a resolution, kept by
    ``library.indexing`` after the case's events commit (and rebuilt by ``manage.py library_reindex``).

    Invariant: a row exists only while its case is resolved or closed; it holds what intake suggestions
    show (title, how it was solved, the lead department) and the jieba tokens they are searched by —
    never the requester's data.
    """

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="+", primary_key=True)
    title = models.CharField(_("事项标题"), max_length=200)
    resolution = models.TextField(_("办结情况"))
    lead_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    region_path = models.CharField(max_length=64)
    resolved_at = models.DateTimeField()
    tokens = models.TextField(default="")

    objects = SolvedCaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("已办结案件索引")
        verbose_name_plural = _("已办结案件索引")
        indexes = [models.Index(fields=["region_path"], name="library_solved_region_idx")]

    def __str__(self) -> str:
        return self.title


class WriteUpReuse(models.Model):
    """按此案例办理: the clerk's choice, on a new case, to follow a published write-up or an earlier solved
    case. Exactly one of ``writeup`` and ``source_case`` is set; one row per (case, source).

    Chosen on the intake page before the case exists, a row first waits with ``case`` empty under the intake
    form's idempotency key (``intake_key``, with ``chosen_by``); the in-transaction effect of the intake event
    (``library.indexing.reuse_attach``) attaches it to the case taken in with that key by that clerk.
    """

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    intake_key = models.CharField(_("受理表单标识"), max_length=200, blank=True, db_index=True)
    writeup = models.ForeignKey(
        WriteUp,
        verbose_name=_("参照案例"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reuses",
    )
    source_case = models.ForeignKey(
        Case, verbose_name=_("参照案件"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("选择人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    chosen_at = models.DateTimeField(_("选择时间"), default=timezone.now)

    class Meta:
        verbose_name = _("参照办理记录")
        verbose_name_plural = _("参照办理记录")
        ordering = ["-chosen_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(writeup__isnull=False) & models.Q(source_case__isnull=True))
                | (models.Q(writeup__isnull=True) & models.Q(source_case__isnull=False)),
                name="library_reuse_one_source",
            ),
            models.UniqueConstraint(fields=["case", "writeup"], name="library_reuse_writeup_uniq"),
            models.UniqueConstraint(fields=["case", "source_case"], name="library_reuse_case_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} ← {self.writeup_id or self.source_case_id}"
