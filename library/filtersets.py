"""Filters of the library (staff page and ``/api/v1/writeups/``). They only narrow querysets that are
already scoped (``selectors.writeup_list_visible``): a region or department outside the user's scope
matches nothing more. ``q`` is the word search of ``library.search`` and orders by relevance."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from routing.models import Region

from . import search
from .choices import WriteUpStatus
from .models import BlockerType


class WriteUpFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("搜索（按词）"))
    status = django_filters.MultipleChoiceFilter(choices=WriteUpStatus.choices, label=_("状态"))
    category = django_filters.NumberFilter(field_name="category_id", label=_("事项类别"))
    department = django_filters.NumberFilter(method="filter_department", label=_("涉及部门"))
    region = django_filters.CharFilter(method="filter_region", label=_("区划代码（含下级）"))
    blocker_type = django_filters.ModelChoiceFilter(
        queryset=BlockerType.objects.all(), to_field_name="code", label=_("卡点类型")
    )
    year = django_filters.NumberFilter(field_name="year", label=_("办结年度"))
    typical = django_filters.BooleanFilter(field_name="typical", label=_("典型案例"))

    def filter_search(self, queryset, name, value):
        return search.ranked(queryset, "search_tokens", value) if value.strip() else queryset

    def filter_department(self, queryset, name, value):
        return queryset.filter(Q(lead_department_id=value) | Q(departments__id=value)).distinct()

    def filter_region(self, queryset, name, value):
        path = Region.objects.filter(code=value.strip()).values_list("path", flat=True).first()
        if path is None:
            return queryset.none()
        return queryset.filter(Q(region_path__startswith=path) | Q(handling_region_path__startswith=path))
