"""Seed the time limits as practised (docs/DEADLINES.md, "Time limits"): 紧急 the same day, 急事 3 working
days, 特事特办 (联动会审) 10, complex matters led by the coordination centre (协调办 + 复杂) 15.

Before this migration an urgent matter fell to the general row (5 days) and a joint review to the general
or complex row. Rows are keyed by (no category, matter kind, handling mode, complexity). The four rows of
migration 0005 already hold the practice values (general 5, complex 10, 即办 the same day, 加急办 3) and
are not touched. A key without a row gets its practice row; a key that already has a row was given it by
an administrator (no earlier seed wrote these keys), so that row is left exactly as it is. Unseeding removes
only rows that still hold exactly the values seeded here.

The values are copied here on purpose (a migration must not change when the code does); their twin for an
emptied table is ``cases.clocks.BUILTIN_LIMITS``, and a test checks the two agree.
"""

from decimal import Decimal

from django.db import migrations

LIMIT_FIELDS = (
    "sign_for_hours",
    "first_contact_days",
    "reply_days",
    "completion_days",
    "reasoned_reply_days",
    "extension_ceiling_days",
    "green_channel_percent",
)


def _limits(reply: int, completion: int, ceiling: int = 15) -> dict:
    return {
        "sign_for_hours": Decimal("7"),
        "first_contact_days": 0,
        "reply_days": reply,
        "completion_days": completion,
        "reasoned_reply_days": 3,
        "extension_ceiling_days": ceiling,
        "green_channel_percent": 50,
    }


SAME_DAY = "紧急事项当日办结（下班前）；无论办理方式"
# (matter kind, handling mode, complexity): name, limits, note
PRACTICE = {
    ("emergency", "", ""): ("紧急", _limits(0, 0), SAME_DAY),
    # A matter-kind row ranks below a handling-mode row; these keep an emergency same-day in every mode.
    ("emergency", "expedited", ""): ("紧急·加急办", _limits(0, 0), SAME_DAY),
    ("emergency", "coordinated", ""): ("紧急·协调办", _limits(0, 0), SAME_DAY),
    ("emergency", "special", ""): ("紧急·特事特办", _limits(0, 0), SAME_DAY),
    ("urgent", "", ""): ("急事", _limits(3, 3), "急事 3 个工作日"),
    ("", "special", ""): (
        "特事特办（联动会审）",
        _limits(5, 10),
        "一事一议、联动会审，10 个工作日；5 个工作日内先行答复",
    ),
    ("", "coordinated", "complex"): (
        "协调办·复杂事项（中心牵头）",
        _limits(5, 15),
        "行政服务中心牵头的复杂事项（经批准）15 个工作日；不能按期办结的，到期前告知理由和新的时间",
    ),
}

def _values(row) -> dict:
    return {name: getattr(row, name) for name in LIMIT_FIELDS}


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("cases", "SlaPolicy")
    for (kind, mode, complexity), (name, limits, note) in PRACTICE.items():
        exists = SlaPolicy.objects.filter(
            category=None, matter_kind=kind, handling_mode=mode, complexity=complexity
        ).exists()
        if not exists:  # an administrator's row for the key stays as it is
            SlaPolicy.objects.create(
                category=None,
                matter_kind=kind,
                handling_mode=mode,
                complexity=complexity,
                name=name,
                note=note,
                **limits,
            )


def unseed(apps, schema_editor):
    SlaPolicy = apps.get_model("cases", "SlaPolicy")
    for (kind, mode, complexity), (name, limits, _note) in PRACTICE.items():
        for row in SlaPolicy.objects.filter(
            category=None, matter_kind=kind, handling_mode=mode, complexity=complexity, name=name
        ):
            if _values(row) == limits:
                row.delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_matter_kind_emergency")]

    operations = [migrations.RunPython(seed, unseed)]
