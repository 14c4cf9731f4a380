"""The Django admin of the organisation, usable by the administrator of a county, a town or a village.

Every admin class here limits its rows to the administrator's subtree (``administered_by``), so an object
outside it is simply absent: its change page answers exactly like a deleted object (a redirect to the admin
index with “不存在” message). Foreign-key choices are limited the same way, so an administrator cannot attach
anything, or grant any membership, outside their subtree, and the fields that could raise a user's rights
(superuser flag, groups, individual permissions, staff flag) are not on their forms: roles come only from
memberships. Superusers see and edit everything.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .choices import DepartmentRole, StaffRole, Tier
from .models import Department, Membership, Region, ServiceWindow
from .querysets import users_administered_by
from .scoping import scope_for

User = get_user_model()


def _administered_choices(model, user):
    """Foreign-key choices for ``model``, limited to what ``user`` administers (None: leave as is)."""
    if model is Region:
        return Region.objects.administered_by(user)
    if model is Department:
        return Department.objects.administered_by(user).select_related("region")
    if model is ServiceWindow:
        return ServiceWindow.objects.administered_by(user).select_related("region")
    if model is User:
        return users_administered_by(user).order_by("username")
    return None


class RegionSubtreeFilter(admin.SimpleListFilter):
    """Filter by a region and everything below it; only regions the viewer administers are offered."""

    title = _("所属区划")
    parameter_name = "subtree"
    # The lookup from the listed model to the region path it is scoped by.
    path_lookup = "region__path"

    def lookups(self, request, model_admin):
        # Villages are leaves and can be hundreds: the search box finds them; the filter lists the levels
        # above, indented by depth.
        regions = Region.objects.administered_by(request.user).exclude(tier=Tier.VILLAGE)
        return [(r.code, "\u3000" * (r.path.count("/") - 2) + f"{r.name}（{r.code}）") for r in regions]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        path = (
            Region.objects.administered_by(request.user)
            .filter(code=self.value())
            .values_list("path", flat=True)
            .first()
        )
        if path is None:
            return queryset.none()
        return self.filter_subtree(queryset, path)

    def filter_subtree(self, queryset, path):
        return queryset.filter(**{f"{self.path_lookup}__startswith": path})


class RegionPathSubtreeFilter(RegionSubtreeFilter):
    title = _("上级区划")
    path_lookup = "path"


class UserRegionSubtreeFilter(RegionSubtreeFilter):
    def filter_subtree(self, queryset, path):
        # A subquery, not a join: a user with several memberships in the subtree is listed once.
        members = Membership.objects.filter(region__path__startswith=path).values("user_id")
        return queryset.filter(pk__in=members)


class UserRoleFilter(admin.SimpleListFilter):
    title = _("角色")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return StaffRole.choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        members = Membership.objects.administered_by(request.user).filter(role=self.value())
        return queryset.filter(pk__in=members.values("user_id"))


class ScopedAdmin(admin.ModelAdmin):
    """Rows, object permissions and foreign-key choices limited to the administrator's subtree.

    ``get_queryset`` is what makes out-of-scope objects identical to missing ones: the admin looks every
    object up through it. The ``has_*_permission`` checks repeat the rule per object as a second line.
    """

    def get_queryset(self, request):
        return super().get_queryset(request).administered_by(request.user)

    def scope_path(self, obj) -> str:
        """The region path that decides who administers ``obj``."""
        return obj.region.path

    def in_scope(self, request, obj) -> bool:
        return obj is None or scope_for(request.user).administers_path(self.scope_path(obj))

    def has_add_permission(self, request):
        scope = scope_for(request.user)
        return super().has_add_permission(request) and (scope.is_superuser or bool(scope.admin_paths))

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.in_scope(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        choices = _administered_choices(db_field.related_model, request.user)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ("name", "code", "tier", "parent")
    list_filter = ("tier", RegionPathSubtreeFilter)
    list_select_related = ("parent",)
    search_fields = ("code", "name")

    def scope_path(self, obj) -> str:
        return obj.path

    def _is_scope_root(self, request, obj) -> bool:
        """The top of the administrator's own subtree: its parent lies outside what they administer."""
        scope = scope_for(request.user)
        return not scope.is_superuser and (
            obj.parent_id is None or not scope.administers_path(obj.parent.path)
        )

    def get_readonly_fields(self, request, obj=None):
        # An administrator may rename their own region but not recode it or hang it elsewhere: that
        # would move their whole subtree (and their own rights) out of where the tier above put it.
        if obj is not None and self._is_scope_root(request, obj):
            return ("code", "tier", "parent")
        return ()

    def has_add_permission(self, request):
        # Only counties and towns have children: a village administrator has nothing to add a region to.
        # Superusers also add counties, which have no parent.
        if not super().has_add_permission(request):
            return False
        return (
            request.user.is_superuser
            or Region.objects.administered_by(request.user).exclude(tier=Tier.VILLAGE).exists()
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "parent":
            field.queryset = field.queryset.exclude(tier=Tier.VILLAGE)
            # Counties (no parent) are created by superusers only.
            field.required = not request.user.is_superuser
        return field


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ("name", "code", "region", "role", "contact_phone", "is_active")
    list_filter = ("region__tier", "role", "is_active", RegionSubtreeFilter)
    list_select_related = ("region",)
    search_fields = ("code", "name", "region__name", "region__code")

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        # A coordination centre is set up by a county administrator (or a superuser) only: others are not
        # offered the role at all (the model's clean keeps it at the county tier for everyone).
        if db_field.name == "role" and not _may_appoint_coordinators(request.user):
            kwargs["choices"] = [c for c in DepartmentRole.choices if c[0] != DepartmentRole.COORDINATOR]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_coordination_centre and not _may_appoint_coordinators(request.user):
            return ("role",)
        return ()


def _may_appoint_coordinators(user) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or any(scope.administers_county_of(p) for p in scope.admin_paths)


@admin.register(ServiceWindow)
class ServiceWindowAdmin(ScopedAdmin):
    list_display = ("name", "code", "region", "address", "opening_hours", "is_active")
    list_filter = ("region__tier", "is_active", RegionSubtreeFilter)
    list_select_related = ("region",)
    search_fields = ("code", "name", "address", "region__name", "region__code")


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    list_display = ("user", "role", "region", "department", "window")
    list_filter = ("role", "region__tier", RegionSubtreeFilter)
    list_select_related = ("user", "region", "department", "window")
    search_fields = (
        "user__username",
        "user__first_name",
        "user__last_name",
        "region__name",
        "region__code",
        "department__name",
    )

    def get_readonly_fields(self, request, obj=None):
        # A membership never moves to another user: the user's groups are synchronised on save, and the
        # old holder (possibly outside the administrator's reach) would keep stale ones.
        return ("user",) if obj is not None else ()


class MembershipInline(admin.TabularInline):
    """A user's memberships on the user page; an administrator sees and edits only those in their subtree."""

    model = Membership
    fk_name = "user"
    fields = ("role", "region", "department", "window")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .administered_by(request.user)
            .select_related("region", "department", "window")
        )

    def _creating_as_administrator(self, request, obj) -> bool:
        return obj is None and not request.user.is_superuser

    def get_min_num(self, request, obj=None, **kwargs):
        # A user created by a tier administrator starts with a membership in that administrator's
        # subtree; without it the new user would be outside their reach the moment it is saved.
        return 1 if self._creating_as_administrator(request, obj) else 0

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if self._creating_as_administrator(request, obj) else 1

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("validate_min", True)
        return super().get_formset(request, obj, **kwargs)

    def _parent_administered(self, request, obj) -> bool:
        return obj is None or users_administered_by(request.user).filter(pk=obj.pk).exists()

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._parent_administered(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._parent_administered(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._parent_administered(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        choices = _administered_choices(db_field.related_model, request.user)
        if choices is not None:
            kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin limited to the users of the administrator's subtree, with their memberships.

    An administrator sees the users holding a membership in their subtree and edits those whose every
    membership lies inside it (never a superuser); rights come only from memberships, so the superuser,
    staff, group and permission fields are left off their forms.
    """

    inlines = [MembershipInline]
    list_display = ("username", "first_name", "last_name", "email", "is_active", "is_staff")
    search_fields = ("username", "first_name", "last_name", "email")
    tier_admin_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("first_name", "last_name", "email")}),
        (_("状态"), {"fields": ("is_active",)}),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        members = Membership.objects.administered_by(request.user).values("user_id")
        return qs.filter(pk__in=members)

    def get_list_filter(self, request):
        filters = ("is_active", UserRoleFilter, UserRegionSubtreeFilter)
        if request.user.is_superuser:
            return ("is_staff", "is_superuser", *filters)
        return filters

    def get_fieldsets(self, request, obj=None):
        if obj is None or request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self.tier_admin_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return ("last_login", "date_joined")
        return ()

    def _administered(self, request, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        cache = request.__dict__.setdefault("_windowsvc_administered_users", {})
        if obj.pk not in cache:
            cache[obj.pk] = users_administered_by(request.user).filter(pk=obj.pk).exists()
        return cache[obj.pk]

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._administered(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._administered(request, obj)


# The working-day calendar's admin lives in its own module (owned with routing/calendar/).
from . import admin_calendar  # noqa: E402, F401
