"""Load the demo data: the organisation (demo/organisation.yaml: one city with two counties), the ``admin``
superuser, each county's category tree (demo/categories*.yaml), a handful of demo cases in every state
(and three in the second county), and one recurring problem with a
standing-practice item on it (``practice.demo``); running it again changes nothing.

It lives in the project package because it spans apps (routing never imports cases).
"""

import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from cases.demo import demo_cases_load, demo_categories_load, demo_second_county_cases_load
from library.demo import demo_writeups_load
from practice.demo import demo_practice_load
from routing.models import Membership
from routing.orgfile import OrgFileInvalid, organisation_import, orgfile_parse

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  (documented demo credential, local use only)
DEMO_FILE = settings.BASE_DIR / "demo" / "organisation.yaml"
DEMO_SOURCE = "demo/organisation.yaml"
DEMO_CATEGORIES = settings.BASE_DIR / "demo" / "categories.yaml"
# The second county's own category tree (categories belong to one county).
DEMO_SECOND_CATEGORIES = settings.BASE_DIR / "demo" / "categories-330698.yaml"


def _pad(text: str, width: int) -> str:
    """Left-justify to a display width: CJK characters take two columns in a terminal."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - shown, 1)


class Command(BaseCommand):
    help = "加载演示数据（可重复执行）/ Load the demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--list-accounts",
            action="store_true",
            help="Only print the demo accounts: username, role, tier and where.",
        )

    def handle(self, *args, list_accounts=False, **options):
        text = DEMO_FILE.read_text(encoding="utf-8")
        if list_accounts:
            self._print_accounts(text)
            return
        try:
            # One transaction for the organisation and the superuser (the import's own is a savepoint).
            with transaction.atomic():
                result = organisation_import(text=text, source=DEMO_SOURCE)
                self._ensure_admin()
                categories_changed = demo_categories_load(DEMO_CATEGORIES)
                categories_changed += demo_categories_load(DEMO_SECOND_CATEGORIES)
                cases_made = demo_cases_load() + demo_second_county_cases_load()
                practice_made = demo_practice_load()
                writeups_made = demo_writeups_load()
        except OrgFileInvalid as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(result.summary())
        self.stdout.write(
            f"categories changed: {categories_changed}; demo cases created: {cases_made}; "
            f"demo write-ups published: {writeups_made}"
        )
        self.stdout.write(f"standing practice (常态建设) demo rows created: {practice_made}")
        changed = result.changed or categories_changed or cases_made or practice_made or writeups_made
        self.stdout.write("demo data ready" + ("" if changed else " (no changes)"))

    def _ensure_admin(self) -> None:
        admin, created = get_user_model().objects.get_or_create(
            username="admin",
            defaults={"is_staff": True, "is_superuser": True, "first_name": _("系统管理员")},
        )
        if created:
            # The same validators as every other path that sets a password (docs/SECURITY.md, "Logins").
            validate_password(DEMO_PASSWORD, user=admin)
            admin.set_password(DEMO_PASSWORD)
            admin.save(update_fields=["password"])

    def _print_accounts(self, text: str) -> None:
        usernames = ["admin", *(spec.username for spec in orgfile_parse(text, source=DEMO_SOURCE).users)]
        memberships = Membership.objects.select_related("region", "department", "window").order_by("pk")
        users = get_user_model().objects.prefetch_related(Prefetch("memberships", queryset=memberships))
        by_name = users.in_bulk(usernames, field_name="username")
        for username in usernames:
            user = by_name.get(username)
            if user is None:
                self.stdout.write(_pad(username, 24) + _("（未加载，请先运行 load_demo）"))
                continue
            if user.is_superuser:
                self.stdout.write(_pad(username, 24) + _pad(_("超级管理员"), 14) + _pad("—", 12) + _("全部"))
                continue
            for membership in user.memberships.all():
                where = membership.department.name if membership.department else membership.region.name
                if membership.window:
                    where += f" · {membership.window.name}"
                self.stdout.write(
                    _pad(username, 24)
                    + _pad(membership.get_role_display(), 14)
                    + _pad(membership.region.get_tier_display(), 12)
                    + where
                )
