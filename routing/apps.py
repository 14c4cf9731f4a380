from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    """The organisation: tiers, regions, departments, service windows, staff roles; never imports cases."""

    name = "routing"
    verbose_name = _("组织机构")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import signals

        # After every app's permissions exist (post_migrate of the last app is fine: this is idempotent).
        post_migrate.connect(signals.create_role_groups, dispatch_uid="routing.create_role_groups")
