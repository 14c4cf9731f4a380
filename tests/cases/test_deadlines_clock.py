"""Case and assignment clocks under controlled time (time-machine) on the real 2026 calendar.

Must show: suspend/resume keeps the working time used; an approved extension moves only the due time;
reclassifying recomputes; each assignment's clock is independent; plus intake, provisional deadlines past
the calendar's horizon and reopen. The ladder and lights are in test_deadlines_lights.py and test_sweep*.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from cases import services, sla
from cases.choices import AssignmentRole, CaseStatus, Complexity, ExtensionStatus, HandlingMode
from cases.models import Assignment, Case, Extension
from notifications.choices import Channel, TemplateCode
from notifications.models import Notification
from routing.calendar import CalendarHorizonAlert
from routing.deadlines import working_time_between
from tests.factories import take_in
from windowsvc.errors import TransitionNotAllowed, ValidationFailed

from .deadline_helpers import HOUR, at, bj, local, routed_case, seed_policies

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture(autouse=True)
def _policies(db):
    seed_policies()


def wt(case, start, end):
    return working_time_between(start, end, calendar=sla.calendar_for(case)).duration


def test_intake_starts_the_clock_with_the_default_limits(org):
    with at(bj(3, 2, 9)):
        case = take_in(org, "v1")
    case.refresh_from_db()
    assert local(case.clock_started_at) == bj(3, 2, 9)
    # 5 working days after Monday 09:00: close of business the next Monday; the receipt prints it.
    assert local(case.reply_due_at) == local(case.due_at) == bj(3, 9, 17, 30)
    assert local(case.first_contact_due_at) == bj(3, 2, 17, 30)  # the same working day
    assert local(case.reasoned_reply_due_at) == bj(3, 5, 17, 30)  # 3 working days
    allowed = wt(case, case.clock_started_at, case.due_at)
    assert allowed == timedelta(hours=6.5 + 5 * 7)
    # Yellow: 80% of the allowed time used (33.2 h) comes before "one working day left" (34.5 h).
    assert wt(case, case.clock_started_at, case.yellow_at) == allowed * 0.8
    assert local(case.yellow_at) == bj(3, 6, 16, 12)
    assert case.sla_policy.name == "默认（一般事项）"
    assert case.deadline_provisional is False
    assert case.next_alarm_at == case.yellow_at


def test_intake_after_close_of_business_counts_from_the_next_working_morning(org):
    with at(bj(3, 6, 17, 40)):  # Friday after 17:30
        case = take_in(org, "v1")
    case.refresh_from_db()
    assert local(case.first_contact_due_at) == bj(3, 9, 17, 30)  # Monday is the intake day
    assert local(case.due_at) == bj(3, 16, 17, 30)


def test_reclassifying_recomputes_the_case_and_assignment_deadlines(org):
    case = routed_case(org, bj(3, 2, 9))
    assert local(case.due_at) == bj(3, 9, 17, 30)
    with at(bj(3, 2, 10)):
        services.case_reclassify(
            actor=org["county_supervisor"],
            case_id=case.pk,
            complexity=Complexity.COMPLEX,
            reason="涉及多部门",
        )
    case.refresh_from_db()
    assert case.sla_policy.name == "复杂事项"
    assert local(case.due_at) == bj(3, 16, 17, 30)  # 10 working days, still from intake
    assert local(case.reply_due_at) == bj(3, 9, 17, 30)  # an answer within 5
    lead = case.assignments.get(role=AssignmentRole.LEAD)
    assert local(lead.due_at) == bj(3, 16, 17, 30)  # assigned at the same moment as intake
    with at(bj(3, 2, 11)):
        services.case_reclassify(
            actor=org["county_supervisor"],
            case_id=case.pk,
            handling_mode=HandlingMode.EXPEDITED,
            reason="企业急需",
        )
    case.refresh_from_db()
    assert case.sla_policy.name == "加急办"  # the handling mode outranks the complexity
    assert local(case.due_at) == local(case.reply_due_at) == bj(3, 5, 17, 30)
    with at(bj(3, 2, 12)):
        services.case_reclassify(
            actor=org["county_supervisor"], case_id=case.pk, green_channel=True, reason="绿色通道"
        )
    case.refresh_from_db()
    assert local(case.due_at) == bj(3, 3, 17, 30)  # 3 days halved, rounded down: 1
    assert [e.kind for e in case.events.order_by("sequence")][-3:] == ["reclassify"] * 3


def test_the_green_channel_halves_the_limits_at_least_to_the_same_day(org):
    with at(bj(3, 2, 9)):
        case = take_in(
            org, "v1", category=org.category, green_channel=True, matter_kind="difficult", complexity="general",
            handling_mode="standard",
        )  # fmt: skip
    case.refresh_from_db()
    assert local(case.due_at) == bj(3, 4, 17, 30)  # 5 → 2 working days
    assert local(case.reasoned_reply_due_at) == bj(3, 3, 17, 30)  # 3 → 1
    with at(bj(3, 2, 9)):
        urgent = take_in(
            org, "v1", category=org.category, green_channel=True, matter_kind="urgent", complexity="general",
            handling_mode="standard",
        )  # fmt: skip
    urgent.refresh_from_db()
    assert local(urgent.due_at) == bj(3, 3, 17, 30)  # 急事 3 → 1 working day


def test_suspend_and_resume_keep_the_working_time_used(org):
    case = routed_case(org, bj(3, 2, 9))
    allowed = wt(case, case.clock_started_at, case.due_at)
    with at(bj(3, 4, 10)):  # Wednesday 10:00: 6.5 + 7 + 1.5 working hours used
        services.case_suspend(
            actor=org["t1_office_handler"],
            case_id=case.pk,
            reason="等待补充材料",
            reason_code="awaiting_materials",
        )
    case.refresh_from_db()
    assert case.clock_used == timedelta(hours=15)
    assert local(case.clock_paused_at) == bj(3, 4, 10)
    assert case.next_alarm_at is None  # nothing is watched while suspended
    assert case.light_at(bj(3, 10, 9)) == "green"  # the light stays as it was at the pause
    assert all(a.clock_paused_at == case.clock_paused_at for a in case.assignments.filter(is_current=True))
    with at(bj(3, 9, 11)):  # resumed the next Monday 11:00, after the original deadline
        services.case_resume(actor=org["t1_office_handler"], case_id=case.pk, reason="材料已补齐")
    case.refresh_from_db()
    resumed = bj(3, 9, 11)
    assert case.clock_paused_at is None
    assert case.clock_paused_total == wt(case, bj(3, 4, 10), resumed) == timedelta(hours=22)
    # What was left at the pause is left after the resume: 41.5 h allowed - 15 h used.
    assert wt(case, resumed, case.due_at) == allowed - case.clock_used == timedelta(hours=26.5)
    assert local(case.due_at) == bj(3, 13, 9, 30)
    for assignment in case.assignments.filter(is_current=True):
        # Assigned when the case was taken in: every clock moved by the same suspended working time.
        assert local(assignment.due_at) == bj(3, 13, 9, 30)
        assert assignment.clock_paused_total == timedelta(hours=22)
    assert case.light_at(resumed) == "green"


def _movable(case: Case) -> dict:
    row = Case.objects.filter(pk=case.pk).values().get()
    for name in (
        "due_at",
        "yellow_at",
        "extension_days",
        "next_alarm_at",
        "alarm_level",
        "version",
        "updated_at",
    ):
        row.pop(name)
    return row


def _assignment_rows(case: Case) -> dict:
    return {
        a["id"]: a
        for a in Assignment.objects.filter(case=case).values(
            "id", "role", "status", "accept_due_at", "due_at", "yellow_at", "extension_days"
        )
    }


def test_an_approved_extension_moves_only_the_due_time(org):
    case = routed_case(org, bj(3, 2, 9))
    before, assignments_before = _movable(case), _assignment_rows(case)
    with at(bj(3, 5, 10)):
        services.case_extension_request(
            actor=org["t1_office_handler"], case_id=case.pk, days=3, reason="需会同自然资源局现场核查"
        )
    with at(bj(3, 5, 15)):
        services.case_extension_decide(
            actor=org["county_supervisor"], case_id=case.pk, approve=True, note="同意延期"
        )
    case.refresh_from_db()
    assert local(case.due_at) == bj(3, 12, 17, 30)  # three working days later
    assert case.extension_days == 3
    assert _movable(case) == before  # reply and first-contact deadlines, status, routing: unchanged
    after = _assignment_rows(case)
    for pk, row in assignments_before.items():
        if row["role"] == AssignmentRole.LEAD:
            assert local(after[pk]["due_at"]) == bj(3, 12, 17, 30)
            assert {
                k: v for k, v in after[pk].items() if k not in ("due_at", "yellow_at", "extension_days")
            } == {k: v for k, v in row.items() if k not in ("due_at", "yellow_at", "extension_days")}
        else:
            assert after[pk] == row  # the assisting department's clock is its own
    extension = Extension.objects.get(case=case)
    assert (extension.status, extension.days, extension.applies_to_case) == (
        ExtensionStatus.APPROVED,
        3,
        True,
    )
    assert (local(extension.due_before), local(extension.due_after)) == (bj(3, 9, 17, 30), bj(3, 12, 17, 30))
    assert [e.kind for e in case.events.order_by("sequence")][-2:] == [
        "extension_request",
        "extension_decide",
    ]
    # The staff member who asked is told, and the requester gets the new deadline by SMS.
    told = Notification.objects.filter(template_code=TemplateCode.EXTENSION_DECISION)
    assert told.filter(recipient_user=org["t1_office_handler"], channel=Channel.IN_APP).count() == 1
    assert told.filter(channel=Channel.SMS, recipient_user__isnull=True).count() == 1


def test_a_refused_extension_moves_nothing_and_needs_a_reason(org):
    case = routed_case(org, bj(3, 2, 9))
    with at(bj(3, 3, 10)):
        services.case_extension_request(
            actor=org["t1_office_handler"], case_id=case.pk, days=2, reason="人手不足"
        )
        with pytest.raises(ValidationFailed) as refused:
            services.case_extension_decide(actor=org["county_supervisor"], case_id=case.pk, approve=False)
        assert set(refused.value.errors) == {"note"}
        before = Case.objects.filter(pk=case.pk).values("due_at", "yellow_at").get()
        services.case_extension_decide(
            actor=org["county_supervisor"], case_id=case.pk, approve=False, note="理由不充分"
        )
    assert Case.objects.filter(pk=case.pk).values("due_at", "yellow_at").get() == before
    assert Extension.objects.get(case=case).status == ExtensionStatus.REFUSED
    told = Notification.objects.filter(template_code=TemplateCode.EXTENSION_DECISION)
    assert told.filter(channel=Channel.SMS).count() == 0  # the requester's deadline did not change
    assert told.filter(recipient_user=org["t1_office_handler"]).exists()


def test_extensions_come_before_expiry_within_the_caps(org):
    case = routed_case(org, bj(3, 2, 9))
    with at(bj(3, 3, 10)):
        with pytest.raises(ValidationFailed) as too_long:  # 5 days allowed, ceiling 15: at most 10 more
            services.case_extension_request(
                actor=org["t1_office_handler"], case_id=case.pk, days=11, reason="x"
            )
        assert set(too_long.value.errors) == {"days"}
        with pytest.raises(TransitionNotAllowed):  # nobody asked yet
            services.case_extension_decide(actor=org["county_supervisor"], case_id=case.pk, approve=True)
        services.case_extension_request(actor=org["t1_office_handler"], case_id=case.pk, days=10, reason="x")
        with pytest.raises(TransitionNotAllowed):  # one pending request per clock
            services.case_extension_request(actor=org["t1_office_head"], case_id=case.pk, days=1, reason="y")
        services.case_extension_decide(actor=org["county_supervisor"], case_id=case.pk, approve=True)
        with pytest.raises(TransitionNotAllowed):  # CASE_EXTENSION_MAX_COUNT = 1
            services.case_extension_request(
                actor=org["t1_office_handler"], case_id=case.pk, days=1, reason="z"
            )
    late = routed_case(org, bj(3, 2, 9))
    with at(bj(3, 9, 17, 31)), pytest.raises(TransitionNotAllowed):  # after the deadline: too late
        services.case_extension_request(actor=org["t1_office_handler"], case_id=late.pk, days=1, reason="x")
    unsigned = routed_case(org, bj(3, 2, 9), accept=False)
    with at(bj(3, 2, 10)), pytest.raises(TransitionNotAllowed):  # nothing signed for yet
        services.case_extension_request(
            actor=org["t1_office_handler"], case_id=unsigned.pk, days=1, reason="x"
        )


def test_each_assignment_clock_is_independent(org):
    case = routed_case(org, bj(3, 2, 9))
    lead = case.assignments.get(role=AssignmentRole.LEAD)
    land = case.assignments.get(role=AssignmentRole.ASSISTING)
    assert local(land.accept_due_at) == bj(3, 3, 9)  # 7 working hours to sign for
    with at(bj(3, 3, 10)):  # the lead hands the case on; the new lead's clock starts now
        services.case_transfer(
            actor=org["t1_office_head"], case_id=case.pk, department=org.dept("t2_office"), reason="属地"
        )
    case.refresh_from_db()
    new_lead = case.assignments.get(role=AssignmentRole.LEAD, is_current=True)
    assert new_lead.pk != lead.pk
    assert local(new_lead.accept_due_at) == bj(3, 4, 10)
    assert local(new_lead.due_at) == bj(3, 10, 17, 30)  # 5 working days from Tuesday
    assert local(case.due_at) == bj(3, 9, 17, 30)  # the requester's deadline runs from intake
    land.refresh_from_db()
    assert local(land.due_at) == bj(3, 9, 17, 30)
    lead.refresh_from_db()
    assert lead.next_alarm_at is None  # an ended assignment is no longer watched
    # An assisting department's extension moves its own clock only.
    with at(bj(3, 3, 11)):
        services.assignment_accept(actor=org["land_handler"], case_id=case.pk)
        services.case_extension_request(actor=org["land_handler"], case_id=case.pk, days=2, reason="需测绘")
        services.case_extension_decide(
            actor=org["county_supervisor"], case_id=case.pk, approve=True, note="可"
        )
    case.refresh_from_db()
    land.refresh_from_db()
    new_lead.refresh_from_db()
    assert local(land.due_at) == bj(3, 11, 17, 30)
    assert local(new_lead.due_at) == bj(3, 10, 17, 30)
    assert local(case.due_at) == bj(3, 9, 17, 30)
    assert Extension.objects.get(case=case).applies_to_case is False


def test_a_reasoned_reply_with_a_new_date_keeps_the_clock_running_against_it(org):
    """答复未办结: the follow-up clock runs against the new date; reopen starts a new round."""
    case = routed_case(org, bj(3, 2, 9))
    with at(bj(3, 3, 9)):
        services.case_reply(
            actor=org["t1_office_handler"],
            case_id=case.pk,
            answer="需等待上级批复，预计3月20日办结",
            can_be_done=False,
            follow_up_due_at="2026-03-20",
        )
    case.refresh_from_db()
    assert local(case.reasoned_reply_at) == bj(3, 3, 9)
    assert local(case.follow_up_due_at) == bj(3, 20, 17, 30)
    assert case.deadline_in_force == case.follow_up_due_at and case.is_follow_up
    assert case.light_at(bj(3, 12, 9)) == "green"  # past the old deadline, within the new date
    assert case.light_at(bj(3, 19, 17)) == "yellow"
    assert case.light_at(bj(3, 23, 9)) == "red"
    assert case.next_alarm_at == case.yellow_at
    assert case.on_time_at(bj(3, 23, 9)) is False  # not done by its new date: late
    with at(bj(3, 4, 9)):
        services.case_resolve(actor=org["t1_office_handler"], case_id=case.pk, summary="已办结")
    case.refresh_from_db()
    assert case.on_time_at(bj(3, 23, 9)) is True
    with at(bj(3, 5, 9)):
        services.case_reopen(actor=org["county_supervisor"], case_id=case.pk, reason="督办要求重办")
    case.refresh_from_db()
    assert case.status in (S.ASSIGNED, S.IN_PROGRESS)
    assert local(case.clock_started_at) == bj(3, 5, 9)
    assert case.reasoned_reply_at is None and case.follow_up_due_at is None and case.alarm_level == 0
    assert local(case.due_at) == bj(3, 12, 17, 30)
    assert case.next_alarm_at == case.yellow_at


def test_cannot_be_done_settles_the_clock_into_the_review_queue(org):
    case = routed_case(org, bj(3, 2, 9))
    with at(bj(3, 3, 9)):
        services.case_reply(
            actor=org["t1_office_handler"],
            case_id=case.pk,
            answer="属于民事纠纷，建议诉讼",
            can_be_done=False,
            cannot_be_done=True,
            reason_code="civil_dispute",
            basis="《民法典》",
        )
    case.refresh_from_db()
    assert case.clock_settled and case.next_alarm_at is None and case.light_at(bj(3, 20, 9)) is None
    assert case.needs_review
    [review] = case.reviews.all()
    assert (review.kind, review.status, review.reason.code) == ("cannot_be_done", "pending", "civil_dispute")
    assert local(review.due_at) == bj(3, 5, 17, 30)  # two working days


def test_past_the_calendar_horizon_the_deadline_is_provisional_and_alerts(org):
    with at(bj(12, 24, 9)):  # 10 working days from Christmas Eve 2026 run into 2027 (not yet published)
        case = take_in(
            org,
            "v1",
            category=org.category,
            matter_kind="difficult",
            complexity="complex",
            handling_mode="standard",
        )
    case.refresh_from_db()
    assert case.due_at.astimezone().year == 2027
    assert case.deadline_provisional is True
    assert CalendarHorizonAlert.objects.filter(year=2027, resolved_at__isnull=True).exists()
    with at(bj(3, 2, 9)):
        in_range = take_in(org, "v1")
    in_range.refresh_from_db()
    assert in_range.deadline_provisional is False


def test_every_clock_of_a_finished_case_stops(org):
    case = routed_case(org, bj(3, 2, 9))
    assert Assignment.objects.filter(case=case, next_alarm_at__isnull=False).exists()  # land: to sign for
    with at(bj(3, 2, 10)):
        services.case_withdraw(actor=org["v1_clerk"], case_id=case.pk, reason="申请人撤回")
    case.refresh_from_db()
    assert case.next_alarm_at is None
    assert not Assignment.objects.filter(case=case, next_alarm_at__isnull=False).exists()
    assert case.light_at(bj(3, 20)) is None


def test_version_still_counts_the_events(org):
    case = routed_case(org, bj(3, 2, 9))
    with at(bj(3, 2, 9) + HOUR):
        services.case_extension_request(actor=org["t1_office_handler"], case_id=case.pk, days=1, reason="x")
    case.refresh_from_db()
    assert case.version == case.events.count()


def test_without_any_policy_row_the_built_in_limits_are_the_seeded_ones(org):
    from cases.models import SlaPolicy

    kinds = [
        ("standard", "general"),
        ("standard", "complex"),
        ("immediate", "complex"),
        ("expedited", "simple"),
    ]
    seeded = {
        kind: routed_case(org, bj(3, 2, 9), assisting=(), handling_mode=kind[0], complexity=kind[1])
        for kind in kinds
    }
    assert {kind: local(case.due_at) for kind, case in seeded.items()} == {
        ("standard", "general"): bj(3, 9, 17, 30),
        ("standard", "complex"): bj(3, 16, 17, 30),
        ("immediate", "complex"): bj(3, 2, 17, 30),
        ("expedited", "simple"): bj(3, 5, 17, 30),
    }
    SlaPolicy.objects.all().delete()
    for kind, case in seeded.items():
        again = routed_case(org, bj(3, 2, 9), assisting=(), handling_mode=kind[0], complexity=kind[1])
        assert again.sla_policy is None
        assert (again.due_at, again.reply_due_at, again.yellow_at) == (
            case.due_at,
            case.reply_due_at,
            case.yellow_at,
        )
