"""Staff roles as Django groups: one group per role, holding that role's model permissions.

The admin and the API both read Django permissions, so mapping roles to groups keeps them on the same
rules. Groups are (re)created after every migrate and a user's groups mirror their memberships.
"""

from django.contrib.auth.models import Group, Permission

from .choices import StaffRole

# Model permissions per role, as "app_label.codename". Scope (which rows) is decided by visible_to();
# these decide which actions a role may take at all.
_ORG_VIEW = [
    "routing.view_region",
    "routing.view_department",
    "routing.view_servicewindow",
    "routing.view_membership",
]
_ORG_ADMIN = [
    *_ORG_VIEW,
    "routing.add_region",
    "routing.change_region",
    "routing.add_department",
    "routing.change_department",
    "routing.add_servicewindow",
    "routing.change_servicewindow",
    "routing.add_membership",
    "routing.change_membership",
    "routing.delete_membership",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    # County-level calendar exceptions and office hours (national days stay superuser-only in the admin).
    "routing.view_workingday",
    "routing.add_workingday",
    "routing.change_workingday",
    "routing.delete_workingday",
    "routing.view_businesshours",
    "routing.add_businesshours",
    "routing.change_businesshours",
    "routing.view_calendarhorizonalert",
    # Cases are read-only in the admin (commands change them); categories are configuration.
    "cases.view_case",
    "cases.view_requester",
    "cases.view_category",
    "cases.add_category",
    "cases.change_category",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    StaffRole.CLERK: list(_ORG_VIEW),
    StaffRole.HANDLER: list(_ORG_VIEW),
    StaffRole.DEPARTMENT_HEAD: list(_ORG_VIEW),
    StaffRole.SUPERVISOR: [*_ORG_VIEW, "auth.view_user"],
    StaffRole.COORDINATOR: [*_ORG_VIEW, "auth.view_user"],
    StaffRole.ADMINISTRATOR: _ORG_ADMIN,
    # The audit trail and the configuration history (audit/), read-only; no organisation, no cases.
    StaffRole.AUDITOR: ["audit.view_audit_trail", "audit.view_chaindigest"],
}

# Roles whose members may enter the Django admin (is_staff), which then limits them to their subtree.
ADMIN_SITE_ROLES = frozenset({StaffRole.ADMINISTRATOR})


def ensure_role_groups() -> dict[str, Group]:
    """Create or update the group of every role with exactly its permissions; idempotent."""
    groups = {}
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)
        groups[role] = group
    return groups


def sync_user_groups(user) -> None:
    """Make the user's role groups and ``is_staff`` mirror their memberships (other groups untouched)."""
    roles = set(user.memberships.values_list("role", flat=True))
    role_groups = Group.objects.filter(name__in=StaffRole.values)
    user.groups.remove(*[g for g in role_groups if g.name not in roles])
    user.groups.add(*[g for g in role_groups if g.name in roles])
    is_staff = user.is_superuser or bool(roles & ADMIN_SITE_ROLES)
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    # The cached scope (routing.scoping) is stale once memberships change.
    if hasattr(user, "_windowsvc_scope"):
        del user._windowsvc_scope
