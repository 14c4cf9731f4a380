"""Vocabularies of the case library: write-up statuses and the kinds of its history events."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WriteUpStatus(models.TextChoices):
    """draft → submitted → (changes_requested → submitted) → published → (withdrawn → submitted …).

    The transitions are one table, ``library.workflow.RULES``.
    """

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    CHANGES_REQUESTED = "changes_requested", _("退回修改")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回发布")


# Statuses in which the authors may still edit the text.
EDITABLE_STATUSES = (WriteUpStatus.DRAFT, WriteUpStatus.CHANGES_REQUESTED, WriteUpStatus.WITHDRAWN)


class WriteUpCommand(models.TextChoices):
    """One member per command on a write-up; the value is the API path and the event kind."""

    CREATE = "create", _("起草")
    EDIT = "edit", _("修改")
    SUBMIT = "submit", _("提交审核")
    REQUEST_CHANGES = "request_changes", _("退回修改")
    PUBLISH = "publish", _("发布")
    MARK_TYPICAL = "mark_typical", _("标为典型案例")
    UNMARK_TYPICAL = "unmark_typical", _("取消典型案例")
    WITHDRAW = "withdraw", _("撤回发布")


class WriteUpRole(models.TextChoices):
    """How a user stands to one write-up (its case): who may run which command."""

    AUTHOR = "author", _("撰写人")  # the case's lead department staff, or a clerk of its intake window
    REVIEWER = "reviewer", _("审核人")  # a supervisor whose subtree holds the case
