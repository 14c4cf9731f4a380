"""The reference rows an intake reads from per-process caches (``windowsvc/refcache.py``: categories, SLA
policies, message templates) follow a change made through the models at once."""

from __future__ import annotations

from cases.models import Case, SlaPolicy
from notifications.choices import TemplateCode
from notifications.models import MessageTemplate, Notification
from tests.cases.api_helpers import CASES, client_for, intake_body


def _intake(clerk, org):
    return clerk.post(CASES, intake_body(org), format="json")


def test_a_deactivated_category_is_refused_by_the_next_intake(org):
    clerk = client_for(org["v1_clerk"])
    assert _intake(clerk, org).status_code == 201  # the category is now cached
    org.category.is_active = False
    org.category.save()
    response = _intake(clerk, org)
    assert response.status_code == 400
    assert "category" in response.json()


def test_a_changed_sla_policy_sets_the_next_intake_s_deadline(org):
    clerk = client_for(org["v1_clerk"])
    first = Case.objects.get(pk=_intake(clerk, org).json()["id"])
    policy = first.sla_policy
    policy.completion_days += 5
    policy.save()
    second = Case.objects.get(pk=_intake(clerk, org).json()["id"])
    assert second.sla_policy_id == policy.pk
    assert second.due_at > first.due_at
    assert SlaPolicy.objects.filter(pk=policy.pk, completion_days=policy.completion_days).exists()


def test_an_administrator_s_template_is_used_by_the_next_receipt(org):
    clerk = client_for(org["v1_clerk"])
    assert _intake(clerk, org).status_code == 201  # "no override" is now cached
    MessageTemplate.objects.create(
        code=TemplateCode.RECEIPT,
        language="zh-hans",
        subject="受理回执",
        body="您的事项已受理，编号 {{ tracking_number }}。",
        sms="【县办不成事窗口】已受理，编号{{ tracking_number }}。",
    )
    case_id = _intake(clerk, org).json()["id"]
    case = Case.objects.get(pk=case_id)
    sms = Notification.objects.get(
        template_code=TemplateCode.RECEIPT, context__tracking_number=case.tracking_number
    )
    assert sms.body.startswith("【县办不成事窗口】已受理")
