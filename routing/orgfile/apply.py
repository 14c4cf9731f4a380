"""Importing an organisation file: validate it whole, then write it in one transaction (``organisation_import``).

Invariants:
- Nothing is written unless the whole file is valid; the writes run in one transaction, rolled back for a
  dry run or when the final membership check fails.
- Idempotent: a row is saved only when a field differs from the file (``_sync``), and then only those
  fields, so importing a file twice reports everything ``unchanged`` and leaves ``updated_at`` alone.
- Parents are written before children, whatever the order of the file.
- A listed user's memberships become exactly the file's; nothing else is ever deleted.
- A membership's region is its department's region: when a department moves, its staff move with it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from ..choices import Tier
from ..models import Department, Membership, Region, ServiceWindow
from ..roles import ensure_role_groups
from .parse import parse_org
from .specs import MembershipSpec, OrgError, OrgFile, OrgFileInvalid, UserSpec
from .validate import validate_org

# Parents before children: the tiers top down (``Tier`` lists them in that order).
TIER_ORDER = {tier: position for position, tier in enumerate(Tier.values)}


@dataclass
class ImportResult:
    """What an import did, per kind of object: created / updated / unchanged / deleted counts."""

    counts: dict[str, Counter] = field(
        default_factory=lambda: {
            k: Counter() for k in ("regions", "departments", "windows", "users", "memberships")
        }
    )
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] or c["deleted"] for c in self.counts.values())

    def summary(self) -> str:
        parts = []
        for kind, c in self.counts.items():
            text = f"{kind}: {c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged"
            if kind == "memberships":
                text += f", {c['deleted']} deleted"
            parts.append(text)
        return "\n".join(parts)


def _sync(instance, values: dict[str, Any]) -> bool:
    """Set the fields that differ and save only those (plus updated_at); True when something changed."""
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        update_fields = [*changed, "updated_at"] if hasattr(instance, "updated_at") else changed
        if isinstance(instance, Region) and "parent" in changed:
            update_fields.append("path")
        instance.save(update_fields=update_fields)
    return bool(changed)


def _upsert(model, existing: dict, key: str, values: dict, counter: Counter, lookup: dict) -> None:
    instance = existing.get(key)
    if instance is None:
        lookup[key] = model.objects.create(**values)
        counter["created"] += 1
    else:
        counter["updated" if _sync(instance, values) else "unchanged"] += 1
        lookup[key] = instance


def _apply_units(
    model, specs: list, referenced: set[str], own_fields: tuple[str, ...], counter: Counter, regions: dict
) -> tuple[dict, list]:
    """Upsert the file's departments or windows; the rows by code (file and referenced) and the moved ones.

    A unit is moved when it existed and the file puts it in another region.
    """
    units = model.objects.in_bulk({s.code for s in specs} | referenced, field_name="code")
    existing = dict(units)
    moved = []
    for spec in specs:
        values = {
            "code": spec.code,
            "name": spec.name,
            "region": regions[spec.region],
            **{name: getattr(spec, name) for name in own_fields},
            "is_active": spec.is_active,
        }
        before = existing.get(spec.code)
        old_region_id = before.region_id if before else None
        _upsert(model, existing, spec.code, values, counter, units)
        if before is not None and before.region_id != old_region_id:
            moved.append(before)
    return units, moved


def _apply(org: OrgFile, result: ImportResult, source: str) -> None:
    ensure_role_groups()
    counts = result.counts
    memberships = [m for u in org.users for m in u.memberships]

    region_codes = {r.code for r in org.regions} | {r.parent for r in org.regions if r.parent}
    region_codes |= {s.region for s in [*org.departments, *org.windows]}
    region_codes |= {m.region for m in memberships}
    regions = Region.objects.in_bulk(region_codes, field_name="code")
    existing = dict(regions)
    # Parents before children, whatever the order inside the file.
    for spec in sorted(org.regions, key=lambda s: (TIER_ORDER[s.tier], s.code)):
        parent = regions[spec.parent] if spec.parent else None
        values = {"code": spec.code, "name": spec.name, "tier": spec.tier, "parent": parent}
        _upsert(Region, existing, spec.code, values, counts["regions"], regions)

    departments, moved_departments = _apply_units(
        Department,
        org.departments,
        {m.department for m in memberships if m.department},
        ("role", "contact_phone"),
        counts["departments"],
        regions,
    )
    for department in moved_departments:
        # A membership's region is its department's region: staff move with their department (reported as
        # the department's update; the file's own users are then reconciled below).
        Membership.objects.filter(department=department).exclude(region_id=department.region_id).update(
            region_id=department.region_id
        )
    # Windows move alone: a membership the file does not bring along stays in the old region and fails
    # _check_memberships, which rejects the whole import.
    windows, _moved_windows = _apply_units(
        ServiceWindow,
        org.windows,
        {m.window for m in memberships if m.window},
        ("address", "opening_hours"),
        counts["windows"],
        regions,
    )

    _apply_users(org, counts, regions, departments, windows)
    _check_memberships(org, source)


def _membership_key(role: str | None, department_id: int | None, region_id: int | None) -> tuple:
    # One membership per role and department, or per role and region when it has no department.
    return (role, "d", department_id) if department_id else (role, "r", region_id)


def _user_create(user_model, spec: UserSpec, hashed: dict[str, str]):
    user = user_model(
        username=spec.username,
        first_name=spec.full_name,
        email=spec.email,
        is_active=spec.is_active,
    )
    if spec.password_hash:
        user.password = spec.password_hash
    elif spec.password:
        if spec.password not in hashed:
            hashed[spec.password] = make_password(spec.password)
        user.password = hashed[spec.password]
    else:
        user.set_unusable_password()
    user.save()
    return user


def _user_update(user, spec: UserSpec) -> bool:
    """Bring a user's own fields to the file's (``password`` never: it is only an initial password)."""
    changed = []
    # The file carries one full name; compare with the displayed name so a name split by the admin
    # into first and last name does not count as a change.
    if user.get_full_name() != spec.full_name:
        user.first_name, user.last_name = spec.full_name, ""
        changed += ["first_name", "last_name"]
    for name, value in (("email", spec.email), ("is_active", spec.is_active)):
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if spec.password_hash and user.password != spec.password_hash:
        user.password = spec.password_hash
        changed.append("password")
    if changed:
        user.save(update_fields=changed)
    return bool(changed)


def _memberships_sync(
    user,
    specs: list[MembershipSpec],
    current: list[Membership],
    counter: Counter,
    regions,
    departments,
    windows,
) -> None:
    """Make the user's memberships exactly the file's: keep and update matches, delete the rest, add new."""
    wanted = {}
    for m in specs:
        department = departments[m.department] if m.department else None
        region = regions[m.region]
        wanted[_membership_key(m.role, department.pk if department else None, region.pk)] = {
            "region": region,
            "department": department,
            "window": windows[m.window] if m.window else None,
        }
    for membership in current:
        values = wanted.pop(
            _membership_key(membership.role, membership.department_id, membership.region_id), None
        )
        if values is None:
            membership.delete()
            counter["deleted"] += 1
        else:
            counter["updated" if _sync(membership, values) else "unchanged"] += 1
    for (role, _kind, _pk), values in wanted.items():
        Membership.objects.create(user=user, role=role, **values)
        counter["created"] += 1


def _apply_users(org: OrgFile, counts, regions, departments, windows) -> None:
    user_model = get_user_model()
    users = user_model.objects.in_bulk([u.username for u in org.users], field_name="username")
    current: dict[int, list[Membership]] = {}
    for membership in Membership.objects.filter(user__in=users.values()):
        current.setdefault(membership.user_id, []).append(membership)
    # Hashing is deliberately slow; hash each distinct initial password once per import.
    hashed: dict[str, str] = {}

    for spec in org.users:
        user = users.get(spec.username)
        if user is None:
            user = _user_create(user_model, spec, hashed)
            counts["users"]["created"] += 1
        else:
            counts["users"]["updated" if _user_update(user, spec) else "unchanged"] += 1
        _memberships_sync(
            user,
            spec.memberships,
            current.get(user.pk, []),
            counts["memberships"],
            regions,
            departments,
            windows,
        )


def _check_memberships(org: OrgFile, source: str) -> None:
    """After moving departments or windows, no membership may point at a window of another region."""
    windows = {w.code: w for w in org.windows}
    departments = {d.code: d for d in org.departments}
    users = {u.username: u for u in org.users}
    bad = (
        Membership.objects.filter(
            Q(window__isnull=False) & ~Q(window__region=F("region"))
            | Q(department__isnull=False) & ~Q(department__region=F("region"))
        )
        .filter(
            Q(window__code__in=list(windows))
            | Q(department__code__in=list(departments))
            | Q(user__username__in=list(users))
        )
        .select_related("user", "window", "department")
    )
    errors = []
    for membership in bad:
        spec = (
            windows.get(membership.window.code if membership.window else None)
            or departments.get(membership.department.code if membership.department else None)
            or users.get(membership.user.username)
        )
        errors.append(
            OrgError(
                spec.line if spec else None,
                "region_mismatch",
                _("用户“%(user)s”的岗位与其窗口或部门不在同一区划。") % {"user": membership.user.username},
            )
        )
    if errors:
        raise OrgFileInvalid(errors, source=source)


def organisation_import(*, text: str, source: str = "<string>", dry_run: bool = False) -> ImportResult:
    """Validate an organisation file and apply it in one transaction (rolled back when ``dry_run``).

    Raises ``OrgFileInvalid`` (every error with its line) and writes nothing when the file is invalid.
    """
    org, errors = parse_org(text)
    if org is not None:
        errors += validate_org(org)
    if errors or org is None:
        raise OrgFileInvalid(errors, source=source)
    result = ImportResult(dry_run=dry_run)
    with transaction.atomic():
        _apply(org, result, source)
        if dry_run:
            transaction.set_rollback(True)
    return result
