"""The notification outbox, administrator-editable message templates and staff channel preferences.

Invariants:
- A ``Notification`` row is written in the same transaction as the event that causes it; delivery is
  enqueued on commit and the relay sweep delivers whatever is still due, so no message is lost when Redis
  or a worker is down.
- ``dedupe_key`` (event + channel + recipient) is unique: a repeated event sends nothing twice.
- Only a claim (``delivery.py``) moves a row to ``sending``; only the holder of the claim's token may
  finish it. In-app rows are the inbox item itself and are written as sent.
- A requester's phone or e-mail address is stored only until the message is sent; ``recipient_display``
  keeps the masked form for the record.
- This app never imports ``cases``: it knows event keys, ids and plain dicts.
"""

import uuid

import pghistory
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from windowsvc.models import TimeStampedModel, history_trackers

from .choices import DUE_STATUSES, Channel, Language, Status, TemplateCode
from .querysets import NotificationQuerySet


class Notification(TimeStampedModel):
    """One message to one recipient through one channel: an outbox row and, for in-app, the inbox item."""

    event_key = models.CharField(_("事件"), max_length=200, db_index=True)
    # HMAC of event + channel + recipient (so the phone number is not readable from the key).
    dedupe_key = models.CharField(_("去重键"), max_length=64, unique=True, editable=False)
    # Sent to gateways (SMS webhook ``Idempotency-Key``) so a provider can drop a repeated request.
    idempotency_key = models.UUIDField(_("幂等键"), default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    template_code = models.CharField(_("消息模板"), max_length=32, choices=TemplateCode.choices)
    language = models.CharField(_("语言"), max_length=10, choices=Language.choices, default=Language.ZH_HANS)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # A requester's raw phone number or e-mail address; cleared once sent (see recipient_display).
    recipient_address = models.CharField(_("接收地址"), max_length=254, blank=True)
    recipient_display = models.CharField(_("接收人(脱敏)"), max_length=254, blank=True)
    context = models.JSONField(_("上下文"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    subject = models.CharField(_("标题"), max_length=200, blank=True)
    body = models.TextField(_("内容"), blank=True)
    sms_segments = models.PositiveSmallIntegerField(_("短信条数"), null=True, blank=True)
    emergency = models.BooleanField(_("紧急"), default=False)

    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), default=timezone.now)
    lease_until = models.DateTimeField(_("占用截止"), null=True, blank=True)
    claim_token = models.UUIDField(_("占用标记"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("最近错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    provider_message_id = models.CharField(_("网关消息号"), max_length=100, blank=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The relay sweep's query: due rows only, so the index stays small however big the table.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=[s.value for s in DUE_STATUSES]),
                name="notif_due_idx",
            ),
            # Claims whose worker died: reclaimed once the lease has run out.
            models.Index(
                fields=["lease_until"], condition=models.Q(status=Status.SENDING), name="notif_lease_idx"
            ),
            # The inbox and its unread count.
            models.Index(
                fields=["recipient_user", "-created_at"],
                condition=models.Q(channel=Channel.IN_APP),
                name="notif_inbox_idx",
            ),
            models.Index(
                fields=["recipient_user"],
                condition=models.Q(channel=Channel.IN_APP, read_at__isnull=True),
                name="notif_unread_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient_user__isnull=False) | ~models.Q(recipient_display=""),
                name="notif_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_template_code_display()} → {self.recipient_label} ({self.get_channel_display()})"

    @property
    def recipient_label(self) -> str:
        """Who receives it, safe for logs and screens: a user's name or a masked address."""
        if self.recipient_user_id:
            return self.recipient_display or f"user:{self.recipient_user_id}"
        return self.recipient_display

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def link(self) -> str:
        """The staff link to the matter, when the caller gave one (``url`` in the context)."""
        value = (self.context or {}).get("url", "")
        return value if isinstance(value, str) and value.startswith(("/", "https://", "http://")) else ""


@pghistory.track(*history_trackers(), exclude=["updated_at"])
class MessageTemplate(TimeStampedModel):
    """An administrator's override of one shipped message text (``defaults.py``) for one language.

    Invariant: at most one row per code and language; an inactive row leaves the shipped default in force.
    """

    code = models.CharField(_("模板代码"), max_length=32, choices=TemplateCode.choices)
    language = models.CharField(_("语言"), max_length=10, choices=Language.choices)
    subject = models.CharField(_("标题"), max_length=200, help_text=_("站内消息和邮件的标题。"))
    body = models.TextField(
        _("正文"), help_text=_("站内消息和邮件的正文，可使用 {{ tracking_number }} 等变量。")
    )
    sms = models.TextField(
        _("短信"), help_text=_("短信内容：每条70个汉字，超过按每条67个字拆分计费；纯英文每条160个字符。")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("消息模板")
        verbose_name_plural = _("消息模板")
        ordering = ["code", "language"]
        constraints = [
            models.UniqueConstraint(fields=["code", "language"], name="notif_template_unique_code_language"),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} · {self.get_language_display()}"

    def texts(self):
        from .defaults import MessageText

        return MessageText(subject=self.subject, body=self.body, sms=self.sms)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError
        from django.template import TemplateDoesNotExist, TemplateSyntaxError

        from .defaults import SAMPLE_CONTEXT
        from .rendering import render_texts

        try:
            render_texts(self.texts(), SAMPLE_CONTEXT, self.language or Language.ZH_HANS)
        except (TemplateSyntaxError, TemplateDoesNotExist) as exc:
            # No loaders: {% include %} and {% extends %} of any file end here too.
            raise ValidationError(_("模板语法错误：%(error)s") % {"error": exc}) from exc


class ChannelPreference(TimeStampedModel):
    """How one staff user wants to be told: in-app always, e-mail and SMS each on or off.

    Without a row, a user gets in-app messages and e-mail (when their account has an address).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_enabled = models.BooleanField(_("接收邮件"), default=True)
    sms_enabled = models.BooleanField(_("接收短信"), default=False)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    language = models.CharField(_("语言"), max_length=10, choices=Language.choices, default=Language.ZH_HANS)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return str(self.user)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from windowsvc.personal import phone_address

        if self.phone:
            try:
                self.phone = phone_address(self.phone)
            except ValueError as exc:
                raise ValidationError({"phone": _("手机号码格式不正确。")}) from exc
        if self.sms_enabled and not self.phone:
            raise ValidationError({"phone": _("开启短信通知需要填写手机号码。")})
