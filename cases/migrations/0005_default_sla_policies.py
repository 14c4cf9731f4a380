"""Seed the default time limits (办理时限规则), documented in docs/DEADLINES.md; all editable in the admin.

Rows are keyed by (no category, matter kind, handling mode, complexity); seeding never overwrites a row
an administrator already has for the same key, and unseeding removes only rows still named as seeded.
"""

from decimal import Decimal

from django.db import migrations

# name, handling mode, complexity, completion days, reply days, note
DEFAULTS = [
    ("默认（一般事项）", "", "", 5, 5, "未匹配其他规则的案件；一般事项 5 个工作日"),
    (
        "复杂事项",
        "",
        "complex",
        10,
        5,
        "复杂事项 10 个工作日（经批准延期最长 15 个工作日），5 个工作日内先行答复",
    ),
    ("即办", "immediate", "", 0, 0, "即办事项当日办结"),
    ("加急办", "expedited", "", 3, 3, "加急事项 3 个工作日"),
]


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("cases", "SlaPolicy")
    for name, mode, complexity, completion, reply, note in DEFAULTS:
        SlaPolicy.objects.get_or_create(
            category=None,
            matter_kind="",
            handling_mode=mode,
            complexity=complexity,
            defaults={
                "name": name,
                "sign_for_hours": Decimal("7"),
                "first_contact_days": 0,
                "reply_days": reply,
                "completion_days": completion,
                "reasoned_reply_days": 3,
                "extension_ceiling_days": 15,
                "green_channel_percent": 50,
                "note": note,
            },
        )


def unseed(apps, schema_editor):
    SlaPolicy = apps.get_model("cases", "SlaPolicy")
    for name, mode, complexity, *_rest in DEFAULTS:
        SlaPolicy.objects.filter(
            category=None, matter_kind="", handling_mode=mode, complexity=complexity, name=name
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_deadlines")]

    operations = [migrations.RunPython(seed, unseed)]
