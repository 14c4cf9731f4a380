"""The permission matrix of cases through the API: each role at each tier against a case of its own region,
of a child region, of a sibling and of the parent, and department staff against another department's case.

Every case is routed (status ``assigned``) to a department of the region it was taken in at; the
``other_department`` case is taken in at the actor's own region but routed to another department there.
Each cell is list/retrieve/note (one command):
  ok  = listed / returned / the note was recorded
  403 = visible, but the user has no part in this case (an administrator oversees but does not act; a clerk
        acts for their own window's cases only)
  404 = absent from the list, and answered exactly like a case that does not exist
  —   = no such relative (a county has no parent, a village no child; the coordination centre is county-level)
"""

from __future__ import annotations

import pytest
from django.db import transaction

from cases import services
from cases.models import CaseEvent
from routing.choices import DepartmentRole, StaffRole, Tier
from tests.factories import (
    CLASSIFICATION,
    CategoryFactory,
    DepartmentFactory,
    MembershipFactory,
    RegionFactory,
    ServiceWindowFactory,
    UserFactory,
    build_org,
    take_in,
)

from .api_helpers import MISSING_PK, case_url, client_for, listed_ids

RELATIONS = ("own", "child", "sibling", "parent", "other_department")


def parse(text: str) -> dict[str, dict[str, tuple[str, ...] | None]]:
    header, *rows = [line.split() for line in text.strip().splitlines()]
    assert tuple(header[1:]) == RELATIONS
    return {
        row[0]: {
            rel: None if cell == "—" else tuple(cell.split("/"))
            for rel, cell in zip(RELATIONS, row[1:], strict=True)
        }
        for row in rows
    }


# The same rules at every tier: scope follows the subtree (overseers, clerks) or the assignment (departments).
MATRIX = {
    Tier.COUNTY: parse("""
role             own        child       sibling      parent       other_department
clerk            ok/ok/ok   ok/ok/403   404/404/404  —            ok/ok/ok
handler          ok/ok/ok   404/404/404 404/404/404  —            404/404/404
department_head  ok/ok/ok   404/404/404 404/404/404  —            404/404/404
supervisor       ok/ok/ok   ok/ok/ok    404/404/404  —            ok/ok/ok
coordinator      ok/ok/ok   ok/ok/ok    404/404/404  —            ok/ok/ok
administrator    ok/ok/403  ok/ok/403   404/404/404  —            ok/ok/403
auditor          404/404/404 404/404/404 404/404/404  —            404/404/404
"""),
    Tier.TOWN: parse("""
role             own        child       sibling      parent       other_department
clerk            ok/ok/ok   ok/ok/403   404/404/404  404/404/404  ok/ok/ok
handler          ok/ok/ok   404/404/404 404/404/404  404/404/404  404/404/404
department_head  ok/ok/ok   404/404/404 404/404/404  404/404/404  404/404/404
supervisor       ok/ok/ok   ok/ok/ok    404/404/404  404/404/404  ok/ok/ok
administrator    ok/ok/403  ok/ok/403   404/404/404  404/404/404  ok/ok/403
auditor          404/404/404 404/404/404 404/404/404  404/404/404  404/404/404
"""),
    Tier.VILLAGE: parse("""
role             own        child       sibling      parent       other_department
clerk            ok/ok/ok   —           404/404/404  404/404/404  ok/ok/ok
handler          ok/ok/ok   —           404/404/404  404/404/404  404/404/404
department_head  ok/ok/ok   —           404/404/404  404/404/404  404/404/404
supervisor       ok/ok/ok   —           404/404/404  404/404/404  ok/ok/ok
administrator    ok/ok/403  —           404/404/404  404/404/404  ok/ok/403
auditor          404/404/404 —           404/404/404  404/404/404  404/404/404
"""),
}

# Per tier: the actor's region and its relatives (keys of the world's cases).
RELATIVES = {
    Tier.COUNTY: {
        "own": "county",
        "child": "t1",
        "sibling": "county2",
        "parent": None,
        "other_department": "county_other",
    },
    Tier.TOWN: {
        "own": "t1",
        "child": "v1",
        "sibling": "t2",
        "parent": "county",
        "other_department": "t1_other",
    },
    Tier.VILLAGE: {
        "own": "v1",
        "child": None,
        "sibling": "v1b",
        "parent": "t1",
        "other_department": "v1_other",
    },
}
# The actor of each role at each tier (users of tests/factories.build_org, plus a few added below).
ACTORS = {
    Tier.COUNTY: {"clerk": "county_clerk", "handler": "market_handler", "department_head": "market_head",
                  "supervisor": "county_supervisor", "coordinator": "coordinator", "administrator": "county_admin",
                  "auditor": "county_auditor"},
    Tier.TOWN: {"clerk": "t1_clerk", "handler": "t1_office_handler", "department_head": "t1_office_head",
                "supervisor": "t1_supervisor", "administrator": "t1_admin", "auditor": "t1_auditor"},
    Tier.VILLAGE: {"clerk": "v1_clerk", "handler": "v1_committee_handler", "department_head": "v1_committee_head",
                   "supervisor": "v1_supervisor", "administrator": "v1_admin", "auditor": "v1_auditor"},
}  # fmt: skip
# The department each region's cases are routed to.
HOME_DEPARTMENT = {
    "county": "market", "t1": "t1_office", "t2": "t2_office", "v1": "v1_committee", "v1b": "v1b_committee",
    "county2": "c2_office", "county_other": "land", "t1_other": "t1_other", "v1_other": "v1_other",
}  # fmt: skip


def build_world():
    """build_org plus a second county, a village administrator, second departments in t1 and v1, and one
    routed case per region (and per second department)."""
    org = build_org()
    county2 = RegionFactory(code="330682", name="邻县", tier=Tier.COUNTY)
    org.regions["county2"] = county2
    org.windows["county2"] = ServiceWindowFactory(code="W-county2", name="邻县窗口", region=county2)
    for key, region, name in [
        ("c2_office", county2, "邻县市场监管局"),
        ("t1_other", org.regions["t1"], "暨阳街道城管中队"),
        ("v1_other", org.regions["v1"], "城西社区网格站"),
    ]:
        org.departments[key] = DepartmentFactory(
            code=f"D-{key}", name=name, region=region, role=DepartmentRole.HANDLING
        )
    org.users["county2_clerk"] = MembershipFactory(
        user=UserFactory(username="county2_clerk"), role=StaffRole.CLERK, region=county2
    ).user
    org.users["v1_admin"] = MembershipFactory(
        user=UserFactory(username="v1_admin"), role=StaffRole.ADMINISTRATOR, region=org.regions["v1"]
    ).user
    for key in ("county", "t1", "v1"):  # the auditor reads the audit trail only: no case (audit/)
        org.users[f"{key}_auditor"] = MembershipFactory(
            user=UserFactory(username=f"{key}_auditor"), role=StaffRole.AUDITOR, region=org.regions[key]
        ).user
    county2_category = CategoryFactory(county=county2, code="C2", name="邻县类别")

    cases = {}
    for key in HOME_DEPARTMENT:
        where = key.removesuffix("_other")
        clerk = org[f"{where}_clerk"]
        case = take_in(org, where, clerk=clerk, title=f"{key} 的案件")
        category = county2_category if where == "county2" else org.category
        services.case_classify(actor=clerk, case_id=case.pk, category=category, **CLASSIFICATION)
        services.case_assign(actor=clerk, case_id=case.pk, lead_department=org.dept(HOME_DEPARTMENT[key]))
        cases[key] = case
    return org, cases


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One organisation for the whole module, rolled back at its end; each test runs in a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def _classify(response, missing) -> str:
    if response.status_code == 200:
        return "ok"
    if response.status_code == 404:
        # Out of scope must be indistinguishable from missing.
        assert response.json() == missing.json()
        return "404"
    return str(response.status_code)


def api_outcome(client, case) -> tuple[str, str, str]:
    listed = "ok" if case.pk in listed_ids(client) else "404"
    retrieved = _classify(client.get(case_url(case.pk)), client.get(case_url(MISSING_PK)))
    before = CaseEvent.objects.filter(case=case).count()
    body = {"text": "了解办理进展"}
    noted = _classify(
        client.post(case_url(case.pk, "note"), body, format="json"),
        client.post(case_url(MISSING_PK, "note"), body, format="json"),
    )
    assert CaseEvent.objects.filter(case=case).count() == before + (noted == "ok")
    return listed, retrieved, noted


CELLS = [
    (tier, role, relation)
    for tier, rows in MATRIX.items()
    for role, cells in rows.items()
    for relation, cell in cells.items()
    if cell is not None
]


@pytest.mark.django_db
@pytest.mark.parametrize(("tier", "role", "relation"), CELLS, ids=["-".join(cell) for cell in CELLS])
def test_case_permission_matrix(world, tier, role, relation):
    org, cases = world
    client = client_for(org[ACTORS[tier][role]])
    assert api_outcome(client, cases[RELATIVES[tier][relation]]) == MATRIX[tier][role][relation]


def test_every_role_is_checked_at_every_tier_it_exists_at():
    for tier, rows in MATRIX.items():
        expected = set(StaffRole.values) - ({StaffRole.COORDINATOR} if tier != Tier.COUNTY else set())
        assert set(rows) == expected == set(ACTORS[tier])


@pytest.mark.django_db
def test_department_staff_see_exactly_their_department_s_cases(world):
    org, cases = world
    for department in ("market", "t1_office", "v1_committee", "land", "t1_other", "v1_other", "c2_office"):
        mine = {cases[key].pk for key, home in HOME_DEPARTMENT.items() if home == department}
        for role in ("head", "handler"):
            username = f"{department}_{role}"
            if username not in org.users:
                continue
            assert listed_ids(client_for(org[username])) == mine, username


@pytest.mark.django_db
def test_the_superuser_sees_everything_and_a_user_without_memberships_nothing(world):
    org, cases = world
    root, stranger = client_for(org["root"]), client_for(org["stranger"])
    assert listed_ids(root) >= {case.pk for case in cases.values()}
    assert listed_ids(stranger) == set()
    for case in cases.values():
        assert api_outcome(root, case) == ("ok", "ok", "ok")
        assert api_outcome(stranger, case) == ("404", "404", "404")
