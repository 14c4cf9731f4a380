"""DRF's authtoken table held every API token in clear; knox (hashed, expiring) replaced it.

The app is gone from INSTALLED_APPS, so nothing reads the table any more: drop it rather than leave live
plaintext credentials lying in the database. Old tokens stop working (docs/DEPLOY.md); clients obtain a new
one from the same endpoint.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = []

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop),
    ]
