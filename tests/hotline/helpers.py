"""Shared pieces of the hotline tests: a platform with credentials, signed requests, an order body."""

from __future__ import annotations

import itertools
import json
import secrets

from hotline.models import HotlinePlatform
from hotline.signing import signed_headers

PUSH = "/api/hotline/v1/work-orders/"
SATISFACTION = "/api/hotline/v1/satisfaction/"
_serial = itertools.count(1)


def make_platform(org, *, callback_url: str = "", code: str = "sx12345"):
    platform = HotlinePlatform(
        code=code, name="绍兴12345", window=org.windows["county"], callback_url=callback_url
    )
    key, secret = platform.set_new_credentials()
    platform.save()
    return platform, key, secret


def headers_for(
    key: str, secret: str, body: bytes, *, nonce: str | None = None, now: float | None = None
) -> dict:
    raw = signed_headers(key=key, secret=secret, body=body, nonce=nonce or secrets.token_urlsafe(18), now=now)
    return {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in raw.items()}


def signed_post(client, url: str, key: str, secret: str, data, **kwargs):
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return client.post(url, body, content_type="application/json", **headers_for(key, secret, body, **kwargs))


def order(**overrides) -> dict:
    data = {
        "number": f"GD2026{next(_serial):06d}",
        "requester_name": "王小明",
        "contact": "13800138000",
        "request_type": "投诉",
        "content": "营业执照变更跑了三次还没办成",
        "location": "诸暨市暨阳街道城西社区人民路1号",
        "region_code": "",
        "due_at": "2026-12-20T17:00:00+08:00",
        "attachments": ["https://12345.example.gov.cn/files/a.jpg"],
    }
    data.update(overrides)
    return data
