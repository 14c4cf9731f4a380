"""Re-make the English catalogue after a merge, keeping every translation either side had.

Usage (after a merge left locale/en/LC_MESSAGES/django.po in conflict, or any time):
    python scripts/po_merge.py REV [REV …]
Reads the catalogue as it was at each REV (e.g. HEAD and MERGE_HEAD), runs makemessages, fills every entry
from those translations, drops obsolete ones and compiles. Entries nobody translated are listed.
"""

# A developer tool: it runs git and manage.py with fixed arguments.
# ruff: noqa: S603, S607
import subprocess
import sys

import polib

PO = "locale/en/LC_MESSAGES/django.po"


def translations(rev: str) -> dict[str, str]:
    text = subprocess.run(["git", "show", f"{rev}:{PO}"], capture_output=True, text=True, check=True).stdout
    return {e.msgid: e.msgstr for e in polib.pofile(text) if e.translated() and not e.obsolete}


def main(revs: list[str]) -> int:
    known: dict[str, str] = {}
    for rev in revs:
        known.update(translations(rev))
    subprocess.run(["git", "checkout", revs[0], "--", PO], check=True)
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "en"], check=True)
    po = polib.pofile(PO)
    for entry in [e for e in po if e.obsolete]:
        po.remove(entry)
    missing = []
    for entry in po:
        if entry.msgid in known and (not entry.translated() or "fuzzy" in entry.flags):
            entry.msgstr = known[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = None
        if not entry.translated() or "fuzzy" in entry.flags:
            missing.append(entry.msgid)
    po.save()
    subprocess.run([sys.executable, "manage.py", "compile_translations"], check=True)
    for msgid in missing:
        print("untranslated:", msgid)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["HEAD"]))
