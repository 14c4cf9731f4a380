"""Choices of the organisation: tiers, department roles, staff roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    """The three tiers of government that run a window (县镇村三级)."""

    COUNTY = "county", _("县(市、区)")
    TOWN = "town", _("镇(街道)")
    VILLAGE = "village", _("村(社区)")


# Statistical division code length per tier (GB/T 2260 + the National Bureau of Statistics' 12-digit codes).
TIER_CODE_LENGTH = {Tier.COUNTY: 6, Tier.TOWN: 9, Tier.VILLAGE: 12}
TIER_PARENT = {Tier.COUNTY: None, Tier.TOWN: Tier.COUNTY, Tier.VILLAGE: Tier.TOWN}


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
