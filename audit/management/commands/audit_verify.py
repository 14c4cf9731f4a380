"""``manage.py audit_verify``: check every case's event chain and the last digest of chain heads."""

from __future__ import annotations

import json
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.chain import chains_verify
from cases.models import Case


class Command(BaseCommand):
    help = (
        "Check the hash chain of every case's events (or one case's, or those with events since a date) "
        "and the chain heads against the last daily digest; exits 1 and names the first broken link of "
        "each case when one does not hold."
    )

    def add_arguments(self, parser):
        parser.add_argument("--case", metavar="TRACKING_NUMBER", help="only this case")
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="only cases with an event since this day")
        parser.add_argument("--no-digest", action="store_true", help="do not compare with the last digest")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options):
        case_id = None
        if options["case"]:
            case_id = (
                Case.objects.filter(tracking_number=options["case"]).values_list("pk", flat=True).first()
            )
            if case_id is None:
                raise CommandError(f"no case {options['case']}")
        since = None
        if options["since"]:
            try:
                day = datetime.strptime(options["since"], "%Y-%m-%d").date()  # noqa: DTZ007 (a date)
            except ValueError:
                raise CommandError("--since takes a date, YYYY-MM-DD") from None
            since = timezone.make_aware(datetime.combine(day, time.min))
        report = chains_verify(case_id=case_id, since=since, compare_digest=not options["no_digest"])
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "ok": report.ok,
                        "cases": report.cases,
                        "events": report.events,
                        "breaks": [b.as_dict() for b in report.breaks],
                        "digest": report.digest.as_dict() if report.digest else None,
                        "digest_ok": report.digest_ok,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            for b in report.breaks:
                self.stdout.write(
                    f"BROKEN case {b.tracking_number} (id {b.case_id}) event id {b.event_id} "
                    f"#{b.sequence}: {b.problem} expected {b.expected} stored {b.stored}"
                )
            if report.digest is None:
                self.stdout.write("digest: none to compare")
            else:
                state = "matches" if report.digest_ok else "DOES NOT MATCH"
                self.stdout.write(
                    f"digest of {report.digest.cutoff.isoformat()} ({report.digest.digest}): {state}"
                )
            self.stdout.write(f"{report.cases} cases, {report.events} events, {len(report.breaks)} broken")
        if not report.ok:
            raise CommandError("audit trail check failed")
