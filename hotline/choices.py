"""The hotline's vocabularies: request types, the steps reported back, delivery states."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestType(models.TextChoices):
    """诉求类型 as the 12345 platform classifies a work order."""

    CONSULT = "consult", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")


class CallbackKind(models.TextChoices):
    """A step of a hotline case reported to its platform (the webhook's ``kind``)."""

    ACCEPT = "accept", _("签收")
    REPLY = "reply", _("答复")
    RESOLVE = "resolve", _("办结")
    CALLBACK = "callback", _("回访结果")
    CLOSE = "close", _("销号")
    RETURN = "return", _("退单")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已送达")
    DEAD = "dead", _("发送失败")
