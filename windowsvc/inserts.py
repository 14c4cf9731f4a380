"""``INSERT … ON CONFLICT DO NOTHING RETURNING``: insert rows unless their unique key exists, and learn in
the same statement which ones were inserted.

Django's ``bulk_create(ignore_conflicts=True)`` returns no ids, so a caller that must know whether its row
is the one stored (a notification's dedupe key, a case's fact written once) would need a second query to
read the rows back. Here Django compiles the INSERT (field preparation, ``auto_now``, encrypted fields) and
the statement gets a ``RETURNING`` clause.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


def insert_new(model: type[Model], rows: Sequence[Model], returning: str) -> list[tuple]:
    """Insert ``rows`` of ``model``, skipping those that conflict with a stored unique key; returns
    ``(<returning column>, id)`` of the rows inserted, and marks those objects saved with their ids.

    Under concurrency the insert waits for a transaction holding the same key, then skips the row if that
    transaction committed it. ``returning`` names a column that tells the rows apart (a unique one).
    """
    if not rows:
        return []
    opts = model._meta
    db = model.objects.db
    fields = [f for f in opts.concrete_fields if not f.generated and not (f is opts.pk and f.db_returning)]
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, rows)
    [(sql, params)] = query.get_compiler(using=db).as_sql()
    connection = connections[db]
    quote = connection.ops.quote_name
    column = opts.get_field(returning).column
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {quote(column)}, {quote(opts.pk.column)}", params)
        inserted = cursor.fetchall()
    by_key = dict(inserted)
    for row in rows:
        key = getattr(row, opts.get_field(returning).attname)
        if key in by_key:
            row.pk = by_key[key]
            row._state.adding, row._state.db = False, db
    return inserted
