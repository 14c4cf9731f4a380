"""``manage.py write_chain_digest``: write today's digest of chain heads now (what beat does daily)."""

from django.core.management.base import BaseCommand

from audit.chain import chain_digest_write


class Command(BaseCommand):
    help = "Write today's digest of the case events' chain heads (once a day; a repeat prints the first)."

    def handle(self, *args, **options):
        row = chain_digest_write()
        self.stdout.write(f"{row.cutoff.isoformat()} cases={row.cases} events={row.events} {row.digest}")
