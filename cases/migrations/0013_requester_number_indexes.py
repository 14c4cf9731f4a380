"""Id numbers and credit codes encrypted at rest, step 3 of 3: the blind indexes' (partial) indexes, built
once after 0012 filled the columns, and the requester's identity rule again, with "empty" now NULL.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0012_requester_encrypt_rows'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='requester',
            index=models.Index(condition=models.Q(('id_number_index', ''), _negated=True), fields=['id_number_index'], name='cases_req_id_number_index'),
        ),
        migrations.AddIndex(
            model_name='requester',
            index=models.Index(condition=models.Q(('credit_code_index', ''), _negated=True), fields=['credit_code_index'], name='cases_req_credit_code_index'),
        ),
        migrations.AddConstraint(
            model_name='requester',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('credit_code__isnull', True), ('kind', 'person')), models.Q(('credit_code__isnull', False), ('id_number__isnull', True), ('kind', 'enterprise')), _connector='OR'), name='cases_requester_identity_by_kind'),
        ),
    ]
