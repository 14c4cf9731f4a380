"""Models of the public side: Open311 integrations and their submissions, and cases published to citizens.

Nothing here duplicates a case: a submission points at the case it created, a publication holds only the
anonymised text that may be shown to anyone. Personal data an integration sends (name, phone, e-mail) goes
to the case's requester through ``cases.services.case_intake``; a queued submission keeps it only until it
is processed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from routing.models import ServiceWindow
from windowsvc.models import TimeStampedModel, history_trackers

# API keys: 32 random bytes, URL-safe. Only a SHA-256 digest is stored (a key this random needs no slow
# hash); the first characters are kept so an administrator can tell keys apart.
API_KEY_BYTES = 32
API_KEY_PREFIX_LENGTH = 8
# Tokens of queued submissions: 16 random bytes (128 bits), 22 URL-safe characters.
TOKEN_BYTES = 16


def hash_api_key(key: str) -> str:
    return hashlib.sha256((key or "").encode()).hexdigest()


@pghistory.track(*history_trackers(), exclude=["updated_at", "last_used_at", "key_hash"])
class Open311Integration(TimeStampedModel):
    """A city system (a 12345 platform, an app) allowed to submit requests through Open311 with an API key.

    Invariants: the key itself is never stored, only its SHA-256 (``key_hash``, unique) and its first
    characters (``key_prefix``); requests it submits are taken in at ``window`` on channel “online” by the
    system actor, so that window's clerks follow them (首问负责). ``queue_requests`` makes POST answer a
    token and leaves the intake to the worker (GeoReport's “batch” behaviour).
    """

    name = models.CharField(_("名称"), max_length=100)
    window = models.ForeignKey(
        ServiceWindow, verbose_name=_("受理窗口"), on_delete=models.PROTECT, related_name="+"
    )
    key_prefix = models.CharField(_("密钥前缀"), max_length=API_KEY_PREFIX_LENGTH, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    queue_requests = models.BooleanField(
        _("排队受理"), default=False, help_text=_("开启后提交请求先返回 token，由后台任务受理登记。")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 接入方")
        verbose_name_plural = _("Open311 接入方")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def set_new_key(self) -> str:
        """Give the integration a fresh random key (the old one stops working once saved); returns it."""
        key = secrets.token_urlsafe(API_KEY_BYTES)
        self.key_prefix = key[:API_KEY_PREFIX_LENGTH]
        self.key_hash = hash_api_key(key)
        return key

    def key_matches(self, key: str) -> bool:
        return hmac.compare_digest(hash_api_key(key), self.key_hash)


class SubmissionStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    REGISTERED = "registered", _("已受理")
    REJECTED = "rejected", _("未能受理")


class Open311Submission(models.Model):
    """One POST of an Open311 request: the token it was answered with and the case it became.

    Invariants: ``token`` is random (never derived from ids) and unique; ``case`` is set exactly when
    ``status`` is registered; ``data`` holds the intake input only while queued (it carries the requester's
    name and phone, which then live on the case's requester alone). Location and contact fields the case has
    no place for are kept here and never shown through the public API.
    """

    integration = models.ForeignKey(
        Open311Integration, verbose_name=_("接入方"), on_delete=models.PROTECT, related_name="submissions"
    )
    token = models.CharField(_("令牌"), max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("状态"), max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.QUEUED
    )
    case = models.OneToOneField(
        Case,
        verbose_name=_("案件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="open311_submission",
    )
    service_code = models.CharField(_("服务代码"), max_length=32)
    data = models.JSONField(_("待受理数据"), default=dict, blank=True)
    error = models.TextField(_("未能受理原因"), blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    account_id = models.CharField(max_length=100, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    address_string = models.CharField(_("地点"), max_length=300, blank=True)
    address_id = models.CharField(max_length=100, blank=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    media_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    processed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 提交记录")
        verbose_name_plural = _("Open311 提交记录")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The queue sweep claims the oldest queued submissions.
            models.Index(
                fields=["created_at"],
                name="open311_queued_idx",
                condition=models.Q(status=SubmissionStatus.QUEUED),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=SubmissionStatus.REGISTERED, case__isnull=False)
                | (~models.Q(status=SubmissionStatus.REGISTERED) & models.Q(case__isnull=True)),
                name="citizens_submission_case_iff_registered",
            ),
        ]

    def __str__(self) -> str:  # never the token: it is a bearer credential
        return f"{self.integration} · {self.get_status_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(TOKEN_BYTES)


class PublishedCase(TimeStampedModel):
    """A case published to the case library (案例汇总) for citizens: the anonymised write-up shown as the
    Open311 ``description``. Without a publication the description is withheld.

    Invariant: ``description`` is written by staff for the public (no names, phones or id numbers); the
    case's own description (what the requester said) is never shown to anonymous callers.
    """

    case = models.OneToOneField(
        Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="publication"
    )
    description = models.TextField(_("公开说明"), max_length=4000)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("公开案例")
        verbose_name_plural = _("公开案例")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.case.tracking_number)


class SmsCode(models.Model):
    """A one-time code sent by SMS to prove a phone for the online form (网上反映).

    Invariants: neither the number nor the code is stored: ``phone_index`` is the phone's keyed blind
    index, ``code_hash`` an HMAC of a per-row salt and the code. A code is good for ``ONLINE_SMS_CODE_SECONDS``
    and ``ONLINE_SMS_CODE_ATTEMPTS`` tries, used once (``used_at``); a new code for the same phone
    supersedes the older ones (they expire at once). Written only by ``citizens.online``.
    """

    phone_index = models.CharField(max_length=64, db_index=True)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.pk} ({self.created_at:%Y-%m-%d %H:%M})"
