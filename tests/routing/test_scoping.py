"""Scoping: who sees and administers which part of the organisation, and subtree queries in constant SQL."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction

from routing.choices import StaffRole, Tier
from routing.models import Department, Membership, Region, ServiceWindow
from routing.paths import path_codes
from routing.querysets import users_administered_by, users_visible_to
from routing.scoping import scope_for
from tests.factories import (
    DepartmentFactory,
    MembershipFactory,
    RegionFactory,
    ServiceWindowFactory,
    TownFactory,
    UserFactory,
    VillageFactory,
    staff,
)

from .scenarios import build_world

pytestmark = pytest.mark.django_db

T1_SUBTREE = {"T1", "V11", "V12"}
OVERSEEING = {StaffRole.SUPERVISOR, StaffRole.COORDINATOR, StaffRole.ADMINISTRATOR}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def _places(world, objects, kind) -> set[str]:
    """Which places of the world ``objects`` (regions, departments, windows or users) cover."""
    found = set(objects)
    return {key for key, place in world.places.items() if place.target(kind) in found}


# --- the rule, role by role, for a town actor -----------------------------------------------------------
# (The API and admin matrices check the same at every tier and through HTTP.)


@pytest.mark.parametrize("role", StaffRole.values)
def test_everyone_reads_the_organisation_of_their_subtree(world, role):
    """Except the auditor, whose membership opens the audit trail only (audit/selectors.py)."""
    actor = staff(role, world["T1"].region)
    expected = set() if role == StaffRole.AUDITOR else T1_SUBTREE
    assert _places(world, Region.objects.visible_to(actor), "region") == expected
    assert _places(world, Department.objects.visible_to(actor), "department") == expected
    assert _places(world, ServiceWindow.objects.visible_to(actor), "window") == expected


@pytest.mark.parametrize("role", StaffRole.values)
def test_overseeing_roles_see_the_staff_of_their_subtree_others_only_themselves(world, role):
    actor = staff(role, world["T1"].region)
    visible = users_visible_to(actor)
    assert actor in visible
    assert _places(world, visible, "user") == (T1_SUBTREE if role in OVERSEEING else set())
    memberships = Membership.objects.visible_to(actor)
    assert {m.user for m in memberships} == set(visible)


@pytest.mark.parametrize("role", StaffRole.values)
def test_only_administrators_administer_and_only_their_subtree(world, role):
    actor = staff(role, world["T1"].region)
    expected = T1_SUBTREE if role == StaffRole.ADMINISTRATOR else set()
    assert _places(world, Region.objects.administered_by(actor), "region") == expected
    assert _places(world, Department.objects.administered_by(actor), "department") == expected
    assert _places(world, ServiceWindow.objects.administered_by(actor), "window") == expected
    assert _places(world, users_administered_by(actor), "user") == expected
    assert {m.region.code for m in Membership.objects.administered_by(actor)} <= {
        world[key].region.code for key in expected
    }


@pytest.mark.parametrize(
    ("role", "oversight", "admin", "clerk", "departments"),
    [
        (StaffRole.CLERK, False, False, True, False),
        (StaffRole.HANDLER, False, False, False, True),
        (StaffRole.DEPARTMENT_HEAD, False, False, False, True),
        (StaffRole.SUPERVISOR, True, False, False, False),
        (StaffRole.COORDINATOR, True, False, False, True),
        (StaffRole.ADMINISTRATOR, True, True, False, False),
    ],
)
def test_scope_of_each_role(world, role, oversight, admin, clerk, departments):
    actor = staff(role, world["T1"].region)
    scope = scope_for(actor)
    t1 = (world["T1"].region.path,)
    assert scope.member_paths == t1
    assert scope.oversight_paths == (t1 if oversight else ())
    assert scope.admin_paths == (t1 if admin else ())
    assert scope.clerk_paths == (t1 if clerk else ())
    assert bool(scope.department_ids) == departments
    assert scope.roles == {role}
    assert not scope.is_superuser


def test_several_memberships_add_up_and_nested_paths_collapse(world):
    actor = staff(StaffRole.SUPERVISOR, world["T1"].region)
    MembershipFactory(user=actor, role=StaffRole.SUPERVISOR, region=world["V11"].region)
    MembershipFactory(user=actor, role=StaffRole.CLERK, region=world["V21"].region)
    scope = scope_for(actor)
    assert scope.oversight_paths == (world["T1"].region.path,)
    assert scope.member_paths == (world["T1"].region.path, world["V21"].region.path)
    assert _places(world, Region.objects.visible_to(actor), "region") == T1_SUBTREE | {"V21"}
    assert _places(world, users_visible_to(actor), "user") == T1_SUBTREE


def test_superusers_see_and_administer_everything(world):
    root = UserFactory(is_superuser=True)
    assert _places(world, Region.objects.visible_to(root), "region") == set(world.places)
    assert _places(world, ServiceWindow.objects.administered_by(root), "window") == set(world.places)
    assert _places(world, users_administered_by(root), "user") == set(world.places)


@pytest.mark.parametrize("who", ["anonymous", "inactive", "no membership"])
def test_nobody_without_an_active_membership_sees_anything(world, who):
    if who == "anonymous":
        user = AnonymousUser()
    else:
        user = staff(StaffRole.ADMINISTRATOR, world["C"].region) if who == "inactive" else UserFactory()
        user.is_active = who != "inactive"
    assert scope_for(user).is_empty
    assert not Region.objects.visible_to(user).exists()
    assert not Department.objects.administered_by(user).exists()
    assert list(Membership.objects.visible_to(user)) == list(Membership.objects.filter(user_id=user.pk))
    # Only oneself, which an inactive user cannot log in to see anyway.
    assert list(users_visible_to(user)) == ([] if user.pk is None else [user])


def test_an_administrator_does_not_administer_users_with_rights_elsewhere(world):
    admin = staff(StaffRole.ADMINISTRATOR, world["T1"].region)
    commuter = staff(StaffRole.HANDLER, world["C"].region)
    MembershipFactory(user=commuter, role=StaffRole.CLERK, region=world["V11"].region)
    boss = staff(StaffRole.CLERK, world["V11"].region, is_superuser=True)
    assert commuter in users_visible_to(admin)
    assert commuter not in users_administered_by(admin)
    assert boss not in users_administered_by(admin)
    assert admin in users_administered_by(admin)


def test_the_scope_follows_membership_changes_on_the_same_user_object(world):
    actor = staff(StaffRole.CLERK, world["V11"].region)
    assert _places(world, Region.objects.visible_to(actor), "region") == {"V11"}
    MembershipFactory(user=actor, role=StaffRole.SUPERVISOR, region=world["T2"].region)
    assert _places(world, Region.objects.visible_to(actor), "region") == {"V11", "T2", "V21"}


# --- roles as groups ----------------------------------------------------------------------------------------


def test_memberships_drive_groups_and_admin_access(world):
    user = staff(StaffRole.CLERK, world["V11"].region)
    assert list(user.groups.values_list("name", flat=True)) == [StaffRole.CLERK]
    assert not user.is_staff
    assert user.has_perm("routing.view_region") and not user.has_perm("routing.change_region")

    admin_membership = MembershipFactory(user=user, role=StaffRole.ADMINISTRATOR, region=world["V11"].region)
    user = type(user).objects.get(pk=user.pk)
    assert set(user.groups.values_list("name", flat=True)) == {StaffRole.CLERK, StaffRole.ADMINISTRATOR}
    assert user.is_staff and user.has_perm("routing.change_region")

    admin_membership.delete()
    user = type(user).objects.get(pk=user.pk)
    assert list(user.groups.values_list("name", flat=True)) == [StaffRole.CLERK]
    assert not user.is_staff


# --- the tree -----------------------------------------------------------------------------------------------


def test_paths_follow_the_tree_and_a_recode_rewrites_the_subtree():
    town = TownFactory(code="330781001", parent=RegionFactory(code="330781"))
    village = VillageFactory(parent=town, code="330781001001")
    assert village.path == "/330781/330781001/330781001001/"

    town.code = "330781009"
    town.save()

    village.refresh_from_db()
    assert village.path == "/330781/330781009/330781001001/"
    assert list(Region.objects.subtree(town)) == [town, village]


@pytest.mark.parametrize(
    ("tier", "code", "parent_tier", "error_fields"),
    [
        (Tier.COUNTY, "330681", None, set()),
        (Tier.COUNTY, "33068", None, {"code"}),
        (Tier.COUNTY, "330681", Tier.COUNTY, {"parent"}),
        (Tier.TOWN, "330681001", Tier.COUNTY, set()),
        (Tier.TOWN, "330681001", None, {"parent"}),
        (Tier.TOWN, "330681001", Tier.TOWN, {"parent"}),
        (Tier.VILLAGE, "33068100100A", Tier.TOWN, {"code"}),
        # A code lies in its parent's; above the county the naming digits decide (330600 → 3306).
        (Tier.TOWN, "330699001", Tier.COUNTY, {"code"}),
        (Tier.COUNTY, "330681", Tier.CITY, set()),
        (Tier.COUNTY, "330781", Tier.CITY, {"code"}),
        (Tier.CITY, "330600", None, set()),
        (Tier.CITY, "330681", None, {"code"}),
        (Tier.CITY, "330600", Tier.COUNTY, {"parent"}),
        (Tier.PROVINCE, "330000", None, set()),
        (Tier.PROVINCE, "330600", None, {"code"}),
    ],
)
def test_region_invariants(tier, code, parent_tier, error_fields):
    parents = {
        None: lambda: None,
        Tier.CITY: lambda: RegionFactory(code="330600", tier=Tier.CITY),
        Tier.COUNTY: lambda: RegionFactory(code="330681"),
        Tier.TOWN: TownFactory,
    }
    parent = parents[parent_tier]()
    region = Region(tier=tier, code=code, name="区划", parent=parent)
    if not error_fields:
        region.clean()
        return
    with pytest.raises(ValidationError) as raised:
        region.clean()
    assert set(raised.value.message_dict) == error_fields


def test_membership_invariants():
    town = TownFactory()
    elsewhere = DepartmentFactory()
    with pytest.raises(ValidationError) as raised:
        Membership(user=UserFactory(), role=StaffRole.HANDLER, region=town).clean()
    assert set(raised.value.message_dict) == {"department"}
    with pytest.raises(ValidationError) as raised:
        Membership(user=UserFactory(), role=StaffRole.HANDLER, region=town, department=elsewhere).clean()
    assert set(raised.value.message_dict) == {"region"}
    # Saved with a department only, the membership takes the department's region.
    membership = Membership.objects.create(user=UserFactory(), role=StaffRole.HANDLER, department=elsewhere)
    assert membership.region_id == elsewhere.region_id


# --- constant SQL whatever the depth ----------------------------------------------------------------------


def _chain(depth: int) -> Region:
    """A county with a town and a village below it, cut at ``depth`` tiers; returns the deepest region."""
    region = RegionFactory()
    if depth >= 2:
        region = TownFactory(parent=region)
    if depth >= 3:
        region = VillageFactory(parent=region)
    return region


@pytest.mark.parametrize(("towns", "villages"), [(1, 1), (2, 3), (5, 6)])
@pytest.mark.parametrize("tier", [Tier.COUNTY, Tier.TOWN, Tier.VILLAGE])
def test_a_subtree_is_one_query_whatever_its_depth_and_size(tier, towns, villages, django_assert_num_queries):
    county = RegionFactory.tree(towns=towns, villages=villages)
    top = Region.objects.subtree(county).filter(tier=tier).first()
    with django_assert_num_queries(1):
        regions = list(Region.objects.subtree(top))
    assert regions[0] == top
    assert all(r.path.startswith(top.path) for r in regions)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_scoped_lists_take_the_same_queries_whatever_the_depth(depth, django_assert_num_queries):
    chain = Region.objects.filter(code__in=path_codes(_chain(depth).path))
    for region in chain:
        DepartmentFactory(region=region)
        ServiceWindowFactory(region=region)
    actor = UserFactory()
    MembershipFactory(user=actor, role=StaffRole.SUPERVISOR, region=chain.get(tier=Tier.COUNTY))
    actor = type(actor).objects.get(pk=actor.pk)
    with django_assert_num_queries(2):  # the memberships (the scope, cached from then on), the rows
        assert len(Region.objects.visible_to(actor)) == depth
    with django_assert_num_queries(2):
        assert len(Department.objects.visible_to(actor)) == depth
        assert len(ServiceWindow.objects.visible_to(actor)) == depth
    with django_assert_num_queries(1):
        assert actor in users_visible_to(actor)
