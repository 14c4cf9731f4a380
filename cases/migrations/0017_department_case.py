"""A department's access rows (``DepartmentCase``): one per department a case was ever assigned to, filled
from the assignments already written (about a million rows from a million cases: seconds)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0016_case_external_due_at'),
        ('routing', '0004_auditor_role'),
    ]

    operations = [
        migrations.CreateModel(
            name='DepartmentCase',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('taken_in_at', models.DateTimeField()),
                ('case', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='department_access', to='cases.case')),
                ('department', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='routing.department')),
            ],
            options={
                'verbose_name': '部门可见案件',
                'verbose_name_plural': '部门可见案件',
                'indexes': [models.Index(fields=['department', 'taken_in_at', 'case'], name='departmentcase_list_idx')],
                'constraints': [models.UniqueConstraint(fields=('case', 'department'), name='cases_departmentcase_unique')],
            },
        ),
        migrations.RunSQL(
            """
            INSERT INTO cases_departmentcase (department_id, case_id, taken_in_at)
            SELECT pairs.department_id, pairs.case_id, c.taken_in_at
            FROM (SELECT DISTINCT department_id, case_id FROM cases_assignment) pairs
            JOIN cases_case c ON c.id = pairs.case_id;
            ANALYZE cases_departmentcase;
            """,
            migrations.RunSQL.noop,
        ),
    ]
