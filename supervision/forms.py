"""Forms of the supervision pages: the overdue list's filters, the period pickers and the action forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.choices import Light, MatterKind
from cases.models import Category
from routing.choices import Tier

from .selectors import OVERDUE_SORTS, Node, node_departments

LIGHT_CHOICES = [
    ("", _("红灯和黄灯")),
    (Light.RED.value, _("仅超期（红灯）")),
    (Light.YELLOW.value, _("仅临期（黄灯）")),
]
SORT_CHOICES = [
    ("due", _("超期最久在前")),
    ("-due", _("时限最晚在前")),
    ("taken", _("受理最早在前")),
    ("-taken", _("受理最晚在前")),
    ("department", _("按主办部门")),
    ("category", _("按事项类别")),
    ("number", _("按受理编号")),
]
assert {key for key, _label in SORT_CHOICES} == set(OVERDUE_SORTS)


class OverdueFilterForm(forms.Form):
    """Filters of the overdue list; choices limited to the region's departments and its county's categories."""

    light = forms.ChoiceField(label=_("时限灯"), choices=LIGHT_CHOICES, required=False)
    department = forms.TypedChoiceField(label=_("主办部门"), coerce=int, required=False, empty_value=None)
    category = forms.TypedChoiceField(label=_("事项类别"), coerce=int, required=False, empty_value=None)
    tier = forms.ChoiceField(
        label=_("受理层级"), choices=[("", _("全部层级")), *Tier.choices], required=False
    )
    matter_kind = forms.ChoiceField(
        label=_("事项性质"), choices=[("", _("全部性质")), *MatterKind.choices], required=False
    )
    min_days = forms.IntegerField(label=_("超期至少（工作日）"), min_value=0, max_value=365, required=False)
    sort = forms.ChoiceField(label=_("排序"), choices=SORT_CHOICES, required=False)

    def __init__(self, *args, node: Node, **kwargs):
        super().__init__(*args, **kwargs)
        self.node = node
        departments = node_departments(node=node)
        self.fields["department"].choices = [("", _("全部部门"))] + [
            (d.pk, f"{d.region.name} · {d.name}") for d in departments
        ]
        categories = (
            Category.objects.for_region_path(node.path).order_by("code").values_list("pk", "code", "name")
        )
        self.fields["category"].choices = [("", _("全部类别"))] + [
            (pk, f"{code} {name}") for pk, code, name in categories
        ]

    def values(self) -> dict:
        """Cleaned values (empty when invalid: an invalid filter shows the whole list, with its errors)."""
        return self.cleaned_data if self.is_valid() else {}

    def case_filters(self) -> dict:
        """The part that ``cases.filtersets.CaseFilterSet`` applies."""
        values = self.values()
        filters = {}
        if values.get("department"):
            filters["lead_department"] = values["department"]
        if values.get("category"):
            filters["category"] = values["category"]
        if values.get("tier"):
            filters["tier"] = values["tier"]
        if values.get("matter_kind"):
            filters["matter_kind"] = values["matter_kind"]
        return filters

    def lights(self) -> tuple[str, ...]:
        light = self.values().get("light")
        return (light,) if light else (Light.RED.value, Light.YELLOW.value)


class ActionForm(forms.Form):
    """催办 / 督办 from the dashboard: a reason, and for 督办 optionally its own limit in working days."""

    reason = forms.CharField(label=_("事由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    days = forms.IntegerField(label=_("督办时限（工作日）"), min_value=1, max_value=30, required=False)
