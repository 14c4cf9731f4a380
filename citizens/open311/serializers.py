"""GeoReport v2 shapes for the OpenAPI schema (the views build plain data; these only describe it).

Field names are the spec's, one for one. The XML form of each is the same tree (see ``renderers``).
"""

from rest_framework import serializers

from .services import EXPECTATION_ATTRIBUTE, MATTER_KIND_ATTRIBUTE


class Open311ErrorSerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text="通常与 HTTP 状态码相同（400、403、404）。")
    description = serializers.CharField()


class Open311EndpointSerializer(serializers.Serializer):
    specification = serializers.CharField()
    url = serializers.CharField()
    changeset = serializers.CharField()
    type = serializers.ChoiceField(choices=["production", "test"])
    formats = serializers.ListField(child=serializers.CharField())


class Open311DiscoverySerializer(serializers.Serializer):
    changeset = serializers.CharField()
    contact = serializers.CharField()
    key_service = serializers.CharField()
    endpoints = Open311EndpointSerializer(many=True)


class Open311ServiceSerializer(serializers.Serializer):
    service_code = serializers.CharField(help_text="事项类别代码。")
    service_name = serializers.CharField(help_text="事项类别名称。")
    description = serializers.CharField(allow_null=True)
    metadata = serializers.BooleanField()
    type = serializers.ChoiceField(choices=["realtime", "batch", "blackbox"])
    keywords = serializers.CharField(allow_null=True)
    group = serializers.CharField(help_text="顶级事项类别名称。")


class Open311AttributeValueSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class Open311AttributeSerializer(serializers.Serializer):
    variable = serializers.BooleanField()
    code = serializers.CharField()
    datatype = serializers.ChoiceField(
        choices=["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    )
    required = serializers.BooleanField()
    datatype_description = serializers.CharField(allow_null=True)
    order = serializers.IntegerField(min_value=1)
    description = serializers.CharField()
    values = Open311AttributeValueSerializer(many=True)


class Open311ServiceDefinitionSerializer(serializers.Serializer):
    service_code = serializers.CharField()
    attributes = Open311AttributeSerializer(many=True)


class Open311RequestCreatedSerializer(serializers.Serializer):
    service_request_id = serializers.CharField(
        required=False, help_text="受理编号（实时受理时返回；与 token 二者只返回其一）。"
    )
    token = serializers.CharField(
        required=False, help_text="排队受理时返回，用 tokens/{token} 换取受理编号。"
    )
    service_notice = serializers.CharField(allow_null=True)
    account_id = serializers.CharField(allow_null=True)


class Open311TokenSerializer(serializers.Serializer):
    service_request_id = serializers.CharField(allow_null=True, help_text="尚在排队时为 null。")
    token = serializers.CharField()


class Open311ServiceRequestSerializer(serializers.Serializer):
    service_request_id = serializers.CharField(help_text="受理编号。")
    status = serializers.ChoiceField(choices=["open", "closed"])
    status_notes = serializers.CharField(allow_null=True, help_text="中文办理状态，如“办理中”。")
    service_name = serializers.CharField(allow_null=True)
    service_code = serializers.CharField(allow_null=True)
    description = serializers.CharField(
        allow_null=True, help_text="仅已公开到案例库的案件返回（匿名化说明）。"
    )
    agency_responsible = serializers.CharField(allow_null=True, help_text="主办部门名称。")
    service_notice = serializers.CharField(allow_null=True)
    requested_datetime = serializers.DateTimeField()
    updated_datetime = serializers.DateTimeField()
    expected_datetime = serializers.DateTimeField(allow_null=True, help_text="办理时限。")
    address = serializers.CharField(allow_null=True, help_text="不公开（总为 null）。")
    address_id = serializers.CharField(allow_null=True, help_text="不公开（总为 null）。")
    zipcode = serializers.CharField(allow_null=True, help_text="不公开（总为 null）。")
    lat = serializers.FloatField(allow_null=True, help_text="不公开（总为 null）。")
    long = serializers.FloatField(allow_null=True, help_text="不公开（总为 null）。")
    media_url = serializers.CharField(allow_null=True, help_text="不公开（总为 null）。")


def _request_input_fields() -> dict:
    text = serializers.CharField
    return {
        "api_key": text(help_text="接入方的 API 密钥（管理后台发放）。"),
        "jurisdiction_id": text(required=False, help_text="区划代码；须包含接入方的受理窗口。"),
        "service_code": text(help_text="事项类别代码（GET services）。"),
        "lat": serializers.FloatField(required=False, help_text="WGS84 纬度；与 long 同时提供。"),
        "long": serializers.FloatField(required=False, help_text="WGS84 经度；与 lat 同时提供。"),
        "address_string": text(required=False, help_text="地点；无 lat/long 和 address_id 时必填。"),
        "address_id": text(required=False),
        "email": serializers.EmailField(required=False),
        "device_id": text(required=False),
        "account_id": text(required=False),
        "first_name": text(required=False, help_text="名；与 last_name 至少提供一个。"),
        "last_name": text(required=False, help_text="姓。"),
        "phone": text(required=False, help_text="反映人联系电话（必填，中国大陆手机号或固定电话）。"),
        "description": text(max_length=4000, help_text="反映内容（必填）。"),
        "media_url": serializers.URLField(required=False),
        f"attribute[{MATTER_KIND_ATTRIBUTE}]": serializers.ChoiceField(
            choices=["urgent", "difficult", "novel"], required=False, help_text="事项性质：急事/难事/新事。"
        ),
        f"attribute[{EXPECTATION_ATTRIBUTE}]": text(required=False, help_text="诉求。"),
    }


# Field names with brackets (attribute[CODE]) cannot be class attributes: build the class from a dict.
Open311ServiceRequestInputSerializer = type(
    "Open311ServiceRequestInputSerializer", (serializers.Serializer,), _request_input_fields()
)
