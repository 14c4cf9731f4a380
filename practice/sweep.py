"""The sweep of standing-practice deadlines: beat runs it (``practice.tasks.sweep_practice_items``) like the
cases' deadline sweep (``cases/sweep.py``) and on the same principles.

Each item stores ``next_alarm_at`` (partial index where not null) and ``alarm_level``. A sweep claims the
items whose ``next_alarm_at`` has come with ``SELECT … FOR UPDATE SKIP LOCKED``, in batches, one
transaction per batch; for each it fires the highest step reached (yellow, overdue) if above the stored
level, writes the step's history entry (no actor) and its notification rows, raises ``alarm_level`` and
points ``next_alarm_at`` at the next step — all in that transaction. So each step fires once per item,
also with two sweeps at once or a sweep killed mid-batch (its batch rolls back and is fired by the next).
After downtime only the highest step reached fires. An item whose clock no longer runs (reported done,
accepted, cancelled) is simply unwatched (``next_alarm_at`` NULL).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import clock, conf, notices
from .choices import CLOCK_STATUSES, ItemAlarm, ItemCommand
from .models import PracticeItem, PracticeItemEvent

logger = logging.getLogger(__name__)

MAX_BATCHES = 50

_STEP = {ItemAlarm.YELLOW: ItemCommand.YELLOW, ItemAlarm.OVERDUE: ItemCommand.OVERDUE}


def step_text(level: int) -> str:
    if level == ItemAlarm.OVERDUE:
        return _("已超过完成时限，请立即落实并报告。")
    return _("完成时限将至，请抓紧落实。")


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Fire every step due by ``now``; returns ``{"items": claimed, "yellow": n, "overdue": n}``."""
    now = now or timezone.now()
    totals: Counter[str] = Counter()
    for _batch in range(MAX_BATCHES):
        with transaction.atomic():
            rows = list(
                PracticeItem.objects.filter(next_alarm_at__lte=now)
                .select_related("responsible_department")
                .order_by("next_alarm_at", "pk")
                .select_for_update(skip_locked=True, of=("self",))[: conf.sweep_batch_size()]
            )
            for item in rows:
                fired = _process(item, now)
                if fired:
                    totals[ItemAlarm(fired).name.lower()] += 1
            totals["items"] += len(rows)
        if len(rows) < conf.sweep_batch_size():
            break
    result = {"items": 0, "yellow": 0, "overdue": 0, **totals}
    if result["yellow"] or result["overdue"]:
        logger.info("practice sweep at %s: %s", now.isoformat(), result)
    return result


def _process(item: PracticeItem, now: datetime) -> int | None:
    if item.status not in CLOCK_STATUSES:
        item.next_alarm_at = None
        item.save(update_fields=["next_alarm_at", "updated_at"])
        return None
    reached = clock.level_reached(due_at=item.due_at, yellow_at=item.yellow_at, now=now)
    fired = None
    fields = ["next_alarm_at", "updated_at"]
    if reached > item.alarm_level:
        item.alarm_level = reached
        item.version += 1
        fields += ["alarm_level", "version"]
        event = PracticeItemEvent.objects.create(
            item=item,
            sequence=item.version,
            kind=_STEP[reached],
            actor=None,
            from_status=item.status,
            to_status=item.status,
            text=step_text(reached),
            created_at=now,
        )
        notices.item_due_told(event)
        fired = reached
    item.next_alarm_at = clock.next_alarm_at(
        due_at=item.due_at, yellow_at=item.yellow_at, level=item.alarm_level
    )
    item.save(update_fields=fields)
    return fired
