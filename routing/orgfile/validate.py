"""Validating an organisation file's references: against the file first, then the database.

Invariants:
- A reference (parent, region, department, window) resolves to the file's item when the file lists one and
  to the database row otherwise, so a file may add to an existing organisation and may list a parent after
  its children.
- Every problem is reported with its line, not just the first; items that failed a field check in
  ``parse`` are still checked here (with that field empty), so one run reports both kinds of error.
- A membership's region is filled in from its department or window when the file leaves it out; the
  importer relies on every valid membership having a region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from ..choices import OPTIONAL_PARENT, OVERSIGHT_ROLES, OVERSIGHT_TIERS, TIER_PARENT, Tier
from ..models import Department, Region, ServiceWindow
from ..paths import code_problem, naming_digits
from .specs import MembershipSpec, OrgError, OrgFile, OrgFileInvalid, RegionSpec


@dataclass
class _Known:
    """The state the organisation will have after the import: file items override database rows."""

    region_tier: dict[str, str]
    department_region: dict[str, str]
    window_region: dict[str, str]


def _duplicates(items, key, what: str, errors: list[OrgError]) -> dict:
    first: dict[str, Any] = {}
    for item in items:
        k = getattr(item, key)
        if k in first:
            errors.append(
                OrgError(
                    item.line,
                    "duplicate_code",
                    _("%(what)s“%(code)s”重复（第 %(first)s 行已有）。")
                    % {"what": what, "code": k, "first": first[k].line},
                )
            )
        else:
            first[k] = item
    return first


def _unknown_region(line: int, code: str) -> OrgError:
    return OrgError(line, "unknown_region", _("未知的区划“%(code)s”。") % {"code": code})


def _region_problem(spec: RegionSpec, known: _Known) -> OrgError | None:
    """What is wrong with a region's parent (missing, unknown, of the wrong tier, not a code prefix), if anything."""
    if spec.tier is None:
        return None
    parent_tier = TIER_PARENT[spec.tier]
    if parent_tier is None:
        if spec.parent:
            return OrgError(
                spec.parent_line,
                "tier_parent",
                _("%(tier)s“%(code)s”不能有上级。") % {"tier": Tier(spec.tier).label, "code": spec.code},
            )
        return _code_problem(spec, None)
    if not spec.parent:
        if spec.tier in OPTIONAL_PARENT:
            return _code_problem(spec, None)
        return OrgError(
            spec.line,
            "missing_parent",
            _("%(tier)s“%(code)s”缺少上级区划（parent）。")
            % {"tier": Tier(spec.tier).label, "code": spec.code},
        )
    if spec.parent not in known.region_tier:
        return OrgError(
            spec.parent_line, "unknown_parent", _("未知的上级区划“%(code)s”。") % {"code": spec.parent}
        )
    actual = known.region_tier[spec.parent]
    if actual is not None and actual != parent_tier:
        return OrgError(
            spec.parent_line,
            "tier_parent",
            _("%(tier)s“%(code)s”的上级应为%(parent_tier)s，而“%(parent)s”是%(actual)s。")
            % {
                "tier": Tier(spec.tier).label,
                "code": spec.code,
                "parent_tier": Tier(parent_tier).label,
                "parent": spec.parent,
                "actual": Tier(actual).label,
            },
        )
    return _code_problem(spec, parent_tier)


def _code_problem(spec: RegionSpec, parent_tier: str | None) -> OrgError | None:
    """The code's shape and its nesting in the parent's code (``routing.paths.code_problem``)."""
    assert spec.tier is not None
    problem = code_problem(spec.tier, spec.code, parent_tier, spec.parent if parent_tier else None)
    if problem == "shape":
        return OrgError(
            spec.line,
            "code_shape",
            _("%(tier)s的区划代码应以 %(zeros)s 结尾，而“%(code)s”不是。")
            % {
                "tier": Tier(spec.tier).label,
                "zeros": "0000" if spec.tier == Tier.PROVINCE else "00",
                "code": spec.code,
            },
        )
    if problem == "prefix":
        return OrgError(
            spec.line,
            "code_prefix",
            _("区划代码“%(code)s”应以上级代码“%(parent)s”开头。")
            % {"code": spec.code, "parent": naming_digits(parent_tier or "", spec.parent or "")},
        )
    return None


def _unknown_unit(m: MembershipSpec, kind: str, code: str) -> OrgError:
    if kind == "department":
        return OrgError(
            m.lines["department"], "unknown_department", _("未知的部门“%(code)s”。") % {"code": code}
        )
    return OrgError(m.lines["window"], "unknown_window", _("未知的窗口“%(code)s”。") % {"code": code})


def _unit_elsewhere(m: MembershipSpec, kind: str, code: str, region: str, unit_region: str) -> OrgError:
    if kind == "department":
        # A department fixes the region, so the region written beside it is the line to correct.
        return OrgError(
            m.lines["region"],
            "region_mismatch",
            _("区划“%(region)s”与部门“%(dept)s”所属区划“%(dept_region)s”不一致。")
            % {"region": region, "dept": code, "dept_region": unit_region},
        )
    return OrgError(
        m.lines["window"],
        "region_mismatch",
        _("窗口“%(window)s”不属于区划“%(region)s”。") % {"window": code, "region": region},
    )


def _membership_region(m: MembershipSpec, known: _Known) -> str | OrgError | None:
    """The region a membership lies in once its department and then its window are followed, or its problem."""
    region = m.region
    for kind, code, unit_regions in (
        ("department", m.department, known.department_region),
        ("window", m.window, known.window_region),
    ):
        if not code:
            continue
        if code not in unit_regions:
            return _unknown_unit(m, kind, code)
        unit_region = unit_regions[code]
        if region and unit_region and region != unit_region:
            return _unit_elsewhere(m, kind, code, region, unit_region)
        region = region or unit_region
    if region and region not in known.region_tier:
        return _unknown_region(m.lines["region"], region)
    return region


def orgfile_validate(org: OrgFile, *, source: str = "<string>") -> None:
    """Check every reference of the file: duplicates, parents and tiers, regions, departments, windows.

    References resolve to the file first and then to the database, so a file may add to an existing
    organisation. Raises ``OrgFileInvalid`` listing every problem found.
    """
    errors = validate_org(org)
    if errors:
        raise OrgFileInvalid(errors, source=source)


def validate_org(org: OrgFile) -> list[OrgError]:
    """Every reference error of a parsed file; fills in each valid membership's region as a side effect."""
    # Items that failed a field check are still here (with that field empty), so one run reports the
    # field errors and the reference errors together.
    errors: list[OrgError] = []
    regions = _duplicates(org.regions, "code", _("区划代码"), errors)
    departments = _duplicates(org.departments, "code", _("部门代码"), errors)
    windows = _duplicates(org.windows, "code", _("窗口代码"), errors)
    _duplicates(org.users, "username", _("用户名"), errors)

    referenced_regions = {r.parent for r in org.regions if r.parent}
    referenced_regions |= {d.region for d in org.departments if d.region}
    referenced_regions |= {w.region for w in org.windows if w.region}
    memberships = [m for u in org.users for m in u.memberships]
    referenced_regions |= {m.region for m in memberships if m.region}
    db_departments = dict(
        Department.objects.filter(
            code__in={m.department for m in memberships if m.department} - set(departments)
        ).values_list("code", "region__code")
    )
    db_windows = dict(
        ServiceWindow.objects.filter(
            code__in={m.window for m in memberships if m.window} - set(windows)
        ).values_list("code", "region__code")
    )
    known = _Known(
        region_tier=dict(
            Region.objects.filter(code__in=referenced_regions - set(regions)).values_list("code", "tier")
        ),
        department_region=db_departments,
        window_region=db_windows,
    )
    known.region_tier.update({code: spec.tier for code, spec in regions.items()})
    known.department_region.update({code: spec.region for code, spec in departments.items()})
    known.window_region.update({code: spec.region for code, spec in windows.items()})

    for region_spec in regions.values():
        if (problem := _region_problem(region_spec, known)) is not None:
            errors.append(problem)

    for spec in [*departments.values(), *windows.values()]:
        if spec.region and spec.region not in known.region_tier:
            errors.append(_unknown_region(spec.region_line, spec.region))
        elif spec.region and known.region_tier[spec.region] in OVERSIGHT_TIERS:
            errors.append(
                OrgError(
                    spec.region_line,
                    "oversight_tier",
                    _("部门和受理窗口只能设在县、镇、村三级，“%(code)s”是%(tier)s。")
                    % {"code": spec.region, "tier": Tier(known.region_tier[spec.region]).label},
                )
            )

    for user in org.users:
        seen: dict[tuple, int] = {}
        for m in user.memberships:
            region = _membership_region(m, known)
            if isinstance(region, OrgError):
                errors.append(region)
                continue
            key = (m.role, "d", m.department) if m.department else (m.role, "r", region)
            if key in seen:
                errors.append(
                    OrgError(
                        m.line,
                        "duplicate_membership",
                        _("岗位重复（第 %(first)s 行已有）。") % {"first": seen[key]},
                    )
                )
            seen[key] = m.line
            if region and known.region_tier.get(region) in OVERSIGHT_TIERS and m.role not in OVERSIGHT_ROLES:
                errors.append(
                    OrgError(m.line, "oversight_tier", _("省、市两级只设督办人员、管理员和审计员。"))
                )
            m.region = region
    return errors
