"""``manage.py timers_reconcile``: start the timers (reply, first contact, callback, reviews …) of cases
taken in before they existed; idempotent, so ``scripts/run`` runs it after every migrate."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from cases.sla import timers_reconcile_all


class Command(BaseCommand):
    help = "Make every open case's running timers equal the clock table (docs/DEADLINES.md)."

    def handle(self, *args, **options):
        count = timers_reconcile_all(now=timezone.now())
        self.stdout.write(f"cases={count}")
