from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """The closed loop: intake, classification, routing, handling, reply, callback and closure.

    ``ready`` registers the loop's notices (``cases.notices.notify_event``) as an in-transaction effect of
    every event kind, and refuses to start while a kind has no decision in ``cases.notices.NOTICES``.
    """

    name = "cases"
    verbose_name = _("案件")

    def ready(self):
        from . import effects, notices
        from .choices import CASE_EVENT_KINDS

        undecided = notices.undecided_kinds()
        if undecided:
            raise ImproperlyConfigured(
                f"cases.notices.NOTICES must decide each event kind (a handler or Silent): {undecided}"
            )
        effects.register([value for value, _label in CASE_EVENT_KINDS])(notices.notify_event)
