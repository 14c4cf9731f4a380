"""``manage.py seed_writeups --count 100000``: published write-ups of seeded solved cases, for benchmarks.

Run after ``seed_cases`` (and before ``library_reindex``, which the suggestions also need). Texts come from
``library.seed.MATTERS``; the derived fields are filled by ``library.indexing.writeup_refresh``, the
workflow's own function (jieba tokens, anonymised version). BENCHMARKS.md gives the recipe and timings.
"""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from library.seed import seed_writeups
from supervision.seed.run import progress_bar


class Command(BaseCommand):
    help = "Write N published write-ups (with tokens and anonymised versions) for resolved/closed cases."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000, help="write-ups to write (default 100,000)")
        parser.add_argument("--batch", type=int, default=2000, help="write-ups per batch (default 2,000)")
        parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2; 1: none)")
        parser.add_argument("--seed", type=int, default=14, help="random seed (default 14)")
        parser.add_argument(
            "--publisher", default="county_supervisor", help="who published them (default county_supervisor)"
        )

    def handle(self, *args, count, batch, workers, seed, publisher, **options):
        if count < 1 or batch < 1:
            raise CommandError("--count and --batch must be at least 1")
        publisher_id = (
            get_user_model().objects.filter(username=publisher).values_list("pk", flat=True).first()
        )
        started = time.monotonic()
        show = progress_bar(self.stderr._out) if options["verbosity"] else None
        written = seed_writeups(
            count=count, batch=batch, workers=workers, seed=seed, publisher_id=publisher_id,
            progress=(lambda done, total, elapsed: show(done, total, elapsed)) if show else None,
        )  # fmt: skip
        self.stdout.write(f"{written:,} write-ups written in {time.monotonic() - started:.1f}s")
