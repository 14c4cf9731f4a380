"""``manage.py library_reindex``: rebuild the suggestion index of solved cases (``SolvedCase``) after a bulk
seed written with ``COPY`` (``seed_cases``), which bypasses the case events' in-transaction sync.

``library.indexing.solved_cases_rebuild`` over ranges of case ids, in batches, in worker processes, with
progress; safe to run again (each batch replaces its rows).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from library.seed import rebuild_solved_cases
from supervision.seed.run import progress_bar


class Command(BaseCommand):
    help = "Rebuild the solved-case suggestion index (after seed_cases)."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2; 1: none)")
        parser.add_argument("--batch", type=int, default=2000, help="rows per insert batch (default 2,000)")
        parser.add_argument(
            "--chunk", type=int, default=20000, help="case ids per work unit (default 20,000)"
        )

    def handle(self, *args, workers, batch, chunk, **options):
        if batch < 1 or chunk < 1:
            raise CommandError("--batch and --chunk must be at least 1")
        started = time.monotonic()
        show = progress_bar(self.stderr._out) if options["verbosity"] else None
        written = rebuild_solved_cases(chunk=chunk, batch=batch, workers=workers, progress=show)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE library_solvedcase")
        self.stdout.write(f"{written:,} solved cases indexed in {time.monotonic() - started:.1f}s")
