"""``manage.py seed_cases --cases N``: a realistic history of N cases over the demo organisation, fast.

``--counties`` spreads the cases over the named counties (default: every county that can take cases);
``--extra-counties N`` first copies the demo county's organisation under N new county codes of the same
city (``supervision.seed.counties``), for a province-sized benchmark.
"""

import sys

from django.core.management.base import BaseCommand, CommandError

from supervision.seed import SeedError, counties_clone, progress_bar, seed_cases


class Command(BaseCommand):
    help = (
        "Generate a realistic history of cases (events, assignments, deadlines, callbacks, facts and rollups) "
        "over the organisation loaded by `manage.py load_demo`. PostgreSQL: COPY in parallel chunks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=0, help="how many cases to add")
        parser.add_argument(
            "--days", type=int, default=1095, help="history span up to now, in days (default 1095)"
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same history)")
        parser.add_argument("--workers", type=int, default=None, help="worker processes (default: up to 4)")
        parser.add_argument("--chunk", type=int, default=20000, help="cases per chunk / transaction")
        parser.add_argument(
            "--defer-indexes",
            action="store_true",
            help="PostgreSQL: drop the secondary indexes of the loaded tables during the load and build them "
            "again at the end (faster for large loads; do not use while the site is serving)",
        )
        parser.add_argument(
            "--counties",
            default="",
            help="comma-separated county codes to spread the cases over, evenly (default: every county with "
            "active windows, handling departments and categories)",
        )
        parser.add_argument(
            "--extra-counties",
            type=int,
            default=0,
            help="first copy the largest county's organisation under this many new county codes of the same "
            "city (regions, departments, windows, staff, categories, default departments, calendar); "
            "with --cases 0 only the copies are made",
        )
        parser.add_argument(
            "--restore-indexes",
            action="store_true",
            help="only build indexes an interrupted run left dropped",
        )

    def handle(self, *args, cases, days, seed, workers, chunk, defer_indexes, restore_indexes, **options):
        if restore_indexes:
            from supervision.seed import indexes_restore

            self.stdout.write(f"{indexes_restore()} index(es) built")
            return
        extra = options["extra_counties"]
        if extra < 0:
            raise CommandError("--extra-counties cannot be negative")
        if cases < 1 and not extra:
            raise CommandError("--cases must be at least 1")
        if cases < 0:
            raise CommandError("--cases cannot be negative")
        if extra:
            try:
                made = counties_clone(count=extra)
            except SeedError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"counties added: {', '.join(c.code for c in made)}")
            if not cases:
                return
        codes = [code.strip() for code in options["counties"].split(",") if code.strip()]
        if days < 1:
            raise CommandError("--days must be at least 1")
        try:
            result = seed_cases(
                cases=cases,
                days=days,
                seed=seed,
                workers=workers,
                chunk_cases=chunk,
                defer_indexes=defer_indexes,
                counties=codes or None,
                progress=progress_bar(sys.stderr) if options["verbosity"] > 0 else None,
            )
        except SeedError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"seeded {result.cases:,} cases, {result.events:,} events, {result.assignments:,} assignments "
            f"in {result.seconds:.1f}s"
        )
