from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibraryConfig(AppConfig):
    """案例汇总 — the case library: write-ups of solved hard cases, reviewed and published (anonymised for
    the public), searched by words, and offered to the window at intake.

    Above ``cases`` like ``supervision``: it reads the closed loop and the organisation; ``cases`` never
    imports it (the intake page reaches its suggestions through a URL).
    """

    name = "library"
    verbose_name = _("案例汇总")
