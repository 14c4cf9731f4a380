from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    """The closed loop: intake, classification, routing, handling, reply, callback and closure.

    ``ready`` registers the loop's notices (``cases.notices.notify_event``) as an in-transaction effect of
    every event kind, refuses to start while a kind has no decision in ``cases.notices.NOTICES``, and
    recomputes provisional deadlines when the working-day calendar gains dates
    (``routing.calendar.calendar_loaded``).
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

        from routing.calendar import calendar_loaded

        # The calendar gained dates (a year imported): provisional deadlines computed again, in the
        # import's transaction.
        calendar_loaded.connect(_calendar_loaded, dispatch_uid="cases.provisional_deadlines_recompute")


def _calendar_loaded(sender, *, now, **kwargs):
    from .sla import provisional_deadlines_recompute

    provisional_deadlines_recompute(now=now)
