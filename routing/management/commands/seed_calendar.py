"""Load the national working-day calendar from the chinese-calendar package (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from routing.calendar import CalendarError, calendar_horizon, calendar_seed, package_years


def parse_years(value: str) -> list[int]:
    """``2026``, ``2024-2026`` or ``2024,2026`` (combinations allowed: ``2020,2024-2026``)."""
    years: set[int] = set()
    for part in value.split(","):
        part = part.strip()
        first, _, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise CommandError(f"--years: cannot read {part!r}; use e.g. 2026, 2024-2026 or 2024,2026")
        first_year, last_year = int(first), int(last or first)
        if last_year < first_year:
            raise CommandError(f"--years: {part!r} ends before it starts")
        years.update(range(first_year, last_year + 1))
    return sorted(years)


class Command(BaseCommand):
    help = (
        "从 chinese-calendar 数据包载入全国工作日历（可重复执行；不覆盖导入或管理员修改的日期）/ "
        "Seed the national working-day calendar from the chinese-calendar package (idempotent)."
    )

    def add_arguments(self, parser):
        known = package_years()
        parser.add_argument(
            "--years",
            type=parse_years,
            default=None,
            help=f"years to load, e.g. 2024-2026 (default: all the package covers, {known.start}–{known.stop - 1})",
        )

    def handle(self, *args, years=None, **options):
        try:
            result = calendar_seed(years=years)
        except CalendarError as exc:
            raise CommandError(str(exc)) from exc
        span = f"{result.years[0]}–{result.years[-1]}" if result.years else "-"
        self.stdout.write(
            f"working-day calendar {span}: {result.created} days added, {result.updated} corrected; "
            f"horizon {calendar_horizon()}"
        )
