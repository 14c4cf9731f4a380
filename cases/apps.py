from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """The closed loop: intake, classification, routing, handling, reply, callback and closure."""

    name = "cases"
    verbose_name = _("案件")
