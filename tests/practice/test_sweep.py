"""The standing-practice deadline sweep (the beat task run for real): the yellow and the overdue reminder
each fire once, to the responsible department and the supervisor who opened the item; an item whose work
was reported done is not reminded; after downtime only the highest step fires."""

from __future__ import annotations

from datetime import timedelta

import pytest

from notifications.choices import Channel, TemplateCode
from notifications.models import Notification
from practice import services, tasks
from practice.choices import ItemAlarm, ItemCommand

from .helpers import cluster_in, item_on

pytestmark = pytest.mark.django_db
TICK = timedelta(seconds=1)


def run(moment):
    return tasks.sweep_practice_items(now=moment.isoformat())


def told(item):
    rows = Notification.objects.filter(template_code=TemplateCode.PRACTICE_DUE, channel=Channel.IN_APP)
    keys = {e.pk: e.kind for e in item.events.all()}
    return sorted(
        (keys[int(row.event_key.split(":")[1])], row.recipient_user.username)
        for row in rows.select_related("recipient_user")
    )


def test_each_reminder_fires_once(org):
    item = item_on(cluster_in(org), org["t1_supervisor"], org.dept("t1_office"), days=5)
    assert item.yellow_at < item.due_at
    assert run(item.yellow_at - TICK)["yellow"] == 0
    assert run(item.yellow_at)["yellow"] == 1
    assert run(item.yellow_at + TICK) == {"items": 0, "yellow": 0, "overdue": 0}  # not watched until due
    assert run(item.due_at)["overdue"] == 0
    assert run(item.due_at + TICK)["overdue"] == 1
    assert run(item.due_at + timedelta(days=3))["items"] == 0
    item.refresh_from_db()
    assert (item.alarm_level, item.next_alarm_at) == (ItemAlarm.OVERDUE, None)
    assert list(item.events.values_list("kind", flat=True)) == [
        ItemCommand.CREATE,
        ItemCommand.YELLOW,
        ItemCommand.OVERDUE,
    ]
    people = ["t1_office_handler", "t1_office_head", "t1_supervisor"]
    assert told(item) == [(ItemCommand.OVERDUE, u) for u in people] + [
        (ItemCommand.YELLOW, u) for u in people
    ]


def test_after_downtime_only_the_highest_step_fires(org):
    item = item_on(cluster_in(org), org["t1_supervisor"], org.dept("t1_office"), days=5)
    assert run(item.due_at + timedelta(days=2)) == {"items": 1, "yellow": 0, "overdue": 1}
    assert run(item.due_at + timedelta(days=3))["items"] == 0


def test_work_reported_done_is_not_reminded_and_a_rejection_rearms(org):
    item = item_on(cluster_in(org), org["t1_supervisor"], org.dept("t1_office"), days=5)
    services.practice_item_submit(actor=org["t1_office_handler"], item_id=item.pk, evidence="已完成")
    assert run(item.due_at + TICK)["items"] == 0
    services.practice_item_reject(actor=org["t1_supervisor"], item_id=item.pk, reason="材料不全")
    assert run(item.due_at + TICK) == {"items": 1, "yellow": 0, "overdue": 1}
