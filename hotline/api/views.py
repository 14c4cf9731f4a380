"""The platform's endpoints (mounted at /api/hotline/v1/): signed requests only (``hotline.signing``).

Thin: verify the signature, parse JSON, call a service. 401 for any signature failure (one answer), 400
with field errors, 404 for an order of another platform or none, 409 when the case cannot take the step.
"""

from __future__ import annotations

import json
import logging

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from windowsvc.errors import ValidationFailed

from .. import services, signing
from . import serializers as s

logger = logging.getLogger(__name__)

SIGNED_HEADERS = [
    OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True, description=text)
    for name, text in (
        (signing.KEY_HEADER, "平台密钥"),
        (signing.TIMESTAMP_HEADER, "Unix 秒，与服务器时间相差不超过 300 秒"),
        (signing.NONCE_HEADER, "每次请求不同的随机串（16–64 位 A-Z a-z 0-9 _ -）"),
        (
            signing.SIGNATURE_HEADER,
            "sha256= + HMAC-SHA256(secret, timestamp + \\n + nonce + \\n + body) 的十六进制",
        ),
    )
]
ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="字段错误：{字段: [说明]}"),
    401: OpenApiResponse(s.DetailSerializer, description="签名无效、时间戳过期或 nonce 重复"),
}


class _SignedView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def _verified(self, request):
        body = request.body  # the raw bytes are what is signed: read before anything parses them
        try:
            platform = signing.verify(headers=request.headers, body=body)
        except signing.SignatureInvalid as exc:
            logger.warning("hotline request refused: %s", exc)
            return None, Response({"detail": "signature invalid"}, status=status.HTTP_401_UNAUTHORIZED)
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ValidationFailed({"body": ["JSON expected."]}) from None
        if not isinstance(data, dict):
            raise ValidationFailed({"body": ["JSON object expected."]})
        return platform, data


class WorkOrderPushView(_SignedView):
    """A platform pushes one work order: 201 with the tracking number; the same order again: 200."""

    @extend_schema(
        operation_id="hotline_work_order_push",
        summary="12345平台推送工单",
        auth=[],
        parameters=SIGNED_HEADERS,
        request=s.WorkOrderInputSerializer,
        responses={
            201: OpenApiResponse(s.WorkOrderTakenSerializer, description="已受理登记"),
            200: OpenApiResponse(s.WorkOrderTakenSerializer, description="同一工单已受理过"),
            **ERRORS,
        },
    )
    def post(self, request):
        platform, data = self._verified(request)
        if platform is None:
            return data
        taken = services.work_order_take_in(platform=platform, data=data)
        return Response(
            {
                "work_order_number": taken.work_order.number,
                "tracking_number": taken.work_order.case.tracking_number,
                "created": taken.created,
            },
            status=status.HTTP_201_CREATED if taken.created else status.HTTP_200_OK,
        )


class SatisfactionView(_SignedView):
    """The platform's 回访 result for one of its orders; 不满意 reopens the case."""

    @extend_schema(
        operation_id="hotline_satisfaction",
        summary="12345平台回访结果",
        auth=[],
        parameters=SIGNED_HEADERS,
        request=s.SatisfactionInputSerializer,
        responses={
            200: OpenApiResponse(s.OkSerializer, description="已记录（不满意：已重办）"),
            **ERRORS,
            404: OpenApiResponse(s.DetailSerializer, description="工单不存在"),
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="案件当前不能回访"),
        },
    )
    def post(self, request):
        platform, data = self._verified(request)
        if platform is None:
            return data
        services.work_order_satisfaction(
            platform=platform,
            number=str(data.get("work_order_number") or ""),
            satisfaction=str(data.get("satisfaction") or ""),
            comment=str(data.get("comment") or ""),
        )
        return Response({"ok": True})
