"""The standing-practice item's transition table, pair by pair: every command from every status, by the
role that runs it (allowed → the rule's target and exactly one history entry; forbidden → 409, nothing
written), then the roles: who may not run a command gets 403, who may not see the item 404."""

from __future__ import annotations

import pytest

from practice import services
from practice.choices import ItemCommand, ItemStatus
from practice.models import PracticeItem, PracticeItemEvent, PracticeItemImmutable
from windowsvc.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed

from .helpers import cluster_in, item_on

pytestmark = pytest.mark.django_db
C, S = ItemCommand, ItemStatus

INPUT = {
    C.PROGRESS: {"text": "已起草新版办事指南。"},
    C.SUBMIT: {"evidence": "新版办事指南已发布。"},
    C.ACCEPT: {"note": "同意。"},
    C.REJECT: {"reason": "未附材料清单。"},
    C.CANCEL: {"reason": "并入县级统一整改。"},
}
EXPECTED = {
    (C.PROGRESS, S.OPEN): S.IN_PROGRESS,
    (C.PROGRESS, S.IN_PROGRESS): S.IN_PROGRESS,
    (C.SUBMIT, S.OPEN): S.SUBMITTED,
    (C.SUBMIT, S.IN_PROGRESS): S.SUBMITTED,
    (C.ACCEPT, S.SUBMITTED): S.DONE,
    (C.REJECT, S.SUBMITTED): S.IN_PROGRESS,
    (C.CANCEL, S.OPEN): S.CANCELLED,
    (C.CANCEL, S.IN_PROGRESS): S.CANCELLED,
    (C.CANCEL, S.SUBMITTED): S.CANCELLED,
}
PAIRS = [(command, status) for command in INPUT for status in S.values]


def test_the_table_in_the_code_is_the_table_tested():
    coded = {(c, s): rule.target for c, rule in services.RULES.items() for s in rule.sources}
    assert coded == EXPECTED


@pytest.mark.parametrize(("command", "status"), PAIRS)
def test_every_command_from_every_status(org, command, status):
    item = item_on(cluster_in(org), org["t1_supervisor"], org.dept("t1_office"))
    PracticeItem.objects.filter(pk=item.pk).update(status=status)
    actor = (
        org["t1_supervisor"]
        if services.RULES[command].who == services.SUPERVISOR
        else org["t1_office_handler"]
    )
    events = PracticeItemEvent.objects.filter(item=item).count()
    target = EXPECTED.get((command, status))
    if target is None:
        with pytest.raises(TransitionNotAllowed):
            services.SERVICES[command](actor=actor, item_id=item.pk, **INPUT[command])
        assert PracticeItemEvent.objects.filter(item=item).count() == events
        return
    event = services.SERVICES[command](actor=actor, item_id=item.pk, **INPUT[command])
    item.refresh_from_db()
    assert (item.status, event.from_status, event.to_status, event.kind) == (target, status, target, command)
    assert PracticeItemEvent.objects.filter(item=item).count() == events + 1
    assert item.version == event.sequence


def test_roles(org):
    problem = cluster_in(org)
    item = item_on(problem, org["t1_supervisor"], org.dept("t1_office"))
    with pytest.raises(PermissionDenied):  # a supervisor does not report the department's work
        services.practice_item_progress(actor=org["t1_supervisor"], item_id=item.pk, text="x")
    with pytest.raises(PermissionDenied):  # a supervisor above sees the item but does not report it done
        services.practice_item_submit(actor=org["county_supervisor"], item_id=item.pk, evidence="x")
    with pytest.raises(NotFound):
        services.practice_item_progress(actor=org["t2_office_handler"], item_id=item.pk, text="x")
    with pytest.raises(NotFound):
        services.practice_item_cancel(actor=org["t2_supervisor"], item_id=item.pk, reason="x")
    services.practice_item_submit(actor=org["t1_office_head"], item_id=item.pk, evidence="已完成")
    with pytest.raises(PermissionDenied):  # the department does not accept its own work
        services.practice_item_accept(actor=org["t1_office_head"], item_id=item.pk)
    # The county's supervisor oversees t1 too.
    services.practice_item_accept(actor=org["county_supervisor"], item_id=item.pk)
    with pytest.raises(
        PermissionDenied
    ):  # department staff who see the problem (through the item) cannot open items
        item_on(problem, org["t1_office_head"], org.dept("t1_office"))


def test_input_is_checked_after_state_and_role(org):
    item = item_on(cluster_in(org), org["t1_supervisor"], org.dept("t1_office"))
    with pytest.raises(ValidationFailed) as refused:
        services.practice_item_submit(actor=org["t1_office_handler"], item_id=item.pk, evidence=" ")
    assert set(refused.value.errors) == {"evidence"}
    with pytest.raises(ValidationFailed) as refused:
        item_on(cluster_in(org), org["t1_supervisor"], org.dept("v2_committee"), description="", days=0)
    assert set(refused.value.errors) == {"department", "description", "days"}


def test_history_is_append_only(org):
    item = item_on(cluster_in(org), org["t1_supervisor"], org.dept("t1_office"))
    event = item.events.get()
    event.text = "changed"
    with pytest.raises(PracticeItemImmutable):
        event.save()
    with pytest.raises(PracticeItemImmutable):
        item.events.all().delete()
    with pytest.raises(PracticeItemImmutable):
        item.events.update(text="x")
