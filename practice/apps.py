from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PracticeConfig(AppConfig):
    """常态建设 — recurring problems found in the cases, and the standing-practice items that fix them at the
    root (a corrected service guide, a new process, a removed barrier), tracked to done against a deadline.

    Above ``cases`` like ``supervision``; ``cases`` never imports it.
    """

    name = "practice"
    verbose_name = _("常态建设")
