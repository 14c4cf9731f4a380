"""Shapes of the public status API, for the OpenAPI schema and input checks of the docs only.

The endpoint itself builds plain dicts (``citizens.lookup.PublicStatus.as_json``): no model serializer on
the hot path. These classes describe exactly what it sends.
"""

from rest_framework import serializers

from cases.choices import CaseStatus, EventKind, Light, RequesterKind


class PublicStatusLookupInputSerializer(serializers.Serializer):
    tracking_number = serializers.CharField(
        max_length=32, help_text="受理编号（回执上的编号）；也可放在请求头 `X-Tracking-Number`。"
    )
    query_code = serializers.CharField(
        required=False,
        max_length=16,
        help_text="回执上的查询码（不区分大小写）；也可放在请求头 `X-Query-Code`。与 `phone_last4` 二选一。",
    )
    phone_last4 = serializers.CharField(
        required=False,
        min_length=4,
        max_length=4,
        help_text="反映人联系电话的后四位；也可放在请求头 `X-Phone-Last4`。与 `query_code` 二选一。",
    )


class PublicTimelineEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EventKind.choices)
    label = serializers.CharField()
    text = serializers.CharField(help_text="面向群众的说明（不含工作人员姓名和个人信息）。")
    department = serializers.CharField(allow_null=True, help_text="相关部门名称（如签收的承办部门）。")
    at = serializers.DateTimeField()


class PublicStatusSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    status_display = serializers.CharField(help_text="状态名称，如“办理中”。")
    status_text = serializers.CharField(help_text="用通俗中文说明的当前进展。")
    is_open = serializers.BooleanField(help_text="未销号、未撤回、未不予受理。")
    department = serializers.CharField(allow_null=True, help_text="当前承办（主办）部门名称。")
    taken_in_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    expected_at = serializers.DateTimeField(allow_null=True, help_text="预计办结时间（办理时限）。")
    expected_provisional = serializers.BooleanField(help_text="时限超出已公布的工作日历，仅供参考。")
    light = serializers.ChoiceField(choices=Light.choices, allow_null=True, help_text="时限灯。")
    light_text = serializers.CharField(allow_null=True)
    timeline = PublicTimelineEntrySerializer(many=True)


class PublicDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class PublicLookupFieldErrorsSerializer(serializers.Serializer):
    tracking_number = serializers.ListField(child=serializers.CharField(), required=False)
    query_code = serializers.ListField(child=serializers.CharField(), required=False)
    phone_last4 = serializers.ListField(child=serializers.CharField(), required=False)
    detail = serializers.CharField(required=False, help_text="请求体无法解析时的说明。")


# --- The online form (网上反映) ------------------------------------------------------------------------


class OnlineSmsCodeInputSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20, help_text="接收验证码的手机号码。")


class OnlineSmsCodeSentSerializer(serializers.Serializer):
    sent = serializers.BooleanField()


class OnlineSubmissionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RequesterKind.choices, help_text="群众或企业。")
    name = serializers.CharField(max_length=100, help_text="姓名或企业名称。")
    phone = serializers.CharField(max_length=20, help_text="手机号码（与获取验证码时相同）。")
    sms_code = serializers.CharField(max_length=6, help_text="短信验证码。")
    id_number = serializers.CharField(required=False, max_length=18, help_text="身份证号码（个人，可不填）。")
    credit_code = serializers.CharField(
        required=False, max_length=18, help_text="统一社会信用代码（企业必填）。"
    )
    contact_name = serializers.CharField(required=False, max_length=50)
    address = serializers.CharField(required=False, max_length=200)
    region = serializers.CharField(max_length=32, help_text="事项所在区划代码（须有受理窗口）。")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField()
    expectation = serializers.CharField(required=False)
    consent = serializers.BooleanField(help_text="已阅读并同意个人信息保护说明。")
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="附件（multipart）。"
    )


class OnlineReceiptSerializer(serializers.Serializer):
    tracking_number = serializers.CharField()
    query_code = serializers.CharField()
    status_url = serializers.CharField()
