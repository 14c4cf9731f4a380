"""Production profile: everything secure by default, every secret from the environment.

``manage.py check --deploy`` passes with no warning once the variables of docs/DEPLOY.md are set (SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL, REDIS_URL, PUBLIC_BASE_URL, SMS and e-mail gateways, proxy hops); the project's
own deploy checks are windowsvc/checks.py.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from . import *  # noqa: F403
from . import REST_FRAMEWORK, STORAGES, env_bool

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of 50 characters or more.")

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
