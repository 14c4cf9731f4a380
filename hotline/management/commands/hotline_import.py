"""``manage.py hotline_import PLATFORM FILE [--commit]``: preview (default) or import a 12345 export."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hotline.imports import import_commit, import_preview
from hotline.models import HotlinePlatform
from windowsvc.errors import ValidationFailed


class Command(BaseCommand):
    help = "Preview or import a 12345 platform's work-order export (.xlsx or .csv); all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("platform", help="the platform's code")
        parser.add_argument("file")
        parser.add_argument("--commit", action="store_true", help="import (default: preview only)")

    def handle(self, *args, platform, file, commit, **options):
        found = HotlinePlatform.objects.filter(code=platform).first()
        if found is None:
            raise CommandError(f"no platform {platform!r}")
        path = Path(file)
        try:
            preview = import_preview(platform=found, name=path.name, content=path.read_bytes())
        except ValidationFailed as exc:
            raise CommandError("; ".join(m for ms in exc.errors.values() for m in ms)) from None
        for error in preview.errors:
            self.stdout.write(str(error))
        self.stdout.write(
            f"rows {len(preview.rows)}, new {preview.new}, known {preview.existing}, errors {len(preview.errors)}"
        )
        if preview.errors:
            raise CommandError("the file has errors: nothing imported")
        if commit:
            done = import_commit(platform=found, name=path.name, content=path.read_bytes())
            self.stdout.write(f"imported {done.new}, skipped {done.existing}")
