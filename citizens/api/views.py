"""The public status API: ``POST /api/public/status/`` (anonymous; the only door besides the pages).

Hot path, built to serve thousands of lookups a second: no authentication, no session, no DRF model
serializer — a shape check, one Redis round trip for the rate limits, one indexed query by tracking
number (the public timeline aggregated in it), and plain JSON. The secret travels in the body or a header,
never in the URL (URLs end up in logs, histories and referrers).

Answers:
- 200 the public status (``citizens.lookup.PublicStatus``);
- 400 field errors when the request is malformed (says nothing about any case);
- 404 one fixed body for “unknown tracking number” and “wrong secret” alike: same status, same bytes,
  same headers, same database work;
- 429 one fixed body once a client address or a tracking number has used up its window;
- 503 when the rate-limit counters cannot be reached (fail closed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from .. import conf, ratelimit
from ..lookup import Credentials, clean_credentials, status_lookup
from . import serializers as s


def json_response(body, status: int = 200, **headers) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        content_type="application/json",
        status=status,
    )
    # A status answer belongs to one requester: no shared cache may keep it.
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def not_found_response() -> HttpResponse:
    """THE answer for an unknown tracking number and for a wrong secret (byte-identical)."""
    return json_response({"detail": _("未查询到匹配的案件，请核对受理编号和查询码（或手机号后四位）。")}, 404)


def too_many_response() -> HttpResponse:
    """THE answer once a limit is used up, whichever limit and whatever was asked (byte-identical)."""
    return json_response(
        {"detail": _("查询过于频繁，请稍后再试；用手机号后四位查询受限时，可改用受理回执上的查询码。")},
        429,
        Retry_After=str(conf.get("PUBLIC_STATUS_WINDOW_PER_ADDRESS")),
    )


def unavailable_response() -> HttpResponse:
    return json_response({"detail": _("查询服务暂时不可用，请稍后再试。")}, 503, Retry_After="60")


def lookup_limits(request, credentials: Credentials) -> list[ratelimit.Limit]:
    """The limits one status lookup (API or page) counts against.

    Always its client address. The tracking number is counted only for lookups by the phone's last four
    digits: 10,000 possible answers need a per-number ceiling against guessing from many addresses. The
    query code (8 of 31 characters, about 10^12) needs none, and counting it would let a stranger lock the
    requester out of their own case with a few wrong codes on a tracking number seen on a receipt: with
    the receipt's query code the requester can always look their case up (from any address not itself
    over its limit), whatever anyone else tried.
    """
    limits = [
        ratelimit.Limit(
            "status-address",
            ratelimit.client_address(request),
            int(conf.get("PUBLIC_STATUS_LIMIT_PER_ADDRESS")),
            int(conf.get("PUBLIC_STATUS_WINDOW_PER_ADDRESS")),
        )
    ]
    if credentials.phone_last4:
        limits.append(
            ratelimit.Limit(
                "status-number",
                credentials.tracking_number.upper(),
                int(conf.get("PUBLIC_STATUS_LIMIT_PER_NUMBER")),
                int(conf.get("PUBLIC_STATUS_WINDOW_PER_NUMBER")),
            )
        )
    return limits


HEADER_PARAMETERS = [
    OpenApiParameter("X-Tracking-Number", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False),
    OpenApiParameter("X-Query-Code", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False),
    OpenApiParameter("X-Phone-Last4", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False),
]
TIMELINE_EXAMPLE = {
    "tracking_number": "330681001001202603050007",
    "status": "in_progress",
    "status_display": "办理中",
    "status_text": "承办部门正在办理。",
    "is_open": True,
    "department": "市场监管局",
    "taken_in_at": "2026-03-05T09:41:07+08:00",
    "updated_at": "2026-03-05T14:02:11+08:00",
    "expected_at": "2026-03-12T17:30:00+08:00",
    "expected_provisional": False,
    "light": "green",
    "light_text": "在办理时限内",
    "timeline": [
        {
            "kind": "intake",
            "label": "受理登记",
            "text": "窗口受理登记",
            "department": None,
            "at": "2026-03-05T09:41:07+08:00",
        },
        {
            "kind": "assign",
            "label": "派单",
            "text": "派给承办部门",
            "department": None,
            "at": "2026-03-05T10:02:11+08:00",
        },
        {
            "kind": "accept",
            "label": "签收",
            "text": "承办部门签收",
            "department": "市场监管局",
            "at": "2026-03-05T14:02:11+08:00",
        },
    ],
}


class StatusLookupView(APIView):
    """查询办理进度: the public view of one case for whoever holds its tracking number and secret."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()  # our own atomic limits below; DRF's throttles race under concurrency
    parser_classes = (JSONParser, FormParser, MultiPartParser)
    renderer_classes = (JSONRenderer,)  # one renderer: content negotiation is trivial (and no browsable API)

    @extend_schema(
        operation_id="public_status_lookup",
        summary="查询办理进度（群众）",
        description=(
            "受理编号 + 查询码，或受理编号 + 反映人手机号后四位。可放在请求体（JSON 或表单）或请求头"
            "（`X-Tracking-Number`、`X-Query-Code`、`X-Phone-Last4`），不要放在网址中。"
            "受理编号不存在与查询码错误返回完全相同的 404。按客户端地址和受理编号限流（429）。"
        ),
        auth=[],
        request={
            "application/json": s.PublicStatusLookupInputSerializer,
            "application/x-www-form-urlencoded": s.PublicStatusLookupInputSerializer,
        },
        parameters=HEADER_PARAMETERS,
        responses={
            200: OpenApiResponse(s.PublicStatusSerializer, description="案件的公开办理情况。"),
            400: OpenApiResponse(
                s.PublicLookupFieldErrorsSerializer, description="请求格式不正确（字段错误）。"
            ),
            404: OpenApiResponse(
                s.PublicDetailSerializer, description="受理编号不存在或查询码错误：两者的回答完全相同。"
            ),
            415: OpenApiResponse(s.PublicDetailSerializer, description="不支持的请求体类型。"),
            429: OpenApiResponse(
                s.PublicDetailSerializer,
                description="查询过于频繁（按客户端地址计数；用手机号后四位查询时另按受理编号计数）。",
            ),
            503: OpenApiResponse(s.PublicDetailSerializer, description="限流计数服务不可用，暂停查询。"),
        },
        examples=[
            OpenApiExample(
                "query-code",
                request_only=True,
                value={"tracking_number": "330681001001202603050007", "query_code": "K7MQ3XTP"},
            ),
            OpenApiExample(
                "phone-last4",
                request_only=True,
                value={"tracking_number": "330681001001202603050007", "phone_last4": "8000"},
            ),
            OpenApiExample("found", response_only=True, status_codes=["200"], value=TIMELINE_EXAMPLE),
            OpenApiExample(
                "bad-request",
                response_only=True,
                status_codes=["400"],
                value={"query_code": ["请填写查询码，或反映人手机号后四位。"]},
            ),
            OpenApiExample(
                "not-found",
                response_only=True,
                status_codes=["404"],
                value={"detail": "未查询到匹配的案件，请核对受理编号和查询码（或手机号后四位）。"},
            ),
            OpenApiExample(
                "too-many",
                response_only=True,
                status_codes=["429"],
                value={
                    "detail": "查询过于频繁，请稍后再试；用手机号后四位查询受限时，可改用受理回执上的查询码。"
                },
            ),
        ],
    )
    def post(self, request):
        data = request.data if isinstance(request.data, Mapping) else {}

        def given(name: str, header: str):
            value = data.get(name)
            return value if value not in (None, "") else request.headers.get(header, "")

        credentials, errors = clean_credentials(
            given("tracking_number", "X-Tracking-Number"),
            given("query_code", "X-Query-Code"),
            given("phone_last4", "X-Phone-Last4"),
        )
        if errors:
            return json_response(errors, 400)
        return answer(request, credentials)


def answer(request, credentials: Credentials) -> HttpResponse:
    try:
        allowed = ratelimit.hit(lookup_limits(request, credentials))
    except ratelimit.RateLimitUnavailable:
        return unavailable_response()
    if not allowed:
        return too_many_response()
    result = status_lookup(credentials)
    if result is None:
        return not_found_response()
    return json_response(result.as_json())
