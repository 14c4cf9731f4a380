"""Choices of the organisation: tiers, department roles, staff roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    """The tiers of the administrative tree. The three that run windows and handle cases (县镇村三级), and
    above them the city and the province, which oversee their counties (supervisors, dashboards, rankings
    of counties, bulletins) but run no window and hold no department."""

    PROVINCE = "province", _("省(自治区、直辖市)")
    CITY = "city", _("市(地、州、盟)")
    COUNTY = "county", _("县(市、区)")
    TOWN = "town", _("镇(街道)")
    VILLAGE = "village", _("村(社区)")


# Statistical division code length per tier (GB/T 2260 + the National Bureau of Statistics' 12-digit codes).
# A province is 330000 and a city 330600: the digits that name them are the first 2 and 4
# (``routing.paths.NAMING_DIGITS``), and every code below them starts with those digits.
TIER_CODE_LENGTH = {Tier.PROVINCE: 6, Tier.CITY: 6, Tier.COUNTY: 6, Tier.TOWN: 9, Tier.VILLAGE: 12}
# The tier a region's parent must have; None: no parent allowed. A county's and a city's parent is optional
# (``OPTIONAL_PARENT``): an installation for one county needs no city above it.
TIER_PARENT = {
    Tier.PROVINCE: None,
    Tier.CITY: Tier.PROVINCE,
    Tier.COUNTY: Tier.CITY,
    Tier.TOWN: Tier.COUNTY,
    Tier.VILLAGE: Tier.TOWN,
}
OPTIONAL_PARENT = frozenset({Tier.CITY, Tier.COUNTY})
# Tiers above the county: they oversee, they run no window and hold no department.
OVERSIGHT_TIERS = frozenset({Tier.PROVINCE, Tier.CITY})
# The tier one step below each oversight tier: the regions its dashboard lists and its ranking compares
# (docs/RANKINGS.md); below the county the tree's own parent links say it.
SUBREGION_TIER = {Tier.PROVINCE: Tier.CITY, Tier.CITY: Tier.COUNTY}


class DepartmentRole(models.TextChoices):
    """What a department does in the loop; the county coordination centre runs 协调办."""

    HANDLING = "handling", _("业务部门")
    COORDINATOR = "coordinator", _("协调中心")


class StaffRole(models.TextChoices):
    """A staff member's role inside one membership; each maps to a Django group of the same name."""

    CLERK = "clerk", _("窗口工作人员")
    HANDLER = "handler", _("经办人")
    DEPARTMENT_HEAD = "department_head", _("部门负责人")
    SUPERVISOR = "supervisor", _("督办人员")
    COORDINATOR = "coordinator", _("协调中心")
    ADMINISTRATOR = "administrator", _("管理员")
    # Reads the case events' audit trail of a region subtree and the configuration history, nothing else
    # (no cases, no organisation, no admin): audit/, docs/SECURITY.md.
    AUDITOR = "auditor", _("审计员")


# Roles that act for a department and therefore need one on their membership.
DEPARTMENT_ROLES = frozenset({StaffRole.HANDLER, StaffRole.DEPARTMENT_HEAD, StaffRole.COORDINATOR})
# Roles that see a whole region subtree (everything taken in or handled below their region).
REGION_ROLES = frozenset({StaffRole.SUPERVISOR, StaffRole.ADMINISTRATOR, StaffRole.COORDINATOR})
# Roles a membership at a province or city may hold: those tiers oversee and do no casework.
OVERSIGHT_ROLES = frozenset({StaffRole.SUPERVISOR, StaffRole.ADMINISTRATOR, StaffRole.AUDITOR})
