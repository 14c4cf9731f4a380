"""Import one year's official holiday schedule (放假 + 调休上班) from a small YAML or CSV file."""

from django.core.management.base import BaseCommand, CommandError

from routing.calendar import CalendarImportError, calendar_import_file


class Command(BaseCommand):
    help = (
        "导入国务院办公厅公布的某一年节假日安排（YAML 或 CSV；全部成功或全部不写入，可重复执行）/ "
        "Import a year's official holiday schedule from a YAML or CSV file (all or nothing, idempotent). "
        "Format: see routing.calendar.schedule.parse_schedule and demo/calendar-2027.yaml."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the schedule file (.yaml, .yml or .csv)")
        parser.add_argument(
            "--format", choices=["yaml", "csv"], default=None, help="override the file suffix"
        )
        parser.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
        parser.add_argument(
            "--allow-example",
            action="store_true",
            help="import a file marked `example: true` (a template, not the official schedule)",
        )

    def handle(self, *args, file, format=None, dry_run=False, allow_example=False, **options):
        try:
            result = calendar_import_file(path=file, fmt=format, dry_run=dry_run, allow_example=allow_example)
        except CalendarImportError as exc:
            raise CommandError(
                "\n".join(["cannot import the calendar, nothing written:", *exc.lines(file)])
            ) from exc
        summary = f"{result.year}: {result.days_off} days off, {result.make_up_days} make-up working days"
        if dry_run:
            self.stdout.write(f"{file} is valid ({summary}); nothing written (--dry-run)")
        else:
            self.stdout.write(
                f"imported {summary}: {result.created} days added, {result.updated} changed; "
                f"horizon {result.horizon}"
            )
