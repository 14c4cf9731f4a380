"""On PostgreSQL, finer statistics of the stored search vectors (``SET STATISTICS 1000``).

``library.search.selective_terms`` picks the words that select the rows to rank from the planner's list of
the most common words of each vector (``pg_stats.most_common_elems``). At the default target (100) ANALYZE
samples 30,000 rows, and on a million solved cases a word in 5 % of them was missing from the list (taken
for a rare one, so 47,000 rows were ranked for one intake text; BENCHMARKS.md, "Library"). At 1000 it
samples 300,000 rows (under a second on that table) and lists it.
"""

from django.db import migrations

# (table, stored vector column) of migration 0003.
COLUMNS = [
    ("library_writeup", "search_tokens_tsv"),
    ("library_writeup", "public_tokens_tsv"),
    ("library_solvedcase", "tokens_tsv"),
]


def set_target(target: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, column in COLUMNS:
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STATISTICS {target}")

    return run


class Migration(migrations.Migration):
    dependencies = [("library", "0003_stored_search_vectors")]

    operations = [migrations.RunPython(set_target(1000), set_target(-1))]
