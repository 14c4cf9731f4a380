"""Production profile: everything secure by default, every secret from the environment.

``manage.py check --deploy`` passes with no warning once the variables of docs/DEPLOY.md are set (SECRET_KEY,
FIELD_ENCRYPTION_KEYS, BLIND_INDEX_KEYS, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL, PUBLIC_BASE_URL, SMS and
e-mail gateways, proxy hops); the project's own deploy checks are windowsvc/checks.py.
"""

import os

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from . import *  # noqa: F403
from . import (
    DEV_BLIND_INDEX_KEY,
    DEV_FIELD_ENCRYPTION_KEY,
    LOGGING,
    REST_FRAMEWORK,
    STORAGES,
    env_bool,
    env_list,
)

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 50 characters or more.")

# Personal numbers are encrypted with keys of the deployment's own: never the development keys, never none.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", "")
BLIND_INDEX_KEYS = env_list("BLIND_INDEX_KEYS", "")
if not FIELD_ENCRYPTION_KEYS or DEV_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS must be set: comma-separated Fernet keys, newest first "
        "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
    )
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS: each key must be a Fernet key (32 url-safe base64-encoded bytes)."
        ) from None
if (
    not BLIND_INDEX_KEYS
    or DEV_BLIND_INDEX_KEY in BLIND_INDEX_KEYS
    or any(len(key) < 32 for key in BLIND_INDEX_KEYS)
    or set(BLIND_INDEX_KEYS) & {*FIELD_ENCRYPTION_KEYS, SECRET_KEY}
):
    raise ImproperlyConfigured(
        "BLIND_INDEX_KEYS must be set: comma-separated random strings of 32 characters or more, newest first, "
        "none of them an encryption key or SECRET_KEY (python -c 'import secrets; print(secrets.token_urlsafe(32))')."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The browsable API (HTML forms for every endpoint) is for development: production answers JSON only.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]}

# One JSON object per log line for the log pipeline (LOG_FORMAT=plain for a person reading a terminal).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT
