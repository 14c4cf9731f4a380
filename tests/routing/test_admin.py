"""The admin per tier: the permission matrix through changelists and change pages, limited choices, no
escalation, out of scope answered like missing, filters and search."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from routing.choices import StaffRole, Tier
from routing.models import Department, Membership, Region
from tests.factories import PASSWORD, MembershipFactory, UserFactory, staff

from .scenarios import RELATIVES, TIER_RELATIONS, build_world, parse_matrix

pytestmark = pytest.mark.django_db

MISSING_PK = 10**9

# What each role gets from the admin for an object in its own region, below it, in a sibling subtree and in
# the parent region; each cell is changelist/change page/update (POST of the change form), for regions,
# departments, windows and users alike.
#   ok    = listed / page shown / saved
#   404   = absent from the changelist, and the page and the update answer exactly as for an object that does
#           not exist (a redirect to the admin index saying it does not exist); nothing is saved
#   login = not an admin user: sent to the admin login page
# Only administrators enter the admin; what they see and edit is their subtree, at every tier.
ADMIN = parse_matrix("""
role              own                child              sibling            parent
clerk             login/login/login  login/login/login  login/login/login  login/login/login
handler           login/login/login  login/login/login  login/login/login  login/login/login
department_head   login/login/login  login/login/login  login/login/login  login/login/login
supervisor        login/login/login  login/login/login  login/login/login  login/login/login
coordinator       login/login/login  login/login/login  login/login/login  login/login/login
administrator     ok/ok/ok           ok/ok/ok           404/404/404        404/404/404
auditor           login/login/login  login/login/login  login/login/login  login/login/login
""")

ADMIN_NAME = {
    "region": "routing_region",
    "department": "routing_department",
    "window": "routing_servicewindow",
    "user": "auth_user",
}
RENAMED_FIELD = {"region": "name", "department": "name", "window": "name", "user": "first_name"}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One organisation for the whole module, rolled back at its end; each test runs in a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def observable(response, pk) -> tuple:
    """What the browser sees after following redirects: where it was sent, the final status and the
    messages shown there, with the requested id blanked out."""
    messages = [str(m).replace(str(pk), "<id>") for m in get_messages(response.wsgi_request)]
    return tuple(url for url, _status in response.redirect_chain), response.status_code, messages


def form_data(response) -> dict:
    """The change form (and its inlines) as the browser would post it back unchanged."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if bound.field.disabled or value is None or value is False:
                continue
            data[bound.html_name] = "on" if value is True else value
    return data


def _is_login(response) -> bool:
    return bool(response.redirect_chain) and response.redirect_chain[0][0].startswith(reverse("admin:login"))


def admin_outcome(client, kind, target) -> tuple[str, str, str]:
    name = ADMIN_NAME[kind]
    change, missing = (reverse(f"admin:{name}_change", args=[pk]) for pk in (target.pk, MISSING_PK))
    changelist_url = reverse(f"admin:{name}_changelist")

    def classify(response, missing_response, ok) -> str:
        if _is_login(response):
            return "login"
        if ok(response):
            return "ok"
        if observable(response, target.pk) == observable(missing_response, MISSING_PK):
            return "404"
        return f"unexpected {observable(response, target.pk)} {observable(missing_response, MISSING_PK)}"

    changelist = client.get(changelist_url, follow=True)
    if _is_login(changelist):
        listed = "login"
    else:
        listed = "ok" if target.pk in {obj.pk for obj in changelist.context["cl"].result_list} else "404"

    page = client.get(change, follow=True)
    shown = classify(page, client.get(missing, follow=True), lambda r: not r.redirect_chain)

    field, new_value = RENAMED_FIELD[kind], "改过的名称"
    data = {**(form_data(page) if not page.redirect_chain else {}), field: new_value, "_save": "保存"}
    updated = classify(
        client.post(change, data, follow=True),
        client.post(missing, data, follow=True),
        lambda r: [url for url, _status in r.redirect_chain] == [changelist_url],
    )
    saved = getattr(type(target).objects.get(pk=target.pk), field) == new_value
    assert saved == (updated == "ok"), "the database must change exactly when the update is allowed"
    return listed, shown, updated


@pytest.mark.parametrize("kind", ["region", "department", "window", "user"])
@pytest.mark.parametrize(("tier", "relation"), TIER_RELATIONS)
@pytest.mark.parametrize("role", StaffRole.values)
def test_permission_matrix(world, client, role, tier, relation, kind):
    actor = staff(role, world[RELATIVES[tier]["own"]].region)
    target = world[RELATIVES[tier][relation]].target(kind)
    client.force_login(actor)

    assert admin_outcome(client, kind, target) == ADMIN[role][relation]


def test_superuser_sees_and_edits_everything(world, client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    for key in ("C", "C2", "T2", "V12"):
        for kind in ("region", "department", "window"):
            assert admin_outcome(client, kind, world[key].target(kind)) == ("ok", "ok", "ok")
    changelist = client.get(reverse("admin:auth_user_changelist"), {"q": "resident"})
    assert len(changelist.context["cl"].result_list) == len(world.places)


@pytest.fixture
def town_admin(world, client):
    admin_user = staff(StaffRole.ADMINISTRATOR, world["T1"].region, username="town-admin")
    client.force_login(admin_user)
    return admin_user


OUTSIDE_T1 = ["上虞区", "陶朱街道", "西一村", "resident-T2", "resident-C2"]


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:routing_region_changelist",
        "admin:routing_department_changelist",
        "admin:routing_servicewindow_changelist",
        "admin:routing_membership_changelist",
        "admin:auth_user_changelist",
        "admin:routing_department_add",
        "admin:routing_servicewindow_add",
        "admin:routing_membership_add",
        "admin:auth_user_add",
    ],
)
def test_pages_never_name_anything_outside_the_subtree(town_admin, client, url_name):
    html = client.get(reverse(url_name)).content.decode()
    assert [name for name in OUTSIDE_T1 if name in html] == []
    assert "东二村" in html or "resident-V12" in html or url_name == "admin:auth_user_add"


def test_foreign_key_choices_are_limited_to_the_subtree(town_admin, client):
    form = client.get(reverse("admin:routing_membership_add")).context["adminform"].form
    t1_codes = ["330681001", "330681001001", "330681001002"]
    assert [r.code for r in form.fields["region"].queryset] == t1_codes
    assert {d.region.code for d in form.fields["department"].queryset} == set(t1_codes)
    assert {w.region.code for w in form.fields["window"].queryset} == set(t1_codes)
    assert {u.username for u in form.fields["user"].queryset} == {
        "town-admin",
        "resident-T1",
        "resident-V11",
        "resident-V12",
    }
    # A region's parent can only be a county or town inside the subtree.
    region_form = client.get(reverse("admin:routing_region_add")).context["adminform"].form
    assert [r.code for r in region_form.fields["parent"].queryset] == ["330681001"]
    assert region_form.fields["parent"].required


def _membership_post(user, region, **extra):
    return {"user": user.pk, "role": StaffRole.ADMINISTRATOR, "region": region.pk, **extra, "_save": "保存"}


@pytest.mark.parametrize(
    ("user_key", "region_key", "error_field"),
    [
        ("V11", "T2", "region"),  # a right in a sibling subtree
        ("V11", "C", "region"),  # a right over the parent (and so over the administrator's own subtree)
        ("T2", "V11", "user"),  # a user from outside, given a right inside
    ],
)
def test_no_membership_outside_the_subtree(world, town_admin, client, user_key, region_key, error_field):
    before = Membership.objects.count()
    response = client.post(
        reverse("admin:routing_membership_add"),
        _membership_post(world[user_key].resident, world[region_key].region),
    )
    assert response.status_code == 200
    assert error_field in response.context["adminform"].form.errors
    assert Membership.objects.count() == before


def test_no_department_membership_with_a_department_outside(world, town_admin, client):
    response = client.post(
        reverse("admin:routing_membership_add"),
        _membership_post(
            world["V11"].resident,
            world["T1"].region,
            role=StaffRole.HANDLER,
            department=world["T2"].department.pk,
        ),
    )
    assert response.status_code == 200
    assert "department" in response.context["adminform"].form.errors


def test_a_membership_inside_grants_the_role(world, town_admin, client):
    resident = world["V12"].resident
    response = client.post(
        reverse("admin:routing_membership_add"), _membership_post(resident, world["V12"].region)
    )
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.is_staff
    assert set(resident.groups.values_list("name", flat=True)) == {StaffRole.CLERK, StaffRole.ADMINISTRATOR}


def test_an_administrator_cannot_make_themselves_superuser(world, town_admin, client):
    change = reverse("admin:auth_user_change", args=[town_admin.pk])
    page = client.get(change)
    form_fields = set(page.context["adminform"].form.fields)
    assert form_fields.isdisjoint({"is_superuser", "is_staff", "groups", "user_permissions"})

    data = {
        **form_data(page),
        "is_superuser": "on",
        "groups": [Group.objects.get(name=StaffRole.SUPERVISOR).pk],
        "user_permissions": [1, 2, 3],
        "_save": "保存",
    }
    assert client.post(change, data).status_code == 302
    town_admin.refresh_from_db()
    assert not town_admin.is_superuser
    assert list(town_admin.groups.values_list("name", flat=True)) == [StaffRole.ADMINISTRATOR]
    assert not town_admin.user_permissions.exists()


def _new_user_post(username, memberships):
    data = {
        "username": username,
        "usable_password": "true",
        "password1": "a-new-Password-2026",
        "password2": "a-new-Password-2026",
        "memberships-TOTAL_FORMS": len(memberships),
        "memberships-INITIAL_FORMS": 0,
        "memberships-MIN_NUM_FORMS": 0,
        "memberships-MAX_NUM_FORMS": 1000,
        "_save": "保存",
    }
    for i, (role, region) in enumerate(memberships):
        data[f"memberships-{i}-role"] = role
        data[f"memberships-{i}-region"] = region.pk
    return data


def test_an_administrator_creates_a_user_with_a_membership_in_their_subtree(world, town_admin, client):
    response = client.post(
        reverse("admin:auth_user_add"), _new_user_post("new-clerk", [(StaffRole.CLERK, world["V11"].region)])
    )
    assert response.status_code == 302
    user = Membership.objects.get(user__username="new-clerk").user
    assert list(user.memberships.values_list("role", "region__code")) == [("clerk", "330681001001")]
    assert list(user.groups.values_list("name", flat=True)) == [StaffRole.CLERK]
    assert not user.is_staff
    # …and can go on editing them: the new user is inside their reach.
    assert response["Location"] == reverse("admin:auth_user_change", args=[user.pk])
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("memberships", [[], [(StaffRole.CLERK, "T2")]], ids=["none", "outside"])
def test_a_new_user_needs_a_membership_inside_the_subtree(world, town_admin, client, memberships):
    data = _new_user_post("stray", [(role, world[key].region) for role, key in memberships])
    response = client.post(reverse("admin:auth_user_add"), data)
    assert response.status_code == 200
    assert not type(town_admin).objects.filter(username="stray").exists()


def test_a_user_with_rights_outside_is_shown_read_only(world, town_admin, client):
    commuter = staff(StaffRole.HANDLER, world["C"].region, username="commuter")
    MembershipFactory(user=commuter, role=StaffRole.CLERK, region=world["V11"].region)
    change = reverse("admin:auth_user_change", args=[commuter.pk])

    page = client.get(change)

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    [inline] = page.context["inline_admin_formsets"]
    assert [m.region.code for m in inline.formset.queryset] == ["330681001001"]
    assert client.post(change, {"first_name": "改名"}).status_code == 403


def test_a_town_administrator_renames_their_town_but_cannot_move_it(world, town_admin, client):
    town = world["T1"].region
    change = reverse("admin:routing_region_change", args=[town.pk])
    page = client.get(change)
    assert set(page.context["adminform"].form.fields) == {"name"}

    response = client.post(change, {"name": "暨阳新街道", "code": "330682001", "parent": "", "_save": "保存"})

    assert response.status_code == 302
    town.refresh_from_db()
    assert (town.name, town.code, town.parent.code) == ("暨阳新街道", "330681001", "330681")


def test_a_village_administrator_cannot_add_regions(world, client):
    client.force_login(staff(StaffRole.ADMINISTRATOR, world["V11"].region))
    assert client.get(reverse("admin:routing_region_add")).status_code == 403
    assert client.get(reverse("admin:routing_department_add")).status_code == 200


NOT_FOUND = "not found"  # redirected to the admin index, which says the object does not exist
# The role may not delete this kind of object at all, so the answer cannot depend on the object.
NO_DELETE = "403"


@pytest.mark.parametrize(
    ("model", "url_name", "expected"),
    [
        ("user", "admin:auth_user_password_change", "404"),
        ("user", "admin:auth_user_history", NOT_FOUND),
        ("user", "admin:auth_user_delete", NO_DELETE),
        ("region", "admin:routing_region_history", NOT_FOUND),
        ("region", "admin:routing_region_delete", NO_DELETE),
        ("department", "admin:routing_department_history", NOT_FOUND),
        ("department", "admin:routing_department_delete", NO_DELETE),
        ("servicewindow", "admin:routing_servicewindow_history", NOT_FOUND),
        ("servicewindow", "admin:routing_servicewindow_delete", NO_DELETE),
        ("membership", "admin:routing_membership_history", NOT_FOUND),
        ("membership", "admin:routing_membership_delete", NOT_FOUND),
    ],
)
def test_other_pages_outside_answer_like_missing(world, town_admin, client, model, url_name, expected):
    t2 = world["T2"]
    outside = {
        "user": t2.resident,
        "region": t2.region,
        "department": t2.department,
        "servicewindow": t2.window,
        "membership": t2.resident.memberships.get(),
    }[model]
    answers = [
        observable(client.get(reverse(url_name, args=[pk]), follow=True), pk)
        for pk in (outside.pk, MISSING_PK)
    ]
    assert answers[0] == answers[1]
    redirects, status, messages = answers[0]
    if expected == NOT_FOUND:
        assert (redirects, status) == ((reverse("admin:index"),), 200)
        assert "不存在" in messages[0]
    else:
        assert (redirects, str(status)) == ((), expected)


def test_an_administrator_removes_a_membership_in_their_subtree(world, town_admin, client):
    membership = world["V12"].resident.memberships.get()
    response = client.post(reverse("admin:routing_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert not world["V12"].resident.groups.exists()


def test_tier_subtree_filters_and_search(world, town_admin, client):
    def codes(url_name, **params):
        return [obj.region.code for obj in client.get(reverse(url_name), params).context["cl"].result_list]

    assert codes("admin:routing_servicewindow_changelist", **{"region__tier__exact": Tier.VILLAGE}) == [
        "330681001001",
        "330681001002",
    ]
    assert codes("admin:routing_department_changelist", subtree="330681001001") == ["330681001001"]
    assert codes("admin:routing_department_changelist", subtree="330681002") == []  # outside: nothing
    assert codes("admin:routing_membership_changelist", q="resident-V12") == ["330681001002"]

    regions = client.get(reverse("admin:routing_region_changelist"), {"tier__exact": Tier.VILLAGE, "q": "东"})
    assert [r.code for r in regions.context["cl"].result_list] == ["330681001001", "330681001002"]
    users = client.get(reverse("admin:auth_user_changelist"), {"role": StaffRole.ADMINISTRATOR})
    assert [u.username for u in users.context["cl"].result_list] == ["town-admin"]
    users = client.get(reverse("admin:auth_user_changelist"), {"subtree": "330681001"})
    assert {u.username for u in users.context["cl"].result_list} == {
        "town-admin",
        "resident-T1",
        "resident-V11",
        "resident-V12",
    }


def test_the_subtree_filter_offers_only_administered_regions(world, client):
    client.force_login(staff(StaffRole.ADMINISTRATOR, world["C"].region))
    changelist = client.get(reverse("admin:routing_department_changelist"))
    [subtree] = [
        f for f in changelist.context["cl"].filter_specs if getattr(f, "parameter_name", "") == "subtree"
    ]
    assert [code for code, _label in subtree.lookup_choices] == ["330681", "330681001", "330681002"]


def test_the_admin_speaks_chinese(town_admin, client):
    html = client.get(reverse("admin:index")).content.decode()
    assert "站点管理" in html
    assert "行政区划" in html
    assert "受理窗口" in html
    # Only what their role permits: no groups, no tokens.
    assert reverse("admin:auth_group_changelist") not in html


def test_a_superuser_may_delete_a_user_with_memberships(world, client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    doomed = staff(StaffRole.ADMINISTRATOR, world["V21"].region, username="doomed")
    response = client.post(reverse("admin:auth_user_delete", args=[doomed.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Membership.objects.filter(user_id=doomed.pk).exists()
    assert not type(doomed).objects.filter(pk=doomed.pk).exists()


def test_login_as_an_administrator(world, client):
    staff(StaffRole.ADMINISTRATOR, world["V11"].region, username="village-admin")
    assert client.login(request=HttpRequest(), username="village-admin", password=PASSWORD)
    changelist = client.get(reverse("admin:routing_region_changelist"))
    assert [r.code for r in changelist.context["cl"].result_list] == ["330681001001"]
    assert Region.objects.count() > 1 and Department.objects.count() > 1


def test_the_admin_side_doors_are_scoped_too(world, town_admin, client):
    # Autocomplete answers from the scoped admin queryset of the target model.
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "routing", "model_name": "membership", "field_name": "region", "term": ""},
    )
    assert response.status_code == 200
    assert {row["text"] for row in response.json()["results"]} == {"暨阳街道", "东一村", "东二村"}
    # "View on site" has no page for these models: the same 404 whether the object is outside or missing.
    content_type = ContentType.objects.get_for_model(Region)
    answers = [
        client.get(reverse("admin:view_on_site", args=[content_type.pk, pk]))
        for pk in (world["T2"].region.pk, 10**9)
    ]
    assert [(a.status_code, a.content) for a in answers] == [(404, answers[1].content)] * 2


def test_a_superuser_adds_a_county(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.post(
        reverse("admin:routing_region_add"),
        {"code": "330799", "name": "新县", "tier": Tier.COUNTY, "parent": ""},
    )
    assert response.status_code == 302
    assert Region.objects.get(code="330799").path == "/330799/"
