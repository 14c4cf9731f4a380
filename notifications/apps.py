from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """Outbox and delivery channels; a leaf app that knows ids, not cases."""

    name = "notifications"
    verbose_name = _("通知")

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
