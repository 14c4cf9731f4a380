from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizensConfig(AppConfig):
    """The public side: status lookup (API and page), the satisfaction survey link, Open311 GeoReport v2.

    The only part of the system open to anonymous callers: it reads cases through its own narrow selectors
    (public fields only) and writes through ``cases.services`` with the system actor (``actor=None``).
    """

    name = "citizens"
    verbose_name = _("群众服务")
