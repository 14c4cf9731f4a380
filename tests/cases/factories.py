"""Factories for the cases tests: a small county organisation, valid requester data, categories, cases.

The organisation (``build_org``) is our own so these tests do not depend on the routing tests' helpers:

    county 330681 ── coordination centre, 市场监管局 (market), 自然资源局 (land), 住建局 (housing)
      ├── town 330681001 (t1) ── t1 office ── village 330681001001 (v1) ── v1 committee
      │                                   └─ village 330681001002 (v1b) ── v1b committee
      └── town 330681002 (t2) ── t2 office ── village 330681002001 (v2) ── v2 committee

Every region has a window and a clerk; every department a head and a handler; supervisors at county, t1,
t2 and v1; one coordinator; administrators at county and t1; a user without memberships (``stranger``).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from cases import services
from cases.choices import Channel, Complexity, HandlingMode, MatterKind, RequesterKind
from cases.models import Category, CategoryDefaultDepartment
from cases.validators import USCC_ALPHABET, credit_code_check_char, id_number_check_digit
from routing.choices import DepartmentRole, StaffRole, Tier
from routing.models import Department, Membership, Region, ServiceWindow

_serial = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    # An unusable password costs no hashing (slow by design); tests that log in set one themselves.
    password = factory.LazyFunction(lambda: make_password(None))


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region

    tier = Tier.COUNTY
    code = factory.Sequence(lambda n: f"{330000 + n:06d}")
    name = factory.LazyAttribute(lambda o: f"区划{o.code}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    region = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"D{n:05d}")
    name = factory.LazyAttribute(lambda o: f"部门{o.code}")
    role = DepartmentRole.HANDLING


class ServiceWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceWindow

    region = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"W{n:05d}")
    name = factory.LazyAttribute(lambda o: f"窗口{o.code}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = StaffRole.CLERK
    region = factory.LazyAttribute(lambda o: o.department.region if o.department else None)
    department = None
    window = None


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    county = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"C{n:04d}")
    name = factory.LazyAttribute(lambda o: f"类别{o.code}")


# --- Valid identity numbers -------------------------------------------------------------------------


def make_id_number(
    rng: random.Random | None = None, *, region: str = "330681", birth: str = "19900307"
) -> str:
    rng = rng or random.Random()
    first17 = f"{region}{birth}{rng.randrange(1000):03d}"
    return first17 + id_number_check_digit(first17)


def make_credit_code(rng: random.Random | None = None, *, region: str = "330681") -> str:
    rng = rng or random.Random()
    body = "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    first17 = f"91{region}{body}"
    return first17 + credit_code_check_char(first17)


def person(**overrides) -> dict:
    data = {
        "kind": RequesterKind.PERSON,
        "name": "张三丰",
        "phone": "13800138000",
        "id_number": make_id_number(),
        "address": "诸暨市暨阳街道某路1号",
    }
    data.update(overrides)
    return data


def enterprise(**overrides) -> dict:
    data = {
        "kind": RequesterKind.ENTERPRISE,
        "name": "诸暨市某某机械有限公司",
        "contact_name": "李四",
        "phone": "0575-87012345",
        "credit_code": make_credit_code(),
        "address": "诸暨市经济开发区",
    }
    data.update(overrides)
    return data


# --- The organisation ------------------------------------------------------------------------------


@dataclass
class Org:
    regions: dict[str, Region] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    windows: dict[str, ServiceWindow] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)
    category: Category | None = None
    category_coordinated: Category | None = None

    def __getitem__(self, username: str):
        return self.users[username]

    def dept(self, key: str) -> Department:
        return self.departments[key]


def _user(org: Org, username: str, role: str | None = None, **membership) -> object:
    user = UserFactory(username=username)
    if role is not None:
        MembershipFactory(user=user, role=role, **membership)
    org.users[username] = user
    return user


def build_org() -> Org:
    org = Org()
    county = RegionFactory(code="330681", name="诸暨市", tier=Tier.COUNTY)
    t1 = RegionFactory(code="330681001", name="暨阳街道", tier=Tier.TOWN, parent=county)
    t2 = RegionFactory(code="330681002", name="浣东街道", tier=Tier.TOWN, parent=county)
    v1 = RegionFactory(code="330681001001", name="城西社区", tier=Tier.VILLAGE, parent=t1)
    v1b = RegionFactory(code="330681001002", name="城东社区", tier=Tier.VILLAGE, parent=t1)
    v2 = RegionFactory(code="330681002001", name="东江村", tier=Tier.VILLAGE, parent=t2)
    org.regions = {"county": county, "t1": t1, "t2": t2, "v1": v1, "v1b": v1b, "v2": v2}

    def dept(key, region, name, role=DepartmentRole.HANDLING):
        org.departments[key] = DepartmentFactory(code=f"D-{key}", name=name, region=region, role=role)

    dept("centre", county, "县行政服务中心", DepartmentRole.COORDINATOR)
    dept("market", county, "市场监管局")
    dept("land", county, "自然资源局")
    dept("housing", county, "住建局")
    dept("t1_office", t1, "暨阳街道便民服务中心")
    dept("t2_office", t2, "浣东街道便民服务中心")
    dept("v1_committee", v1, "城西社区居委会")
    dept("v1b_committee", v1b, "城东社区居委会")
    dept("v2_committee", v2, "东江村村委会")

    for key, region in org.regions.items():
        org.windows[key] = ServiceWindowFactory(
            code=f"W-{key}", name=f"{region.name}办不成事窗口", region=region
        )
        _user(org, f"{key}_clerk", StaffRole.CLERK, region=region)
    for key in ("county", "t1", "t2", "v1"):
        _user(org, f"{key}_supervisor", StaffRole.SUPERVISOR, region=org.regions[key])
    for key in ("county", "t1"):
        _user(org, f"{key}_admin", StaffRole.ADMINISTRATOR, region=org.regions[key])
    _user(org, "coordinator", StaffRole.COORDINATOR, department=org.departments["centre"])
    for key, department in org.departments.items():
        if key == "centre":
            continue
        _user(org, f"{key}_head", StaffRole.DEPARTMENT_HEAD, department=department)
        _user(org, f"{key}_handler", StaffRole.HANDLER, department=department)
    _user(org, "stranger")
    org.users["root"] = UserFactory(username="root", is_superuser=True, is_staff=True)

    org.category = CategoryFactory(county=county, code="MKT", name="市场主体登记")
    org.category_coordinated = CategoryFactory(county=county, code="LAND", name="土地与规划")
    CategoryDefaultDepartment.objects.create(
        category=org.category, region=county, department=org.dept("market")
    )
    return org


# --- Cases -----------------------------------------------------------------------------------------

CLASSIFICATION = {
    "matter_kind": MatterKind.DIFFICULT,
    "complexity": Complexity.GENERAL,
    "handling_mode": HandlingMode.STANDARD,
}


def take_in(org: Org, where: str = "v1", *, clerk=None, **overrides):
    """A case taken in at ``where``'s window by its clerk; returns the Case."""
    data = {
        "actor": clerk or org[f"{where}_clerk"],
        "window": org.windows[where],
        "channel": Channel.WALK_IN,
        "requester": person(),
        "title": "营业执照变更多次未办成",
        "description": f"申请变更经营范围三次被退回，原因说法不一。#{next(_serial)}",
        "expectation": "一次办好",
    }
    data.update(overrides)
    return services.case_intake(**data).case
