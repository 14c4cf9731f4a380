"""Id numbers and credit codes encrypted at rest, step 2 of 3: the rows.

Every requester's id number and credit code is encrypted with the newest key of ``FIELD_ENCRYPTION_KEYS``
and its blind index computed under the newest ``BLIND_INDEX_KEYS`` (``windowsvc.encryption.encrypt_table``):
in primary-key order, 1,000 rows per transaction, rows already done skipped. The migration is not atomic on
purpose: a million rows are not held in one transaction, and one that stopped half-way is simply run again.
Empty numbers become NULL.

Reverse: the clear numbers are written back (NULL as ""), so 0011 can be reversed onto the old columns.
"""

from django.db import migrations

from windowsvc.encryption import EncryptedColumn, decrypt_table, encrypt_table
from windowsvc.personal import normalize_credit_code, normalize_id_number

TABLE = "cases_requester"
COLUMNS = (
    EncryptedColumn("id_number", "id_number_index", normalize_id_number),
    EncryptedColumn("credit_code", "credit_code_index", normalize_credit_code),
)


def encrypt_rows(apps, schema_editor):
    result = encrypt_table(schema_editor.connection, TABLE, COLUMNS, accept_clear=True)
    assert not result.unreadable, result.unreadable  # accept_clear takes every value in


def decrypt_rows(apps, schema_editor):
    decrypt_table(schema_editor.connection, TABLE, COLUMNS)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0011_requester_encrypted_columns"),
    ]

    operations = [
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
    ]
