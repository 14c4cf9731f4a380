"""The online form's API (``/api/public/online/…``): the same services as the page (``citizens.online``).

- ``POST sms-code/`` ``{phone}`` → 202; 400 not a mobile number; 429 past a limit; 503 counters down.
- ``POST submissions/`` (multipart or JSON) with the page's fields (``attachments`` as files) → 201
  ``{tracking_number, query_code, status_url}``; 400 field errors (a wrong code: ``sms_code``).
"""

from __future__ import annotations

from collections.abc import Mapping

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.views import status_page_url
from windowsvc.errors import ValidationFailed

from .. import ratelimit
from ..online import TooManyRequests, online_submit, sms_code_send
from . import serializers as s

_ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="字段错误：{字段: [说明]}。"),
    415: OpenApiResponse(s.PublicDetailSerializer, description="不支持的请求体类型。"),
    429: OpenApiResponse(s.PublicDetailSerializer, description="过于频繁（按手机号、按客户端地址计数）。"),
    503: OpenApiResponse(s.PublicDetailSerializer, description="限流服务不可用（拒绝）。"),
}


def _mapping(data) -> Mapping:
    if not isinstance(data, Mapping):
        raise ValidationFailed({"detail": ["JSON object expected."]})
    return data


def _limited(exc) -> Response:
    if isinstance(exc, TooManyRequests):
        return Response({"detail": "too many requests"}, status=status.HTTP_429_TOO_MANY_REQUESTS)
    return Response({"detail": "unavailable"}, status=status.HTTP_503_SERVICE_UNAVAILABLE)


class _Public(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, MultiPartParser, FormParser]


def _text(data, name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


class SmsCodeView(_Public):
    """Send a one-time code to a mobile number (rate-limited per phone and per address)."""

    @extend_schema(
        operation_id="public_online_sms_code",
        summary="网上反映：获取短信验证码",
        auth=[],
        request={
            "application/json": s.OnlineSmsCodeInputSerializer,
            "application/x-www-form-urlencoded": s.OnlineSmsCodeInputSerializer,
        },
        responses={202: OpenApiResponse(s.OnlineSmsCodeSentSerializer, description="已发送。"), **_ERRORS},
    )
    def post(self, request):
        data = _mapping(request.data)
        try:
            sms_code_send(phone=_text(data, "phone"), address=ratelimit.client_address(request))
        except (TooManyRequests, ratelimit.RateLimitUnavailable) as exc:
            return _limited(exc)
        return Response({"sent": True}, status=status.HTTP_202_ACCEPTED)


class OnlineSubmissionView(_Public):
    """Submit a matter; the case is registered at the chosen region's window."""

    @extend_schema(
        operation_id="public_online_submit",
        summary="网上反映：提交事项",
        auth=[],
        request={
            "application/json": s.OnlineSubmissionInputSerializer,
            "multipart/form-data": s.OnlineSubmissionInputSerializer,
        },
        responses={201: OpenApiResponse(s.OnlineReceiptSerializer, description="已受理：回执。"), **_ERRORS},
    )
    def post(self, request):
        data = _mapping(request.data)
        consent = data.get("consent")
        try:
            submitted = online_submit(
                requester={
                    name: _text(data, name)
                    for name in (
                        "kind",
                        "name",
                        "phone",
                        "id_number",
                        "credit_code",
                        "contact_name",
                        "address",
                    )
                },
                region=_text(data, "region"),
                title=_text(data, "title"),
                description=_text(data, "description"),
                expectation=_text(data, "expectation"),
                consent=consent is True or str(consent).lower() in ("true", "1", "on", "yes"),
                sms_code=_text(data, "sms_code"),
                files=request.FILES.getlist("attachments"),
                address=ratelimit.client_address(request),
            )
        except (TooManyRequests, ratelimit.RateLimitUnavailable) as exc:
            return _limited(exc)
        case = submitted.case
        return Response(
            {
                "tracking_number": case.tracking_number,
                "query_code": case.query_code,
                "status_url": status_page_url(case),
            },
            status=status.HTTP_201_CREATED,
        )
