from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WindowsvcConfig(AppConfig):
    name = "windowsvc"
    verbose_name = _("系统")

    def ready(self):
        # Connects the receiver that revokes a user's API tokens when their password changes.
        from . import logins  # noqa: F401

        # Registers the project's deploy checks (manage.py check --deploy; docs/DEPLOY.md).
        from . import checks  # noqa: F401
