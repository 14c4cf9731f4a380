"""Load the demo organisation and demo accounts; running it again changes nothing."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  (documented demo credential, local use only)


class Command(BaseCommand):
    help = "加载演示数据（可重复执行）/ Load the demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--list-accounts", action="store_true", help="Only print the demo accounts.")

    def handle(self, *args, list_accounts=False, **options):
        if list_accounts:
            self._print_accounts()
            return
        with transaction.atomic():
            user_model = get_user_model()
            admin, created = user_model.objects.get_or_create(
                username="admin",
                defaults={"is_staff": True, "is_superuser": True, "first_name": "系统管理员"},
            )
            if created:
                admin.set_password(DEMO_PASSWORD)
                admin.save(update_fields=["password"])
        self.stdout.write("demo data ready")

    def _print_accounts(self):
        user_model = get_user_model()
        for user in user_model.objects.order_by("username"):
            self.stdout.write(f"{user.username:<24} {user.get_full_name()}")
