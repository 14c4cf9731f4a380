"""Scenarios of the routing tests: a world of two counties with one of everything in every region, and the
permission matrix read against it. Its rows come from the shared model factories in ``tests/factories.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from routing.choices import StaffRole, Tier
from routing.models import Department, Region, ServiceWindow
from tests.factories import (
    DepartmentFactory,
    RegionFactory,
    ServiceWindowFactory,
    TownFactory,
    VillageFactory,
    staff,
)


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
