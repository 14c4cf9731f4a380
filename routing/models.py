"""The organisation: regions (province → city → county → town → village), departments, service windows,
staff memberships.

Invariants:
- ``Region.path`` is the chain of codes from the county down to the region (``/330681/330681001/``), or a
  city's / province's naming digits (``/3306``, ``/33``): a prefix of every path in the subtree
  (``routing.paths``), maintained on save, so a subtree is one indexed prefix query whatever the depth.
- A membership's region is the department's region when a department is set.
- This app never imports ``cases``.
"""

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from windowsvc.models import TimeStampedModel, history_trackers

from . import paths
from .choices import (
    DEPARTMENT_ROLES,
    OPTIONAL_PARENT,
    OVERSIGHT_ROLES,
    OVERSIGHT_TIERS,
    SUBREGION_TIER,
    TIER_CODE_LENGTH,
    TIER_PARENT,
    DepartmentRole,
    StaffRole,
    Tier,
)
from .querysets import DepartmentQuerySet, MembershipQuerySet, RegionQuerySet, ServiceWindowQuerySet


@pghistory.track(*history_trackers(), exclude=["updated_at"])
class Region(TimeStampedModel):
    """A node of the administrative tree (行政区划): a province, a city, a county, a town (镇/街道) or a
    village (村/社区).

    The code is the national statistical division code: 6 digits for a province (330000), a city (330600)
    and a county, 9 for a town, 12 for a village; every code starts with its parent's naming digits. A
    village's parent is a town, a town's a county; a county's parent is a city and a city's a province, both
    optional (one county can run alone). Province and city oversee (supervisors, administrators, auditors;
    dashboards and rankings of their counties); windows and departments sit at the county and below.
    The stored path follows ``routing.paths.region_path``: a prefix of every path in the subtree.
    """

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    tier = models.CharField(_("层级"), max_length=10, choices=Tier.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # unique=True also gives PostgreSQL a varchar_pattern_ops index, so prefix (subtree) queries use it.
    path = models.CharField(_("路径"), max_length=64, editable=False, unique=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        expected_length = TIER_CODE_LENGTH.get(self.tier)
        if self.code and (not self.code.isdigit() or len(self.code) != expected_length):
            errors["code"] = _("%(tier)s的区划代码应为 %(n)s 位数字。") % {
                "tier": Tier(self.tier).label if self.tier in Tier.values else self.tier,
                "n": expected_length,
            }
        parent_tier = TIER_PARENT.get(self.tier)
        if parent_tier is None and self.parent_id:
            errors["parent"] = _("%(tier)s没有上级。") % {"tier": Tier(self.tier).label}
        elif parent_tier is not None:
            if not self.parent_id:
                if self.tier not in OPTIONAL_PARENT:
                    errors["parent"] = _("请选择上级区划。")
            elif self.parent.tier != parent_tier:
                errors["parent"] = _("上级区划的层级应为%(tier)s。") % {"tier": Tier(parent_tier).label}
        if "code" not in errors and self.code and self.tier in Tier.values:
            parent = self.parent if self.parent_id and "parent" not in errors else None
            problem = paths.code_problem(
                self.tier, self.code, parent.tier if parent else None, parent.code if parent else None
            )
            if problem == "shape":
                errors["code"] = _("%(tier)s的区划代码应以 %(zeros)s 结尾。") % {
                    "tier": Tier(self.tier).label,
                    "zeros": "0000" if self.tier == Tier.PROVINCE else "00",
                }
            elif problem == "prefix":
                errors["code"] = _("区划代码应以上级区划的代码“%(prefix)s”开头。") % {
                    "prefix": paths.naming_digits(parent.tier, parent.code)  # type: ignore[union-attr]
                }
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # The path is derived from the tier, code and parent (``paths.region_path``); a region never changes
        # parent after creation in practice, but a changed code or parent rewrites the subtree's paths below.
        old_path = self.path
        self.path = paths.region_path(self.tier, self.code, self.parent.path if self.parent_id else None)
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            for child in (
                Region.objects.filter(path__startswith=old_path).exclude(pk=self.pk).order_by("path")
            ):
                child.save(update_fields=["path"])

    @property
    def is_above_county(self) -> bool:
        """A province or a city: oversees counties, runs no window, holds no department."""
        return self.tier in OVERSIGHT_TIERS

    def subregions(self):
        """The regions one tier down, for dashboards and rankings: a province's cities, a city's counties
        (every county whose code lies in the city, with or without the city set as its parent, since their
        cases are in the city's scope either way), a county's towns, a town's villages."""
        below = SUBREGION_TIER.get(self.tier)
        if below is None:
            return self.children.all()
        return Region.objects.filter(tier=below, path__startswith=self.path)

    @property
    def county_code(self) -> str:
        """The code of the county this region lies in (its own code for a county)."""
        return paths.county_code(self.path)

    @property
    def county_path(self) -> str:
        """The stored path of the county this region lies in (its own path for a county)."""
        return paths.county_path(self.path)

    @property
    def path_prefixes(self) -> list[str]:
        """The stored paths of this region and of every region above it, county first."""
        return paths.path_prefixes(self.path)

    @property
    def ancestor_paths(self) -> list[str]:
        """Like ``path_prefixes`` but from the province down (``paths.ancestor_paths``)."""
        return paths.ancestor_paths(self.path)


@pghistory.track(*history_trackers(), exclude=["updated_at"])
class Department(TimeStampedModel):
    """A unit that handles cases (业务部门): a county bureau, a town office or a village committee.

    The county's coordination centre (县行政服务中心) is a department with ``role=coordinator``.
    """

    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="departments"
    )
    code = models.CharField(_("部门代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    role = models.CharField(
        _("职能"), max_length=16, choices=DepartmentRole.choices, default=DepartmentRole.HANDLING
    )
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["region__path", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_coordination_centre(self) -> bool:
        return self.role == DepartmentRole.COORDINATOR

    def clean(self) -> None:
        # Only the county's own centre coordinates: a coordinator of a town would route town cases to
        # county bureaus with returns refused (docs/SECURITY.md, tier boundaries).
        if self.region_id and self.region.is_above_county:
            raise ValidationError({"region": _("部门只能设在县、镇、村三级。")})
        if self.role == DepartmentRole.COORDINATOR and self.region_id and self.region.tier != Tier.COUNTY:
            raise ValidationError({"role": _("只有县级行政服务中心可以是协调中心。")})


@pghistory.track(*history_trackers(), exclude=["updated_at"])
class ServiceWindow(TimeStampedModel):
    """A “办不成事”反映窗口: the counter (physical or online) where cases are taken in."""

    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="windows"
    )
    code = models.CharField(_("窗口代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    opening_hours = models.CharField(_("办公时间"), max_length=100, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = ServiceWindowQuerySet.as_manager()

    class Meta:
        verbose_name = _("受理窗口")
        verbose_name_plural = _("受理窗口")
        ordering = ["region__path", "code"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.region_id and self.region.is_above_county:
            raise ValidationError({"region": _("受理窗口只能设在县、镇、村三级。")})


@pghistory.track(*history_trackers(), exclude=["updated_at"])
class Membership(TimeStampedModel):
    """One role of one staff user in one region and, for department roles, one department.

    Invariants: department roles (handler, department head, coordinator) carry a department, and the
    membership's region is then that department's region; the user's Django groups mirror their roles.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=20, choices=StaffRole.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="memberships"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    window = models.ForeignKey(
        ServiceWindow,
        verbose_name=_("窗口"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        ordering = ["user_id", "region__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=models.Q(department__isnull=False),
                name="routing_membership_unique_department",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                condition=models.Q(department__isnull=True),
                name="routing_membership_unique_region",
            ),
        ]

    def __str__(self) -> str:
        where = self.department or self.region
        return f"{self.user} · {self.get_role_display()} · {where}"

    def clean(self) -> None:
        errors = {}
        if self.role in DEPARTMENT_ROLES and not self.department_id:
            errors["department"] = _("该角色需要选择部门。")
        elif self.role == StaffRole.COORDINATOR and not self.department.is_coordination_centre:
            errors["department"] = _("协调员只能属于县协调中心。")
        if self.department_id and self.region_id and self.department.region_id != self.region_id:
            errors["region"] = _("区划应与所选部门的区划一致。")
        if self.window_id and self.region_id and self.window.region_id != self.region_id:
            errors["window"] = _("窗口应属于所选区划。")
        if self.region_id and self.region.is_above_county and self.role not in OVERSIGHT_ROLES:
            errors["role"] = _("省、市两级只设督办人员、管理员和审计员。")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.department_id and not self.region_id:
            self.region_id = self.department.region_id
        super().save(*args, **kwargs)


__all__ = ["Department", "DepartmentRole", "Membership", "Region", "ServiceWindow", "StaffRole", "Tier"]

# The working-day calendar's models live in their own module; importing it here registers them with the app.
from .calendar.models import BusinessHours, CalendarHorizonAlert, WorkingDay  # noqa: E402

__all__ += ["BusinessHours", "CalendarHorizonAlert", "WorkingDay"]
