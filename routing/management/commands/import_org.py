"""Import an organisation file (YAML): all or nothing, idempotent; the format: routing/orgfile/__init__.py."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from routing.orgfile import OrgFileInvalid, organisation_import


class Command(BaseCommand):
    help = "导入组织机构文件（YAML；全部成功或全部不写入，可重复执行）/ Import an organisation file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the YAML file, or - for standard input.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and report what would change; write nothing."
        )

    def handle(self, *args, file, dry_run=False, **options):
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: {exc}") from exc
        source = "<stdin>" if file == "-" else file
        try:
            result = organisation_import(text=text, source=source, dry_run=dry_run)
        except OrgFileInvalid as exc:
            for error in exc.errors:
                self.stderr.write(error.format(source))
            raise CommandError(
                f"{source}: {len(exc.errors)} error(s); nothing was imported / 文件有误，未导入任何内容"
            ) from exc
        self.stdout.write(result.summary())
        if dry_run:
            self.stdout.write("dry run: nothing was written / 试运行，未写入")
        elif not result.changed:
            self.stdout.write("no changes / 无变化")
