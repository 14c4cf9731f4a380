"""django-filter filter sets of the organisation API.

``subtree=<division code>`` means “this region and everything below it”. The code is looked up among the
regions the user may see, so a code outside the scope filters to nothing, exactly like an unknown code.
Filters on a user's memberships look only at memberships the viewer may see, so filtering cannot reveal
a role someone holds outside the viewer's scope.
"""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import DepartmentRole, StaffRole, Tier
from .models import Department, Membership, Region, ServiceWindow

User = get_user_model()


def _visible_region_path(request, code: str) -> str | None:
    user = request.user if request is not None else None
    return Region.objects.visible_to(user).filter(code=code).values_list("path", flat=True).first()


class _SubtreeFilterSet(django_filters.FilterSet):
    """Adds ``subtree`` (a region code and its descendants) and ``q`` (search) to a filter set."""

    # The lookup from the filtered model to the region path it belongs under.
    subtree_path = "region__path"
    search_fields: tuple[str, ...] = ("code", "name")

    subtree = django_filters.CharFilter(method="filter_subtree", label=_("区划代码（含下级）"))
    q = django_filters.CharFilter(method="filter_search", label=_("搜索"))

    def filter_subtree(self, queryset, name, value):
        path = _visible_region_path(self.request, value)
        if path is None:
            return queryset.none()
        return self.in_subtree(queryset, path)

    def in_subtree(self, queryset, path):
        return queryset.filter(**{f"{self.subtree_path}__startswith": path})

    def filter_search(self, queryset, name, value):
        q = Q()
        for field in self.search_fields:
            q |= Q(**{f"{field}__icontains": value})
        return queryset.filter(q)


class RegionFilterSet(_SubtreeFilterSet):
    subtree_path = "path"
    tier = django_filters.ChoiceFilter(choices=Tier.choices, label=_("层级"))
    parent = django_filters.CharFilter(field_name="parent__code", label=_("上级区划代码"))

    class Meta:
        model = Region
        fields = ["code", "tier", "parent"]


class DepartmentFilterSet(_SubtreeFilterSet):
    region = django_filters.CharFilter(field_name="region__code", label=_("所属区划代码"))
    tier = django_filters.ChoiceFilter(field_name="region__tier", choices=Tier.choices, label=_("层级"))
    role = django_filters.ChoiceFilter(choices=DepartmentRole.choices, label=_("职能"))

    class Meta:
        model = Department
        fields = ["code", "region", "tier", "role", "is_active"]


class ServiceWindowFilterSet(_SubtreeFilterSet):
    search_fields = ("code", "name", "address")
    region = django_filters.CharFilter(field_name="region__code", label=_("所属区划代码"))
    tier = django_filters.ChoiceFilter(field_name="region__tier", choices=Tier.choices, label=_("层级"))

    class Meta:
        model = ServiceWindow
        fields = ["code", "region", "tier", "is_active"]


class UserFilterSet(_SubtreeFilterSet):
    """Staff users by where and as what they work; each filter looks at the visible memberships."""

    search_fields = ("username", "first_name", "last_name", "email")
    role = django_filters.ChoiceFilter(choices=StaffRole.choices, method="filter_role", label=_("角色"))
    department = django_filters.NumberFilter(method="filter_department", label=_("部门"))

    class Meta:
        model = User
        fields = ["is_active"]

    def _with_membership(self, queryset, **lookups):
        memberships = Membership.objects.visible_to(self.request.user).filter(**lookups)
        return queryset.filter(pk__in=memberships.values("user_id"))

    def in_subtree(self, queryset, path):
        return self._with_membership(queryset, region__path__startswith=path)

    def filter_role(self, queryset, name, value):
        return self._with_membership(queryset, role=value)

    def filter_department(self, queryset, name, value):
        return self._with_membership(queryset, department_id=value)
