"""``manage.py rotate_personal_keys``: bring every encrypted personal number under the newest keys.

Each row whose token was made under an older key of ``FIELD_ENCRYPTION_KEYS`` is re-encrypted with the
first (newest) one, and each blind index not computed under the first ``BLIND_INDEX_KEYS`` key is
recomputed; rows already current are not written, so it can be stopped and run again. ``--check`` writes
nothing and fails while any row still needs the older keys: run it before removing an old key
(docs/SECURITY.md, "Key rotation").
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _

from windowsvc.encryption import encrypt_table, encrypted_tables


class Command(BaseCommand):
    help = "Re-encrypt personal numbers with the newest key and recompute their blind indexes (docs/SECURITY.md)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="rows per transaction (default 1000)"
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="write nothing; fail while any row is not under the newest keys",
        )

    def handle(self, *args, batch_size: int, check: bool, **options):
        if batch_size < 1:
            raise CommandError(_("--batch-size 须为正整数。"))
        stale = unreadable = 0
        for model, columns in encrypted_tables():
            table = model._meta.db_table
            result = encrypt_table(connection, table, columns, batch_size=batch_size, verify_only=check)
            bad = result.unreadable or []
            stale += result.stale
            unreadable += len(bad)
            if check:
                line = _("%(table)s：共 %(rows)d 行，%(stale)d 行仍用旧密钥") % {
                    "table": table,
                    "rows": result.rows,
                    "stale": result.stale,
                }
            else:
                line = _("%(table)s：共 %(rows)d 行，重新加密 %(changed)d 行") % {
                    "table": table,
                    "rows": result.rows,
                    "changed": result.changed,
                }
            self.stdout.write(line)
            if bad:
                self.stderr.write(
                    _("%(table)s：%(count)d 行无法用现有密钥解密（首个编号 %(first)d）")
                    % {
                        "table": table,
                        "count": len(bad),
                        "first": bad[0],
                    }
                )
        if unreadable:
            raise CommandError(
                _("%(count)d 行无法解密：请把旧密钥放回 FIELD_ENCRYPTION_KEYS 后再运行。")
                % {"count": unreadable}
            )
        if check and stale:
            raise CommandError(
                _("%(count)d 行仍用旧密钥：请先运行 rotate_personal_keys，再移除旧密钥。") % {"count": stale}
            )
        if check:
            self.stdout.write(_("全部个人号码已使用最新密钥。"))
