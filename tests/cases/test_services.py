"""Service-level rules of the closed loop: intake, permissions, ping-pong, closure, reopen, attachments."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases import selectors, services, workflow
from cases.choices import (
    AssignmentOrigin,
    AssignmentRole,
    AssignmentStatus,
    CaseStatus,
    Channel,
    Complexity,
    EventKind,
    HandlingMode,
    MatterKind,
    Satisfaction,
)
from cases.models import (
    QUERY_CODE_ALPHABET,
    Assignment,
    Case,
    CaseAttachment,
    CaseEvent,
    CategoryDefaultDepartment,
    Requester,
)
from tests.factories import CLASSIFICATION, CategoryFactory, enterprise, person, take_in
from windowsvc.errors import (
    IdempotencyConflict,
    NotFound,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)

from .states import drive

S = CaseStatus
pytestmark = pytest.mark.django_db


def intake_data(org, where="v1", **overrides):
    data = {
        "actor": org[f"{where}_clerk"],
        "window": org.windows[where],
        "channel": Channel.WALK_IN,
        "requester": person(),
        "title": "办证难",
        "description": "跑了三次没办成",
    }
    data.update(overrides)
    return data


# --- Intake ---------------------------------------------------------------------------------------


def test_intake_numbers_the_case_per_region_and_day(org):
    today = timezone.localdate().strftime("%Y%m%d")
    first, second = take_in(org, "v1"), take_in(org, "v1")
    other = take_in(org, "t1")
    assert first.tracking_number == f"330681001001{today}0001"
    assert second.tracking_number == f"330681001001{today}0002"
    assert other.tracking_number == f"330681001{today}0001"
    assert re.fullmatch(f"[{QUERY_CODE_ALPHABET}]{{8}}", first.query_code)
    assert first.check_query_code(first.query_code.lower())
    assert not first.check_query_code("AAAAAAAA" if first.query_code != "AAAAAAAA" else "BBBBBBBB")
    assert (first.region, first.region_path, first.handling_region_path) == (
        org.regions["v1"],
        org.regions["v1"].path,
        org.regions["v1"].path,
    )
    assert first.clerk == org["v1_clerk"] and first.window == org.windows["v1"]


def test_intake_with_full_classification_waits_for_routing_or_the_centre(org):
    routed = services.case_intake(**intake_data(org), category=org.category, **CLASSIFICATION).case
    assert routed.status == S.ROUTING
    coordinated = services.case_intake(
        **intake_data(org), category=org.category, **{**CLASSIFICATION, "handling_mode": HandlingMode.SPECIAL}
    ).case
    assert coordinated.status == S.COORDINATING
    assert coordinated.handling_region_path == org.regions["county"].path


def test_immediate_matter_is_taken_in_and_resolved_at_the_window_in_one_step(org):
    result = services.case_intake(
        **intake_data(org),
        category=org.category,
        matter_kind=MatterKind.URGENT,
        complexity=Complexity.SIMPLE,
        handling_mode=HandlingMode.IMMEDIATE,
        resolution_summary="当场开具证明",
    )
    case = result.case
    assert case.status == S.RESOLVED and case.resolved_at is not None
    assert [(e.kind, e.from_status, e.to_status) for e in case.events.all()] == [
        (EventKind.INTAKE, "", S.RESOLVED)
    ]
    services.case_callback(
        actor=org["v1_clerk"], case_id=case.pk, satisfaction=Satisfaction.UNSATISFIED, comment="不对"
    )
    services.case_reopen(actor=org["v1_clerk"], case_id=case.pk, reason="重新办理")
    case.refresh_from_db()
    assert case.status == S.ROUTING  # never routed to a department: back to the window


def test_immediate_resolution_needs_an_immediate_complete_classification(org):
    with pytest.raises(ValidationFailed) as failed:
        services.case_intake(**intake_data(org), resolution_summary="当场办结")
    assert "resolution_summary" in failed.value.errors
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("requester", "field"),
    [
        (person(phone="12345"), "requester.phone"),
        (person(id_number="330681199003071230"), "requester.id_number"),
        (person(id_number="330681199002301234"), "requester.id_number"),
        (person(name=""), "requester.name"),
        (enterprise(credit_code="91330681MA2BCDEF0X"), "requester.credit_code"),
        (enterprise(credit_code=""), "requester.credit_code"),
        (person(credit_code="91350100M000100Y43"), "requester.credit_code"),
    ],
)
def test_intake_rejects_invalid_requester_data_with_field_errors(org, requester, field):
    with pytest.raises(ValidationFailed) as failed:
        services.case_intake(**intake_data(org, requester=requester))
    assert field in failed.value.errors
    assert not Case.objects.exists() and not Requester.objects.exists()


def test_intake_normalises_requester_data(org):
    case = take_in(org, requester=person(phone="+86 138 0013 8000", id_number="11010519491231002x"))
    assert case.requester.phone == "13800138000"
    assert case.requester.id_number == "11010519491231002X"
    assert str(case.requester) == "张** 138****8000"


def test_intake_only_by_a_clerk_of_that_window(org):
    with pytest.raises(PermissionDenied):
        services.case_intake(**intake_data(org, actor=org["t1_clerk"]))  # the town clerk at a village window
    with pytest.raises(PermissionDenied):
        services.case_intake(**intake_data(org, actor=org["market_head"]))
    # The system (an integration) may take in without a clerk.
    case = services.case_intake(**intake_data(org, actor=None)).case
    assert case.clerk is None and case.events.get().actor is None


def test_intake_rejects_a_category_of_another_county(org):
    from tests.factories import RegionFactory

    foreign = CategoryFactory(county=RegionFactory(code="330682"))
    with pytest.raises(ValidationFailed) as failed:
        services.case_intake(**intake_data(org), category=foreign)
    assert "category" in failed.value.errors


# --- Idempotency ----------------------------------------------------------------------------------


def test_same_idempotency_key_and_body_returns_the_same_case(org):
    data = intake_data(org)
    first = services.case_intake(**data, idempotency_key="abc-1")
    again = services.case_intake(**data, idempotency_key="abc-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.case == first.case and again.snapshot == first.snapshot
    assert again.snapshot["tracking_number"] == first.case.tracking_number
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1


def test_same_idempotency_key_with_another_body_is_refused(org):
    data = intake_data(org)
    services.case_intake(**data, idempotency_key="abc-2")
    with pytest.raises(IdempotencyConflict):
        services.case_intake(**{**data, "title": "另一件事"}, idempotency_key="abc-2")
    assert Case.objects.count() == 1


def test_idempotency_keys_belong_to_one_user(org):
    from routing.choices import StaffRole
    from tests.factories import MembershipFactory, UserFactory

    colleague = UserFactory(username="v1_clerk_2")
    MembershipFactory(user=colleague, role=StaffRole.CLERK, region=org.regions["v1"])
    a = services.case_intake(**intake_data(org), idempotency_key="same")
    b = services.case_intake(**intake_data(org, actor=colleague), idempotency_key="same")
    assert a.case != b.case


def test_a_failed_intake_does_not_use_up_its_key(org):
    with pytest.raises(ValidationFailed):
        services.case_intake(**intake_data(org, requester=person(phone="1")), idempotency_key="k")
    result = services.case_intake(**intake_data(org), idempotency_key="k")
    assert not result.replayed


# --- Permissions and scope --------------------------------------------------------------------------


def test_out_of_scope_and_missing_cases_are_the_same_not_found(org):
    case = take_in(org, "v1")
    with pytest.raises(NotFound) as hidden:
        services.case_note(actor=org["v2_clerk"], case_id=case.pk, text="看一眼")
    with pytest.raises(NotFound) as missing:
        services.case_note(actor=org["v2_clerk"], case_id=case.pk + 1000, text="看一眼")
    assert str(hidden.value) == str(missing.value)
    assert case.events.count() == 1


def test_seeing_a_case_is_not_enough_to_run_a_command(org):
    case = take_in(org, "v1")
    # The county clerk sees the village's cases but is not the window that took it in.
    with pytest.raises(PermissionDenied):
        services.case_classify(
            actor=org["county_clerk"], case_id=case.pk, category=org.category, **CLASSIFICATION
        )
    drive_case = drive(org, S.ASSIGNED)
    # Returns need the department head; a handler may sign but not hand it back.
    with pytest.raises(PermissionDenied):
        services.assignment_return(actor=org["t1_office_handler"], case_id=drive_case.pk, reason="不归我们")
    # An assisting department cannot reply for the lead.
    with pytest.raises(PermissionDenied):
        services.case_transfer(
            actor=org["land_head"], case_id=drive_case.pk, department=org.dept("housing"), reason="x"
        )


def test_the_system_may_only_record_callbacks_and_reopen(org):
    case = drive(org, S.RESOLVED)
    with pytest.raises(PermissionDenied):
        services.case_close(actor=None, case_id=case.pk)
    services.case_callback(
        actor=None, case_id=case.pk, satisfaction=Satisfaction.UNSATISFIED, comment="没办好"
    )
    services.case_reopen(actor=None, case_id=case.pk, reason="群众评价不满意")
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS  # back to the same lead, which already signed for it


def test_stale_version_is_refused(org):
    case = take_in(org, "v1")
    with pytest.raises(TransitionNotAllowed) as refused:
        services.case_classify(
            actor=org["v1_clerk"],
            case_id=case.pk,
            category=org.category,
            expected_version=7,
            **CLASSIFICATION,
        )
    assert refused.value.current == S.REGISTERED
    services.case_classify(
        actor=org["v1_clerk"], case_id=case.pk, category=org.category, expected_version=1, **CLASSIFICATION
    )


def test_allowed_commands_follow_role_and_state(org):
    case = drive(org, S.ASSIGNED)
    assert workflow.allowed_commands(case, org["t1_office_handler"]) == ["accept", "note"]
    assert workflow.allowed_commands(case, org["t1_office_head"]) == [
        "accept", "return", "transfer", "escalate", "delegate", "note"
    ]  # fmt: skip
    assert workflow.allowed_commands(case, org["land_handler"]) == ["accept", "note"]
    assert workflow.allowed_commands(case, org["land_head"]) == ["accept", "return", "note"]
    assert workflow.allowed_commands(case, org["v1_clerk"]) == ["withdraw", "reclassify", "note"]
    assert workflow.allowed_commands(case, org["county_supervisor"]) == [
        "withdraw",
        "reclassify",
        "reassign",
        "note",
        "urge",
        "supervise",
    ]
    assert workflow.allowed_commands(case, org["coordinator"]) == ["reclassify", "coordinate", "note"]
    assert workflow.allowed_commands(case, org["v2_clerk"]) == []
    assert workflow.allowed_commands(case, org["stranger"]) == []


# --- Routing rules ------------------------------------------------------------------------------------


def test_assign_defaults_to_the_most_specific_default_department(org):
    CategoryDefaultDepartment.objects.create(
        category=org.category, region=org.regions["t1"], department=org.dept("t1_office")
    )
    child = CategoryFactory(county=org.regions["county"], parent=org.category, code="MKT-1")
    v1_case = take_in(org, "v1")
    services.case_classify(actor=org["v1_clerk"], case_id=v1_case.pk, category=child, **CLASSIFICATION)
    services.case_assign(actor=org["v1_clerk"], case_id=v1_case.pk)
    v1_case.refresh_from_db()
    assert v1_case.lead_department == org.dept("t1_office")  # town rule beats county rule; parent's rules
    v2_case = take_in(org, "v2")
    services.case_classify(actor=org["v2_clerk"], case_id=v2_case.pk, category=org.category, **CLASSIFICATION)
    services.case_assign(actor=org["v2_clerk"], case_id=v2_case.pk)
    v2_case.refresh_from_db()
    assert v2_case.lead_department == org.dept("market")  # only the county rule applies in t2


def test_assign_validates_departments(org):
    case = drive(org, S.ROUTING)
    for bad in (org.dept("centre"), None):
        with pytest.raises(ValidationFailed) as failed:
            services.case_assign(actor=org["v1_clerk"], case_id=case.pk, lead_department=bad or 999999)
        assert "lead_department" in failed.value.errors
    with pytest.raises(ValidationFailed) as failed:
        services.case_assign(
            actor=org["v1_clerk"],
            case_id=case.pk,
            lead_department=org.dept("market"),
            assisting_departments=[org.dept("market")],
        )
    assert "assisting_departments" in failed.value.errors


def test_escalate_and_delegate_follow_the_tiers(org):
    case = drive(org, S.ASSIGNED)  # lead: t1 office
    with pytest.raises(ValidationFailed):
        services.case_escalate(
            actor=org["t1_office_head"], case_id=case.pk, department=org.dept("v1_committee"), reason="x"
        )
    with pytest.raises(ValidationFailed):
        services.case_delegate(
            actor=org["t1_office_head"], case_id=case.pk, department=org.dept("v2_committee"), reason="x"
        )
    services.case_delegate(
        actor=org["t1_office_head"], case_id=case.pk, department=org.dept("v1_committee"), reason="由社区办理"
    )
    case.refresh_from_db()
    assert case.lead_department == org.dept("v1_committee")
    lead = Assignment.objects.get(case=case, is_current=True, role=AssignmentRole.LEAD)
    assert lead.origin == AssignmentOrigin.DELEGATE and lead.can_return


def test_a_transfer_to_an_assisting_department_promotes_it(org):
    case = drive(org, S.IN_PROGRESS)  # lead t1 office, assisting land
    services.case_transfer(
        actor=org["t1_office_head"], case_id=case.pk, department=org.dept("land"), reason="牵头"
    )
    current = Assignment.objects.filter(case=case, is_current=True)
    assert [(a.department, a.role) for a in current] == [(org.dept("land"), AssignmentRole.LEAD)]


def test_an_assisting_return_leaves_the_case_with_its_lead(org):
    case = drive(org, S.IN_PROGRESS)
    services.assignment_return(actor=org["land_head"], case_id=case.pk, reason="不涉及用地")
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS and case.return_count == 0
    land = Assignment.objects.get(case=case, department=org.dept("land"))
    assert (land.status, land.is_current, land.returned_reason) == (
        AssignmentStatus.RETURNED,
        False,
        "不涉及用地",
    )


def test_a_lead_return_goes_back_to_the_window_for_rerouting(org):
    case = drive(org, S.ASSIGNED)
    services.assignment_return(actor=org["t1_office_head"], case_id=case.pk, reason="不属于街道职责")
    case.refresh_from_db()
    assert (case.status, case.lead_department, case.handling_region_path) == (
        S.ROUTING,
        None,
        case.region_path,
    )
    assert not Assignment.objects.filter(case=case, is_current=True).exists()
    assert "assign" in workflow.allowed_commands(case, org["v1_clerk"])


# --- Ping-pong guard ----------------------------------------------------------------------------------


def test_pingpong_guard_sends_the_case_to_the_coordination_centre(org, settings):
    settings.CASE_PINGPONG_LIMIT = 2
    case = drive(org, S.ASSIGNED)
    d = org.dept
    services.case_transfer(
        actor=org["t1_office_head"], case_id=case.pk, department=d("t2_office"), reason="属地"
    )
    services.case_transfer(
        actor=org["t2_office_head"], case_id=case.pk, department=d("market"), reason="县级"
    )
    case.refresh_from_db()
    assert (case.status, case.transfer_count) == (S.ASSIGNED, 2)
    # The third move is more than 2: it does not reach housing, the centre gets it.
    event = services.case_transfer(
        actor=org["market_head"], case_id=case.pk, department=d("housing"), reason="住建"
    )
    case.refresh_from_db()
    assert case.status == S.COORDINATING
    assert event.payload == {
        "from_assignment": event.payload["from_assignment"],
        "requested_department": d("housing").pk,
        "pingpong_guard": True,
    }
    assert not Assignment.objects.filter(case=case, is_current=True).exists()
    assert case.handling_region_path == org.regions["county"].path
    # Only the centre may route it now; the window no longer can.
    assert "assign" not in workflow.allowed_commands(case, org["v1_clerk"])
    assert "assign" in workflow.allowed_commands(case, org["coordinator"])
    services.case_assign(actor=org["coordinator"], case_id=case.pk, lead_department=d("housing"))
    lead = Assignment.objects.get(case=case, is_current=True)
    assert lead.can_return is False
    counts = {
        r["department_id"]: (r["returned"], r["transferred"]) for r in selectors.department_bounce_counts()
    }
    assert counts == {d("t1_office").pk: (0, 1), d("t2_office").pk: (0, 1), d("market").pk: (0, 1)}


def test_pingpong_limit_is_a_setting(org, settings):
    settings.CASE_PINGPONG_LIMIT = 0
    case = drive(org, S.ASSIGNED)
    services.assignment_return(actor=org["t1_office_head"], case_id=case.pk, reason="不归我们")
    case.refresh_from_db()
    assert case.status == S.COORDINATING


# --- Suspension, reply, review ----------------------------------------------------------------------


def test_resume_returns_to_the_state_before_the_suspension(org):
    case = drive(org, S.REPLIED)
    services.case_suspend(
        actor=org["t1_office_handler"], case_id=case.pk, reason="等材料", reason_code="awaiting_materials"
    )
    case.refresh_from_db()
    assert case.suspended_at is not None
    event = services.case_resume(actor=org["county_supervisor"], case_id=case.pk, reason="督办恢复")
    case.refresh_from_db()
    assert (case.status, case.suspended_at, event.to_status) == (S.REPLIED, None, S.REPLIED)


def test_negative_answers_are_reported_for_review(org):
    refused = drive(org, S.NOT_ACCEPTED)
    assert refused.needs_review
    payload = refused.events.last().payload
    assert (payload["guidance"], payload["reason_code"]) == ("请向法院起诉", "other")
    assert refused.reviews.get().pk == payload["review"]
    case = drive(org, S.IN_PROGRESS)
    services.case_reply(
        actor=org["t1_office_handler"],
        case_id=case.pk,
        answer="暂不具备条件，原因如下",
        can_be_done=False,
        cannot_be_done=True,
        reason_code="not_yet_possible",
        basis="《某办法》第三条",
    )
    case.refresh_from_db()
    assert case.needs_review and case.replied_at is not None
    assert case.reviews.get().kind == "cannot_be_done"
    # A "cannot be done yet" answer needs its new date or a reason with its basis: never a bare "no".
    other = drive(org, S.IN_PROGRESS)
    with pytest.raises(ValidationFailed) as refused_answer:
        services.case_reply(
            actor=org["t1_office_handler"], case_id=other.pk, answer="暂不能办", can_be_done=False
        )
    assert set(refused_answer.value.errors) == {"follow_up_due_at"}


# --- Closure rule and reopen --------------------------------------------------------------------------


def test_close_needs_a_satisfied_callback(org):
    case = drive(org, S.RESOLVED)
    with pytest.raises(TransitionNotAllowed):
        services.case_close(actor=org["v1_clerk"], case_id=case.pk)
    services.case_callback(
        actor=org["v1_clerk"], case_id=case.pk, satisfaction=Satisfaction.BASICALLY_SATISFIED
    )
    with pytest.raises(TransitionNotAllowed):  # one callback per resolution
        services.case_callback(actor=org["v1_clerk"], case_id=case.pk, satisfaction=Satisfaction.SATISFIED)
    with pytest.raises(PermissionDenied):  # an override is the supervisor's
        services.case_close(actor=org["v1_clerk"], case_id=case.pk, override=True, reason="x")
    event = services.case_close(actor=org["v1_clerk"], case_id=case.pk)
    assert event.payload == {"override": False, "satisfaction": Satisfaction.BASICALLY_SATISFIED}


def test_supervisor_override_needs_a_written_reason(org):
    case = drive(org, S.RESOLVED)
    services.case_callback(
        actor=org["v1_clerk"], case_id=case.pk, satisfaction=Satisfaction.UNSATISFIED, comment="不满意"
    )
    with pytest.raises(ValidationFailed) as failed:
        services.case_close(actor=org["t1_supervisor"], case_id=case.pk, override=True)
    assert "reason" in failed.value.errors
    event = services.case_close(
        actor=org["t1_supervisor"], case_id=case.pk, override=True, reason="诉求超出政策范围，已解释"
    )
    assert event.payload["override"] is True and event.reason


def test_unsatisfied_callback_needs_a_comment(org):
    case = drive(org, S.RESOLVED)
    with pytest.raises(ValidationFailed) as failed:
        services.case_callback(actor=org["v1_clerk"], case_id=case.pk, satisfaction=Satisfaction.UNSATISFIED)
    assert "comment" in failed.value.errors


def test_reopen_rules(org):
    case = drive(org, S.RESOLVED)
    services.case_callback(actor=org["v1_clerk"], case_id=case.pk, satisfaction=Satisfaction.SATISFIED)
    with pytest.raises(TransitionNotAllowed):  # a satisfied requester: only a supervisor reopens
        services.case_reopen(actor=org["v1_clerk"], case_id=case.pk, reason="x")
    services.case_reopen(
        actor=org["county_supervisor"],
        case_id=case.pk,
        reason="抽查发现未办好",
        lead_department=org.dept("housing"),
    )
    case.refresh_from_db()
    assert (case.status, case.lead_department, case.callback_satisfaction, case.resolved_at) == (
        S.ASSIGNED, org.dept("housing"), "", None
    )  # fmt: skip
    lead = Assignment.objects.get(case=case, is_current=True)
    assert (lead.origin, lead.can_return) == (AssignmentOrigin.REOPEN, False)

    other = drive(org, S.RESOLVED)
    services.case_callback(
        actor=org["v1_clerk"], case_id=other.pk, satisfaction=Satisfaction.UNSATISFIED, comment="没办"
    )
    with pytest.raises(PermissionDenied):  # reassigning the redo is the supervisor's
        services.case_reopen(
            actor=org["v1_clerk"], case_id=other.pk, reason="x", lead_department=org.dept("housing")
        )


def test_resolve_completes_signed_assignments_and_cancels_unsigned_ones(org):
    case = drive(org, S.IN_PROGRESS)  # land (assisting) never signed
    services.case_resolve(actor=org["t1_office_handler"], case_id=case.pk, summary="办结")
    statuses = dict(Assignment.objects.filter(case=case).values_list("department__code", "status"))
    assert statuses == {"D-t1_office": AssignmentStatus.COMPLETED, "D-land": AssignmentStatus.CANCELLED}
    assert not Assignment.objects.filter(case=case, is_current=True).exists()


def test_withdraw_cancels_current_assignments(org):
    case = drive(org, S.IN_PROGRESS)
    services.case_withdraw(actor=org["v1_clerk"], case_id=case.pk, reason="申请人撤回")
    assert set(Assignment.objects.filter(case=case).values_list("status", flat=True)) == {
        AssignmentStatus.CANCELLED
    }


def test_reclassify_changes_only_what_is_given(org):
    case = drive(org, S.IN_PROGRESS)
    with pytest.raises(ValidationFailed):
        services.case_reclassify(actor=org["coordinator"], case_id=case.pk, reason="无变化")
    event = services.case_reclassify(
        actor=org["coordinator"], case_id=case.pk, reason="升级", green_channel=True
    )
    case.refresh_from_db()
    assert case.green_channel and case.complexity == Complexity.GENERAL
    assert event.payload == {"before": {"green_channel": False}, "after": {"green_channel": True}}


def test_first_contact_is_recorded_once(org):
    case = drive(org, S.IN_PROGRESS)
    services.case_note(
        actor=org["t1_office_handler"], case_id=case.pk, text="已联系", contacted_requester=True
    )
    case.refresh_from_db()
    first = case.first_contacted_at
    event = services.case_note(
        actor=org["land_handler"], case_id=case.pk, text="再次联系", contacted_requester=True
    )
    case.refresh_from_db()
    assert case.first_contacted_at == first
    assert event.department == org.dept("land")


# --- Attachments --------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path


def test_attachment_is_stored_under_a_random_name_and_usable_as_evidence(org, media):
    case = drive(org, S.IN_PROGRESS)
    upload = SimpleUploadedFile("../../办结证明.pdf", PDF, content_type="application/pdf")
    attachment = services.case_attachment_add(actor=org["t1_office_handler"], case_id=case.pk, file=upload)
    assert attachment.original_name == "办结证明.pdf"
    assert attachment.size == len(PDF) and attachment.content_type == "application/pdf"
    assert re.fullmatch(r"cases/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", attachment.file.name)
    assert (media / attachment.file.name).read_bytes() == PDF
    event = services.case_resolve(
        actor=org["t1_office_handler"], case_id=case.pk, summary="见附件", evidence=[attachment]
    )
    assert event.payload["evidence"] == [attachment.pk]


def test_attachment_type_size_and_content_are_checked(org, media, settings):
    case = drive(org, S.IN_PROGRESS)
    actor = org["t1_office_handler"]
    with pytest.raises(ValidationFailed):
        services.case_attachment_add(
            actor=actor,
            case_id=case.pk,
            file=SimpleUploadedFile("a.exe", b"MZ\x90\x00", content_type="application/x-msdownload"),
        )
    with pytest.raises(ValidationFailed):  # says PDF, is not
        services.case_attachment_add(
            actor=actor,
            case_id=case.pk,
            file=SimpleUploadedFile("a.pdf", b"<html>", content_type="application/pdf"),
        )
    settings.CASE_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationFailed):
        services.case_attachment_add(
            actor=actor,
            case_id=case.pk,
            file=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"),
        )
    assert not CaseAttachment.objects.exists()
    assert not list(media.rglob("*.pdf"))


def test_attachments_need_a_part_in_the_case_and_evidence_must_be_the_cases(org, media):
    case = drive(org, S.IN_PROGRESS)
    other = drive(org, S.IN_PROGRESS)
    foreign = services.case_attachment_add(
        actor=org["v1_clerk"],
        case_id=other.pk,
        file=SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf"),
    )
    with pytest.raises(ValidationFailed) as failed:
        services.case_resolve(
            actor=org["t1_office_handler"], case_id=case.pk, summary="x", evidence=[foreign.pk]
        )
    assert "evidence" in failed.value.errors
    closed = drive(org, S.CLOSED)
    with pytest.raises(PermissionDenied):
        services.case_attachment_add(
            actor=org["v1_clerk"],
            case_id=closed.pk,
            file=SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf"),
        )
    with pytest.raises(NotFound):
        services.case_attachment_add(
            actor=org["v2_clerk"],
            case_id=case.pk,
            file=SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf"),
        )
