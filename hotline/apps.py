from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    """12345 hotline work orders both ways (docs/HOTLINE.md).

    Above ``cases`` like ``citizens``: it takes work orders in through ``cases.services.case_intake`` with the
    system actor, and reports a hotline case's steps back to its platform through its own outbox
    (``HotlineCallback``), written by a ``cases.effects`` handler in the event's transaction. ``cases`` never
    imports it.
    """

    name = "hotline"
    verbose_name = _("12345热线")

    def ready(self) -> None:
        from cases import effects

        from . import outbox

        effects.register(list(outbox.REPORTED_KINDS))(outbox.callback_record)
