"""``manage.py sweep [--now 2026-03-05T09:00:00+08:00]``: run the deadline sweep once, as beat does."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from cases.sweep import sweep


class Command(BaseCommand):
    help = "Fire the deadline ladder steps (yellow, 催办, 督办, 通报, sign-for reminders) due by now."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Sweep as of this moment (ISO 8601 with a UTC offset).")

    def handle(self, *args, now=None, **options):
        moment = None
        if now:
            moment = parse_datetime(now)
            if moment is None or moment.tzinfo is None:
                raise CommandError("--now needs an ISO 8601 datetime with a UTC offset")
        result = sweep(now=moment)
        self.stdout.write(" ".join(f"{key}={value}" for key, value in sorted(result.items())))
