"""Set-based writes shared by the apps: many rows written with one statement and ONE parameter.

The rows travel as one JSON array that PostgreSQL turns back into rows of the table's type
(``json_populate_recordset``). Django's ``bulk_update`` (a ``CASE WHEN`` per row and field) and
``bulk_create`` (UNNEST arrays) cost more CPU than the statement itself for a few hundred rows: with the
client-side binding this project uses, the driver parses a placeholder and quotes a value (an array's
every element) per column and row in Python. A JSON document is encoded in C and parsed by the server.

PostgreSQL only; other databases get Django's own bulk methods.

``insert_new`` is the small, portable sibling: a few rows compiled by Django itself (any database), ``ON
CONFLICT DO NOTHING RETURNING``, for a caller that must learn whether its row is the one stored (the
idempotency record, a case's first fact) without reading it back. Use ``bulk_insert`` for batches.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery
from django.utils import timezone

_encoder = DjangoJSONEncoder()


def _default(value):
    # Times keep their microseconds (DjangoJSONEncoder cuts them to milliseconds); an interval in
    # seconds is what PostgreSQL reads back exactly.
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return f"{value.total_seconds()} seconds"
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    return _encoder.default(value)


# Fields whose stored value is the Python value itself (or an aware datetime, written as ISO 8601): no
# per-value trip through ``get_db_prep_save`` (which costs more than the rest of the row together).
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.FloatField,
    models.DateTimeField,
    models.ForeignKey,
)


def _converter(field: models.Field, conn):
    if isinstance(field, models.JSONField):
        return None
    if type(field).__module__.startswith("django.db.models") and isinstance(field, _PLAIN):
        if isinstance(field, models.DateTimeField):
            return lambda value: (
                value
                if value is None or (isinstance(value, datetime.datetime) and value.tzinfo is not None)
                else field.get_db_prep_save(value, conn)
            )
        return None
    return lambda value: field.get_db_prep_save(value, conn)


def _pre_save_kind(field: models.Field) -> str | None:
    """How ``pre_save`` matters on insert: None (it only reads the attribute), "stamp" (Django's own
    ``auto_now`` / ``auto_now_add``: the statement's time), "call" (any other field that has one)."""
    if isinstance(field, models.DateTimeField) and type(field).__module__.startswith("django.db.models"):
        return "stamp" if field.auto_now or field.auto_now_add else None
    return "call" if type(field).pre_save is not models.Field.pre_save else None


def _document(objs: Sequence[models.Model], fields: Sequence[models.Field], *, add: bool) -> str:
    """The rows as the JSON array ``json_populate_recordset`` reads: column name → value as stored."""
    conn = connections[DEFAULT_DB_ALIAS]  # the connection itself: the proxy costs a lookup per use
    stamp = timezone.now()  # the auto_now(_add) time: one for the statement, as a database default would
    plan = [
        (field, field.column, _converter(field, conn), _pre_save_kind(field) if add else None)
        for field in fields
    ]
    rows = []
    for obj in objs:
        row = {}
        for field, column, convert, pre_save in plan:
            if pre_save is None:
                value = getattr(obj, field.attname)
            elif pre_save == "stamp":
                value = stamp
                setattr(obj, field.attname, stamp)
            else:
                value = field.pre_save(obj, add)
            row[column] = value if convert is None else convert(value)
        rows.append(row)
    return json.dumps(rows, default=_default, ensure_ascii=False)


def bulk_set(model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Write ``fields`` of every object to its row with ONE ``UPDATE … FROM json_populate_recordset(…)``;
    returns the rows changed.

    Like ``bulk_update`` it calls no ``save()`` and no signal, and sets no ``auto_now`` field: set
    ``updated_at`` yourself.
    """
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_update(objs, list(fields))
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    table = quote(meta.db_table)
    pk = quote(meta.pk.column)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
    sql = (
        f"UPDATE {table} SET {assignments} "  # noqa: S608 (names from model meta, values as a parameter)
        f"FROM json_populate_recordset(NULL::{table}, %s::json) AS v WHERE {table}.{pk} = v.{pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_document(objs, columns, add=False)])
        return cursor.rowcount


def bulk_insert(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    returning: Sequence[str] = ("id",),
    ignore_conflicts: bool = False,
) -> list[tuple]:
    """Insert the objects with ONE ``INSERT … SELECT … FROM json_populate_recordset(…)`` and return the
    ``returning`` columns of the rows created (with ``ignore_conflicts``, ``ON CONFLICT DO NOTHING``: the
    rows that were already there are not returned). Map the result by a unique column, not by position.

    Fields' ``pre_save`` runs as in ``save()`` (``auto_now`` times are set on the instances); ids are not
    set on the instances (the caller maps them back). PostgreSQL only.
    """
    if not objs:
        return []
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(field.column) for field in fields)
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    sql = (
        f"INSERT INTO {table} ({names}) SELECT {names} "  # noqa: S608 (names from model meta)
        f"FROM json_populate_recordset(NULL::{table}, %s::json){conflict} "
        f"RETURNING {', '.join(quote(meta.get_field(name).column) for name in returning)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_document(objs, fields, add=True)])
        return cursor.fetchall()


def insert_new(model: type[models.Model], rows: Sequence[models.Model], returning: str) -> list[tuple]:
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
