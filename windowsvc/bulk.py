"""Set-based writes shared by the apps: many rows changed with one statement."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def bulk_set(model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Write ``fields`` of every object to its row with ONE ``UPDATE … FROM (VALUES …)`` statement; returns
    the rows changed.

    What ``QuerySet.bulk_update`` does, without its ``CASE WHEN`` per row and field (whose building costs
    more CPU than the update itself for a few hundred rows). Like ``bulk_update`` it calls no ``save()``
    and no signal, and sets no ``auto_now`` field: set ``updated_at`` yourself. Each value is cast to its
    column's type, so NULLs and the first row need no special care. Other databases: ``bulk_update``.
    """
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_update(objs, list(fields))
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    row = "(" + ", ".join(f"%s::{field.cast_db_type(connection)}" for field in columns) + ")"
    params: list = []
    for obj in objs:
        for field in columns:
            params.append(field.get_db_prep_save(getattr(obj, field.attname), connection))
    names = [quote(field.column) for field in columns]
    table = quote(meta.db_table)
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    sql = (
        f"UPDATE {table} SET {assignments} "  # noqa: S608 (names from model meta, values as parameters)
        f"FROM (VALUES {', '.join([row] * len(objs))}) AS v ({', '.join(names)}) "
        f"WHERE {table}.{names[0]} = v.{names[0]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
