"""Factories of the organisation: regions (county → town → village), departments, windows, staff.

``RegionFactory()`` is a county; ``TownFactory()`` / ``VillageFactory()`` build the tiers above them as
needed, with codes that extend the parent's code as the statistical division codes do. ``RegionFactory.tree()``
builds a whole county, and ``staff(role, region)`` a user with one membership (with a department for the
department roles).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from routing.choices import DEPARTMENT_ROLES, DepartmentRole, StaffRole, Tier
from routing.models import Department, Membership, Region, ServiceWindow

PASSWORD = "pw-for-tests-2026"


class RegionFactory(factory.django.DjangoModelFactory):
    """A county (6-digit code); its subclasses build towns (9 digits) and villages (12 digits)."""

    class Meta:
        model = Region
        django_get_or_create = ("code",)

    tier = Tier.COUNTY
    parent = None
    code = factory.Sequence(lambda n: f"{330100 + n % 9000:06d}")
    name = factory.Sequence(lambda n: f"测试县{n}")

    @classmethod
    def tree(cls, *, towns: int = 2, villages: int = 2, **kwargs) -> Region:
        """A county with ``towns`` towns of ``villages`` villages each; returns the county."""
        county = cls(**kwargs)
        for _t in range(towns):
            town = TownFactory(parent=county)
            VillageFactory.create_batch(villages, parent=town)
        return county


class TownFactory(RegionFactory):
    tier = Tier.TOWN
    parent = factory.SubFactory(RegionFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.parent.code}{n % 1000:03d}")
    name = factory.Sequence(lambda n: f"测试镇{n}")


class VillageFactory(RegionFactory):
    tier = Tier.VILLAGE
    parent = factory.SubFactory(TownFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.parent.code}{n % 1000:03d}")
    name = factory.Sequence(lambda n: f"测试村{n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    region = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"DEPT-{n:05d}")
    name = factory.Sequence(lambda n: f"测试部门{n}")
    role = DepartmentRole.HANDLING
    contact_phone = "0575-87000000"
    is_active = True


class ServiceWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceWindow

    region = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"WIN-{n:05d}")
    name = factory.Sequence(lambda n: f"“办不成事”反映窗口{n}")
    address = "人民路1号"
    opening_hours = "工作日 8:30-17:00"
    is_active = True


@cache
def _password_hash() -> str:
    return make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Sequence(lambda n: f"工作人员{n}")
    # Hashed once: PBKDF2 takes 0.2 s a user, and the permission matrix creates hundreds.
    password = factory.LazyFunction(lambda: _password_hash())


class MembershipFactory(factory.django.DjangoModelFactory):
    """A membership; for a department role pass ``department`` (the region follows it)."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = StaffRole.CLERK
    department = None
    region = factory.Maybe(
        "department",
        yes_declaration=factory.SelfAttribute("department.region"),
        no_declaration=factory.SubFactory(RegionFactory),
    )
    window = None


def staff(role: str, region: Region, *, department: Department | None = None, **user_fields):
    """A user holding ``role`` at ``region``; department roles get (or are given) a department there."""
    if role in DEPARTMENT_ROLES and department is None:
        department_role = (
            DepartmentRole.COORDINATOR if role == StaffRole.COORDINATOR else DepartmentRole.HANDLING
        )
        department = DepartmentFactory(region=region, role=department_role)
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, role=role, region=region, department=department)
    user.refresh_from_db()  # is_staff is set by the membership signal
    return user


@dataclass
class Place:
    """One region of the test world with one of everything in it."""

    region: Region
    department: Department
    window: ServiceWindow
    resident: object  # a clerk working in this region: the "user" that sits here

    def target(self, kind: str):
        return {
            "region": self.region,
            "department": self.department,
            "window": self.window,
            "user": self.resident,
        }[kind]


@dataclass
class World:
    """Two counties; the first has towns T1, T2 with villages V11, V12 under T1 and V21 under T2.

    Every region holds a department, a window and a clerk (its resident), so each kind of object exists
    in one's own region, below it, beside it and above it.
    """

    places: dict[str, Place] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Place:
        return self.places[key]


def build_world() -> World:
    world = World()

    def place(key, region):
        world.places[key] = Place(
            region=region,
            department=DepartmentFactory(region=region, name=f"{region.name}部门"),
            window=ServiceWindowFactory(region=region, name=f"{region.name}窗口"),
            resident=staff(StaffRole.CLERK, region, username=f"resident-{key}"),
        )

    county = RegionFactory(code="330681", name="诸暨市")
    place("C", county)
    place("C2", RegionFactory(code="330682", name="上虞区"))
    t1 = TownFactory(parent=county, code="330681001", name="暨阳街道")
    t2 = TownFactory(parent=county, code="330681002", name="陶朱街道")
    place("T1", t1)
    place("T2", t2)
    place("V11", VillageFactory(parent=t1, code="330681001001", name="东一村"))
    place("V12", VillageFactory(parent=t1, code="330681001002", name="东二村"))
    place("V21", VillageFactory(parent=t2, code="330681002001", name="西一村"))
    return world


# The permission matrix: where an actor of each tier works ("own") and which place lies below it ("child"),
# beside it in a sibling subtree ("sibling") and above it ("parent"). A county has no parent and a village no
# child, so those cells do not exist.
RELATIVES = {
    Tier.COUNTY: {"own": "C", "child": "T1", "sibling": "C2"},
    Tier.TOWN: {"own": "T1", "child": "V11", "sibling": "T2", "parent": "C"},
    Tier.VILLAGE: {"own": "V11", "sibling": "V12", "parent": "T1"},
}
TIER_RELATIONS = [(tier, relation) for tier, relations in RELATIVES.items() for relation in relations]


def parse_matrix(text: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """``role  own  child  sibling  parent`` rows of ``list/retrieve/update`` cells → {role: {relation: cell}}."""
    header, *rows = [line.split() for line in text.strip().splitlines()]
    relations = header[1:]
    return {
        row[0]: {rel: tuple(cell.split("/")) for rel, cell in zip(relations, row[1:], strict=True)}
        for row in rows
    }
