from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The audit trail: the case events' hash chains and their daily digest, the configuration history,
    the auditor's (审计员) pages and API, and the database roles that keep them out of the app's reach."""

    name = "audit"
    verbose_name = _("审计")
