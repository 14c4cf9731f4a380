"""Who hears about a write-up's review (library/notices.py): the case's supervisors when it is submitted,
its author when it is sent back, published, marked typical or withdrawn — once per command."""

from __future__ import annotations

import pytest

from library import services
from notifications.choices import Channel, TemplateCode
from notifications.models import Notification

from .helpers import draft

pytestmark = pytest.mark.django_db


def _told(user) -> list[str]:
    return list(
        Notification.objects.filter(
            recipient_user=user, channel=Channel.IN_APP, template_code=TemplateCode.WRITEUP
        ).values_list("subject", flat=True)
    )


def test_the_review_is_heard_by_whoever_must_act_next(org):
    writeup = draft(org)
    assert _told(org["t1_supervisor"]) == []  # a draft waits on nobody
    services.writeup_submit(actor=org["v1_clerk"], writeup_id=writeup.pk)
    for supervisor in ("t1_supervisor", "county_supervisor"):
        assert len(_told(org[supervisor])) == 1 and "提交审核" in _told(org[supervisor])[0]
    assert _told(org["t2_supervisor"]) == []  # not their subtree
    services.writeup_request_changes(actor=org["t1_supervisor"], writeup_id=writeup.pk, note="补充依据")
    assert len(_told(org["v1_clerk"])) == 1 and "退回修改" in _told(org["v1_clerk"])[0]
    services.writeup_submit(actor=org["v1_clerk"], writeup_id=writeup.pk)
    services.writeup_publish(actor=org["t1_supervisor"], writeup_id=writeup.pk)
    told = _told(org["v1_clerk"])
    assert (len(told) == 2 and "发布" in told[-1]) or any("发布" in s for s in told)
    # The supervisor who acted is not told of their own action.
    assert all("发布" not in s for s in _told(org["t1_supervisor"]))
