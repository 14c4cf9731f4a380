"""Who may see what: the one place that turns a user's memberships into a scope.

The rule (docs/ARCHITECTURE.md):
- superusers see everything;
- a supervisor, administrator or coordinator of a region sees that region's subtree (a city's or a
  province's is every county in it: its path prefixes theirs, ``routing.paths``);
- a clerk sees what was taken in at windows in their region's subtree;
- department staff (handler, department head) see what is assigned to their department;
- the organisation itself (regions, departments, windows) is readable across the subtrees of all of a
  user's memberships; users are readable inside an administrator's or supervisor's subtree, and oneself;
- an auditor's membership opens only the audit trail of its subtree (``audit_paths``), nothing above.

Every queryset's ``visible_to(user)`` builds on ``scope_for(user)``; objects outside the scope answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from .choices import StaffRole
from .paths import county_path, minimal_paths


@dataclass(frozen=True)
class Scope:
    """The resolved reach of one user; computed once per request from their memberships."""

    is_superuser: bool = False
    # Region paths whose whole subtree the user oversees (supervisor, administrator, coordinator).
    oversight_paths: tuple[str, ...] = ()
    # Region paths whose subtree the user administers (may edit the organisation there).
    admin_paths: tuple[str, ...] = ()
    # Region paths of windows whose intake a clerk sees.
    clerk_paths: tuple[str, ...] = ()
    department_ids: frozenset[int] = field(default_factory=frozenset)
    # Every membership's region path: the organisation is readable below any of them.
    member_paths: tuple[str, ...] = ()
    # Region paths whose audit trail an auditor reads; an auditor's membership gives nothing else.
    audit_paths: tuple[str, ...] = ()
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not (self.is_superuser or self.member_paths)

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or bool(self.roles.intersection(roles))

    def oversees_path(self, path: str) -> bool:
        return self.is_superuser or any(path.startswith(p) for p in self.oversight_paths)

    def administers_path(self, path: str) -> bool:
        return self.is_superuser or any(path.startswith(p) for p in self.admin_paths)

    def administers_county_of(self, path: str) -> bool:
        """Administers the whole county ``path`` lies in (a county administrator of it, or above): what
        it takes to set up the county's coordination centre, whose staff route cases to every bureau and
        whose assignments cannot be returned. A town administrator administers part of a county only."""
        county = county_path(path)
        return self.is_superuser or any(county.startswith(p) for p in self.admin_paths)


def scope_for(user) -> Scope:
    """The user's scope; cached on the user object for the rest of the request (one query)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    cached = getattr(user, "_windowsvc_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(is_superuser=True, roles=frozenset(StaffRole.values))
    else:
        from .models import Membership

        rows = list(
            Membership.objects.filter(user_id=user.pk).values_list("role", "region__path", "department_id")
        )
        oversight, admin, clerk, member, audit = set(), set(), set(), set(), set()
        departments: set[int] = set()
        for role, path, department_id in rows:
            if role == StaffRole.AUDITOR:
                # Not a member of the organisation's daily work: the audit trail only (audit/selectors.py).
                audit.add(path)
                continue
            member.add(path)
            if role in (StaffRole.SUPERVISOR, StaffRole.ADMINISTRATOR, StaffRole.COORDINATOR):
                oversight.add(path)
            if role == StaffRole.ADMINISTRATOR:
                admin.add(path)
            if role == StaffRole.CLERK:
                clerk.add(path)
            if department_id and role in (
                StaffRole.HANDLER,
                StaffRole.DEPARTMENT_HEAD,
                StaffRole.COORDINATOR,
            ):
                departments.add(department_id)
        scope = Scope(
            oversight_paths=minimal_paths(oversight),
            admin_paths=minimal_paths(admin),
            clerk_paths=minimal_paths(clerk),
            department_ids=frozenset(departments),
            member_paths=minimal_paths(member),
            audit_paths=minimal_paths(audit),
            roles=frozenset(role for role, _, _ in rows),
        )
    user._windowsvc_scope = scope
    return scope


def paths_q(field_name: str, paths: tuple[str, ...]) -> Q:
    """``field__startswith`` OR-ed over paths; an empty tuple matches nothing."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field_name}__startswith": path})
    return q
