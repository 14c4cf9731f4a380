"""The organisation API (/api/v1/): the permission matrix, the tree, filters, writes, ``me`` and authentication."""

import pytest
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from routing.choices import DepartmentRole, StaffRole, Tier
from routing.models import Department, Region, ServiceWindow
from tests.factories import (
    PASSWORD,
    DepartmentFactory,
    MembershipFactory,
    RegionFactory,
    ServiceWindowFactory,
    TownFactory,
    UserFactory,
    VillageFactory,
    staff,
)

from .scenarios import RELATIVES, TIER_RELATIONS, build_world, parse_matrix

pytestmark = pytest.mark.django_db

MISSING_PK = 10**9

# What each role gets from the API for an object in its own region, below it, in a sibling subtree and in
# the parent region; each cell is list/retrieve/update (PATCH).
#   ok  = listed / returned / saved
#   403 = visible, but the role may not change it
#   404 = absent from the list and answered exactly like an object that does not exist
#   405 = the endpoint is read-only (users are managed in the admin)
# The rules are the same at every tier: scope follows the subtree, whatever its level.

# Regions, departments and service windows: everyone reads their subtree; administrators also edit it. The
# auditor reads none of it: their membership opens the audit trail only (audit/).
ORGANISATION = parse_matrix("""
role              own          child        sibling      parent
clerk             ok/ok/403    ok/ok/403    404/404/404  404/404/404
handler           ok/ok/403    ok/ok/403    404/404/404  404/404/404
department_head   ok/ok/403    ok/ok/403    404/404/404  404/404/404
supervisor        ok/ok/403    ok/ok/403    404/404/404  404/404/404
coordinator       ok/ok/403    ok/ok/403    404/404/404  404/404/404
administrator     ok/ok/ok     ok/ok/ok     404/404/404  404/404/404
auditor           404/404/404  404/404/404  404/404/404  404/404/404
""")

# Staff users: only the overseeing roles see the staff of their subtree; the others see only themselves.
USERS = parse_matrix("""
role              own          child        sibling      parent
clerk             404/404/405  404/404/405  404/404/405  404/404/405
handler           404/404/405  404/404/405  404/404/405  404/404/405
department_head   404/404/405  404/404/405  404/404/405  404/404/405
supervisor        ok/ok/405    ok/ok/405    404/404/405  404/404/405
coordinator       ok/ok/405    ok/ok/405    404/404/405  404/404/405
administrator     ok/ok/405    ok/ok/405    404/404/405  404/404/405
auditor           404/404/405  404/404/405  404/404/405  404/404/405
""")

EXPECTED = {"region": ORGANISATION, "department": ORGANISATION, "window": ORGANISATION, "user": USERS}
RENAMED_FIELD = {"region": "name", "department": "name", "window": "name", "user": "first_name"}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One organisation for the whole module, rolled back at its end; each test runs in a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def _classify(response, missing_response) -> str:
    if response.status_code in (200, 201):
        return "ok"
    if response.status_code == 404:
        # Out of scope must be indistinguishable from missing.
        assert (response.status_code, response.json()) == (
            missing_response.status_code,
            missing_response.json(),
        )
        return "404"
    return str(response.status_code)


def api_outcome(client, kind, target) -> tuple[str, str, str]:
    rows = client.get(reverse(f"{kind}-list"), {"page_size": 500}).json()["results"]
    listed = "ok" if target.pk in {row["id"] for row in rows} else "404"

    detail, missing = (
        reverse(f"{kind}-detail", args=[target.pk]),
        reverse(f"{kind}-detail", args=[MISSING_PK]),
    )
    retrieved = _classify(client.get(detail), client.get(missing))

    field, new_value = RENAMED_FIELD[kind], "改过的名称"
    updated = _classify(
        client.patch(detail, {field: new_value}, format="json"),
        client.patch(missing, {field: new_value}, format="json"),
    )
    saved = getattr(type(target).objects.get(pk=target.pk), field) == new_value
    assert saved == (updated == "ok"), "the database must change exactly when the update is allowed"
    return listed, retrieved, updated


@pytest.mark.parametrize("kind", ["region", "department", "window", "user"])
@pytest.mark.parametrize(("tier", "relation"), TIER_RELATIONS)
@pytest.mark.parametrize("role", StaffRole.values)
def test_permission_matrix(world, role, tier, relation, kind):
    actor = staff(role, world[RELATIVES[tier]["own"]].region)
    target = world[RELATIVES[tier][relation]].target(kind)
    client = APIClient()
    client.force_authenticate(actor)

    assert api_outcome(client, kind, target) == EXPECTED[kind][role][relation]


def test_superuser_sees_and_edits_everything(world):
    client = APIClient()
    client.force_authenticate(UserFactory(is_superuser=True, is_staff=True))
    for key in ("C", "C2", "T2", "V12"):
        for kind in ("region", "department", "window"):
            assert api_outcome(client, kind, world[key].target(kind)) == ("ok", "ok", "ok")
        assert api_outcome(client, "user", world[key].resident) == ("ok", "ok", "405")


def test_anonymous_gets_nothing(world):
    client = APIClient()
    for name in ("region-list", "department-list", "window-list", "user-list", "me"):
        assert client.get(reverse(name)).status_code in (401, 403)


# --- authentication ------------------------------------------------------------------------------


def test_token_authentication(world):
    user = staff(StaffRole.CLERK, world["T1"].region, username="token-clerk")
    client = APIClient()
    response = client.post(reverse("api-token"), {"username": "token-clerk", "password": PASSWORD})
    assert response.status_code == 200
    assert set(response.json()) == {"token", "expiry"}
    token = response.json()["token"]
    # Stored hashed: only the digest and an 15-character lookup key are in the database.
    stored = AuthToken.objects.get(user=user)
    assert stored.token_key == token[:15] and token not in stored.digest

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get(reverse("me"))
    assert me.status_code == 200
    assert me.json()["username"] == "token-clerk"

    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    rejected = client.get(reverse("me"))
    # 401 with a challenge: token authentication comes first in settings.
    assert (rejected.status_code, rejected.json()) == (401, {"detail": "认证令牌无效。"})
    assert rejected["WWW-Authenticate"] == "Token"


def test_session_authentication(world, client):
    staff(StaffRole.CLERK, world["T1"].region, username="session-clerk")
    assert client.login(request=HttpRequest(), username="session-clerk", password=PASSWORD)
    response = client.get(reverse("region-list"))
    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == [
        "330681001",
        "330681001001",
        "330681001002",
    ]


# --- me --------------------------------------------------------------------------------------------


def test_me_shows_memberships_roles_permissions_and_scope(world):
    user = staff(StaffRole.ADMINISTRATOR, world["T1"].region, username="me-admin")
    MembershipFactory(user=user, role=StaffRole.HANDLER, department=world["C"].department)
    client = APIClient()
    client.force_authenticate(user)

    body = client.get(reverse("me")).json()

    assert body["username"] == "me-admin"
    assert body["is_staff"] is True
    assert body["is_superuser"] is False
    assert sorted((m["role"], m["region"]) for m in body["memberships"]) == [
        ("administrator", "330681001"),
        ("handler", "330681"),
    ]
    handler = next(m for m in body["memberships"] if m["role"] == "handler")
    assert handler["department"] == world["C"].department.pk
    assert handler["role_display"] == "经办人"
    assert body["roles"] == ["administrator", "handler"]
    assert "routing.change_region" in body["permissions"]
    assert "routing.delete_region" not in body["permissions"]
    scope = body["scope"]
    assert [r["code"] for r in scope["administers"]] == ["330681001"]
    assert [r["code"] for r in scope["oversees"]] == ["330681001"]
    # The county membership covers the town one: only the top of each reach is listed.
    assert [r["code"] for r in scope["member_regions"]] == ["330681"]
    assert [d["id"] for d in scope["departments"]] == [world["C"].department.pk]
    assert scope["clerk_regions"] == []


def test_me_of_a_superuser(world):
    client = APIClient()
    client.force_authenticate(UserFactory(is_superuser=True))
    body = client.get(reverse("me")).json()
    assert body["scope"]["is_superuser"] is True
    assert set(body["roles"]) == set(StaffRole.values)


# --- regions: tree and subtree -------------------------------------------------------------------------


def _codes(tree) -> list:
    return [(node["code"], _codes(node["children"])) for node in tree]


def test_tree_of_a_region_is_its_nested_subtree(world):
    client = APIClient()
    client.force_authenticate(staff(StaffRole.SUPERVISOR, world["C"].region))

    response = client.get(reverse("region-tree", args=[world["T1"].region.pk]))

    assert response.status_code == 200
    assert _codes([response.json()]) == [
        ("330681001", [("330681001001", []), ("330681001002", [])]),
    ]
    assert response.json()["tier"] == Tier.TOWN


def test_tree_of_a_region_outside_the_scope_is_404(world):
    client = APIClient()
    client.force_authenticate(staff(StaffRole.SUPERVISOR, world["T1"].region))
    outside = client.get(reverse("region-tree", args=[world["T2"].region.pk]))
    missing = client.get(reverse("region-tree", args=[MISSING_PK]))
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()


def test_forest_is_every_visible_tree(world):
    actor = staff(StaffRole.CLERK, world["T1"].region)
    MembershipFactory(user=actor, role=StaffRole.CLERK, region=world["V21"].region)
    client = APIClient()
    client.force_authenticate(actor)

    response = client.get(reverse("region-forest"))

    assert response.status_code == 200
    assert _codes(response.json()) == [
        ("330681001", [("330681001001", []), ("330681001002", [])]),
        ("330681002001", []),
    ]


def test_subtree_filter_by_region_code(world):
    client = APIClient()
    client.force_authenticate(staff(StaffRole.SUPERVISOR, world["C"].region))

    def codes(url, **params):
        return [row["code"] for row in client.get(url, {"page_size": 500, **params}).json()["results"]]

    assert codes(reverse("region-list"), subtree="330681001") == ["330681001", "330681001001", "330681001002"]
    assert codes(reverse("window-list"), subtree="330681002") == [
        world["T2"].window.code,
        world["V21"].window.code,
    ]
    # A code outside the scope filters to nothing, like an unknown code.
    assert codes(reverse("region-list"), subtree="330682") == []
    assert codes(reverse("region-list"), subtree="999999") == []


def test_region_filters(world):
    client = APIClient()
    client.force_authenticate(staff(StaffRole.SUPERVISOR, world["C"].region))

    def codes(**params):
        return [row["code"] for row in client.get(reverse("region-list"), params).json()["results"]]

    assert codes(tier=Tier.TOWN) == ["330681001", "330681002"]
    assert codes(parent="330681002") == ["330681002001"]
    assert codes(q="东二") == ["330681001002"]


# --- departments, windows and users: filters --------------------------------------------------------


def test_department_filters(world):
    region = world["T1"].region
    centre = DepartmentFactory(region=region, role=DepartmentRole.COORDINATOR, name="协调中心")
    closed = DepartmentFactory(region=region, is_active=False, name="已撤销的办公室")
    client = APIClient()
    client.force_authenticate(staff(StaffRole.SUPERVISOR, region))

    def ids(**params):
        return {row["id"] for row in client.get(reverse("department-list"), params).json()["results"]}

    assert ids(role=DepartmentRole.COORDINATOR) == {centre.pk}
    assert ids(is_active=False) == {closed.pk}
    assert ids(tier=Tier.VILLAGE) == {world["V11"].department.pk, world["V12"].department.pk}
    assert ids(region="330681001001") == {world["V11"].department.pk}
    assert ids(q="协调") == {centre.pk}


def test_window_filters(world):
    region = world["T1"].region
    closed = ServiceWindowFactory(region=region, is_active=False, address="江东路8号")
    client = APIClient()
    client.force_authenticate(staff(StaffRole.CLERK, region))

    def ids(**params):
        return {row["id"] for row in client.get(reverse("window-list"), params).json()["results"]}

    assert ids(is_active=False) == {closed.pk}
    assert ids(q="江东路") == {closed.pk}
    assert ids(tier=Tier.TOWN, is_active=True) == {world["T1"].window.pk}
    assert ids(subtree="330681001001") == {world["V11"].window.pk}


def test_users_show_only_the_memberships_the_viewer_may_see(world):
    # Someone working at the county (outside the town) who is also a clerk in one of the town's villages.
    commuter = staff(StaffRole.HANDLER, world["C"].region, username="commuter")
    MembershipFactory(user=commuter, role=StaffRole.CLERK, region=world["V11"].region)
    client = APIClient()
    client.force_authenticate(staff(StaffRole.SUPERVISOR, world["T1"].region))

    body = client.get(reverse("user-detail", args=[commuter.pk])).json()

    assert [(m["role"], m["region"]) for m in body["memberships"]] == [("clerk", "330681001001")]
    # Filtering by role cannot reveal the handler role held outside the town either.
    by_role = client.get(reverse("user-list"), {"role": StaffRole.HANDLER}).json()["results"]
    assert commuter.pk not in {row["id"] for row in by_role}
    by_clerk = client.get(reverse("user-list"), {"role": StaffRole.CLERK}).json()["results"]
    assert commuter.pk in {row["id"] for row in by_clerk}


def test_user_filters(world):
    client = APIClient()
    client.force_authenticate(staff(StaffRole.SUPERVISOR, world["C"].region))

    def usernames(**params):
        return {row["username"] for row in client.get(reverse("user-list"), params).json()["results"]}

    assert usernames(subtree="330681001") == {"resident-T1", "resident-V11", "resident-V12"}
    assert usernames(q="resident-V2") == {"resident-V21"}
    assert usernames(department=world["C"].department.pk) == set()


def test_a_clerk_sees_only_themselves_among_users(world):
    clerk = staff(StaffRole.CLERK, world["T1"].region)
    client = APIClient()
    client.force_authenticate(clerk)
    assert [row["id"] for row in client.get(reverse("user-list")).json()["results"]] == [clerk.pk]


# --- writes ---------------------------------------------------------------------------------------------


@pytest.fixture
def town_admin_client(world):
    client = APIClient()
    client.force_authenticate(staff(StaffRole.ADMINISTRATOR, world["T1"].region))
    return client


def test_administrator_creates_a_department_in_their_subtree(town_admin_client):
    response = town_admin_client.post(
        reverse("department-list"),
        {"code": "T1-NEW", "name": "新设办公室", "region": "330681001001", "contact_phone": "0575-1"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    department = Department.objects.get(code="T1-NEW")
    assert department.region.code == "330681001001"
    assert response.json()["tier"] == Tier.VILLAGE


def test_only_a_county_administrator_sets_up_the_coordination_centre(world, town_admin_client):
    """A town administrator can neither create a coordinator department nor turn an existing department
    into one (403, nothing written); a county administrator can, at the county only; staffing a coordinator
    needs the coordination centre."""
    for region in ("330681001", "330681001001"):
        response = town_admin_client.post(
            reverse("department-list"),
            {"code": "T1-COORD", "name": "镇协调中心", "region": region, "role": DepartmentRole.COORDINATOR},
            format="json",
        )
        assert response.status_code == 403, response.json()
    own = Department.objects.create(region=world["T1"].region, code="T1-OWN", name="镇办公室")
    response = town_admin_client.patch(
        reverse("department-detail", args=[own.pk]), {"role": DepartmentRole.COORDINATOR}, format="json"
    )
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.role == DepartmentRole.HANDLING
    assert not Department.objects.filter(code="T1-COORD").exists()

    county_admin = APIClient()
    county_admin.force_authenticate(staff(StaffRole.ADMINISTRATOR, world["C"].region))
    response = county_admin.post(
        reverse("department-list"),
        {"code": "T1-COORD", "name": "镇协调中心", "region": "330681001", "role": DepartmentRole.COORDINATOR},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"role": ["只有县级行政服务中心可以是协调中心。"]}
    response = county_admin.post(
        reverse("department-list"),
        {"code": "C-COORD", "name": "县行政服务中心", "region": "330681", "role": DepartmentRole.COORDINATOR},
        format="json",
    )
    assert response.status_code == 201, response.json()
    # A coordinator's membership belongs to the centre; an ordinary office cannot hold one.
    from django.core.exceptions import ValidationError

    from routing.models import Membership

    with pytest.raises(ValidationError):
        Membership(
            user=UserFactory(), role=StaffRole.COORDINATOR, region=world["T1"].region, department=own
        ).full_clean()


@pytest.mark.parametrize("region_code", ["330681", "330681002", "330681002001", "999999999"])
def test_administrator_cannot_create_outside_their_subtree(town_admin_client, region_code):
    # The parent, a sibling, a sibling's village and a code that does not exist: one and the same answer.
    response = town_admin_client.post(
        reverse("window-list"), {"code": "W-OUT", "name": "越权窗口", "region": region_code}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"region": [f"属性 code 为 {region_code} 的对象不存在。"]}
    assert not ServiceWindow.objects.filter(code="W-OUT").exists()


def test_administrator_cannot_move_an_object_out_of_their_subtree(world, town_admin_client):
    window = world["V11"].window
    response = town_admin_client.patch(
        reverse("window-detail", args=[window.pk]), {"region": "330681002"}, format="json"
    )
    assert response.status_code == 400
    window.refresh_from_db()
    assert window.region == world["V11"].region


def test_administrator_creates_a_village_under_their_town(town_admin_client):
    response = town_admin_client.post(
        reverse("region-list"),
        {"code": "330681001009", "name": "新村", "tier": Tier.VILLAGE, "parent": "330681001"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Region.objects.get(code="330681001009").path == "/330681/330681001/330681001009/"


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        # A county needs no parent, which only a superuser may leave out.
        ({"code": "330699", "tier": Tier.COUNTY}, {"parent": ["请选择您管理范围内的上级区划。"]}),
        (
            {"code": "330681003", "tier": Tier.TOWN, "parent": "330681"},
            {"parent": ["属性 code 为 330681 的对象不存在。"]},
        ),
        (
            {"code": "3306810019", "tier": Tier.VILLAGE, "parent": "330681001"},
            {"code": ["村(社区)的区划代码应为 12 位数字。"]},
        ),
        (
            {"code": "330681001010", "tier": Tier.TOWN, "parent": "330681001"},
            {"code": ["镇(街道)的区划代码应为 9 位数字。"], "parent": ["上级区划的层级应为县(市、区)。"]},
        ),
    ],
)
def test_region_creation_is_validated(town_admin_client, payload, errors):
    response = town_admin_client.post(reverse("region-list"), {"name": "新区划", **payload}, format="json")
    assert response.status_code == 400
    assert response.json() == errors


def test_a_region_is_renamed_but_not_recoded_or_moved(world, town_admin_client):
    village = world["V11"].region
    response = town_admin_client.patch(
        reverse("region-detail", args=[village.pk]),
        {"name": "东一社区", "code": "330681002009", "parent": "330681002"},
        format="json",
    )
    assert response.status_code == 200
    village.refresh_from_db()
    assert (village.name, village.code, village.parent_id) == (
        "东一社区",
        "330681001001",
        world["T1"].region.pk,
    )


def test_non_administrators_cannot_create(world):
    client = APIClient()
    client.force_authenticate(staff(StaffRole.SUPERVISOR, world["C"].region))
    response = client.post(
        reverse("department-list"), {"code": "X", "name": "X", "region": "330681"}, format="json"
    )
    assert response.status_code == 403


def test_nothing_is_deleted_through_the_api(world):
    client = APIClient()
    client.force_authenticate(UserFactory(is_superuser=True))
    assert client.delete(reverse("window-detail", args=[world["T1"].window.pk])).status_code == 405
    assert ServiceWindow.objects.filter(pk=world["T1"].window.pk).exists()


def test_a_visible_but_not_administered_object_is_403(world):
    # An administrator of a village who is also a clerk of the town sees the town but may not edit it.
    actor = staff(StaffRole.ADMINISTRATOR, world["V11"].region)
    MembershipFactory(user=actor, role=StaffRole.CLERK, region=world["T1"].region)
    client = APIClient()
    client.force_authenticate(actor)
    assert api_outcome(client, "window", world["T1"].window) == ("ok", "ok", "403")
    assert api_outcome(client, "window", world["V11"].window) == ("ok", "ok", "ok")


# --- query counts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(0, 0), (1, 1), (3, 4)])
def test_tree_takes_the_same_queries_whatever_the_depth_and_size(shape, django_assert_num_queries):
    towns, villages = shape
    county = RegionFactory.tree(towns=towns, villages=villages)
    user = staff(StaffRole.SUPERVISOR, county)
    client = APIClient()
    client.force_authenticate(user)
    # The membership (scope), the region, its subtree.
    with django_assert_num_queries(3):
        response = client.get(reverse("region-tree", args=[county.pk]))
    assert response.status_code == 200
    assert len(response.json()["children"]) == towns


@pytest.mark.parametrize("size", [1, 5])
def test_lists_take_the_same_queries_whatever_their_length(size, django_assert_num_queries):
    county = RegionFactory()
    for _ in range(size):
        village = VillageFactory(parent=TownFactory(parent=county))
        DepartmentFactory(region=village)
        ServiceWindowFactory(region=village)
        staff(StaffRole.CLERK, village)
    user = staff(StaffRole.SUPERVISOR, county)
    client = APIClient()
    client.force_authenticate(user)
    # Per list: scope, count, page (users: + their memberships).
    for name, queries in [("region-list", 3), ("department-list", 3), ("window-list", 3), ("user-list", 4)]:
        with django_assert_num_queries(queries):
            assert client.get(reverse(name)).status_code == 200
        user.__dict__.pop("_windowsvc_scope", None)  # measure the scope query on every request
