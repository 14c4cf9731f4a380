from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibraryConfig(AppConfig):
    """案例汇总 — the case library: write-ups of solved hard cases, reviewed and published (anonymised for
    the public), searched by words, and offered to the window at intake.

    Above ``cases`` like ``supervision``: it reads the closed loop and the organisation; ``cases`` never
    imports it (the intake page reaches its suggestions through a URL). ``ready`` registers the
    suggestion index's sync (``library.indexing.solved_case_event``) as an in-transaction effect of the case
    events after which a case may have become, or stopped being, solved, and the attachment of a clerk's
    按此案例办理 choice to the case its intake created (``indexing.reuse_attach``), and keeps each write-up's
    copy of where its case is handled in step with the case on every event (``indexing.writeup_follow_case``:
    the library is scoped on the write-up's own columns).
    """

    name = "library"
    verbose_name = _("案例汇总")

    def ready(self):
        from cases import effects
        from cases.choices import EventKind

        from . import indexing

        effects.register([kind.value for kind in indexing.SOLVED_KINDS])(indexing.solved_case_event)
        effects.register([EventKind.INTAKE.value])(indexing.reuse_attach)
        # Every kind but intake (a case being taken in has no write-up yet): which commands move a case is
        # the workflow's business, and a list of them here would drift.
        effects.register([k for k in EventKind.values if k != EventKind.INTAKE])(indexing.writeup_follow_case)
