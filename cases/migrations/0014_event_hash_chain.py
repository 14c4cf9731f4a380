"""Chain every case's events (cases/auditchain.py): add ``prev_hash`` and ``hash`` and compute them for the
events already written.

The events' trigger refuses UPDATE, so on PostgreSQL this migration disables it for its own transaction
only (the migration is atomic: a failure rolls the ALTER back with the rest). That needs the table's owner,
which is why migrations run as the owner role (docs/DEPLOY.md). Existing events are streamed in chain order
(a server-side cursor), hashed in Python, COPY'd into a temporary table and applied with one UPDATE per
batch: about seven million events in a few minutes.
"""


from django.db import migrations, models

from cases import auditchain

BATCH = 200_000


def _rows(CaseEvent):
    fields = (
        "pk", "case_id", "sequence", "kind", "actor_id", "department_id", "from_status", "to_status",
        "reason", "payload", "is_public", "created_at",
    )
    previous_case, prev = None, auditchain.GENESIS
    for pk, case_id, seq, kind, actor, dept, frm, to, reason, payload, public, created in (
        CaseEvent.objects.order_by("case_id", "sequence").values_list(*fields).iterator(chunk_size=5000)
    ):
        if case_id != previous_case:
            previous_case, prev = case_id, auditchain.GENESIS
        digest = auditchain.event_hash(
            prev, case_id, seq, kind, actor, dept, frm, to, reason, payload, public, auditchain.to_us(created)
        )
        yield pk, prev, digest
        prev = digest


def _apply_postgresql(cursor, batch):
    cursor.execute("TRUNCATE _event_chain")
    with cursor.cursor.copy("COPY _event_chain (id, prev_hash, hash) FROM STDIN") as copy:
        copy.write("".join(f"{pk}\t{prev}\t{digest}\n" for pk, prev, digest in batch))
    cursor.execute(
        "UPDATE cases_caseevent e SET prev_hash = c.prev_hash, hash = c.hash FROM _event_chain c WHERE e.id = c.id"
    )


def chain_existing(apps, schema_editor):
    CaseEvent = apps.get_model("cases", "CaseEvent")
    connection = schema_editor.connection
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            cursor.execute("ALTER TABLE cases_caseevent DISABLE TRIGGER cases_caseevent_append_only")
            cursor.execute(
                "CREATE TEMPORARY TABLE _event_chain (id bigint PRIMARY KEY, prev_hash varchar(64), "
                "hash varchar(64)) ON COMMIT DROP"
            )
        batch = []
        for row in _rows(CaseEvent):
            batch.append(row)
            if len(batch) >= BATCH:
                _flush(cursor, batch, postgresql)
                batch = []
        if batch:
            _flush(cursor, batch, postgresql)
        if postgresql:
            cursor.execute("ALTER TABLE cases_caseevent ENABLE TRIGGER cases_caseevent_append_only")


def _flush(cursor, batch, postgresql):
    if postgresql:
        _apply_postgresql(cursor, batch)
    else:
        cursor.executemany(
            "UPDATE cases_caseevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [(prev, digest, pk) for pk, prev, digest in batch],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_requester_number_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="记录摘要"),
        ),
        migrations.AddField(
            model_name="caseevent",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="前一记录摘要"),
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop, elidable=False),
    ]
