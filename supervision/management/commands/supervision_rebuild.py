"""``manage.py supervision_rebuild``: recompute the case facts and the rollups from the cases.

For a database that had cases before the supervision app was installed, or to check the maintained rows
(``--check`` reports differences and changes nothing). Run it while no commands are being processed.
"""

from django.core.management.base import BaseCommand, CommandError

from supervision import projection


class Command(BaseCommand):
    help = "Recompute supervision facts and rollups from the cases (or --check them)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="compare the rollups with the facts; change nothing"
        )

    def handle(self, *args, check, **options):
        if check:
            differences = projection.rollups_differences()
            if differences:
                for key, (stored, expected) in sorted(differences.items(), key=str)[:20]:
                    self.stdout.write(f"{key}: stored {stored}, expected {expected}")
                raise CommandError(f"{len(differences)} rollup row(s) differ from the facts")
            self.stdout.write("rollups agree with the facts")
            return
        written = projection.case_facts_rebuild()
        self.stdout.write(f"{written} fact(s) rebuilt; rollups rebuilt")
