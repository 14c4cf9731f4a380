"""Export the organisation (or one region's subtree) as an import file for import_org."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from routing.models import Region
from routing.orgfile import organisation_export


class Command(BaseCommand):
    help = "导出组织机构文件（YAML，可由 import_org 导入）/ Export the organisation as an import file."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")
        parser.add_argument(
            "--region", help="Only this region's subtree (division code), with its ancestors."
        )
        parser.add_argument(
            "--with-password-hashes",
            action="store_true",
            help="Include users' password hashes (the file then holds credentials: keep it private).",
        )

    def handle(self, *args, output=None, region=None, with_password_hashes=False, **options):
        try:
            text = organisation_export(region_code=region, include_password_hashes=with_password_hashes)
        except Region.DoesNotExist as exc:
            raise CommandError(f"unknown region {region!r} / 未知的区划") from exc
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"written to {output}")
        else:
            self.stdout.write(text, ending="")
