"""Facts keep the case's suspension limit: a suspension past it counts late in the rankings."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    case_model = apps.get_model("cases", "Case")
    fact_model = apps.get_model("supervision", "CaseFact")
    limit = case_model.objects.filter(pk=OuterRef("case_id")).values("suspended_until")[:1]
    fact_model.objects.filter(case__suspended_until__isnull=False).update(suspended_until=Subquery(limit))


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0003_casefact_matter_kind_emergency"),
        ("cases", "0008_extension_lapsed"),
    ]

    operations = [
        migrations.AddField(
            model_name="casefact",
            name="suspended_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="挂起期限"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
