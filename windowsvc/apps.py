from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WindowsvcConfig(AppConfig):
    name = "windowsvc"
    verbose_name = _("系统")
