from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    """The organisation: tiers, regions, departments, service windows, staff roles; never imports cases."""

    name = "routing"
    verbose_name = _("组织机构")
