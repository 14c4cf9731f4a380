from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    """Supervision (督办): dashboards per tier, overdue lists, department tables, rankings, bulletins, exports.

    Reads the closed loop (``cases``) and the organisation (``routing``); ``cases`` never imports this app.
    Its one write into the loop's transactions is the case-fact projection (``supervision.projection``),
    registered here as an in-transaction handler of every case event.
    """

    name = "supervision"
    verbose_name = _("督办考核")

    def ready(self):
        from cases import choices, effects

        from . import projection

        # Every kind of event, the deadline sweep's steps included: a fact follows each change of its case.
        kinds = [value for value, _label in getattr(choices, "CASE_EVENT_KINDS", choices.EventKind.choices)]
        effects.register(kinds, batch=projection.events_recorded)(projection.event_recorded)

        from cases.signals import deadlines_recomputed

        # Deadlines moved without an event (the calendar gained dates): the same facts follow them.
        deadlines_recomputed.connect(
            projection.deadlines_recomputed, dispatch_uid="supervision.projection.deadlines_recomputed"
        )
