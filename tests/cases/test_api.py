"""The staff cases API (/api/v1/cases/ …): intake and receipt, masking, filters, query counts, the timeline,
the commands a user may run, attachments, the department work queue, categories, error shapes, schema."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from cases import services
from cases.choices import (
    AssignmentStatus,
    CaseStatus,
    Channel,
    Complexity,
    EventKind,
    HandlingMode,
    MatterKind,
)
from cases.models import Case, CaseAttachment, CaseEvent, IdempotencyRecord
from cases.validators import id_number_check_digit
from tests.factories import CategoryFactory, enterprise, make_credit_code, person, take_in

from .api_helpers import CASES, MISSING_PK, case_url, client_for, intake_body, listed_ids
from .states import drive

pytestmark = pytest.mark.django_db

S = CaseStatus
E = EventKind
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _wrong_check(valid: str, alphabet: str) -> str:
    """The same number with another (wrong) check character."""
    return valid[:17] + next(c for c in alphabet if c != valid[17])


# --- Intake and receipt -----------------------------------------------------------------------------


def test_intake_answers_the_receipt(org):
    clerk = client_for(org["v1_clerk"])
    response = clerk.post(CASES, intake_body(org), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get()
    assert body["id"] == case.pk
    assert body["tracking_number"] == case.tracking_number
    assert body["tracking_number"].startswith(org.regions["v1"].code)
    assert body["query_code"] == case.query_code
    assert (body["status"], body["status_display"]) == (S.ROUTING, "待派单")
    assert body["window"]["id"] == org.windows["v1"].pk
    assert body["requester"]["phone"] == "138****8000"
    assert response["Location"] == case_url(case.pk)
    assert "Idempotent-Replayed" not in response
    assert clerk.get(case_url(case.pk, "receipt")).json() == body


def test_query_code_appears_only_in_the_intake_answer_and_the_receipt(org):
    clerk = client_for(org["v1_clerk"])
    case_id = clerk.post(CASES, intake_body(org), format="json").json()["id"]
    code = Case.objects.get(pk=case_id).query_code
    listing = clerk.get(CASES)
    detail = clerk.get(case_url(case_id))
    assert listing.status_code == detail.status_code == 200
    for response in (listing, detail, clerk.get(case_url(case_id, "events"))):
        assert code not in response.content.decode()
        assert "query_code" not in response.content.decode()


def test_an_unclassified_intake_waits_for_classification_and_immediate_matters_resolve_at_the_window(org):
    clerk = client_for(org["v1_clerk"])
    unclassified = clerk.post(CASES, intake_body(org, classified=False), format="json")
    assert (unclassified.status_code, unclassified.json()["status"]) == (201, S.REGISTERED)
    immediate = clerk.post(
        CASES,
        intake_body(org, handling_mode=HandlingMode.IMMEDIATE, resolution_summary="当场补办营业执照"),
        format="json",
    )
    assert (immediate.status_code, immediate.json()["status"]) == (201, S.RESOLVED)


def test_intake_at_a_window_the_clerk_does_not_work_at(org):
    response = client_for(org["v1b_clerk"]).post(CASES, intake_body(org, "v1"), format="json")
    assert response.status_code == 403
    assert set(response.json()) == {"detail"}
    missing = client_for(org["v1_clerk"]).post(CASES, intake_body(org, window=MISSING_PK), format="json")
    assert missing.status_code == 400
    assert set(missing.json()) == {"window"}
    assert Case.objects.count() == 0


def test_the_workflow_s_own_field_errors_come_back_in_the_same_shape(org):
    other_county = CategoryFactory(code="ELSEWHERE")  # a category of another county
    response = client_for(org["v1_clerk"]).post(
        CASES, intake_body(org, category=other_county.pk), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"category"}


# --- Requester validation and masking ---------------------------------------------------------------

ID_ALPHABET = "0123456789X"
USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _invalid_requesters():
    good_id = person()["id_number"]
    good_code = make_credit_code()
    return [
        ("phone", person(phone="1380013800")),  # ten digits
        ("phone", person(phone="12800138000")),  # no mobile starts with 12
        ("phone", person(phone="0575-123")),
        ("id_number", person(id_number=_wrong_check(good_id, ID_ALPHABET))),
        ("id_number", person(id_number="33068119901332" + "0011")),  # month 13
        ("id_number", person(id_number="12345")),
        ("credit_code", enterprise(credit_code=_wrong_check(good_code, USCC))),
        ("credit_code", enterprise(credit_code="91330681MA2ABCDE1O")),  # letter O is not in the alphabet
        ("credit_code", enterprise(credit_code="")),  # an enterprise needs one
        ("id_number", enterprise(id_number=good_id)),  # an enterprise gives no id number
        ("credit_code", person(credit_code=good_code)),  # a person gives no credit code
    ]


@pytest.mark.parametrize(("field", "requester"), _invalid_requesters())
def test_invalid_phones_id_numbers_and_credit_codes_are_field_errors(org, field, requester):
    response = client_for(org["v1_clerk"]).post(CASES, intake_body(org, requester=requester), format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert set(errors) == {"requester"}
    assert set(errors["requester"]) == {field}
    assert all(isinstance(message, str) and message for message in errors["requester"][field])
    assert Case.objects.count() == 0


def test_valid_numbers_in_any_accepted_spelling_are_stored_normalised(org):
    first17 = "33068119900307002"
    id_number = (first17 + id_number_check_digit(first17)).lower()
    requester = person(phone="+86 138 0013 8000", id_number=id_number)
    response = client_for(org["v1_clerk"]).post(CASES, intake_body(org, requester=requester), format="json")
    assert response.status_code == 201, response.content
    stored = Case.objects.get().requester
    assert (stored.phone, stored.id_number) == ("13800138000", id_number.upper())


def test_lists_mask_phones_and_id_numbers_the_detail_shows_them_whole(org):
    clerk = client_for(org["v1_clerk"])
    someone = person(phone="13912345678")
    company = enterprise(phone="0575-87012345")
    ids = [
        clerk.post(CASES, intake_body(org, requester=r), format="json").json()["id"]
        for r in (someone, company)
    ]
    rows = {row["id"]: row["requester"] for row in clerk.get(CASES).json()["results"]}
    assert rows[ids[0]]["phone"] == "139****5678"
    assert rows[ids[0]]["id_number"] == someone["id_number"][:4] + "*" * 10 + someone["id_number"][-4:]
    assert rows[ids[1]]["phone"] == "0575-****2345"
    assert rows[ids[1]]["credit_code"] == company["credit_code"][:6] + "*" * 8 + company["credit_code"][-4:]
    listing = clerk.get(CASES).content.decode()
    for secret in (someone["phone"], someone["id_number"], company["credit_code"], "87012345"):
        assert secret not in listing
    detail = clerk.get(case_url(ids[0])).json()["requester"]
    assert (detail["phone"], detail["id_number"]) == (someone["phone"], someone["id_number"])
    assert clerk.get(case_url(ids[1])).json()["requester"]["credit_code"] == company["credit_code"]


# --- Idempotency ------------------------------------------------------------------------------------


def test_the_same_intake_twice_with_one_key_creates_one_case_and_answers_the_same(org):
    clerk = client_for(org["v1_clerk"])
    body = intake_body(org)
    first = clerk.post(CASES, body, format="json", HTTP_IDEMPOTENCY_KEY="form-7f3a")
    again = clerk.post(CASES, body, format="json", HTTP_IDEMPOTENCY_KEY="form-7f3a")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1


def test_a_replay_answers_what_the_first_request_answered_even_after_the_case_moved_on(org):
    clerk = client_for(org["v1_clerk"])
    body = intake_body(org)
    first = clerk.post(CASES, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1").json()
    services.case_withdraw(actor=org["v1_clerk"], case_id=first["id"], reason="申请人撤回")
    assert clerk.post(CASES, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1").json() == first


def test_the_same_key_with_a_different_body_is_refused(org):
    clerk = client_for(org["v1_clerk"])
    assert clerk.post(CASES, intake_body(org), format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    other = intake_body(org, title="另一件事")
    response = clerk.post(CASES, other, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 422
    assert set(response.json()) == {"detail"}
    assert Case.objects.count() == 1


def test_keys_belong_to_their_user_and_requests_without_a_key_are_separate_intakes(org):
    colleague = client_for(org["v1_clerk"])
    body = intake_body(org, window=org.windows["county"].pk)
    assert (
        client_for(org["county_clerk"]).post(CASES, body, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code
        == 201
    )
    assert colleague.post(CASES, intake_body(org), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert colleague.post(CASES, intake_body(org), format="json").status_code == 201
    assert colleague.post(CASES, intake_body(org), format="json").status_code == 201
    assert Case.objects.count() == 4
    assert IdempotencyRecord.objects.count() == 2


def test_an_invalid_intake_does_not_use_up_its_key(org):
    clerk = client_for(org["v1_clerk"])
    bad = intake_body(org, requester=person(phone="123"))
    assert clerk.post(CASES, bad, format="json", HTTP_IDEMPOTENCY_KEY="k-3").status_code == 400
    assert clerk.post(CASES, intake_body(org), format="json", HTTP_IDEMPOTENCY_KEY="k-3").status_code == 201
    assert Case.objects.count() == 1


# --- List: filters, search, ordering, pagination, query counts --------------------------------------


@pytest.fixture
def assorted(org):
    """Cases of several kinds taken in on different days; the county supervisor sees them all."""
    tz = timezone.get_current_timezone()
    cases = {}

    def at(day, key, where="v1", **kwargs):
        with time_machine.travel(dt.datetime(2026, 3, day, 10, 0, tzinfo=tz), tick=False):
            cases[key] = take_in(org, where, clerk=org[f"{where}_clerk"], **kwargs)

    child = CategoryFactory(
        county=org.regions["county"], code="MKT-01", name="经营范围变更", parent=org.category
    )
    at(2, "v1_plain", title="营业执照变更")
    at(3, "v2_green", "v2", channel=Channel.HOTLINE_12345, green_channel=True, title="水电接入迟迟不办")
    at(
        4,
        "t1_urgent",
        "t1",
        category=child,
        matter_kind=MatterKind.URGENT,
        complexity=Complexity.SIMPLE,
        handling_mode=HandlingMode.EXPEDITED,
        title="急需开具证明",
    )
    at(
        5,
        "county_coord",
        "county",
        category=org.category_coordinated,
        matter_kind=MatterKind.NOVEL,
        complexity=Complexity.COMPLEX,
        handling_mode=HandlingMode.COORDINATED,
        description="涉及土地与规划的新事",
    )
    at(6, "v1_assigned", title="门牌号码登记")
    services.case_classify(
        actor=org["v1_clerk"],
        case_id=cases["v1_assigned"].pk,
        category=org.category,
        matter_kind=MatterKind.DIFFICULT,
        complexity=Complexity.GENERAL,
        handling_mode=HandlingMode.STANDARD,
    )
    services.case_assign(
        actor=org["v1_clerk"],
        case_id=cases["v1_assigned"].pk,
        lead_department=org.dept("market"),
        assisting_departments=[org.dept("land")],
    )
    return {key: case.pk for key, case in cases.items()}


FILTERS = [
    ({"status": [S.REGISTERED]}, {"v1_plain", "v2_green"}),
    ({"status": [S.ROUTING, S.COORDINATING]}, {"t1_urgent", "county_coord"}),
    ({"region": "330681001"}, {"v1_plain", "t1_urgent", "v1_assigned"}),
    ({"region": "330681002001"}, {"v2_green"}),
    ({"region": "999999"}, set()),
    ({"handling_region": "330681"}, {"v1_plain", "v2_green", "t1_urgent", "county_coord", "v1_assigned"}),
    (
        {"handling_region": "330681001"},
        {"v1_plain", "t1_urgent"},
    ),  # the assigned one is held by the county now
    ({"tier": "village"}, {"v1_plain", "v2_green", "v1_assigned"}),
    ({"tier": "county"}, {"county_coord"}),
    ({"lead_department": "market"}, {"v1_assigned"}),
    ({"department": "land"}, {"v1_assigned"}),
    ({"department": "housing"}, set()),
    ({"category": "category"}, {"t1_urgent", "v1_assigned"}),  # the category and its subcategory
    ({"matter_kind": MatterKind.URGENT}, {"t1_urgent"}),
    ({"complexity": Complexity.COMPLEX}, {"county_coord"}),
    ({"handling_mode": HandlingMode.COORDINATED}, {"county_coord"}),
    ({"channel": Channel.HOTLINE_12345}, {"v2_green"}),
    ({"green_channel": "true"}, {"v2_green"}),
    ({"taken_in_at_after": "2026-03-04T00:00:00+08:00"}, {"t1_urgent", "county_coord", "v1_assigned"}),
    ({"taken_in_at_before": "2026-03-03T23:59:59+08:00"}, {"v1_plain", "v2_green"}),
    (
        {"taken_in_at_after": "2026-03-03T00:00:00+08:00", "taken_in_at_before": "2026-03-04T23:00:00+08:00"},
        {"v2_green", "t1_urgent"},
    ),
    ({"q": "证明"}, {"t1_urgent"}),
    ({"q": "土地与规划"}, {"county_coord"}),  # in the description
    ({"open": "true"}, {"v1_plain", "v2_green", "t1_urgent", "county_coord", "v1_assigned"}),
]


@pytest.mark.parametrize(("params", "expected"), FILTERS, ids=[str(p) for p, _ in FILTERS])
def test_list_filters(org, assorted, params, expected):
    resolved = {}
    for name, value in params.items():
        if name in ("department", "lead_department"):
            value = org.dept(value).pk
        elif name == "category":
            value = org.category.pk
        resolved[name] = value
    assert listed_ids(client_for(org["county_supervisor"]), **resolved) == {assorted[key] for key in expected}


def test_search_by_tracking_number(org, assorted):
    number = Case.objects.get(pk=assorted["v2_green"]).tracking_number
    assert listed_ids(client_for(org["county_supervisor"]), q=number) == {assorted["v2_green"]}


def test_filters_never_widen_the_scope(org, assorted):
    # The v1 clerk filtering on a region or a department outside their reach gets nothing new.
    clerk = client_for(org["v1_clerk"])
    mine = {assorted["v1_plain"], assorted["v1_assigned"]}
    assert listed_ids(clerk) == mine
    assert listed_ids(clerk, region="330681") == mine
    assert listed_ids(clerk, region="330681002001") == set()
    assert listed_ids(clerk, tier="town") == set()


def test_ordering_and_pagination(org, assorted):
    supervisor = client_for(org["county_supervisor"])
    newest_first = [assorted[k] for k in ("v1_assigned", "county_coord", "t1_urgent", "v2_green", "v1_plain")]
    page = supervisor.get(CASES, {"page_size": 2}).json()
    assert page["count"] == 5
    assert [row["id"] for row in page["results"]] == newest_first[:2]
    assert page["next"] and page["previous"] is None
    page3 = supervisor.get(CASES, {"page_size": 2, "page": 3}).json()
    assert [row["id"] for row in page3["results"]] == newest_first[4:]
    oldest_first = supervisor.get(CASES, {"ordering": "taken_in_at"}).json()["results"]
    assert [row["id"] for row in oldest_first] == newest_first[::-1]


def test_invalid_filter_values_are_field_errors(org):
    response = client_for(org["county_supervisor"]).get(CASES, {"status": "nonsense", "tier": "planet"})
    assert response.status_code == 400
    assert set(response.json()) == {"status", "tier"}


def test_the_list_costs_the_same_number_of_queries_for_a_few_cases_and_many(org, django_assert_num_queries):
    supervisor = client_for(org["county_supervisor"])
    supervisor.get(CASES)  # the first request of the minute also refreshes the session's idle expiry
    for _ in range(3):
        take_in(org, "v1")
    drive(org, S.IN_PROGRESS)
    # session, user, the user's memberships (scope), count, one page of rows with their requesters, and the
    # page's windows, regions, lead departments and categories by id (cases.selectors.with_list_rows)
    with django_assert_num_queries(9):
        assert supervisor.get(CASES).json()["count"] == 4
    for where in ("v1", "v2", "t1", "county") * 7:
        take_in(org, where, requester=enterprise())
    with django_assert_num_queries(9):
        assert supervisor.get(CASES).json()["count"] == 32


def test_the_detail_costs_a_fixed_number_of_queries(org, django_assert_num_queries):
    case = drive(org, S.IN_PROGRESS)
    supervisor = client_for(org["county_supervisor"])
    supervisor.get(CASES)  # the first request of the minute also refreshes the session's idle expiry
    # session, user, scope, the case with its relations, its assignments with departments and signers,
    # its running timers, its reviews with their reasons
    with django_assert_num_queries(7):
        body = supervisor.get(case_url(case.pk)).json()
    assert [(a["role"], a["status"]) for a in body["assignments"]] == [
        ("lead", AssignmentStatus.ACCEPTED),
        ("assisting", AssignmentStatus.PENDING),
    ]
    assert body["assignments"][0]["accepted_by"]["username"] == "t1_office_handler"
    with django_assert_num_queries(5):
        events = supervisor.get(case_url(case.pk, "events")).json()
    assert [e["kind"] for e in events] == [E.INTAKE, E.CLASSIFY, E.ASSIGN, E.ACCEPT]


# --- Timeline, commands, assignments ----------------------------------------------------------------


def test_a_command_answers_its_event_and_what_the_user_may_do_next(org):
    case = drive(org, S.ASSIGNED)
    response = client_for(org["t1_office_handler"]).post(case_url(case.pk, "accept"), {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["case"], body["status"], body["version"]) == (case.pk, S.IN_PROGRESS, 4)
    event = body["event"]
    assert (event["kind"], event["from_status"], event["to_status"], event["sequence"]) == (
        E.ACCEPT,
        S.ASSIGNED,
        S.IN_PROGRESS,
        4,
    )
    assert event["actor"]["username"] == "t1_office_handler"
    assert event["department"]["id"] == org.dept("t1_office").pk
    assert {"reply", "resolve", "suspend", "note"} <= set(body["allowed_commands"])
    assert "accept" not in body["allowed_commands"]


def test_the_commands_endpoint_lists_what_the_user_may_run_now(org):
    case = drive(org, S.ASSIGNED)
    head = client_for(org["t1_office_head"]).get(case_url(case.pk, "commands")).json()
    assert head["status"] == S.ASSIGNED
    assert set(head["allowed_commands"]) == {"accept", "return", "transfer", "escalate", "delegate", "note"}
    accept = next(c for c in head["commands"] if c["name"] == "accept")
    assert accept == {"name": "accept", "label": "签收", "path": "accept"}
    assert next(c for c in head["commands"] if c["name"] == "return")["path"] == "return"
    land = client_for(org["land_handler"]).get(case_url(case.pk, "commands")).json()
    assert set(land["allowed_commands"]) == {"accept", "note"}
    admin = client_for(org["county_admin"]).get(case_url(case.pk, "commands")).json()
    assert admin["allowed_commands"] == []
    assert client_for(org["t2_clerk"]).get(case_url(case.pk, "commands")).status_code == 404


def test_not_allowed_in_this_state_is_409_with_the_allowed_commands(org):
    case = drive(org, S.ASSIGNED)
    response = client_for(org["v1_clerk"]).post(
        case_url(case.pk, "classify"),
        {
            "category": org.category.pk,
            "matter_kind": "urgent",
            "complexity": "simple",
            "handling_mode": "standard",
        },
        format="json",
    )
    assert response.status_code == 409
    body = response.json()
    assert set(body) == {"detail", "current_status", "allowed_commands"}
    assert body["current_status"] == S.ASSIGNED
    assert set(body["allowed_commands"]) == {"withdraw", "reclassify", "note"}
    assert CaseEvent.objects.filter(case=case).count() == 3


def test_a_visible_case_and_an_allowed_state_but_the_wrong_role_is_403(org):
    case = drive(org, S.IN_PROGRESS)
    # The window's clerk sees the case but does not reply for the department; the administrator oversees it
    # but runs no commands; the assisting department does not resolve for the lead.
    for user, command, body in [
        ("v1_clerk", "reply", {"answer": "已办好"}),
        ("county_admin", "note", {"text": "看一下"}),
        ("land_head", "resolve", {"summary": "已办结"}),
        ("v1_clerk", "accept", {}),
    ]:
        response = client_for(org[user]).post(case_url(case.pk, command), body, format="json")
        assert response.status_code == 403, (user, command, response.content)
        assert set(response.json()) == {"detail"}
    assert CaseEvent.objects.filter(case=case).count() == 4


def test_guards_answer_409(org):
    case = drive(org, S.IN_PROGRESS)
    # Nothing left for the lead department to sign for.
    response = client_for(org["t1_office_head"]).post(case_url(case.pk, "accept"), {}, format="json")
    assert response.status_code == 409
    assert response.json()["current_status"] == S.IN_PROGRESS


def test_a_stale_expected_version_is_409(org):
    case = drive(org, S.IN_PROGRESS)
    handler = client_for(org["t1_office_handler"])
    stale = handler.post(case_url(case.pk, "note"), {"text": "已联系", "expected_version": 3}, format="json")
    assert stale.status_code == 409
    fresh = handler.post(case_url(case.pk, "note"), {"text": "已联系", "expected_version": 4}, format="json")
    assert (fresh.status_code, fresh.json()["version"]) == (200, 5)


def test_the_timeline_is_in_order_with_actors_and_departments(org):
    case = drive(org, S.REPLIED)
    events = client_for(org["v1_clerk"]).get(case_url(case.pk, "events")).json()
    assert [(e["sequence"], e["kind"]) for e in events] == [
        (1, E.INTAKE),
        (2, E.CLASSIFY),
        (3, E.ASSIGN),
        (4, E.ACCEPT),
        (5, E.REPLY),
    ]
    assert events[4]["reason"] == "已联系市场监管局，三个工作日内办结"
    assert events[4]["department"]["name"] == "暨阳街道便民服务中心"
    assert events[4]["actor"]["username"] == "t1_office_handler"
    assert events[0]["from_status"] == "" and events[0]["to_status"] == S.REGISTERED


def test_assignments_of_a_case(org):
    case = drive(org, S.IN_PROGRESS)
    rows = client_for(org["land_handler"]).get(case_url(case.pk, "assignments")).json()
    assert [(r["department"]["id"], r["role"], r["status"], r["is_current"]) for r in rows] == [
        (org.dept("t1_office").pk, "lead", AssignmentStatus.ACCEPTED, True),
        (org.dept("land").pk, "assisting", AssignmentStatus.PENDING, True),
    ]
    assert client_for(org["market_handler"]).get(case_url(case.pk, "assignments")).status_code == 404


# --- Attachments ------------------------------------------------------------------------------------


def _upload(name, content, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def test_attachments_upload_list_and_download(org, media):
    case = drive(org, S.IN_PROGRESS)
    handler = client_for(org["t1_office_handler"])
    response = handler.post(
        case_url(case.pk, "attachments"),
        {"file": _upload("现场照片.png", PNG, "image/png")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    attachment = response.json()
    assert (attachment["original_name"], attachment["content_type"], attachment["size"]) == (
        "现场照片.png",
        "image/png",
        len(PNG),
    )
    assert [a["id"] for a in client_for(org["v1_clerk"]).get(case_url(case.pk, "attachments")).json()] == [
        attachment["id"]
    ]
    download = handler.get(f"{case_url(case.pk)}attachments/{attachment['id']}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    # The file can then be evidence of the resolution.
    resolved = handler.post(
        case_url(case.pk, "resolve"), {"summary": "已办结", "evidence": [attachment["id"]]}, format="json"
    )
    assert resolved.status_code == 200, resolved.content
    assert resolved.json()["event"]["payload"] == {"evidence": [attachment["id"]]}


def test_attachments_check_type_and_scope(org, media):
    case = drive(org, S.IN_PROGRESS)
    handler = client_for(org["t1_office_handler"])
    url = case_url(case.pk, "attachments")
    fake = handler.post(
        url, {"file": _upload("a.png", b"MZ\x90\x00 not a png", "image/png")}, format="multipart"
    )
    assert fake.status_code == 400 and set(fake.json()) == {"file"}
    exe = handler.post(
        url, {"file": _upload("a.exe", b"MZ\x90\x00", "application/x-msdownload")}, format="multipart"
    )
    assert exe.status_code == 400 and set(exe.json()) == {"file"}
    missing = handler.post(url, {}, format="multipart")
    assert missing.status_code == 400 and set(missing.json()) == {"file"}
    outsider = client_for(org["t2_clerk"])
    assert (
        outsider.post(url, {"file": _upload("a.png", PNG, "image/png")}, format="multipart").status_code
        == 404
    )
    assert outsider.get(url).status_code == 404
    assert CaseAttachment.objects.count() == 0
    stored = services.case_attachment_add(
        actor=org["t1_office_handler"], case_id=case.pk, file=_upload("b.png", PNG, "image/png")
    )
    assert outsider.get(f"{case_url(case.pk)}attachments/{stored.pk}/").status_code == 404
    assert handler.get(f"{case_url(case.pk)}attachments/{MISSING_PK}/").status_code == 404


# --- Department work queue --------------------------------------------------------------------------


def test_the_department_work_queue(org):
    to_sign = drive(org, S.ASSIGNED)
    in_progress = drive(org, S.IN_PROGRESS)
    returned = drive(org, S.ASSIGNED)
    services.assignment_return(actor=org["t1_office_head"], case_id=returned.pk, reason="不属于本单位职责")
    head = client_for(org["t1_office_head"])

    def queue(client, **params):
        response = client.get("/api/v1/assignments/", params)
        assert response.status_code == 200, response.content
        return [(row["case"]["id"], row["status"]) for row in response.json()["results"]]

    assert queue(head, queue="to_sign") == [(to_sign.pk, AssignmentStatus.PENDING)]
    assert queue(head, queue="in_progress") == [(in_progress.pk, AssignmentStatus.ACCEPTED)]
    assert queue(head, queue="returned") == [(returned.pk, AssignmentStatus.RETURNED)]
    assert queue(head) == [
        (to_sign.pk, AssignmentStatus.PENDING),
        (in_progress.pk, AssignmentStatus.ACCEPTED),
    ]
    rows = head.get("/api/v1/assignments/", {"queue": "to_sign"}).json()["results"]
    assert rows[0]["case"]["requester"]["phone"] == "138****8000"
    assert rows[0]["role"] == "lead" and rows[0]["department"]["id"] == org.dept("t1_office").pk
    # The assisting department sees its own part only; others and clerks see nothing.
    land = client_for(org["land_handler"])
    assert queue(land, queue="to_sign") == [
        (to_sign.pk, AssignmentStatus.PENDING),
        (in_progress.pk, AssignmentStatus.PENDING),
    ]
    assert queue(client_for(org["market_head"])) == []
    assert queue(client_for(org["v1_clerk"])) == []
    assert queue(head, department=org.dept("market").pk) == []
    bad = head.get("/api/v1/assignments/", {"queue": "someday"})
    assert bad.status_code == 400 and set(bad.json()) == {"queue"}


# --- Categories -------------------------------------------------------------------------------------


def test_categories_for_the_intake_form(org):
    CategoryFactory(county=org.regions["county"], code="MKT-01", name="经营范围变更", parent=org.category)
    CategoryFactory(county=org.regions["county"], code="OLD", name="已停用类别", is_active=False)
    CategoryFactory(code="X1", name="外县类别")
    clerk = client_for(org["v1_clerk"])

    def names(**params):
        response = clerk.get("/api/v1/categories/", params)
        assert response.status_code == 200
        return [row["name"] for row in response.json()["results"]]

    assert names() == ["土地与规划", "市场主体登记", "经营范围变更"]
    assert names(q="经营") == ["经营范围变更"]
    assert names(q="mkt") == ["市场主体登记", "经营范围变更"]
    assert names(county="330681001001") == ["土地与规划", "市场主体登记", "经营范围变更"]
    assert names(parent=org.category.pk) == ["经营范围变更"]
    assert names(is_active="false") == ["已停用类别"]
    row = clerk.get("/api/v1/categories/", {"q": "经营"}).json()["results"][0]
    assert (row["county"], row["parent"]) == ("330681", org.category.pk)


# --- Authentication and schema ----------------------------------------------------------------------


def test_anonymous_requests_are_refused(org):
    case = drive(org, S.REGISTERED)
    from rest_framework.test import APIClient

    anonymous = APIClient()
    assert anonymous.get(CASES).status_code == 401
    assert anonymous.get(case_url(case.pk)).status_code == 401
    assert anonymous.post(case_url(case.pk, "note"), {"text": "x"}, format="json").status_code == 401
    assert anonymous.post(CASES, intake_body(org), format="json").status_code == 401


def test_the_schema_generates_without_warnings_and_documents_the_cases_endpoints(tmp_path):
    target = tmp_path / "schema.yaml"
    # Warnings fail the command: the whole project's schema must be clean.
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(target),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    import yaml

    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    assert "/api/v1/cases/" in paths and "post" in paths["/api/v1/cases/"]
    for command in E:
        if command == E.INTAKE:
            continue
        operation = paths[f"/api/v1/cases/{{id}}/{command.value.replace('_', '-')}/"]["post"]
        assert set(operation["responses"]) >= {"200", "400", "403", "404", "409"}, command
    assert "422" in paths["/api/v1/cases/"]["post"]["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in paths["/api/v1/cases/"]["post"]["parameters"])
    for path in (
        "/api/v1/cases/{id}/events/",
        "/api/v1/cases/{id}/commands/",
        "/api/v1/assignments/",
        "/api/v1/categories/",
    ):
        assert "get" in paths[path]
    conflict = schema["components"]["schemas"]["TransitionError"]["properties"]
    assert set(conflict) == {"detail", "current_status", "allowed_commands"}
