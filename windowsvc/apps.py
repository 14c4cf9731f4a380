from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WindowsvcConfig(AppConfig):
    name = "windowsvc"
    verbose_name = _("系统")

    def ready(self):
        # logins connects the receiver that revokes a user's API tokens when their password changes;
        # checks registers the project's deploy checks (manage.py check --deploy; docs/DEPLOY.md).
        from . import checks, logins  # noqa: F401
