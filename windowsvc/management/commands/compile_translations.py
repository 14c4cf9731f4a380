"""Compile locale/*/LC_MESSAGES/*.po into .mo with polib, so no GNU gettext is needed on any machine."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def compile_translations(verbose: bool = False) -> list[Path]:
    """Write a .mo next to every .po that is newer than its .mo; returns the files written."""
    written = []
    for locale_dir in settings.LOCALE_PATHS:
        for po_path in Path(locale_dir).rglob("*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            written.append(mo_path)
    return written


class Command(BaseCommand):
    help = "编译翻译文件（无需 gettext）/ Compile .po translation files to .mo without GNU gettext."

    def handle(self, *args, **options):
        for path in compile_translations():
            self.stdout.write(f"compiled {path}")
