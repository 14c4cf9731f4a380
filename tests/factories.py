"""The test suite's factories, declared once for every test package.

Model factories: ``RegionFactory()`` is a county; ``TownFactory()`` / ``VillageFactory()`` build the tiers
above them as needed, with codes that extend the parent's code as the statistical division codes do, and
``RegionFactory.tree()`` builds a whole county. ``DepartmentFactory``, ``ServiceWindowFactory``,
``UserFactory`` (password ``PASSWORD``; ``with_email=True`` gives an address), ``MembershipFactory``,
``CategoryFactory`` and ``ChannelPreferenceFactory`` make one row each; ``staff(role, region)`` makes a user
with one membership (with a department for the department roles).

Identity makers: valid resident id numbers and unified social credit codes, and ``person()`` /
``enterprise()`` requester data.

The small county organisation (``build_org``), shared by the cases, supervision and citizens tests:

    county 330681 ── coordination centre, 市场监管局 (market), 自然资源局 (land), 住建局 (housing)
      ├── town 330681001 (t1) ── t1 office ── village 330681001001 (v1) ── v1 committee
      │                                   └─ village 330681001002 (v1b) ── v1b committee
      └── town 330681002 (t2) ── t2 office ── village 330681002001 (v2) ── v2 committee

Every region has a window and a clerk; every department a head and a handler; supervisors at county, t1,
t2 and v1; one coordinator; administrators at county and t1; a user without memberships (``stranger``).
``take_in(org, where)`` takes a case in at that region's window.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from functools import cache

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from cases import services
from cases.choices import Channel, Complexity, HandlingMode, MatterKind, RequesterKind
from cases.models import Category, CategoryDefaultDepartment
from cases.validators import USCC_ALPHABET, credit_code_check_char, id_number_check_digit
from notifications.models import ChannelPreference
from routing.choices import DEPARTMENT_ROLES, DepartmentRole, StaffRole, Tier
from routing.models import Department, Membership, Region, ServiceWindow

PASSWORD = "pw-for-tests-2026"

_serial = itertools.count(1)


# --- The organisation's rows -----------------------------------------------------------------------


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
    # Hashed once: PBKDF2 takes 0.2 s a user, and the permission matrix creates hundreds.
    password = factory.LazyFunction(lambda: _password_hash())

    class Params:
        # No address by default: the cases and supervision tests count who is told by e-mail.
        with_email = factory.Trait(email=factory.LazyAttribute(lambda u: f"{u.username}@example.gov.cn"))


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


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    county = factory.SubFactory(RegionFactory)
    code = factory.Sequence(lambda n: f"C{n:04d}")
    name = factory.LazyAttribute(lambda o: f"类别{o.code}")


class ChannelPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChannelPreference

    user = factory.SubFactory(UserFactory, with_email=True)
    email_enabled = True
    sms_enabled = False
    phone = ""
    language = "zh-hans"


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
