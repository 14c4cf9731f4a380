"""The daily digest of the case events' chain heads (docs/SECURITY.md, "The tamper-evident log")."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from windowsvc.models import AppendOnlyModel, AppendOnlyViolation


class ChainDigestImmutable(AppendOnlyViolation):
    """Raised on any attempt to change or delete a chain digest."""


class ChainDigest(AppendOnlyModel):
    """One day's digest of every case's chain head: SHA-256 over ``case_id:sequence:hash`` of the last event
    of each case created before ``cutoff`` (``cases.auditchain.heads_digest``).

    Written once a day by beat (``audit.tasks.write_chain_digest``), also logged, so that a chain rewritten
    and re-hashed afterwards no longer matches. Append-only three times over: the model, a trigger refusing
    UPDATE and DELETE, and the application role's grants (SELECT and INSERT only; ``grant_app_role``).
    ``previous`` is the digest written before it, so deleting or replacing a row breaks the digests' own
    chain.
    """

    created_at = models.DateTimeField(_("写入时间"), default=timezone.now)
    cutoff = models.DateTimeField(_("截至时间"), unique=True)
    cases = models.PositiveBigIntegerField(_("案件数"))
    events = models.PositiveBigIntegerField(_("记录数"))
    digest = models.CharField(_("摘要"), max_length=64)
    previous = models.CharField(_("上一摘要"), max_length=64, blank=True)

    append_only_error = ChainDigestImmutable

    class Meta:
        verbose_name = _("审计摘要")
        verbose_name_plural = _("审计摘要")
        ordering = ["-cutoff"]
        permissions = [("view_audit_trail", _("可以查看审计记录和配置历史"))]

    def __str__(self) -> str:
        return f"{self.cutoff:%Y-%m-%d %H:%M} {self.digest[:16]}"

    def as_dict(self) -> dict:
        return {
            "cutoff": self.cutoff.isoformat(),
            "created_at": self.created_at.isoformat(),
            "cases": self.cases,
            "events": self.events,
            "digest": self.digest,
        }
