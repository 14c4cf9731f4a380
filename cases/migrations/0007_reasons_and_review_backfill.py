"""Seed the configurable reason lists and put every "no" flagged before this release into the review queue.

Reasons (editable in the admin afterwards): refusals and "cannot be done" answers — 诉讼/仲裁, 信访, 民事纠纷,
不属本级职责, 法律法规不允许, 条件暂不具备, 其他; suspensions — 等待补充材料, 等待第三方意见, 反映人要求暂缓,
现场条件不具备, 其他. Cases already flagged ``needs_review`` get a pending review due two days from now, so
no earlier "no" escapes the supervisors' queue.
"""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

REFUSAL = [
    ("litigation", "诉讼/仲裁程序中"),
    ("petition", "信访事项"),
    ("civil_dispute", "民事纠纷"),
    ("not_our_duty", "不属本级职责"),
    ("not_lawful", "法律法规不允许"),
    ("not_yet_possible", "条件暂不具备"),
    ("other", "其他"),
]
SUSPENSION = [
    ("awaiting_materials", "等待反映人补充材料"),
    ("awaiting_third_party", "等待第三方意见或鉴定"),
    ("requester_asked", "反映人要求暂缓"),
    ("site_conditions", "现场条件暂不具备"),
    ("other", "其他"),
]


def seed(apps, schema_editor):
    Reason = apps.get_model("cases", "Reason")
    for purpose, rows in (("refusal", REFUSAL), ("suspension", SUSPENSION)):
        for order, (code, label) in enumerate(rows, start=1):
            Reason.objects.get_or_create(
                purpose=purpose, code=code, defaults={"label": label, "sort_order": order * 10}
            )
    Case = apps.get_model("cases", "Case")
    RefusalReview = apps.get_model("cases", "RefusalReview")
    other = Reason.objects.get(purpose="refusal", code="other")
    due = timezone.now() + timedelta(days=2)
    kinds = {"not_accepted": "not_accepted", "replied": "cannot_be_done"}
    for case in Case.objects.filter(needs_review=True).only("pk", "status"):
        RefusalReview.objects.get_or_create(
            case=case,
            status="pending",
            defaults={
                "kind": kinds.get(case.status, "not_accepted"),
                "reason": other,
                "from_status": case.status,
                "due_at": due,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_loop_stays_closed")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
