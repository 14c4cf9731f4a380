"""Exporting the organisation as an organisation file (``organisation_export``).

Invariants:
- The output imports as it is: importing it on an empty database and exporting again gives the same text
  (a stable order everywhere, and fields at their import default are left out rather than written).
- A region subtree export still imports on its own: it carries the subtree's ancestors (regions only).
- Password hashes leave the database only when asked for.
"""

from __future__ import annotations

from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.db.models import Q

from ..choices import DepartmentRole, StaffRole
from ..models import Department, Membership, Region, ServiceWindow
from .specs import FORMAT_VERSION

ROLE_ORDER = {role: i for i, role in enumerate(StaffRole.values)}


class _Flow(dict):
    """A mapping written on one line (memberships), to keep the file readable."""


class _OrgDumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        # Indent list items under their key, as people write YAML by hand.
        return super().increase_indent(flow, False)


_OrgDumper.add_representer(
    _Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)


def _membership_sort_key(m: Membership):
    return (ROLE_ORDER.get(m.role, 99), m.region.path, m.department.code if m.department else "", m.pk)


def _set_unless_default(item: dict, **fields: tuple[Any, Any]) -> None:
    """Add each ``key=(value, default)`` whose value is not its default; the import restores the default."""
    for key, (value, default) in fields.items():
        if value != default:
            item[key] = value


def _membership_entry(m: Membership) -> _Flow:
    entry = _Flow(role=m.role)
    # The department names the region, so a department membership does not repeat it.
    if m.department_id:
        entry["department"] = m.department.code
    else:
        entry["region"] = m.region.code
    if m.window_id:
        entry["window"] = m.window.code
    return entry


def organisation_export(*, region_code: str | None = None, include_password_hashes: bool = False) -> str:
    """The organisation as an import file; importing it on an empty database and exporting gives the same text.

    With ``region_code`` only that region's subtree is written, together with its ancestors (regions only,
    so the file imports on its own), and only the users whose every membership lies inside the subtree.
    Users without memberships (such as superusers) are not part of the organisation and are left out.
    Password hashes are written only on request.
    """
    regions = Region.objects.select_related("parent")
    root = None
    if region_code:
        root = Region.objects.get(code=region_code)
        # Every region up the parent chain (a county's city and province too, which its path does not name).
        ancestor_codes, above = [], root
        while above.parent_id:
            above = above.parent
            ancestor_codes.append(above.code)
        regions = regions.filter(Q(path__startswith=root.path) | Q(code__in=ancestor_codes))
    departments = Department.objects.select_related("region")
    windows = ServiceWindow.objects.select_related("region")
    memberships = Membership.objects.select_related("region", "department", "window")
    if root is not None:
        departments = departments.filter(region__path__startswith=root.path)
        windows = windows.filter(region__path__startswith=root.path)

    data: dict[str, Any] = {
        "version": int(FORMAT_VERSION),
        "regions": [],
        "departments": [],
        "windows": [],
        "users": [],
    }
    for region in regions.order_by("path"):
        item = _Flow(code=region.code, name=region.name, tier=region.tier)
        if region.parent_id:
            item["parent"] = region.parent.code
        data["regions"].append(item)
    for department in departments.order_by("region__path", "code"):
        item = {"code": department.code, "name": department.name, "region": department.region.code}
        _set_unless_default(
            item,
            role=(department.role, DepartmentRole.HANDLING),
            contact_phone=(department.contact_phone, ""),
            active=(department.is_active, True),
        )
        data["departments"].append(item)
    for window in windows.order_by("region__path", "code"):
        item = {"code": window.code, "name": window.name, "region": window.region.code}
        _set_unless_default(
            item,
            address=(window.address, ""),
            opening_hours=(window.opening_hours, ""),
            active=(window.is_active, True),
        )
        data["windows"].append(item)

    by_user: dict[int, list[Membership]] = {}
    for membership in memberships:
        by_user.setdefault(membership.user_id, []).append(membership)
    for user in get_user_model().objects.filter(pk__in=by_user).order_by("username"):
        user_memberships = sorted(by_user[user.pk], key=_membership_sort_key)
        if root is not None and not all(m.region.path.startswith(root.path) for m in user_memberships):
            continue
        item: dict[str, Any] = {"username": user.username}
        _set_unless_default(
            item,
            full_name=(user.get_full_name(), ""),
            email=(user.email, ""),
            active=(user.is_active, True),
        )
        if include_password_hashes and user.has_usable_password():
            item["password_hash"] = user.password
        item["memberships"] = [_membership_entry(m) for m in user_memberships]
        data["users"].append(item)

    body = yaml.dump(data, Dumper=_OrgDumper, allow_unicode=True, sort_keys=False, width=1000)
    header = "# windowsvc organisation file (manage.py export_org); import with manage.py import_org\n"
    return header + body
