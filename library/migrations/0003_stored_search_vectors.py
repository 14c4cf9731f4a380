"""On PostgreSQL, the word-search vectors are stored (generated columns) and the GIN indexes built on them.

Ranking recomputed ``to_tsvector`` for every matching row (the expression index only finds them): on
100,000 write-ups a common word matches tens of thousands of rows and the staff search took ~800 ms
(BENCHMARKS.md, "Library"). A generated column ``<field>_tsv`` is computed once per write, by the database,
from the token field; ``library.search.ranked`` matches and ranks on it. The columns are not model fields
(SQLite, the zero-setup default, has no ``tsvector`` and keeps its containment search).
"""

from django.db import migrations

# (index, table, token field); the stored vector is ``<field>_tsv``.
VECTORS = [
    ("library_writeup_search_gin", "library_writeup", "search_tokens"),
    ("library_writeup_public_gin", "library_writeup", "public_tokens"),
    ("library_solved_tokens_gin", "library_solvedcase", "tokens"),
]


def store(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, field in VECTORS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute(
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {field}_tsv tsvector "
            f"GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, COALESCE({field}, ''))) STORED"
        )
        schema_editor.execute(f"CREATE INDEX {name} ON {table} USING gin ({field}_tsv)")


def unstore(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, field in VECTORS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {field}_tsv")
        schema_editor.execute(
            f"CREATE INDEX {name} ON {table} USING gin (to_tsvector('simple'::regconfig, COALESCE({field}, '')))"
        )


class Migration(migrations.Migration):
    dependencies = [("library", "0002_blocker_types_and_search_indexes")]

    operations = [migrations.RunPython(store, unstore)]
