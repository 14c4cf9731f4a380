"""Staff pages of the closed loop through Django's test client: intake, receipt, queue, list, detail, actions."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from cases import services, workflow
from cases.choices import AssignmentStatus, CaseStatus, EventKind, RequesterKind, Satisfaction
from cases.forms import COMMAND_FORMS
from cases.models import Case, CaseEvent, IdempotencyRecord
from routing.choices import Tier
from tests.factories import CategoryFactory, RegionFactory, ServiceWindowFactory, make_credit_code, take_in

from .page_helpers import commands_shown, intake_data, routed_case
from .states import drive

pytestmark = pytest.mark.django_db

E = EventKind


def login(client, user):
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Access -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, args",
    [
        ("cases:list", []),
        ("cases:intake", []),
        ("cases:queue", []),
        ("cases:work", []),
        ("cases:category-search", []),
        ("cases:similar-cases", []),
        ("cases:detail", [1]),
        ("cases:receipt", [1]),
        ("cases:action", [1, "accept"]),
    ],
)
def test_pages_require_login(client, org, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "username, target",
    [("v1_clerk", "cases:intake"), ("market_head", "cases:queue"), ("county_supervisor", "cases:list")],
)
def test_work_entry_sends_each_role_to_its_page(client, org, username, target):
    response = login(client, org[username]).get(reverse("cases:work"))
    assert response.status_code == 302
    assert response["Location"] == reverse(target)


def test_nav_has_the_work_entry(client, org):
    response = login(client, org["v1_clerk"]).get("/")
    assert reverse("cases:work") in response.content.decode()


def test_every_workflow_command_has_a_form():
    assert set(COMMAND_FORMS) == set(workflow.CASE_COMMANDS)


# --- Intake form --------------------------------------------------------------------------------------


def test_intake_form_renders_for_a_clerk(client, org):
    response = login(client, org["v1_clerk"]).get(reverse("cases:intake"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="idempotency_key"' in html
    assert "autofocus" in re.search(r'<input[^>]*name="name"[^>]*>', html).group(0)
    # Datalist of the window's county categories, and the JSON search URL for the script.
    assert f'<option value="{org.category.code} {org.category.name}">' in html
    assert reverse("cases:category-search") in html
    # Logical tab order: requester, then the matter, then classification, then the window.
    positions = [html.index(f'name="{name}"') for name in ("name", "phone", "title", "category", "window")]
    assert positions == sorted(positions)
    # Only the clerk's own window is offered.
    assert response.context["form"].fields["window"].queryset.get() == org.windows["v1"]


def test_each_rendering_of_the_intake_form_has_its_own_token(client, org):
    login(client, org["v1_clerk"])
    first = client.get(reverse("cases:intake")).context["form"].initial["idempotency_key"]
    second = client.get(reverse("cases:intake")).context["form"].initial["idempotency_key"]
    assert first and second and first != second


def test_intake_is_refused_to_staff_without_a_window(client, org):
    assert login(client, org["market_head"]).get(reverse("cases:intake")).status_code == 403


def test_intake_creates_the_case_and_shows_the_receipt(client, org):
    login(client, org["v1_clerk"])
    response = client.post(reverse("cases:intake"), intake_data(org))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:receipt", args=[case.pk])
    assert case.window == org.windows["v1"]
    assert case.clerk == org["v1_clerk"]
    assert case.category == org.category
    assert case.status == CaseStatus.ROUTING  # classified at intake
    assert case.requester.phone == "13800138000"
    assert case.events.get().kind == E.INTAKE
    assert any(case.tracking_number in m for m in messages_of(response))


def test_double_submitted_intake_creates_one_case(client, org):
    login(client, org["v1_clerk"])
    data = intake_data(org, idempotency_key="double-click-1")
    first = client.post(reverse("cases:intake"), data)
    second = client.post(reverse("cases:intake"), data)
    case = Case.objects.get()
    assert first["Location"] == second["Location"] == reverse("cases:receipt", args=[case.pk])
    assert CaseEvent.objects.filter(kind=E.INTAKE).count() == 1


def test_a_used_token_with_other_input_is_refused_and_renewed(client, org):
    login(client, org["v1_clerk"])
    client.post(reverse("cases:intake"), intake_data(org, idempotency_key="reused"))
    response = client.post(
        reverse("cases:intake"), intake_data(org, idempotency_key="reused", title="另一件事")
    )
    assert response.status_code == 200
    assert Case.objects.count() == 1
    assert any("已提交过" in m for m in messages_of(response))
    renewed = response.context["form"].data["idempotency_key"]
    assert renewed != "reused"
    # Submitting again with the renewed token takes the second matter in.
    again = client.post(reverse("cases:intake"), intake_data(org, idempotency_key=renewed, title="另一件事"))
    assert again.status_code == 302
    assert Case.objects.count() == 2


def test_new_intake_forms_are_independent(client, org):
    login(client, org["v1_clerk"])
    client.post(reverse("cases:intake"), intake_data(org, idempotency_key="a"))
    client.post(reverse("cases:intake"), intake_data(org, idempotency_key="b"))
    assert Case.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 2


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"phone": "12345"}, "phone"),
        ({"id_number": "330681199003071230"}, "id_number"),
        (
            {"kind": RequesterKind.ENTERPRISE, "id_number": "", "credit_code": "91330681ABCDEFGHJ0"},
            "credit_code",
        ),
        ({"title": ""}, "title"),
        ({"category": "NOPE 不存在"}, "category"),
    ],
)
def test_invalid_intake_shows_field_errors_and_creates_nothing(client, org, overrides, field):
    login(client, org["v1_clerk"])
    response = client.post(reverse("cases:intake"), intake_data(org, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="errorlist' in response.content.decode()
    assert Case.objects.count() == 0


def test_enterprise_without_credit_code_gets_the_services_field_error(client, org):
    login(client, org["v1_clerk"])
    data = intake_data(org, kind=RequesterKind.ENTERPRISE, id_number="", credit_code="", contact_name="李四")
    response = client.post(reverse("cases:intake"), data)
    assert response.status_code == 200
    assert "credit_code" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_enterprise_intake(client, org):
    login(client, org["v1_clerk"])
    code = make_credit_code()
    data = intake_data(
        org,
        kind=RequesterKind.ENTERPRISE,
        name="诸暨市某某机械有限公司",
        credit_code=code,
        contact_name="李四",
    )
    assert client.post(reverse("cases:intake"), data).status_code == 302
    requester = Case.objects.get().requester
    # The id number typed before switching the kind is dropped, the credit code kept.
    assert (requester.kind, requester.credit_code, requester.id_number) == (
        RequesterKind.ENTERPRISE,
        code,
        "",
    )


def test_category_of_another_county_is_refused(client, org):
    other = RegionFactory(code="330682", name="上虞区", tier=Tier.COUNTY)
    foreign = CategoryFactory(county=other, code="FOREIGN", name="外县类别")
    login(client, org["v1_clerk"])
    response = client.post(
        reverse("cases:intake"), intake_data(org, category=f"{foreign.code} {foreign.name}")
    )
    assert "category" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_category_search_is_scoped_to_the_windows_county(client, org):
    other = RegionFactory(code="330682", name="上虞区", tier=Tier.COUNTY)
    CategoryFactory(county=other, code="MKT2", name="市场外县")
    login(client, org["v1_clerk"])
    response = client.get(reverse("cases:category-search"), {"q": "市场"})
    assert [r["code"] for r in response.json()["results"]] == [org.category.code]
    by_code = client.get(reverse("cases:category-search"), {"q": "LA"}).json()["results"]
    assert [r["name"] for r in by_code] == [org.category_coordinated.name]


def test_open_case_of_the_same_requester_warns_without_blocking(client, org):
    earlier = take_in(org, "v1", category=org.category)
    login(client, org["v1_clerk"])
    # The live warning (JSON) before submitting — a POST: phone and id numbers never go into a URL …
    body = {"phone": "138 0013 8000", "category": org.category.code, "window": org.windows["v1"].pk}
    assert client.get(reverse("cases:similar-cases"), body).status_code == 405
    found = client.post(reverse("cases:similar-cases"), body).json()
    assert found["same_category"] is True
    assert [r["tracking_number"] for r in found["results"]] == [earlier.tracking_number]
    # … and after submitting: the case is taken in anyway, with a warning naming the open one.
    response = client.post(reverse("cases:intake"), intake_data(org))
    assert response.status_code == 302
    assert Case.objects.count() == 2
    assert any("未办结" in m and earlier.tracking_number in m for m in messages_of(response))


def test_similar_cases_of_another_category_or_out_of_scope_do_not_warn(client, org):
    take_in(org, "v1", category=org.category_coordinated)
    take_in(org, "v2", category=org.category)  # another town's window: the v1 clerk cannot see it
    login(client, org["v1_clerk"])
    found = client.post(
        reverse("cases:similar-cases"), {"phone": "13800138000", "category": org.category.code}
    )
    assert found.json()["results"] == []
    response = client.post(reverse("cases:intake"), intake_data(org))
    assert not any("未办结" in m for m in messages_of(response))


def test_intake_form_shows_the_warning_when_redisplayed(client, org):
    earlier = take_in(org, "v1", category=org.category)
    login(client, org["v1_clerk"])
    response = client.post(reverse("cases:intake"), intake_data(org, title=""))
    assert response.status_code == 200
    assert earlier.tracking_number in response.content.decode()


# --- Receipt ------------------------------------------------------------------------------------------


def test_receipt_shows_numbers_masked_phone_placeholder_and_qr(client, org, settings):
    settings.PUBLIC_BASE_URL = "https://window.example.gov.cn/"
    case = take_in(org, "v1")
    response = login(client, org["v1_clerk"]).get(reverse("cases:receipt", args=[case.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert case.tracking_number in html
    assert case.query_code in html
    assert "138****8000" in html
    assert "13800138000" not in html
    assert case.requester.id_number not in html
    assert org.windows["v1"].name in html
    # The reply deadline runs from intake (docs/DEADLINES.md), so the receipt prints it.
    assert case.reply_due_at is not None
    assert response.context["expected_reply_at"] == case.reply_due_at
    reply_local = timezone.localtime(case.reply_due_at, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert reply_local in html
    local = timezone.localtime(case.taken_in_at, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    assert local in html
    # The QR code is inline SVG of the public status URL (PUBLIC_BASE_URL, not the host the clerk's request
    # came in on) with the tracking number only (no query code).
    status_url = f"https://window.example.gov.cn/status/?n={case.tracking_number}"
    assert response.context["status_url"] == status_url
    assert "<svg" in html and 'class="qr-code"' in html
    assert case.query_code not in response.context["status_url"]
    # The page carries the stylesheet whose print rules hide the site chrome.
    assert "cases/cases.css" in html
    assert "@media print" in static_text("cases/cases.css")


def static_text(path: str) -> str:
    from django.contrib.staticfiles import finders

    with open(finders.find(path), encoding="utf-8") as handle:
        return handle.read()


def test_receipt_out_of_scope_is_404(client, org):
    case = take_in(org, "v1")
    assert login(client, org["v2_clerk"]).get(reverse("cases:receipt", args=[case.pk])).status_code == 404


# --- Queue --------------------------------------------------------------------------------------------


def test_queue_tabs_follow_the_assignment(client, org):
    case = routed_case(org, lead="market")
    login(client, org["market_head"])

    def rows(tab):
        response = client.get(reverse("cases:queue"), {"tab": tab})
        assert response.status_code == 200
        return [a.case.tracking_number for a in response.context["assignments"]]

    assert rows("to-sign") == [case.tracking_number]
    assert rows("in-progress") == []
    html = client.get(reverse("cases:queue")).content.decode()
    assert reverse("cases:detail", args=[case.pk]) in html
    assert "138****8000" in html and "13800138000" not in html

    services.assignment_accept(actor=org["market_head"], case_id=case.pk)
    assert rows("to-sign") == []
    assert rows("in-progress") == [case.tracking_number]

    services.assignment_return(actor=org["market_head"], case_id=case.pk, reason="不属于本部门职责")
    assert rows("in-progress") == []
    assert rows("returned") == [case.tracking_number]


def test_queue_of_another_department_is_empty(client, org):
    routed_case(org, lead="market")
    response = login(client, org["land_head"]).get(reverse("cases:queue"))
    assert list(response.context["assignments"]) == []


# --- Case list ----------------------------------------------------------------------------------------


def test_case_list_masks_phones_and_is_scoped(client, org):
    mine = take_in(org, "v1", title="城西的事")
    other = take_in(org, "v2", title="东江的事")
    response = login(client, org["v1_clerk"]).get(reverse("cases:list"))
    html = response.content.decode()
    assert mine.tracking_number in html
    assert other.tracking_number not in html
    assert "138****8000" in html
    assert "13800138000" not in html
    assert mine.requester.id_number not in html


def test_case_list_filters_by_status_and_text(client, org):
    registered = take_in(org, "v1", title="井盖缺失")
    routed = routed_case(org, "v1", title="营业执照")
    login(client, org["county_supervisor"])
    by_status = client.get(reverse("cases:list"), {"status": CaseStatus.ASSIGNED}).context["cases"]
    assert [c.pk for c in by_status] == [routed.pk]
    by_text = client.get(reverse("cases:list"), {"q": "井盖"}).context["cases"]
    assert [c.pk for c in by_text] == [registered.pk]
    by_number = client.get(reverse("cases:list"), {"q": routed.tracking_number}).context["cases"]
    assert [c.pk for c in by_number] == [routed.pk]


def test_case_list_paginates(client, org):
    for _ in range(31):
        take_in(org, "v1")
    login(client, org["v1_clerk"])
    first = client.get(reverse("cases:list"))
    assert len(first.context["cases"]) == 30
    assert first.context["page_obj"].has_next()
    second = client.get(reverse("cases:list"), {"page": 2})
    assert len(second.context["cases"]) == 1


# --- Case detail --------------------------------------------------------------------------------------


def test_detail_shows_whole_requester_data_timeline_and_assignments(client, org):
    case = routed_case(org, lead="market", assisting=("land",))
    response = login(client, org["market_head"]).get(reverse("cases:detail", args=[case.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "13800138000" in html
    assert case.requester.id_number in html
    assert "市场监管局" in html and "自然资源局" in html
    kinds = [event.kind for event, _details in response.context["timeline"]]
    assert kinds == [E.INTAKE, E.CLASSIFY, E.ASSIGN]
    assert 'class="event event-intake public"' in html
    assert 'class="event event-classify internal"' in html
    assert "主办：市场监管局" in html


def test_detail_out_of_scope_is_404(client, org):
    case = routed_case(org, lead="market")
    for username in ("land_head", "v2_clerk", "t2_supervisor", "stranger"):
        client.force_login(org[username])
        assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404, username
        assert client.get(reverse("cases:action", args=[case.pk, "note"])).status_code == 404, username
        response = client.post(reverse("cases:action", args=[case.pk, "note"]), {"note-text": "x"})
        assert response.status_code == 404, username
    assert case.events.count() == 3


@pytest.mark.parametrize(
    "username, status",
    [
        ("v1_clerk", CaseStatus.REGISTERED),
        ("v1_clerk", CaseStatus.ROUTING),
        ("t1_office_handler", CaseStatus.ASSIGNED),
        ("t1_office_head", CaseStatus.ASSIGNED),
        ("land_handler", CaseStatus.ASSIGNED),
        ("t1_office_handler", CaseStatus.IN_PROGRESS),
        ("t1_office_head", CaseStatus.IN_PROGRESS),
        ("county_supervisor", CaseStatus.IN_PROGRESS),
        ("v1_clerk", CaseStatus.RESOLVED),
        ("coordinator", CaseStatus.COORDINATING),
        ("v1_clerk", CaseStatus.CLOSED),
    ],
)
def test_detail_shows_exactly_the_allowed_commands(client, org, username, status):
    case = drive(org, status)
    user = org[username]
    response = login(client, user).get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    assert commands_shown(response.content.decode()) == set(workflow.allowed_commands(case, user))


def test_handler_sees_sign_for_but_not_return(client, org):
    case = routed_case(org, lead="market")
    handler_html = (
        login(client, org["market_handler"]).get(reverse("cases:detail", args=[case.pk])).content.decode()
    )
    head_html = (
        login(client, org["market_head"]).get(reverse("cases:detail", args=[case.pk])).content.decode()
    )
    assert E.ACCEPT in commands_shown(handler_html)
    assert E.RETURN not in commands_shown(handler_html)
    assert {E.ACCEPT, E.RETURN, E.TRANSFER} <= commands_shown(head_html)
    assert not commands_shown(
        login(client, org["county_supervisor"])
        .get(reverse("cases:detail", args=[drive(org, CaseStatus.CLOSED).pk]))
        .content.decode()
    )


# --- Actions ------------------------------------------------------------------------------------------


def test_sign_for_and_reply_through_the_pages(client, org):
    case = routed_case(org, lead="market")
    login(client, org["market_head"])
    response = client.post(
        reverse("cases:action", args=[case.pk, E.ACCEPT]), {"accept-expected_version": case.version}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.assignments.get(is_current=True).status == AssignmentStatus.ACCEPTED

    response = client.post(
        reverse("cases:action", args=[case.pk, E.REPLY]),
        {
            "reply-expected_version": case.version,
            "reply-answer": "已受理变更申请，三个工作日内办结",
            "reply-can_be_done": "yes",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.REPLIED
    assert case.events.last().reason == "已受理变更申请，三个工作日内办结"


def test_reply_that_cannot_be_done_is_flagged(client, org):
    case = drive(org, CaseStatus.IN_PROGRESS)
    login(client, org["t1_office_handler"]).post(
        reverse("cases:action", args=[case.pk, E.REPLY]),
        {
            "reply-answer": "涉及规划调整，暂不能办理，理由如下……",
            "reply-outcome": "no",
            "reply-reason_code": "not_lawful",
            "reply-basis": "《城乡规划法》",
        },
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REPLIED
    assert case.needs_review is True
    later = drive(org, CaseStatus.IN_PROGRESS)
    client.post(
        reverse("cases:action", args=[later.pk, E.REPLY]),
        {
            "reply-answer": "需上级批复",
            "reply-outcome": "later",
            "reply-follow_up_due_at": (timezone.localdate() + timedelta(days=14)).isoformat(),
        },
    )
    later.refresh_from_db()
    assert later.status == CaseStatus.REPLIED and later.is_follow_up and not later.needs_review


def test_action_form_errors_are_shown_and_nothing_changes(client, org):
    case = drive(org, CaseStatus.IN_PROGRESS)
    login(client, org["t1_office_handler"])
    response = client.post(reverse("cases:action", args=[case.pk, E.REPLY]), {"reply-answer": ""})
    assert response.status_code == 200
    assert "answer" in response.context["form"].errors
    assert case.events.count() == 3 + 1  # intake, classify, assign, accept
    # A rule the service checks (a comment is required when unsatisfied) comes back on the field too.
    resolved = drive(org, CaseStatus.RESOLVED)
    response = login(client, org["v1_clerk"]).post(
        reverse("cases:action", args=[resolved.pk, E.CALLBACK]),
        {"callback-satisfaction": Satisfaction.UNSATISFIED},
    )
    assert response.status_code == 200
    assert "comment" in response.context["form"].errors
    resolved.refresh_from_db()
    assert resolved.callback_satisfaction == ""


def test_state_changed_meanwhile_is_a_message_not_an_error(client, org):
    case = routed_case(org, lead="market")
    login(client, org["market_head"])
    stale_version = case.version
    services.assignment_accept(actor=org["market_handler"], case_id=case.pk)
    # The page was rendered before the handler signed: the stale version is refused (409) …
    response = client.post(
        reverse("cases:action", args=[case.pk, E.ACCEPT]), {"accept-expected_version": stale_version}
    )
    assert response.status_code == 302
    assert any("已被他人更新" in m for m in messages_of(response))
    # … and without a version the state itself refuses a second signing.
    response = client.post(reverse("cases:action", args=[case.pk, E.ACCEPT]), {})
    assert response.status_code == 302
    assert any("操作未执行" in m for m in messages_of(response))
    assert case.events.filter(kind=E.ACCEPT).count() == 1
    follow = client.get(response["Location"])
    assert follow.status_code == 200
    assert E.ACCEPT not in commands_shown(follow.content.decode())


def test_command_not_allowed_for_the_role_is_a_message(client, org):
    case = routed_case(org, lead="market")
    login(client, org["market_handler"])
    response = client.post(reverse("cases:action", args=[case.pk, E.RETURN]), {"return-reason": "不归我们管"})
    assert response.status_code == 302
    assert any("操作未执行" in m for m in messages_of(response))
    assert not case.events.filter(kind=E.RETURN).exists()
    # The standalone form of a command the user may not run now is not offered either.
    response = client.get(reverse("cases:action", args=[case.pk, E.RETURN]))
    assert response.status_code == 302


def test_unknown_command_is_404(client, org):
    case = routed_case(org, lead="market")
    assert (
        login(client, org["market_head"]).get(reverse("cases:action", args=[case.pk, "explode"])).status_code
        == 404
    )


def test_clerk_classifies_and_assigns_through_the_pages(client, org):
    case = take_in(org, "v1")
    login(client, org["v1_clerk"])
    response = client.get(reverse("cases:action", args=[case.pk, E.CLASSIFY]))
    assert response.status_code == 200
    response = client.post(
        reverse("cases:action", args=[case.pk, E.CLASSIFY]),
        {
            "classify-category": org.category.pk,
            "classify-matter_kind": "difficult",
            "classify-complexity": "general",
            "classify-handling_mode": "standard",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ROUTING
    # The assign form proposes the category's default lead department.
    detail = client.get(reverse("cases:detail", args=[case.pk]))
    assign_form = next(f for f in detail.context["command_forms"] if f.command == E.ASSIGN)
    assert assign_form.fields["lead_department"].initial == org.dept("market").pk
    response = client.post(
        reverse("cases:action", args=[case.pk, E.ASSIGN]),
        {
            "assign-lead_department": org.dept("market").pk,
            "assign-assisting_departments": [org.dept("land").pk],
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED
    assert set(case.assignments.filter(is_current=True).values_list("department__code", flat=True)) == {
        "D-market",
        "D-land",
    }


def test_a_second_window_clerk_cannot_take_in_at_a_foreign_window(client, org):
    foreign = ServiceWindowFactory(region=org.regions["v2"], code="W-foreign")
    login(client, org["v1_clerk"])
    response = client.post(reverse("cases:intake"), intake_data(org, window=foreign.pk))
    assert response.status_code == 200
    assert "window" in response.context["form"].errors
    assert Case.objects.count() == 0


def test_superuser_sees_every_window(client, org):
    response = login(client, org["root"]).get(reverse("cases:intake"))
    assert response.context["form"].fields["window"].queryset.count() == len(org.windows)
