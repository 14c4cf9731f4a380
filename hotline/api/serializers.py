"""Shapes of the hotline API for its schema (the services check the input: ``hotline.services.order_clean``)."""

from rest_framework import serializers

from ..choices import RequestType


class WorkOrderInputSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=64, help_text="工单号（同一平台内唯一）")
    requester_name = serializers.CharField(max_length=100, help_text="诉求人")
    contact = serializers.CharField(max_length=24, help_text="联系电话")
    request_type = serializers.ChoiceField(
        choices=RequestType.choices, help_text="诉求类型：值或中文名（咨询/求助/投诉/举报/建议）"
    )
    content = serializers.CharField(help_text="诉求内容")
    location = serializers.CharField(required=False, max_length=300, help_text="事发地点")
    region_code = serializers.CharField(required=False, max_length=32, help_text="所属区划代码")
    due_at = serializers.DateTimeField(required=False, help_text="平台的办理时限（无时区时按北京时间）")
    attachments = serializers.ListField(child=serializers.URLField(), required=False, help_text="附件地址")


class WorkOrderTakenSerializer(serializers.Serializer):
    work_order_number = serializers.CharField()
    tracking_number = serializers.CharField()
    created = serializers.BooleanField(help_text="false：同一工单已受理过（返回原案件）")


class SatisfactionInputSerializer(serializers.Serializer):
    work_order_number = serializers.CharField()
    satisfaction = serializers.CharField(
        help_text="satisfied / basically_satisfied / unsatisfied 或 满意/基本满意/不满意"
    )
    comment = serializers.CharField(required=False, help_text="不满意时必填")


class OkSerializer(serializers.Serializer):
    ok = serializers.BooleanField()


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
