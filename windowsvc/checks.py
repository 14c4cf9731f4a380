"""The project's own deploy checks: unsafe production defaults that Django's ``check --deploy`` cannot know.

Each check runs only with ``--deploy`` (``manage.py check --deploy``, which CI runs on the production profile
with ``--fail-level WARNING``) and answers a ``Warning`` with a stable id, ``windowsvc.W001`` … The table of
ids is in docs/DEPLOY.md ("Deploy checks"); a deployment that knowingly differs silences one by id in
``SILENCED_SYSTEM_CHECKS``. Settings are read with ``getattr`` and a default, so a profile that lacks one is
judged, not crashed.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning
from django.utils.translation import gettext as _

# Longest idle time of a staff session and longest session in any case (docs/SECURITY.md, "Sessions").
MAX_IDLE_SECONDS = 30 * 60
MAX_SESSION_SECONDS = 12 * 3600
# Development backends that keep messages on the server instead of sending them.
DEV_SMS_BACKENDS = {
    "notifications.channels.sms.FileSmsBackend",
    "notifications.channels.sms.ConsoleSmsBackend",
}
DEV_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}
UNSAFE_SCRIPT_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"}
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}  # noqa: S104 (names compared, nothing bound)


def _warning(code: int, message: str, hint: str) -> CheckWarning:
    return CheckWarning(message, hint=hint, id=f"windowsvc.W{code:03d}")


def _checks(*checks) -> list[CheckMessage]:
    return [message for message in checks if message is not None]


@register(Tags.security, deploy=True)
def check_production_defaults(app_configs: Iterable | None = None, **kwargs) -> list[CheckMessage]:
    """Every project deploy check; each helper answers one ``Warning`` or None."""
    return _checks(
        _debug(),
        _browsable_api(),
        _csp_present(),
        _csp_script_src(),
        _public_base_url(),
        _login_lockout(),
        _idle_timeout(),
        _session_age(),
        _token_ttl(),
        _secret_key(),
        _sms_backend(),
        _email_backend(),
        _proxy_hops(),
    )


def _debug() -> CheckWarning | None:
    if not settings.DEBUG:
        return None
    return _warning(
        1,
        _("DEBUG 已开启：出错页面会向任何人显示代码、设置和请求内容。"),
        _("生产环境使用 windowsvc.settings.production（DEBUG=False）。"),
    )


def _browsable_api() -> CheckWarning | None:
    from rest_framework.renderers import BrowsableAPIRenderer
    from rest_framework.settings import api_settings

    if not any(issubclass(r, BrowsableAPIRenderer) for r in api_settings.DEFAULT_RENDERER_CLASSES):
        return None
    return _warning(
        2,
        _("可浏览的 API 页面已开启：任何人都能浏览接口表单。"),
        _("生产环境的 REST_FRAMEWORK['DEFAULT_RENDERER_CLASSES'] 只保留 JSONRenderer。"),
    )


def _csp_policy() -> dict:
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    return policy.get("DIRECTIVES") or {}


def _csp_present() -> CheckWarning | None:
    if "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE and _csp_policy():
        return None
    return _warning(
        3,
        _("没有内容安全策略（Content-Security-Policy）：页面被注入的脚本可以运行。"),
        _("启用 csp.middleware.CSPMiddleware 并设置 CONTENT_SECURITY_POLICY（见 docs/SECURITY.md）。"),
    )


def _csp_script_src() -> CheckWarning | None:
    directives = _csp_policy()
    if not directives:
        return None  # W003 says it.
    sources = directives.get("script-src", directives.get("default-src"))
    unsafe = sorted(UNSAFE_SCRIPT_SOURCES.intersection(sources or ["*"]))
    if not unsafe:
        return None
    return _warning(
        4,
        _("内容安全策略的 script-src 允许 %(sources)s：注入的脚本可以运行。") % {"sources": " ".join(unsafe)},
        _("script-src 只保留 'self'，页面脚本放在静态文件里（static/）。"),
    )


def _public_base_url() -> CheckWarning | None:
    url = getattr(settings, "PUBLIC_BASE_URL", "") or ""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname and parts.hostname not in LOOPBACK_HOSTS:
        return None
    return _warning(
        5,
        _("PUBLIC_BASE_URL 未设置、不是 https 或指向本机（%(url)s）：短信和回执里的链接群众打不开或不安全。")
        % {"url": url or "—"},
        _("设置 PUBLIC_BASE_URL 为群众访问本系统的 https 地址，例如 https://window.example.gov.cn。"),
    )


def _login_lockout() -> CheckWarning | None:
    if getattr(settings, "AXES_ENABLED", True) and getattr(settings, "AXES_FAILURE_LIMIT", 3) > 0:
        return None
    return _warning(
        6,
        _("登录失败锁定已关闭（AXES_ENABLED 或 LOGIN_FAILURE_LIMIT）：密码可以无限次猜测。"),
        _("不要关闭 AXES_ENABLED，LOGIN_FAILURE_LIMIT 保持大于 0（默认 5）。"),
    )


def _idle_timeout() -> CheckWarning | None:
    seconds = getattr(settings, "STAFF_IDLE_TIMEOUT_SECONDS", 0)
    middleware = "windowsvc.middleware.StaffIdleTimeoutMiddleware" in settings.MIDDLEWARE
    if middleware and 0 < seconds <= MAX_IDLE_SECONDS:
        return None
    return _warning(
        7,
        _("工作人员闲置超时已关闭或超过 30 分钟（STAFF_IDLE_TIMEOUT_SECONDS=%(seconds)s）。")
        % {"seconds": seconds},
        _("STAFF_IDLE_TIMEOUT_SECONDS 设为 1 到 1800 秒（默认 1800）。"),
    )


def _session_age() -> CheckWarning | None:
    if settings.SESSION_COOKIE_AGE <= MAX_SESSION_SECONDS:
        return None
    return _warning(
        8,
        _("会话最长有效期超过 12 小时（SESSION_COOKIE_AGE=%(seconds)s）。")
        % {"seconds": settings.SESSION_COOKIE_AGE},
        _("SESSION_COOKIE_AGE 不超过 43200 秒（默认 43200）。"),
    )


def _token_ttl() -> CheckWarning | None:
    from knox.settings import knox_settings

    if knox_settings.TOKEN_TTL is not None:
        return None
    return _warning(
        9,
        _("API 令牌永不过期（REST_KNOX['TOKEN_TTL'] 为 None）。"),
        _("API_TOKEN_TTL_HOURS 设为有限的小时数（默认 10）。"),
    )


def _secret_key() -> CheckWarning | None:
    key = settings.SECRET_KEY
    dev_key = getattr(settings, "DEV_SECRET_KEY", None)
    if key != dev_key and not key.startswith(("dev-only", "django-insecure")):
        return None
    return _warning(
        10,
        _("SECRET_KEY 是开发用的默认密钥：任何人都能伪造会话和签名链接。"),
        _("设置 SECRET_KEY 为 50 位以上的随机字符串（见 docs/DEPLOY.md）。"),
    )


def _sms_backend() -> CheckWarning | None:
    backend = getattr(settings, "SMS_BACKEND", "")
    if backend and backend not in DEV_SMS_BACKENDS:
        return None
    return _warning(
        11,
        _("短信通道是开发用的（%(backend)s）：短信只写在服务器上，不会发给群众。")
        % {"backend": backend or "—"},
        _("设置 SMS_BACKEND 为短信网关（见 docs/NOTIFICATIONS.md）。"),
    )


def _email_backend() -> CheckWarning | None:
    backend = settings.EMAIL_BACKEND
    if backend not in DEV_EMAIL_BACKENDS:
        return None
    return _warning(
        12,
        _("邮件通道是开发用的（%(backend)s）：邮件不会发出。") % {"backend": backend},
        _("设置 EMAIL_BACKEND（例如 django.core.mail.backends.smtp.EmailBackend）和邮件服务器。"),
    )


def _proxy_hops() -> CheckWarning | None:
    behind_proxy = bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None))
    if not behind_proxy or getattr(settings, "PUBLIC_TRUSTED_PROXY_HOPS", 0) > 0:
        return None
    return _warning(
        13,
        _(
            "系统在 TLS 代理后面运行，但 PUBLIC_TRUSTED_PROXY_HOPS 为 0：所有人的地址都是代理的地址，登录锁定和查询限流会把所有人算在一起。"
        ),
        _("在一层 TLS 代理后面设置 PUBLIC_TRUSTED_PROXY_HOPS=1（见 docs/SECURITY.md）。"),
    )
