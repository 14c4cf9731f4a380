"""The hotline's tables: platforms, work orders, replay guard, and the outbox of status callbacks."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseEvent
from routing.models import ServiceWindow
from windowsvc.encryption import BlindIndexField, EncryptedCharField
from windowsvc.models import TimeStampedModel

from .choices import CallbackKind, DeliveryStatus, RequestType

KEY_BYTES = 24
KEY_PREFIX_LENGTH = 8
SECRET_BYTES = 32


def hash_key(key: str) -> str:
    return hashlib.sha256((key or "").encode()).hexdigest()


class HotlinePlatform(TimeStampedModel):
    """A 12345 platform (city or province) that pushes work orders to us and hears back at each step.

    Invariants: the key is never stored, only its SHA-256 (``key_hash``, unique) and first characters; the
    HMAC secret is stored encrypted (we must compute signatures with it) and shown once, like the key, when
    generated in the admin. ``window`` is where an order lands when neither its region code nor its address
    names a region that has a window (normally the county's window). ``callback_url`` empty: nothing is
    reported back (the outbox rows are still written and wait).
    """

    code = models.SlugField(_("平台代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    window = models.ForeignKey(
        ServiceWindow, verbose_name=_("兜底受理窗口"), on_delete=models.PROTECT, related_name="+"
    )
    callback_url = models.URLField(_("状态回传地址"), blank=True)
    key_prefix = models.CharField(_("密钥前缀"), max_length=KEY_PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    secret = EncryptedCharField(
        _("签名密钥"), max_length=64, blank=True, null=True, default="", editable=False
    )
    # Never searched; it exists because key rotation (``manage.py rotate_personal_keys``) walks every
    # encrypted column together with its blind index.
    secret_index = BlindIndexField(_("签名密钥检索码"), source="secret")
    is_active = models.BooleanField(_("启用"), default=True)
    last_used_at = models.DateTimeField(_("最近推送时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("12345平台")
        verbose_name_plural = _("12345平台")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def set_new_credentials(self) -> tuple[str, str]:
        """A fresh key and HMAC secret (the old ones stop working once saved); returns (key, secret)."""
        key = secrets.token_urlsafe(KEY_BYTES)
        secret = secrets.token_urlsafe(SECRET_BYTES)
        self.key_prefix = key[:KEY_PREFIX_LENGTH]
        self.key_hash = hash_key(key)
        self.secret = secret
        return key, secret

    def key_matches(self, key: str) -> bool:
        return hmac.compare_digest(hash_key(key), self.key_hash)


class WorkOrder(TimeStampedModel):
    """One 12345 work order (工单) and the case it became.

    Invariants: ``(platform, number)`` is unique, so the same order pushed or imported twice makes one case;
    ``case`` is set in the transaction that takes the order in and never changes. ``contact`` is personal
    data: masked in lists and logs (``windowsvc.personal.mask_phone``). ``hotline_due_at`` is the platform's
    own deadline (办理时限), kept beside the case's.
    """

    platform = models.ForeignKey(
        HotlinePlatform, verbose_name=_("平台"), on_delete=models.PROTECT, related_name="work_orders"
    )
    number = models.CharField(_("工单号"), max_length=64)
    case = models.OneToOneField(
        Case, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="work_order"
    )
    requester_name = models.CharField(_("诉求人"), max_length=100)
    contact = models.CharField(_("联系电话"), max_length=24)
    request_type = models.CharField(_("诉求类型"), max_length=16, choices=RequestType.choices)
    content = models.TextField(_("诉求内容"))
    location = models.CharField(_("事发地点"), max_length=300, blank=True)
    region_code = models.CharField(_("所属区划代码"), max_length=32, blank=True)
    hotline_due_at = models.DateTimeField(_("热线办理时限"), null=True, blank=True)
    attachment_urls = models.JSONField(_("附件地址"), default=list, blank=True)
    received_via = models.CharField(_("接收方式"), max_length=16, default="push")

    class Meta:
        verbose_name = _("12345工单")
        verbose_name_plural = _("12345工单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "number"], name="hotline_order_unique_per_platform")
        ]

    def __str__(self) -> str:
        return f"{self.platform.code}:{self.number}"


class Nonce(models.Model):
    """A signed request's nonce, kept while its timestamp could still be accepted (replay guard)."""

    platform = models.ForeignKey(HotlinePlatform, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "value"], name="hotline_nonce_unique")]

    def __str__(self) -> str:
        return self.value


class HotlineCallback(models.Model):
    """One status report to a platform (the outbox row of its webhook).

    Written in the case event's transaction (``hotline.outbox.callback_record``), one per event and kind:
    ``idempotency_key`` (``hotline:<platform>:event:<event id>``) is unique and sent as the webhook's
    ``Idempotency-Key`` header on every try. Delivered after commit and by the beat sweep with a lease
    claim; failures back off exponentially; after ``HOTLINE_MAX_ATTEMPTS`` the row is ``dead`` (the
    dead-letter list in the admin, with a resend action). Only ``hotline.outbox`` changes ``status``.
    """

    platform = models.ForeignKey(
        HotlinePlatform, verbose_name=_("平台"), on_delete=models.PROTECT, related_name="callbacks"
    )
    work_order = models.ForeignKey(
        WorkOrder, verbose_name=_("工单"), on_delete=models.PROTECT, related_name="callbacks"
    )
    event = models.ForeignKey(
        CaseEvent, verbose_name=_("案件事件"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("回传类型"), max_length=16, choices=CallbackKind.choices)
    idempotency_key = models.CharField(max_length=100, unique=True)
    payload = models.JSONField(_("内容"), default=dict)
    status = models.CharField(
        _("状态"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), default=timezone.now)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(_("最近错误"), blank=True)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("12345状态回传")
        verbose_name_plural = _("12345状态回传")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="hotline_cb_due_idx")]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.get_kind_display()}"
