"""django-filter filter sets of the cases API.

They only narrow querysets that are already scoped (``selectors.case_list_visible``), so a filter can
never reveal a case outside the user's scope: a region code or department id outside it simply matches
nothing more.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField, RangeField
from django_filters.widgets import DateRangeWidget

from routing.choices import Tier
from routing.models import Region

from .choices import (
    TERMINAL_STATUSES,
    CaseStatus,
    Channel,
    Complexity,
    ExtensionStatus,
    HandlingMode,
    Light,
    MatterKind,
    ReasonPurpose,
    ReviewKind,
    ReviewStatus,
)
from .commands import as_utc
from .models import Assignment, Case, Category, Extension, Reason, RefusalReview


def _region_path(code: str) -> str | None:
    return Region.objects.filter(code=code.strip()).values_list("path", flat=True).first()


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 datetime as the same instant in UTC (``cases.commands.as_utc``): an offset PostgreSQL
    does not take, or an instant out of range, is an invalid value (400), not a failing query."""

    def to_python(self, value):
        result = super().to_python(value)
        if result is None or timezone.is_naive(result):
            return result
        try:
            return as_utc(result)
        except ValueError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class UtcIsoDateTimeRangeField(RangeField):
    widget = DateRangeWidget

    def __init__(self, *args, **kwargs):
        super().__init__((UtcIsoDateTimeField(), UtcIsoDateTimeField()), *args, **kwargs)


class UtcIsoDateTimeFromToRangeFilter(django_filters.RangeFilter):
    field_class = UtcIsoDateTimeRangeField


class CaseFilterSet(django_filters.FilterSet):
    """Filters of ``/api/v1/cases/``; ``taken_in_at_after`` / ``taken_in_at_before`` bound the intake time."""

    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices, label=_("状态（可多选）"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("未办结销号（不含不予受理、撤回）"))
    region = django_filters.CharFilter(method="filter_region", label=_("受理区划代码（含下级）"))
    handling_region = django_filters.CharFilter(
        method="filter_handling_region", label=_("当前承办区划代码（含下级）")
    )
    tier = django_filters.ChoiceFilter(field_name="region__tier", choices=Tier.choices, label=_("受理层级"))
    window = django_filters.NumberFilter(field_name="window_id", label=_("受理窗口"))
    department = django_filters.NumberFilter(
        method="filter_department", label=_("当前承办部门（主办或协办）")
    )
    lead_department = django_filters.NumberFilter(field_name="lead_department_id", label=_("当前主办部门"))
    category = django_filters.NumberFilter(method="filter_category", label=_("事项类别（含下级类别）"))
    matter_kind = django_filters.ChoiceFilter(choices=MatterKind.choices, label=_("事项性质"))
    complexity = django_filters.ChoiceFilter(choices=Complexity.choices, label=_("复杂程度"))
    handling_mode = django_filters.ChoiceFilter(choices=HandlingMode.choices, label=_("办理方式"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("来源渠道"))
    green_channel = django_filters.BooleanFilter(label=_("绿色通道"))
    needs_review = django_filters.BooleanFilter(label=_("待督办审核"))
    taken_in_at = UtcIsoDateTimeFromToRangeFilter(label=_("受理时间"))
    q = django_filters.CharFilter(method="filter_search", label=_("搜索（标题、内容、受理编号）"))
    light = django_filters.MultipleChoiceFilter(
        choices=Light.choices, method="filter_light", label=_("时限灯（可多选）")
    )

    class Meta:
        model = Case
        fields = [
            "status",
            "open",
            "region",
            "handling_region",
            "tier",
            "window",
            "department",
            "lead_department",
            "category",
            "matter_kind",
            "complexity",
            "handling_mode",
            "channel",
            "green_channel",
            "needs_review",
            "taken_in_at",
            "q",
            "light",
        ]

    def filter_open(self, queryset, name, value):
        return queryset.open() if value else queryset.filter(status__in=TERMINAL_STATUSES)

    def filter_region(self, queryset, name, value):
        path = _region_path(value)
        return queryset.none() if path is None else queryset.in_subtree(path)

    def filter_handling_region(self, queryset, name, value):
        path = _region_path(value)
        return queryset.none() if path is None else queryset.handled_in_subtree(path)

    def filter_department(self, queryset, name, value):
        current = Assignment.objects.filter(case_id=OuterRef("pk"), department_id=value, is_current=True)
        return queryset.filter(Exists(current))

    def filter_category(self, queryset, name, value):
        # The category tree is a few levels deep: one query per level collects the subtree.
        ids, frontier = {value}, {value}
        while frontier:
            frontier = set(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - ids
            ids |= frontier
        return queryset.filter(category_id__in=sorted(ids))

    def filter_light(self, queryset, name, value):
        # Lights are derived from stored times at read time (Case.objects.with_light), never stored.
        return queryset.with_light().filter(light__in=value) if value else queryset

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(tracking_number__istartswith=value)
        )


class CategoryFilterSet(django_filters.FilterSet):
    """Filters of ``/api/v1/categories/``: search by name or code, the county of any region code."""

    q = django_filters.CharFilter(method="filter_search", label=_("搜索（名称或代码）"))
    county = django_filters.CharFilter(method="filter_county", label=_("区划代码（任一层级，取其所属县）"))
    parent = django_filters.NumberFilter(field_name="parent_id", label=_("上级类别"))
    is_active = django_filters.BooleanFilter(label=_("启用"))

    class Meta:
        model = Category
        fields = ["q", "county", "parent", "is_active"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(code__istartswith=value)) if value else queryset

    def filter_county(self, queryset, name, value):
        path = _region_path(value)
        return queryset.none() if path is None else queryset.for_region_path(path)


class ExtensionFilterSet(django_filters.FilterSet):
    """Filters of ``/api/v1/extensions/``: ``status=requested`` lists the requests waiting for a decision."""

    status = django_filters.ChoiceFilter(choices=ExtensionStatus.choices, label=_("状态"))
    case = django_filters.NumberFilter(field_name="case_id", label=_("案件"))
    department = django_filters.NumberFilter(field_name="department_id", label=_("申请部门"))
    region = django_filters.CharFilter(
        method="filter_region", label=_("区划代码（受理或承办在其下级，含本级）")
    )

    class Meta:
        model = Extension
        fields = ["status", "case", "department", "region"]

    def filter_region(self, queryset, name, value):
        path = _region_path(value)
        if path is None:
            return queryset.none()
        return queryset.filter(
            Q(case__region_path__startswith=path) | Q(case__handling_region_path__startswith=path)
        )


class RefusalReviewFilterSet(django_filters.FilterSet):
    """Filters of ``/api/v1/reviews/``: ``status=pending`` lists the "no"s waiting for a supervisor."""

    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices, label=_("状态"))
    kind = django_filters.ChoiceFilter(choices=ReviewKind.choices, label=_("类型"))
    case = django_filters.NumberFilter(field_name="case_id", label=_("案件"))
    reason = django_filters.CharFilter(field_name="reason__code", label=_("理由代码"))

    class Meta:
        model = RefusalReview
        fields = ["status", "kind", "case", "reason"]


class ReasonFilterSet(django_filters.FilterSet):
    """Filters of ``/api/v1/reasons/``: ``purpose=refusal`` or ``suspension``."""

    purpose = django_filters.ChoiceFilter(choices=ReasonPurpose.choices, label=_("用途"))

    class Meta:
        model = Reason
        fields = ["purpose"]
