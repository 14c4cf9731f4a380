"""Output shapes of the supervision API: read-only numbers, and the answer of 催办 / 督办."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.api.serializers import CaseListSerializer, DepartmentRefSerializer, RegionRefSerializer
from cases.choices import Light, MatterKind
from routing.choices import Tier

from ..selectors import OVERDUE_SORTS


class RegionCountsSerializer(serializers.Serializer):
    region = RegionRefSerializer()
    open = serializers.IntegerField()
    red = serializers.IntegerField()
    yellow = serializers.IntegerField()


class PeriodNumbersSerializer(serializers.Serializer):
    period = serializers.CharField(source="period.key")
    taken_in = serializers.IntegerField()
    resolved = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)


class DepartmentStatsSerializer(serializers.Serializer):
    """One unit's numbers: a department's, or (``region`` set, ``department`` null) a county's or city's,
    summed over its departments, in the rankings of a city or province."""

    department = DepartmentRefSerializer(allow_null=True)
    region = RegionRefSerializer(allow_null=True, help_text=_("市、省排名中的区划（部门排名中为空）"))
    open = serializers.IntegerField()
    overdue_now = serializers.IntegerField()
    yellow_now = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)
    resolved = serializers.IntegerField()
    median_days = serializers.FloatField(allow_null=True, help_text=_("办理用时中位数（工作日）"))
    p90_days = serializers.FloatField(allow_null=True, help_text=_("办理用时90分位（工作日）"))
    returned = serializers.IntegerField()
    transferred = serializers.IntegerField()
    reopened = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    basically_satisfied = serializers.IntegerField()
    unsatisfied = serializers.IntegerField()
    satisfaction_rate = serializers.FloatField(allow_null=True)
    in_scope = serializers.IntegerField(help_text=_("考核案件：本期到期的已定案件与跨月超期未办结案件"))
    carried = serializers.IntegerField(help_text=_("此前到期、本期仍超期未办结的案件"))
    overdue_days = serializers.DecimalField(max_digits=10, decimal_places=2, help_text=_("超期工作日合计"))
    timeliness = serializers.DecimalField(max_digits=7, decimal_places=4, allow_null=True)


class RankedSerializer(serializers.Serializer):
    department = DepartmentRefSerializer(allow_null=True)
    region = RegionRefSerializer(source="stats.region", allow_null=True, help_text=_("市、省排名中的区划"))
    rank = serializers.IntegerField(allow_null=True)
    score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    components = serializers.DictField(
        child=serializers.DecimalField(max_digits=7, decimal_places=4, allow_null=True)
    )
    weights = serializers.DictField(
        child=serializers.DecimalField(max_digits=7, decimal_places=4),
        help_text=_("得分实际使用的权重（缺少数据的项不计入，其余按比例折算）"),
    )
    missing = serializers.ListField(child=serializers.CharField(), help_text=_("缺少数据、未计入得分的项"))
    red_flag = serializers.BooleanField()
    snail = serializers.BooleanField()
    red_card = serializers.BooleanField()
    stats = DepartmentStatsSerializer()


class TierRankingSerializer(serializers.Serializer):
    tier = serializers.CharField()
    label = serializers.CharField()
    of_regions = serializers.BooleanField(help_text=_("true：市、省对所辖区划的排名；false：部门排名"))
    lines = RankedSerializer(many=True)


class DashboardSerializer(serializers.Serializer):
    """Open work of the region now (by status and light, per child region) and the period's numbers."""

    region = RegionRefSerializer(source="node.region")
    trail = RegionRefSerializer(source="node.trail", many=True)
    open = serializers.IntegerField(source="counts.open")
    by_status = serializers.SerializerMethodField()
    by_light = serializers.DictField(source="counts.by_light", child=serializers.IntegerField())
    children = serializers.SerializerMethodField()
    regions = TierRankingSerializer(
        many=True, help_text=_("市、省：所辖区划本期排名及当前在办、超期（县及以下为空）")
    )
    period = PeriodNumbersSerializer(source="summary")

    def get_by_status(self, obj) -> dict[str, int]:
        return {value: count for value, _label, count in obj["counts"].by_status}

    def get_children(self, obj) -> list[dict]:
        return RegionCountsSerializer(
            [
                {"region": c.region, "open": c.open, "red": c.red, "yellow": c.yellow}
                for c in obj["counts"].children
            ],
            many=True,
        ).data


class ActionMarksSerializer(serializers.Serializer):
    """催办 / 督办 a case has had so far (by a supervisor or the deadline sweep): counts and the latest."""

    urged = serializers.IntegerField(read_only=True)
    urged_last = serializers.DateTimeField(read_only=True, allow_null=True)
    supervised = serializers.IntegerField(read_only=True)
    supervised_last = serializers.DateTimeField(read_only=True, allow_null=True)


class OverdueCaseSerializer(CaseListSerializer):
    """A row of the overdue list: the case row, its deadline, whole working days overdue and its
    催办 / 督办 so far."""

    days_overdue = serializers.IntegerField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True)
    action_marks = ActionMarksSerializer(read_only=True)

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            *(name for name in ("due_at", "days_overdue") if name not in CaseListSerializer.Meta.fields),
            "action_marks",
        ]


class OverdueQuerySerializer(serializers.Serializer):
    """Query parameters of ``/api/v1/supervision/overdue/`` (besides ``region``): the overdue page's filters,
    with the same bounds (``supervision.forms.OverdueFilterForm``); a value out of them answers 400."""

    light = serializers.ChoiceField(
        choices=[Light.RED, Light.YELLOW], required=False, help_text=_("不填则红灯和黄灯")
    )
    min_days = serializers.IntegerField(
        min_value=0, max_value=365, required=False, help_text=_("超期至少（工作日）")
    )
    sort = serializers.ChoiceField(choices=list(OVERDUE_SORTS), required=False, default="due")
    lead_department = serializers.IntegerField(min_value=1, required=False)
    category = serializers.IntegerField(min_value=1, required=False)
    tier = serializers.ChoiceField(choices=Tier.choices, required=False)
    matter_kind = serializers.ChoiceField(choices=MatterKind.choices, required=False)

    FILTERS = ("lead_department", "category", "tier", "matter_kind")


class ActionResultSerializer(serializers.Serializer):
    """The answer of the deprecated ``/api/v1/supervision/cases/{id}/urge|supervise/`` (their input is the
    cases API's: ``cases.api.serializers.command_input_serializer``)."""

    case = serializers.IntegerField(source="case_id")
    event = serializers.IntegerField(source="pk")
    kind = serializers.CharField()
    sequence = serializers.IntegerField()
