"""``manage.py library_reindex``: rebuild the suggestion index of solved cases (``SolvedCase``) after a bulk
seed written with ``COPY`` (``seed_cases``), which bypasses the case events' in-transaction sync; with
``--writeups``, also recompute every write-up's tokens and anonymised version (after an upgrade that changes
what is indexed, e.g. the recency tokens of ``library.search.index_text``).

``library.indexing.solved_cases_rebuild`` over ranges of case ids, in batches, in worker processes, with
progress; safe to run again (each batch replaces its rows).
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from library.seed import rebuild_solved_cases, refresh_writeups
from supervision.seed.run import progress_bar


class Command(BaseCommand):
    help = "Rebuild the solved-case suggestion index (after seed_cases)."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2; 1: none)")
        parser.add_argument("--batch", type=int, default=2000, help="rows per insert batch (default 2,000)")
        parser.add_argument(
            "--chunk", type=int, default=20000, help="case ids per work unit (default 20,000)"
        )

        parser.add_argument(
            "--writeups", action="store_true", help="also refresh every write-up's tokens and public version"
        )
        parser.add_argument("--no-cases", action="store_true", help="skip the solved cases (with --writeups)")

    def handle(self, *args, workers, batch, chunk, writeups=False, no_cases=False, **options):
        if batch < 1 or chunk < 1:
            raise CommandError("--batch and --chunk must be at least 1")
        started = time.monotonic()
        show = progress_bar(self.stderr._out) if options["verbosity"] else None
        if writeups:
            refreshed = refresh_writeups(workers=workers, progress=show)
            self._analyze("library_writeup")
            self.stdout.write(f"{refreshed:,} write-ups refreshed in {time.monotonic() - started:.1f}s")
        if not no_cases:
            written = rebuild_solved_cases(chunk=chunk, batch=batch, workers=workers, progress=show)
            self._analyze("library_solvedcase")
            self.stdout.write(f"{written:,} solved cases indexed in {time.monotonic() - started:.1f}s")

    def _analyze(self, table: str) -> None:
        # The search's word selection reads the planner's statistics (library.search.word_shares).
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {table}")
