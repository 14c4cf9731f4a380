"""Seeds the 卡点 list (editable in the admin afterwards) and, on PostgreSQL, the GIN indexes of word search.

The indexes are on exactly the expression ``library.search.vector`` compiles to, so the planner uses them;
SQLite has no GIN and searches by token containment instead (docs/LIBRARY.md).
"""

from django.db import migrations

BLOCKER_TYPES = [
    ("policy_gap", "政策空白", "没有可适用的政策或规定", 10),
    ("missing_process", "流程缺失", "没有办理流程或办事指南", 20),
    ("attitude", "部门作风", "推诿、拖延、不作为、态度问题", 30),
    ("cross_department", "部门协同不畅", "跨部门、跨层级衔接不畅", 40),
    ("system", "系统限制", "信息系统、数据共享限制", 50),
    ("other", "其他", "", 90),
]

INDEXES = [
    ("library_writeup_search_gin", "library_writeup", "search_tokens"),
    ("library_writeup_public_gin", "library_writeup", "public_tokens"),
    ("library_solved_tokens_gin", "library_solvedcase", "tokens"),
]


def seed(apps, schema_editor):
    BlockerType = apps.get_model("library", "BlockerType")
    for code, label, description, order in BLOCKER_TYPES:
        BlockerType.objects.get_or_create(
            code=code, defaults={"label": label, "description": description, "sort_order": order}
        )


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (to_tsvector('simple'::regconfig, COALESCE({column}, '')))"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("library", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
