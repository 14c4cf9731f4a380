"""Id numbers and credit codes encrypted at rest, step 1 of 3: the columns.

The two number columns become encrypted text (Fernet tokens, NULL when empty; their plain indexes go, an
index of ciphertext finds nothing), and each gets a blind-index column beside it. The check constraint that
spelt "empty" as ``""`` is dropped here and comes back in 0013 spelt as NULL, once 0012 has rewritten the
rows. On PostgreSQL nothing here rewrites the table (varchar → text is binary-compatible; the new columns
have a constant default), so it is quick on a million rows.
"""

import cases.validators
import windowsvc.encryption
import windowsvc.personal
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0010_practice_sla_policies'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='requester',
            name='cases_requester_identity_by_kind',
        ),
        migrations.AddField(
            model_name='requester',
            name='credit_code_index',
            field=windowsvc.encryption.BlindIndexField(blank=True, default='', editable=False, max_length=64, normalize=windowsvc.personal.normalize_credit_code, source='credit_code', verbose_name='统一社会信用代码检索码'),
        ),
        migrations.AddField(
            model_name='requester',
            name='id_number_index',
            field=windowsvc.encryption.BlindIndexField(blank=True, default='', editable=False, max_length=64, normalize=windowsvc.personal.normalize_id_number, source='id_number', verbose_name='居民身份证号码检索码'),
        ),
        migrations.AlterField(
            model_name='requester',
            name='credit_code',
            field=windowsvc.encryption.EncryptedCharField(blank=True, default='', max_length=18, null=True, validators=[cases.validators.validate_credit_code], verbose_name='统一社会信用代码'),
        ),
        migrations.AlterField(
            model_name='requester',
            name='id_number',
            field=windowsvc.encryption.EncryptedCharField(blank=True, default='', max_length=18, null=True, validators=[cases.validators.validate_id_number], verbose_name='居民身份证号码'),
        ),
    ]
