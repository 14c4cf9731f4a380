"""Choices of the notifications app: channels, delivery states, message template codes, languages."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How a notification reaches its recipient."""

    IN_APP = "in_app", _("站内消息")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")


class Status(models.TextChoices):
    """Delivery state of one outbox row.

    pending → sending → sent is the happy path. A transient failure goes back to pending with a later
    ``next_attempt_at``; after the maximum number of attempts the row is dead. A permanent failure
    (no address, the gateway refused the request) is failed at once. Held rows wait for the end of the
    SMS quiet hours. Dead and failed rows can be resent from the admin.
    """

    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    DEAD = "dead", _("已放弃")
    HELD = "held", _("暂缓(免打扰)")


# Rows the relay sweep may pick up once ``next_attempt_at`` has passed.
DUE_STATUSES = (Status.PENDING, Status.HELD)
# Rows an administrator may send again.
RESENDABLE_STATUSES = (Status.DEAD, Status.FAILED)


class TemplateCode(models.TextChoices):
    """The event types that send a message; one message template per code and language."""

    RECEIPT = "receipt", _("受理回执")
    ASSIGNMENT = "assignment", _("派单通知")
    SIGN_REMINDER = "sign_reminder", _("签收提醒")
    WARNING_YELLOW = "warning_yellow", _("黄灯预警")
    WARNING_RED = "warning_red", _("红灯超期")
    URGE = "urge", _("催办")
    SUPERVISE = "supervise", _("督办")
    EXTENSION_REQUEST = "extension_request", _("延期申请待审批")
    EXTENSION_DECISION = "extension_decision", _("延期审批结果")
    REPLY = "reply", _("答复")
    RESOLVE = "resolve", _("办结")
    SURVEY = "survey", _("满意度回访")
    REOPEN = "reopen", _("重办")
    REROUTE = "reroute", _("退回待派单")
    REVIEW = "review", _("否定答复待审核")
    REVIEW_DECISION = "review_decision", _("否定答复审核结果")
    CALENDAR_HORIZON = "calendar_horizon", _("工作日历待导入")
    RECURRING_PROBLEM = "recurring_problem", _("共性问题")
    PRACTICE_ITEM = "practice_item", _("常态建设事项")
    PRACTICE_DUE = "practice_due", _("常态建设事项到期提醒")
    WRITEUP = "writeup", _("案例审核")


class Language(models.TextChoices):
    """Languages a message template exists in (the site's LANGUAGES)."""

    ZH_HANS = "zh-hans", _("简体中文")
    EN = "en", _("English")
