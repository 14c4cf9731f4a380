"""Open311 GeoReport v2 at ``/open311/v2/`` (http://wiki.open311.org/GeoReport_v2), field by field.

| method and path | what |
|---|---|
| GET ``discovery.{fmt}`` | the service discovery document |
| GET ``services.{fmt}`` | active categories of a county as services (``group`` = the top category) |
| GET ``services/{service_code}.{fmt}`` | the service definition: attributes (matter kind, expectation) |
| POST ``requests.{fmt}`` | submit a request (form-encoded, ``api_key``): a case on channel “online” |
| GET ``tokens/{token}.{fmt}`` | the ``service_request_id`` behind a queued submission's token |
| GET ``requests.{fmt}`` | requests by id list, service code, date range (≤ 90 days), status; ≤ 1,000 |
| GET ``requests/{service_request_id}.{fmt}`` | one request |

``{fmt}`` is ``json`` or ``xml`` (the suffix decides, not the Accept header). ``jurisdiction_id`` is a
region code: services are the county's categories, requests those taken in within the region's subtree
(no finer than ``OPEN311_PUBLIC_TIER``, the town by default). ``service_request_id`` is the case's
tracking number, or for a case taken in below the public tier (a village window) its public id, which
does not tell the village (``coarse.py``); either finds the request.

Privacy: anyone may call the GET methods, so a request shows public fields only — open/closed with the
Chinese sub-status in ``status_notes``, the lead department as ``agency_responsible``, the completion
deadline as ``expected_datetime``, the category, dates — and ``description`` only for cases published to
the case library (the published write-up's anonymised version, ``library``; else the older admin-written
``PublishedCase`` text; never the requester's own words). Names, phones,
id numbers, addresses, coordinates and media are never returned (those fields are always null).

Errors are the spec's array of ``{code, description}`` in the requested format: 400 (bad input), 403
(missing or wrong ``api_key``), 404 (unknown service, request, token or jurisdiction), 405, 429 (rate
limit per client address).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import clocks
from cases.choices import TERMINAL_STATUSES, CaseStatus, MatterKind
from cases.models import Case, Category
from library.choices import WriteUpStatus
from library.selectors import public_description
from routing.choices import Tier
from routing.models import Region
from windowsvc import freshness
from windowsvc.links import public_base

from .. import conf, ratelimit
from ..lookup import STATUS_TEXT, iso
from ..models import Open311Submission, SubmissionStatus
from . import coarse
from . import serializers as s
from .errors import Open311Error
from .renderers import FormatNegotiation, Open311JSONRenderer, Open311XMLRenderer
from .services import (
    EXPECTATION_ATTRIBUTE,
    MATTER_KIND_ATTRIBUTE,
    jurisdiction,
    request_submit,
)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_RESULTS = 1000
MAX_RANGE = dt.timedelta(days=90)
FORMATS = ["text/xml", "application/json"]

# --- Schema pieces ----------------------------------------------------------------------------------

FORMAT = OpenApiParameter(
    "fmt",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=["json", "xml"],
    description="输出格式：json 或 xml。",
)
JURISDICTION = OpenApiParameter(
    "jurisdiction_id",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description="区划代码（县、镇或村）。服务多个县时 services 须提供。",
)
ERROR_EXAMPLE = OpenApiExample(
    "error",
    response_only=True,
    status_codes=["403"],
    value={"code": 403, "description": "api_key 无效或未提供，无法提交请求。"},
)


# spectacular documents ``many=True`` as a list for 2xx answers only: the errors array is spelled out.
ERRORS_SCHEMA = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "properties": {
            "code": {"type": "integer", "description": "通常与 HTTP 状态码相同（400、403、404）。"},
            "description": {"type": "string"},
        },
        "required": ["code", "description"],
    },
}


def _responses(ok, *, ok_status: int = 200, errors=(400, 404)) -> dict:
    """JSON (described) and XML (the same tree as text/xml) for the answer and each error status."""
    result = {
        (ok_status, "application/json"): ok,
        (ok_status, "text/xml"): OpenApiResponse(OpenApiTypes.STR, description="同一内容的 XML 形式。"),
    }
    # 404 and 405 can answer any path (an unknown format, a wrong method), 429 any call.
    for code in sorted({*errors, 400, 404, 405, 429}):
        result[(code, "application/json")] = OpenApiResponse(
            ERRORS_SCHEMA, description="错误：`[{code, description}]`。"
        )
        result[(code, "text/xml")] = OpenApiResponse(
            OpenApiTypes.STR, description="`<errors><error><code/><description/></error></errors>`。"
        )
    return result


class Open311AutoSchema(AutoSchema):
    """No ``?format=`` query parameter: the format is the path's suffix (``{fmt}``)."""

    def _get_format_parameters(self):
        return []


# --- Base view --------------------------------------------------------------------------------------


class Open311View(APIView):
    """Anonymous, format by suffix, spec-shaped errors, rate-limited per client address."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    renderer_classes = (Open311JSONRenderer, Open311XMLRenderer)
    content_negotiation_class = FormatNegotiation
    parser_classes = (FormParser, MultiPartParser)
    xml_root = "service_requests"
    schema = Open311AutoSchema()

    def get_format_suffix(self, **kwargs):
        # The URL kwarg is ``fmt``: DRF's schema generator drops paths ending in ``.{fmt}``.
        return kwargs.get("fmt") or "json"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # NUL and bidirectional overrides never reach here: windowsvc.inputs refuses them for every request.
        limit = ratelimit.Limit(
            "open311-address",
            ratelimit.client_address(request),
            int(conf.get("OPEN311_LIMIT_PER_ADDRESS")),
            int(conf.get("OPEN311_WINDOW_PER_ADDRESS")),
        )
        try:
            allowed = ratelimit.hit([limit])
        except ratelimit.RateLimitUnavailable:
            allowed = True  # the Open311 reads are public anyway: do not fail with the counters
        if not allowed:
            raise Open311Error(429, _("请求过于频繁，请稍后再试。"))

    def handle_exception(self, exc):
        if isinstance(exc, Open311Error):
            errors, code = exc.errors, exc.status
        elif isinstance(exc, Http404 | exceptions.NotFound):
            errors, code = [(404, _("未找到。"))], 404
        elif isinstance(exc, exceptions.MethodNotAllowed):
            errors, code = [(405, str(exc.detail))], 405
        elif isinstance(exc, exceptions.APIException):
            # Parse errors, unsupported media types …: “basically 400 for any other error”.
            errors, code = [(400, str(exc.detail))], 400
        else:
            return super().handle_exception(exc)
        response = Response([{"code": c, "description": d} for c, d in errors], status=code)
        response.xml_root = "errors"
        if code == 405:
            response["Allow"] = ", ".join(self.allowed_methods)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-cache"
        return response

    def public_answer(self, request, build):
        """``build()``'s data as this view's answer, through the public cache (``windowsvc.freshness``):
        a conditional GET whose ETag still matches gets 304, an unchanged answer its cached bytes; only a
        new version of the public data is rendered. ``build`` may raise ``Open311Error`` (never cached)."""

        def render():
            response = Response(build())
            response.accepted_renderer = request.accepted_renderer
            response.accepted_media_type = request.accepted_media_type
            response.renderer_context = self.get_renderer_context()
            return response

        return freshness.cached_public_answer(request, render, variant=request.accepted_media_type)


def _param(request, name: str) -> str:
    value = request.query_params.get(name, "")
    return value.strip()


# --- Discovery --------------------------------------------------------------------------------------


class DiscoveryView(Open311View):
    xml_root = "discovery"

    @extend_schema(
        operation_id="open311_discovery",
        summary="Open311 服务发现",
        tags=["open311"],
        auth=[],
        parameters=[FORMAT],
        responses=_responses(s.Open311DiscoverySerializer, errors=(400,)),
        examples=[
            OpenApiExample(
                "discovery",
                response_only=True,
                value={
                    "changeset": "2026-03-05 09:41",
                    "contact": "县行政服务中心“办不成事”反映窗口",
                    "key_service": "API 密钥由系统管理员在管理后台“Open311 接入方”中发放。",
                    "endpoints": [
                        {
                            "specification": SPECIFICATION,
                            "url": "https://window.example.gov.cn/open311/v2",
                            "changeset": "2026-03-05 09:41",
                            "type": "production",
                            "formats": FORMATS,
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request, fmt=None):
        changed = Category.objects.aggregate(last=Max("updated_at"))["last"]
        changeset = timezone.localtime(changed).strftime("%Y-%m-%d %H:%M") if changed else "2026-01-01 00:00"
        base = public_base()
        return Response(
            {
                "changeset": changeset,
                "contact": conf.get("OPEN311_CONTACT"),
                "key_service": conf.get("OPEN311_KEY_SERVICE"),
                "endpoints": [
                    {
                        "specification": SPECIFICATION,
                        "url": f"{base}/open311/v2",
                        "changeset": changeset,
                        "type": conf.get("OPEN311_ENDPOINT_TYPE"),
                        "formats": FORMATS,
                    }
                ],
            }
        )


# --- Services ---------------------------------------------------------------------------------------


def _county(request) -> Region:
    """The county whose categories are the services: the jurisdiction's, or the only one there is."""
    region = jurisdiction(request.query_params.get("jurisdiction_id"))
    if region is not None:
        county = Region.objects.filter(code=region.county_code).first()
        if county is None:  # pragma: no cover - a region's path always starts with its county
            raise Open311Error(404, _("jurisdiction_id 不存在。"))
        return county
    counties = list(Region.objects.filter(tier=Tier.COUNTY).order_by("code")[:2])
    if len(counties) != 1:
        raise Open311Error(400, _("本系统服务多个县(市、区)，请提供 jurisdiction_id。"))
    return counties[0]


def _service(category: Category, by_id: dict[int, Category]) -> dict:
    chain, node = [], category
    while node is not None and node not in chain:
        chain.append(node)
        node = by_id.get(node.parent_id) if node.parent_id else None
    top = chain[-1]
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": " / ".join(c.name for c in reversed(chain)),
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(dict.fromkeys([category.code, *(c.name for c in chain)])),
        "group": top.name,
    }


class ServiceListView(Open311View):
    xml_root = "services"

    @extend_schema(
        operation_id="open311_services",
        summary="Open311 服务列表（事项类别）",
        tags=["open311"],
        auth=[],
        parameters=[FORMAT, JURISDICTION],
        responses=_responses(s.Open311ServiceSerializer(many=True)),
        examples=[
            OpenApiExample(
                "services",
                response_only=True,
                value={
                    "service_code": "MKT",
                    "service_name": "市场主体登记",
                    "description": "市场主体登记",
                    "metadata": True,
                    "type": "realtime",
                    "keywords": "MKT,市场主体登记",
                    "group": "市场主体登记",
                },
            )
        ],
    )
    def get(self, request, fmt=None):
        return self.public_answer(request, lambda: self.services(request))

    def services(self, request) -> list[dict]:
        county = _county(request)
        categories = list(
            Category.objects.filter(county=county).only("id", "code", "name", "parent_id", "is_active")
        )
        by_id = {c.pk: c for c in categories}
        return [_service(c, by_id) for c in sorted(categories, key=lambda c: c.code) if c.is_active]


def _attributes() -> list[dict]:
    return [
        {
            "variable": False,
            "code": "NOTICE",
            "datatype": "string",
            "required": False,
            "datatype_description": None,
            "order": 1,
            "description": _(
                "请同时提交反映人姓名（first_name、last_name）和联系电话（phone，中国大陆手机号或固定电话）；"
                "受理后凭受理编号和查询码查询办理进度。"
            ),
            "values": [],
        },
        {
            "variable": True,
            "code": MATTER_KIND_ATTRIBUTE,
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": None,
            "order": 2,
            "description": _("事项性质：为什么按正常流程办不成（急事、难事、新事）。"),
            "values": [{"key": value, "name": str(label)} for value, label in MatterKind.choices],
        },
        {
            "variable": True,
            "code": EXPECTATION_ATTRIBUTE,
            "datatype": "text",
            "required": False,
            "datatype_description": None,
            "order": 3,
            "description": _("诉求：希望怎样解决。"),
            "values": [],
        },
    ]


class ServiceDefinitionView(Open311View):
    xml_root = "service_definition"

    @extend_schema(
        operation_id="open311_service_definition",
        summary="Open311 服务定义",
        tags=["open311"],
        auth=[],
        parameters=[
            OpenApiParameter(
                "service_code", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^[0-9A-Za-z_-]{1,32}$"
            ),
            FORMAT,
            JURISDICTION,
        ],
        responses=_responses(s.Open311ServiceDefinitionSerializer),
    )
    def get(self, request, service_code: str, fmt=None):
        return self.public_answer(request, lambda: self.definition(request, service_code))

    def definition(self, request, service_code: str) -> dict:
        county = _county(request)
        category = Category.objects.filter(county=county, code=service_code, is_active=True).first()
        if category is None:
            raise Open311Error(404, _("service_code 不存在：%(code)s") % {"code": service_code})
        return {"service_code": category.code, "attributes": _attributes()}


# --- Requests ---------------------------------------------------------------------------------------

_REQUEST_FIELDS = (
    "tracking_number",
    "status",
    "category__code",
    "category__name",
    "lead_department__name",
    "taken_in_at",
    "updated_at",
    "closed_at",
    "due_at",
    "resolved_at",
    "reasoned_reply_at",
    "reasoned_reply_due_at",
    "follow_up_due_at",
    "publication__description",
    "writeup__status",
    "writeup__public",
    "region_path",
    "lead_department__region__path",
)


def _description(row: dict) -> str | None:
    """The published write-up's anonymised version (the case library); else the older admin-written public
    text (``PublishedCase``); else nothing."""
    if row.get("writeup__status") == WriteUpStatus.PUBLISHED and row.get("writeup__public"):
        return public_description(row["writeup__public"])
    return row["publication__description"] or None


def service_request(row: dict, *, region_names: dict[str, str], asked_by_number: bool = False) -> dict:
    """One case as a GeoReport request: public fields only, placed no finer than the public tier
    (``coarse``; see the module docstring). ``asked_by_number``: the caller named the case by its tracking
    number, which is then its id in the answer."""
    case_status = CaseStatus(row["status"])
    closed = case_status in TERMINAL_STATUSES
    clock_running = not closed and not clocks.clock_settled(
        resolved_at=row["resolved_at"],
        reasoned_reply_at=row["reasoned_reply_at"],
        follow_up_due_at=row["follow_up_due_at"],
    )
    expected = clocks.deadline_in_force(
        due_at=row["due_at"],
        follow_up_due_at=row["follow_up_due_at"],
        reasoned_reply_at=row["reasoned_reply_at"],
        reasoned_reply_due_at=row["reasoned_reply_due_at"],
    )
    return {
        "service_request_id": row["tracking_number"]
        if asked_by_number
        else coarse.shown_id(row["tracking_number"], row["region_path"]),
        "status": "closed" if closed else "open",
        "status_notes": str(case_status.label),
        "service_name": row["category__name"],
        "service_code": row["category__code"],
        "description": _description(row),
        "agency_responsible": coarse.agency(
            row["lead_department__name"], row["lead_department__region__path"], region_names
        ),
        "service_notice": str(STATUS_TEXT[case_status]),
        "requested_datetime": iso(row["taken_in_at"]),
        "updated_datetime": iso(row["closed_at"] or row["updated_at"]),
        "expected_datetime": iso(expected) if clock_running else None,
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def _requests(queryset, *, by_number: frozenset[str] = frozenset()) -> list[dict]:
    """The requests of ``queryset``; those whose tracking number is in ``by_number`` keep it as their id."""
    rows = list(queryset.values(*_REQUEST_FIELDS))
    wanted = {
        coarse.public_path(path)
        for row in rows
        if (path := row["lead_department__region__path"]) and coarse.too_fine(path)
    }
    names = dict(Region.objects.filter(path__in=wanted).values_list("path", "name")) if wanted else {}
    return [
        service_request(row, region_names=names, asked_by_number=row["tracking_number"] in by_number)
        for row in rows
    ]


def _public_jurisdiction(request) -> Region | None:
    """``jurisdiction_id`` of a request query: no finer than the public tier (``coarse``)."""
    region = jurisdiction(request.query_params.get("jurisdiction_id"))
    if region is not None and coarse.too_fine(region.path):
        raise Open311Error(
            400, _("jurisdiction_id 最细到%(tier)s一级。") % {"tier": coarse.public_tier_label()}
        )
    return region


def _asked_ids(values: list[str]) -> tuple[list[str], frozenset[str]]:
    """The tracking numbers behind requested ids (public ids or tracking numbers), and those asked for by
    their tracking number."""
    numbers, by_number = [], set()
    for value in values:
        number = coarse.tracking_number_of(value)
        if number is None:
            number = value
            by_number.add(value)
        numbers.append(number)
    return numbers, frozenset(by_number)


def _datetime(value: str, name: str) -> dt.datetime | None:
    if not value:
        return None
    parsed = None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise Open311Error(
            400, _("%(name)s 应为 W3C 日期时间，如 2026-01-01T00:00:00+08:00。") % {"name": name}
        )
    # Dates far from now overflow when shifted by the 90-day window or a time zone (year 1, year 9999):
    # they can match no case anyway, so they are refused as out of range.
    if not 1970 <= parsed.year <= 2999:
        raise Open311Error(400, _("%(name)s 超出可查询的日期范围。") % {"name": name})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    # Real offsets lie within ±14:00; PostgreSQL refuses a displacement beyond ±15:59 (a 500, not a 400).
    offset = parsed.utcoffset()
    if offset is None or abs(offset) > dt.timedelta(hours=14):
        raise Open311Error(400, _("%(name)s 的时区偏移无效。") % {"name": name})
    return parsed.astimezone(dt.UTC)


def _comma_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


REQUEST_EXAMPLE = {
    "service_request_id": "330681001001202603050007",
    "status": "open",
    "status_notes": "办理中",
    "service_name": "市场主体登记",
    "service_code": "MKT",
    "description": None,
    "agency_responsible": "市场监管局",
    "service_notice": "承办部门正在办理。",
    "requested_datetime": "2026-03-05T09:41:07+08:00",
    "updated_datetime": "2026-03-05T14:02:11+08:00",
    "expected_datetime": "2026-03-12T17:30:00+08:00",
    "address": None,
    "address_id": None,
    "zipcode": None,
    "lat": None,
    "long": None,
    "media_url": None,
}


class RequestListView(Open311View):
    xml_root = "service_requests"

    @extend_schema(
        operation_id="open311_requests_list",
        summary="Open311 查询请求列表",
        description=(
            "`service_request_id`（逗号分隔）优先于其他条件。`start_date`/`end_date` 为 W3C 日期时间，"
            "间隔不超过 90 天，缺省为最近 90 天；`status` 为 open、closed（逗号分隔）。最多返回 1000 条。"
        ),
        tags=["open311"],
        auth=[],
        parameters=[
            FORMAT,
            JURISDICTION,
            OpenApiParameter("service_request_id", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False),
            OpenApiParameter("service_code", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False),
            OpenApiParameter("start_date", OpenApiTypes.DATETIME, OpenApiParameter.QUERY, required=False),
            OpenApiParameter("end_date", OpenApiTypes.DATETIME, OpenApiParameter.QUERY, required=False),
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=False,
                pattern=r"^(open|closed)(,(open|closed))*$",
            ),
        ],
        responses=_responses(s.Open311ServiceRequestSerializer(many=True)),
        examples=[OpenApiExample("requests", response_only=True, value=REQUEST_EXAMPLE)],
    )
    def get(self, request, fmt=None):
        return self.public_answer(request, lambda: self.requests(request))

    def requests(self, request) -> list[dict]:
        region = _public_jurisdiction(request)
        cases = Case.objects.all()
        if region is not None:
            cases = cases.filter(region_path__startswith=region.path)
        ids = _comma_list(_param(request, "service_request_id"))
        if ids:
            # “This overrides all other arguments.”
            numbers, by_number = _asked_ids(ids[:MAX_RESULTS])
            cases = cases.filter(tracking_number__in=numbers)
            return _requests(cases.order_by("-taken_in_at", "-id")[:MAX_RESULTS], by_number=by_number)
        start = _datetime(_param(request, "start_date"), "start_date")
        end = _datetime(_param(request, "end_date"), "end_date")
        if start and end and end < start:
            raise Open311Error(400, _("end_date 不能早于 start_date。"))
        if start and end and end - start > MAX_RANGE:
            raise Open311Error(400, _("start_date 与 end_date 的间隔不能超过 90 天。"))
        if start is None and end is None:
            end = timezone.now()
        if start is None:
            start = end - MAX_RANGE
        if end is None:
            end = start + MAX_RANGE
        cases = cases.filter(taken_in_at__gte=start, taken_in_at__lte=end)
        codes = _comma_list(_param(request, "service_code"))
        if codes:
            cases = cases.filter(category__code__in=codes)
        statuses = set(_comma_list(_param(request, "status")))
        if statuses - {"open", "closed"}:
            raise Open311Error(400, _("status 只能是 open 或 closed。"))
        if statuses == {"open"}:
            cases = cases.exclude(status__in=TERMINAL_STATUSES)
        elif statuses == {"closed"}:
            cases = cases.filter(status__in=TERMINAL_STATUSES)
        return _requests(cases.order_by("-taken_in_at", "-id")[:MAX_RESULTS])

    @extend_schema(
        operation_id="open311_requests_create",
        summary="Open311 提交请求",
        description=(
            "表单提交（application/x-www-form-urlencoded）。在接入方的受理窗口以“网上反映”渠道受理登记，"
            "返回 `service_request_id`（受理编号）；接入方设为排队受理时返回 `token`。"
            "须提供地点（lat 和 long，或 address_string，或 address_id）、反映人姓名、联系电话和反映内容。"
        ),
        tags=["open311"],
        auth=[],
        parameters=[FORMAT],
        request={
            "application/x-www-form-urlencoded": s.Open311ServiceRequestInputSerializer,
            "multipart/form-data": s.Open311ServiceRequestInputSerializer,
        },
        responses=_responses(s.Open311RequestCreatedSerializer(many=True), errors=(400, 403, 404)),
        examples=[
            OpenApiExample(
                "created",
                response_only=True,
                value={
                    "service_request_id": "330681001001202603050007",
                    "service_notice": "已受理登记，将按规定时限办理并答复。",
                    "account_id": None,
                },
            ),
            ERROR_EXAMPLE,
        ],
    )
    def post(self, request, fmt=None):
        submitted = request_submit(data=request.data)
        answer = {"service_notice": _("已受理登记，将按规定时限办理并答复。")}
        if submitted.token:
            answer = {"token": submitted.token, "service_notice": _("已收到，正在排队受理登记。")}
        else:
            answer = {"service_request_id": submitted.service_request_id, **answer}
        answer["account_id"] = submitted.submission.account_id or None
        return Response([answer], status=status.HTTP_200_OK)


class RequestDetailView(Open311View):
    xml_root = "service_requests"

    @extend_schema(
        operation_id="open311_request",
        summary="Open311 查询单个请求",
        tags=["open311"],
        auth=[],
        parameters=[
            OpenApiParameter(
                "service_request_id",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                pattern=r"^[0-9A-Za-z-]{1,32}$",
                description="受理编号。",
            ),
            FORMAT,
            JURISDICTION,
        ],
        responses=_responses(s.Open311ServiceRequestSerializer(many=True)),
        examples=[OpenApiExample("request", response_only=True, value=REQUEST_EXAMPLE)],
    )
    def get(self, request, service_request_id: str, fmt=None):
        return self.public_answer(request, lambda: self.one(request, service_request_id))

    def one(self, request, service_request_id: str) -> list[dict]:
        region = _public_jurisdiction(request)
        numbers, by_number = _asked_ids([service_request_id])
        cases = Case.objects.filter(tracking_number=numbers[0])
        if region is not None:
            cases = cases.filter(region_path__startswith=region.path)
        rows = _requests(cases.order_by()[:1], by_number=by_number)
        if not rows:
            raise Open311Error(404, _("service_request_id 不存在：%(id)s") % {"id": service_request_id})
        return rows


class TokenView(Open311View):
    xml_root = "service_requests"

    @extend_schema(
        operation_id="open311_token",
        summary="Open311 由 token 查询受理编号",
        tags=["open311"],
        auth=[],
        parameters=[
            OpenApiParameter(
                "token", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^[0-9A-Za-z_-]{1,64}$"
            ),
            FORMAT,
            JURISDICTION,
        ],
        responses=_responses(s.Open311TokenSerializer(many=True)),
        examples=[
            OpenApiExample(
                "token",
                response_only=True,
                value={"service_request_id": "330681001001202603050007", "token": "dGhpcy1pcy1hLXRva2Vu"},
            )
        ],
    )
    def get(self, request, token: str, fmt=None):
        jurisdiction(request.query_params.get("jurisdiction_id"))
        row = (
            Open311Submission.objects.filter(token=token)
            .values("status", "error", "case__tracking_number")
            .first()
        )
        if row is None:
            raise Open311Error(404, _("token 不存在。"))
        if row["status"] == SubmissionStatus.REJECTED:
            raise Open311Error(400, _("该请求未能受理：%(reason)s") % {"reason": row["error"]})
        return Response([{"service_request_id": row["case__tracking_number"], "token": token}])


class NotFoundView(Open311View):
    """Anything else under /open311/v2/: the spec's 404 (in XML when the path asks for it)."""

    schema = None  # not an operation of the API

    def get_format_suffix(self, **kwargs):
        return "xml" if self.request.path.endswith(".xml") else "json"

    def get(self, request, *args, **kwargs):
        raise Open311Error(404, _("没有这个 Open311 资源。"))

    post = put = patch = delete = get
