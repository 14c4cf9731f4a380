"""Vocabularies of 常态建设: kinds of recurring problem, measures, item statuses, history entries, alarm steps."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RecurringKind(models.TextChoices):
    """How a cluster of cases was found (docs/PRACTICE.md)."""

    CATEGORY_DEPARTMENT = "category_department", _("同类事项同一部门反复出现")
    SIMILAR_TEXT = "similar_text", _("反映内容相似")


class Measure(models.TextChoices):
    """The root fix a standing-practice item makes."""

    GUIDE = "guide", _("修订办事指南")
    PROCESS = "process", _("新建流程")
    RULE = "rule", _("调整规定")
    TRAINING = "training", _("培训人员")
    OTHER = "other", _("其他")


class ItemStatus(models.TextChoices):
    """open → in progress → submitted (待验收) → done; cancelled from any state before done.

    The department reports progress and reports the item done with evidence (submitted); a supervisor
    accepts it (done) or sends it back (in progress).
    """

    OPEN = "open", _("待落实")
    IN_PROGRESS = "in_progress", _("落实中")
    SUBMITTED = "submitted", _("待验收")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已撤销")


# States in which the responsible department owes the work: the deadline clock runs.
CLOCK_STATUSES = (ItemStatus.OPEN, ItemStatus.IN_PROGRESS)
TERMINAL_STATUSES = (ItemStatus.DONE, ItemStatus.CANCELLED)


class ItemCommand(models.TextChoices):
    """One history entry per command or sweep step; the value is the command's name (API path, button)."""

    CREATE = "create", _("立项")
    PROGRESS = "progress", _("报告进展")
    SUBMIT = "submit", _("报告完成")
    ACCEPT = "accept", _("验收通过")
    REJECT = "reject", _("退回整改")
    CANCEL = "cancel", _("撤销")
    YELLOW = "yellow", _("到期提醒")
    OVERDUE = "overdue", _("超期提醒")


class ItemAlarm(models.IntegerChoices):
    """The last reminder step the sweep fired for an item's deadline (each fires once)."""

    NONE = 0, _("无")
    YELLOW = 1, _("黄灯")
    OVERDUE = 2, _("超期")
