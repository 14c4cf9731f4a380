"""Settings read from the environment.

Defaults give a zero-setup development system (SQLite under ``var/``, DEBUG on); production sets
``DJANGO_SETTINGS_MODULE=windowsvc.settings.production`` and its environment (see docs/DEPLOY.md).
"""

import base64
import hashlib
import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("WINDOWSVC_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Under pytest each run gets its own Celery queue, cache prefix and SQLite test file, so test runs
# sharing one Redis (parallel sessions, a developer's running demo) never consume each other's work.
TESTING = "pytest" in sys.modules
TEST_RUN_ID = os.environ.get("WINDOWSVC_TEST_RUN_ID") or f"test-{os.getpid()}"

DEBUG = env_bool("DEBUG", True)
# The development key only ever signs local demo sessions; production refuses to start without its own, and
# the deploy check windowsvc.W010 (windowsvc/checks.py) names it wherever it is found.
DEV_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop"  # noqa: S105 (public by design)
SECRET_KEY = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")

# Id numbers and credit codes at rest (windowsvc/encryption.py; docs/SECURITY.md, "Key rotation"): Fernet
# keys, newest first (it encrypts, every one decrypts), and the blind-index keys for exact search, newest
# first (it indexes, every one matches). The development keys are fixed, derived from a phrase, so tests and
# the zero-setup demo need nothing; production refuses them and starts only with keys of its own.
DEV_FIELD_ENCRYPTION_KEY = base64.urlsafe_b64encode(
    hashlib.sha256(b"windowsvc development field encryption key").digest()
).decode()
DEV_BLIND_INDEX_KEY = hashlib.sha256(b"windowsvc development blind index key").hexdigest()
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", DEV_FIELD_ENCRYPTION_KEY)
BLIND_INDEX_KEYS = env_list("BLIND_INDEX_KEYS", DEV_BLIND_INDEX_KEY)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    # Swagger UI and Redoc served from this site's static files, not a CDN (windowsvc/urls.py).
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    # The configuration history: triggers (pgtrigger) copying each change into event tables (pghistory).
    "pgtrigger",
    "pghistory",
    "windowsvc",
    "routing",
    "cases",
    "notifications",
    "supervision",
    "library",
    "practice",
    "citizens",
    "audit",
    "hotline",
]

MIDDLEWARE = [
    # /livez, /readyz and /healthz, answered before anything that could wait on a dependency (windowsvc/health.py).
    "windowsvc.health.ProbeMiddleware",
    # Counts and times every other request for /metrics (django-prometheus; its pair is last).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # A request id on every log line the request causes, and on the tasks it enqueues (windowsvc/logs.py).
    "windowsvc.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "windowsvc.inputs.InputCleaningMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "windowsvc.middleware.StaffIdleTimeoutMiddleware",
    # Who changed the configuration: the request's user and path attached to the history rows (PostgreSQL).
    "audit.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The Content-Security-Policy header on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as axes asks: turns a locked-out login into its answer (windowsvc/logins.py: lockout_response).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "windowsvc.urls"
WSGI_APPLICATION = "windowsvc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "notifications.context_processors.unread_notifications",
                "routing.context_processors.calendar_horizon",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "windowsvc.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat write at once in the demo: WAL lets readers run beside the writer,
    # IMMEDIATE takes the write lock at BEGIN (no upgrade deadlocks), and the timeout waits
    # for the lock instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
    }
    # A file, not memory, so a Celery worker process started by a test sees the same test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"{TEST_RUN_ID}.sqlite3")}
else:
    # A database host that drops packets must not hold a request (or /readyz) for the OS's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = int(
        os.environ.get("DB_CONNECT_TIMEOUT", "3")
    )
    if os.environ.get("DB_JIT", "off") != "on":
        # PostgreSQL's JIT compiles any plan its cost estimate calls big (~30 ms each, measured on the library
        # search in BENCHMARKS.md) and wins nothing on the short queries a web request runs. DB_JIT=on keeps it.
        DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
# A PostgreSQL streaming replica for supervision reads (windowsvc/dbrouters.py, docs/DEPLOY.md "Read
# replica"): only views marked ``reads_from_replica`` read there, and only while its replay lag is within
# REPLICA_MAX_LAG_SECONDS; everything else, and every write, goes to default. Unset: no replica.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    DATABASES["replica"]["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {})}
    # The test runner must not create or flush a test database on a read-only standby.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["windowsvc.dbrouters.PrimaryReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "30"))
# How long a measured lag is believed before it is measured again (one tiny query on the replica).
REPLICA_LAG_CHECK_SECONDS = float(os.environ.get("REPLICA_LAG_CHECK_SECONDS", "5"))
# X-Read-Database: replica|default on the pages that may read from the replica (operators checking the
# set-up, the replica test); off by default: the header names infrastructure.
READ_DATABASE_HEADER = env_bool("READ_DATABASE_HEADER", False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker, results and the cache ------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX") or (TEST_RUN_ID if TESTING else "windowsvc"),
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request must never hang on a broker that is down: publishing gives up quickly and the
# periodic sweeps pick up whatever was not enqueued (the work is always stored first).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    "max_retries": 1,
    # kombu sleeps interval_start (default 2 s) before its retry: that alone would stall a request.
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
    "visibility_timeout": 3600,
}
CELERY_REDIS_BACKEND_HEALTH_CHECK_INTERVAL = 30
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE") or (
    TEST_RUN_ID if TESTING else "celery"
)
# Exactly one beat schedules at a time, however many nodes run one (docs/DEPLOY.md, "Several nodes"): RedBeat
# keeps the schedule (and each entry's last run) in Redis and holds a lock there, extended on every tick. A
# standby beat blocks on the lock, polling every BEAT_MAX_LOOP_INTERVAL seconds; when the holder dies its lock
# expires after REDBEAT_LOCK_TIMEOUT seconds, so a standby takes over within LOCK_TIMEOUT + MAX_LOOP_INTERVAL
# (35 s by default) and carries on from the stored last-run times.
CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = int(os.environ.get("BEAT_MAX_LOOP_INTERVAL", "5"))
CELERY_REDBEAT_REDIS_URL = os.environ.get("REDBEAT_REDIS_URL") or REDIS_URL
CELERY_REDBEAT_KEY_PREFIX = os.environ.get("REDBEAT_KEY_PREFIX") or (
    f"redbeat:{TEST_RUN_ID}:" if TESTING else "redbeat:"
)
CELERY_REDBEAT_LOCK_TIMEOUT = int(os.environ.get("REDBEAT_LOCK_TIMEOUT", "30"))
CELERY_REDBEAT_REDIS_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 5, "retry_period": 60}
# How often beat runs the sweeps and the heartbeat (seconds); shorter in tests that watch a take-over.
CASE_SWEEP_INTERVAL_SECONDS = float(os.environ.get("CASE_SWEEP_INTERVAL_SECONDS", "60"))
NOTIFICATIONS_RELAY_INTERVAL_SECONDS = float(os.environ.get("NOTIFICATIONS_RELAY_INTERVAL_SECONDS", "30"))
BEAT_HEARTBEAT_SECONDS = float(os.environ.get("BEAT_HEARTBEAT_SECONDS", "60"))
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "heartbeat": {"task": "windowsvc.tasks.heartbeat", "schedule": BEAT_HEARTBEAT_SECONDS},
    # The outbox relay: delivers what was not enqueued on commit, retries and held SMS (notifications).
    "notifications-relay": {
        "task": "notifications.tasks.relay_pending",
        "schedule": NOTIFICATIONS_RELAY_INTERVAL_SECONDS,
        "options": {"expires": max(NOTIFICATIONS_RELAY_INTERVAL_SECONDS - 5, 1)},
    },
    # Deadline ladder (cases/sweep.py): clocks due since the last sweep; safe to overlap or repeat.
    "cases-deadline-sweep": {
        "task": "cases.tasks.sweep_deadlines",
        "schedule": CASE_SWEEP_INTERVAL_SECONDS,
        "options": {"expires": max(CASE_SWEEP_INTERVAL_SECONDS - 5, 1)},
    },
    # Working-day calendar horizon (routing/calendar/horizon.py): from CALENDAR_HORIZON_WARN_DAYS before the
    # calendar's last date until next year is imported, administrators are told in-app. Each morning; the
    # repeats during office hours only cover a beat that was down at 08:05 (the outbox key is per day).
    "calendar-horizon-check": {
        "task": "routing.tasks.calendar_horizon_check",
        "schedule": crontab(minute=5, hour="8-17"),
        "options": {"expires": 3000},
    },
    # 共性问题: the nightly detector of recurring problems (practice/services.py); safe to run twice.
    "practice-detect-recurring": {
        "task": "practice.tasks.detect_recurring_problems",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 3600},
    },
    # 常态建设: yellow and overdue reminders of standing-practice items (practice/sweep.py).
    "practice-item-sweep": {
        "task": "practice.tasks.sweep_practice_items",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Open311 submissions of integrations that queue: whatever was not processed on commit (citizens/).
    "open311-queue": {
        "task": "citizens.tasks.open311_process_queued",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Status callbacks to 12345 platforms: rows not enqueued on commit, retries after backoff (hotline/).
    "hotline-callbacks": {
        "task": "hotline.tasks.relay_callbacks",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
}
# The daily digest of the case events' chain heads (audit/chain.py): written after midnight, it covers
# the events before midnight; the repeat an hour later only covers a beat that was down (one per day).
CELERY_BEAT_SCHEDULE["audit-chain-digest"] = {
    "task": "audit.tasks.write_chain_digest",
    "schedule": crontab(hour="0,1", minute=20),
    "options": {"expires": 3000},
}

# --- Metrics (windowsvc/metrics.py, docs/DEPLOY.md "Metrics") ------------------------------------------
# /metrics answers a scraper presenting "Authorization: Bearer METRICS_TOKEN"; without a token set, only a
# direct request from this machine (loopback, no proxy header). Several gunicorn workers: set
# PROMETHEUS_MULTIPROC_DIR (an empty directory per start) and the request counters are summed over them.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# --- Health (windowsvc/health.py, docs/DEPLOY.md "Health") ---------------------------------------
# Checks whose failure makes /readyz answer 503 (the rest are reported under "failed" only);
# ?require=all (and /healthz) requires every check: database, redis, worker, beat, calendar, outbox.
READYZ_REQUIRED = env_list("READYZ_REQUIRED", "database,redis")
READYZ_TIMEOUT_SECONDS = float(os.environ.get("READYZ_TIMEOUT_SECONDS", "1"))
# The heartbeat task runs every 60 s (beat → worker); older than this, beat or every worker is gone.
BEAT_HEARTBEAT_MAX_AGE = int(os.environ.get("BEAT_HEARTBEAT_MAX_AGE", "180"))
# The relays run every 30 s; a due outbox row older than this means delivery is stuck.
OUTBOX_MAX_AGE_SECONDS = int(os.environ.get("OUTBOX_MAX_AGE_SECONDS", "900"))

# --- The audit trail (docs/SECURITY.md, "The tamper-evident log") --------------------------------
# History rows are append-only (a trigger refuses UPDATE and DELETE); only writes carry a context.
PGHISTORY_APPEND_ONLY = True
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# A chain's events may be out of time order by this much (a sweep's moment taken before it locked the
# case, clocks of several web machines); an event older than its predecessor by more is reported.
AUDIT_CLOCK_SKEW_SECONDS = int(os.environ.get("AUDIT_CLOCK_SKEW_SECONDS", "300"))
# The role the application connects as (docs/DEPLOY.md); ``manage.py grant_app_role`` grants it.
APP_DB_ROLE = os.environ.get("APP_DB_ROLE", "windowsvc_app")

# --- Auth, i18n, time ----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A staff session ends after this long without a request (security baseline: 30 minutes).
STAFF_IDLE_TIMEOUT_SECONDS = int(os.environ.get("STAFF_IDLE_TIMEOUT_SECONDS", "1800"))
# ... and after this long in any case, however active (Django's default is two weeks).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(12 * 3600)))

# Logins (windowsvc/logins.py, docs/SECURITY.md "Logins"): django-axes counts failed logins of the login
# page, the admin and the API token endpoint in the database and locks an account from one address after
# LOGIN_FAILURE_LIMIT failures, an address after LOGIN_ADDRESS_FAILURE_LIMIT failures over all accounts and
# an account after LOGIN_ACCOUNT_FAILURE_LIMIT failures from all addresses (0: no such ceiling), each until
# LOGIN_COOLOFF_MINUTES after the last failure. Reset: manage.py axes_reset_username / axes_reset_ip.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
LOGIN_ACCOUNT_FAILURE_LIMIT = int(os.environ.get("LOGIN_ACCOUNT_FAILURE_LIMIT", "30"))
LOGIN_COOLOFF_MINUTES = int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15"))
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out client before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "windowsvc.logins.LoginAttemptHandler"
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout are refused but not counted, so the lockout ends when it says it will.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_HTTP_RESPONSE_CODE = 429
# The client address behind our proxies: the same rule (PUBLIC_TRUSTED_PROXY_HOPS) as the public rate limits.
AXES_CLIENT_IP_CALLABLE = "windowsvc.logins.login_client_address"
AXES_LOCKOUT_CALLABLE = "windowsvc.logins.lockout_response"
# axes masks usernames and addresses in its own log lines; windowsvc.logins logs each lockout in full.
AXES_VERBOSE = False

# API tokens (django-rest-knox, windowsvc/api/tokens.py): stored hashed, valid this many hours, revoked on
# logout and on a password change; clients send "Authorization: Token <token>".
API_TOKEN_TTL_HOURS = float(os.environ.get("API_TOKEN_TTL_HOURS", "10"))
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": None,
    "AUTO_REFRESH": False,
}
# Content-Security-Policy (django-csp; docs/SECURITY.md "Content-Security-Policy"): scripts and styles only
# from this site's static files, no inline <script>, event handler attribute, <style> or style="" anywhere;
# images from here or data: URIs (the receipt's QR code and the API docs' icons). The Redoc page alone adds
# a nonce for its generated styles and blob: for its search worker (windowsvc/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Working-day calendar (routing/calendar/, routing/deadlines.py) -------------------------------
# Office hours of a working day, Beijing time; a county may override them (BusinessHours in the admin).
BUSINESS_HOURS = [("08:30", "12:00"), ("14:00", "17:30")]
# How often a process re-checks (one cheap query) that its cached calendar is still current.
CALENDAR_CACHE_RECHECK_SECONDS = int(os.environ.get("CALENDAR_CACHE_RECHECK_SECONDS", "30"))
# Days before the calendar's last date from which administrators are warned (daily notice and banners).
CALENDAR_HORIZON_WARN_DAYS = int(os.environ.get("CALENDAR_HORIZON_WARN_DAYS", "60"))

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header turns "not logged in" into 401 rather than 403.
        "windowsvc.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "windowsvc.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "windowsvc.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "windowsvc.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "windowsvc API",
    "DESCRIPTION": "“办不成事”反映窗口 case management API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files: no CDN, works offline, under the CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have fields named status / role / kind with different choice sets: name each set
    # after its TextChoices class so the schema's enums are stable and warning-free.
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "cases.choices.CaseStatus",
        "AssignmentStatusEnum": "cases.choices.AssignmentStatus",
        "AssignmentRoleEnum": "cases.choices.AssignmentRole",
        "EventKindEnum": "cases.choices.EventKind",
        "CaseEventKindEnum": "cases.choices.CASE_EVENT_KINDS",
        "RequesterKindEnum": "cases.choices.RequesterKind",
        "SatisfactionEnum": "cases.choices.Satisfaction",
        "DepartmentRoleEnum": "routing.choices.DepartmentRole",
        "StaffRoleEnum": "routing.choices.StaffRole",
        "RecurringKindEnum": "practice.choices.RecurringKind",
        "PracticeItemStatusEnum": "practice.choices.ItemStatus",
        "PracticeItemCommandEnum": "practice.choices.ItemCommand",
        "PracticeMeasureEnum": "practice.choices.Measure",
        "WriteUpStatusEnum": "library.choices.WriteUpStatus",
        "WriteUpCommandEnum": "library.choices.WriteUpCommand",
    },
}

# --- Cases (the closed loop) ----------------------------------------------------------------------
# Ping-pong guard (推诿扯皮): a case returned or transferred more than this many times goes to the county
# coordination centre.
CASE_PINGPONG_LIMIT = int(os.environ.get("CASE_PINGPONG_LIMIT", "2"))
# Deadlines (docs/DEADLINES.md; limits themselves are SLA policies in the admin): share of the allowed
# working time after which the light turns yellow; working days overdue before the 督办 order; working
# days the 督办 order allows before the case is listed for the monthly bulletin; extensions per clock.
CASE_YELLOW_SHARE = float(os.environ.get("CASE_YELLOW_SHARE", "0.8"))
CASE_SUPERVISE_AFTER_DAYS = int(os.environ.get("CASE_SUPERVISE_AFTER_DAYS", "2"))
CASE_SUPERVISION_DAYS = int(os.environ.get("CASE_SUPERVISION_DAYS", "3"))
# 催办 by supervisors per case per local day (the deadline ladder's urges are not counted).
CASE_URGE_LIMIT_PER_DAY = int(os.environ.get("CASE_URGE_LIMIT_PER_DAY", "2"))
CASE_EXTENSION_MAX_COUNT = int(os.environ.get("CASE_EXTENSION_MAX_COUNT", "1"))
# The loop stays closed (docs/DEADLINES.md, "Every clock"): decision and follow-up limits, in working days.
CASE_EXTENSION_DECISION_DAYS = int(os.environ.get("CASE_EXTENSION_DECISION_DAYS", "1"))
CASE_REVIEW_DAYS = int(os.environ.get("CASE_REVIEW_DAYS", "2"))
CASE_CALLBACK_DAYS = int(os.environ.get("CASE_CALLBACK_DAYS", "1"))
CASE_SUSPENSION_DAYS = int(os.environ.get("CASE_SUSPENSION_DAYS", "5"))
CASE_SUSPENSION_MAX_DAYS = int(os.environ.get("CASE_SUSPENSION_MAX_DAYS", "10"))
# Latest new date of a "cannot be done yet" answer, in working days from it (later: an extension request).
CASE_FOLLOW_UP_MAX_DAYS = int(os.environ.get("CASE_FOLLOW_UP_MAX_DAYS", "20"))
CASE_SWEEP_BATCH_SIZE = int(os.environ.get("CASE_SWEEP_BATCH_SIZE", "200"))
CASE_SWEEP_MAX_BATCHES = int(os.environ.get("CASE_SWEEP_MAX_BATCHES", "50"))
CASE_ATTACHMENT_MAX_BYTES = int(os.environ.get("CASE_ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024)))
CASE_ATTACHMENT_CONTENT_TYPES = env_list(
    "CASE_ATTACHMENT_CONTENT_TYPES",
    "application/pdf,image/jpeg,image/png,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
    "application/msword,application/vnd.ms-excel,text/plain",
)
# Public address of the site as requesters reach it: links in SMS (the satisfaction survey) are built on it.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:8000"
# How long a public answer (Open311, the public library) may be served unchanged from the cache or
# revalidated by a client without a logged change (windowsvc.freshness); 0 turns the cache off.
PUBLIC_CACHE_SECONDS = int(os.environ.get("PUBLIC_CACHE_SECONDS") or 60)
# How old a process's copy of the reference rows (categories, SLA policies, message templates) may be
# (windowsvc.refcache): an edit made in another process is seen within this time.
REFERENCE_CACHE_SECONDS = float(os.environ.get("REFERENCE_CACHE_SECONDS") or 30)
# How long the survey link sent on resolve stays usable (it is single-use as well).
CASE_SURVEY_LINK_DAYS = int(os.environ.get("CASE_SURVEY_LINK_DAYS", "30"))

# --- 共性问题 and 常态建设 (practice/conf.py, docs/PRACTICE.md) -------------------------------------------
# The detector's window (days), the fewest cases that make a cluster, the Jaccard similarity of two
# matters' top terms that links them, how many terms are compared, and the document frequency above which
# a term proposes no candidate pairs; the share of a cluster's core terms each of its matters must hold.
PRACTICE_WINDOW_DAYS = int(os.environ.get("PRACTICE_WINDOW_DAYS", "90"))
PRACTICE_MIN_CLUSTER_SIZE = int(os.environ.get("PRACTICE_MIN_CLUSTER_SIZE", "3"))
PRACTICE_TEXT_SIMILARITY = float(os.environ.get("PRACTICE_TEXT_SIMILARITY", "0.45"))
PRACTICE_TEXT_CORE_SHARE = float(os.environ.get("PRACTICE_TEXT_CORE_SHARE", "0.6"))
PRACTICE_TEXT_TOP_TERMS = int(os.environ.get("PRACTICE_TEXT_TOP_TERMS", "12"))
PRACTICE_TEXT_MAX_DF = int(os.environ.get("PRACTICE_TEXT_MAX_DF", "200"))
# Standing-practice items: default and longest deadline, in working days.
PRACTICE_ITEM_DAYS = int(os.environ.get("PRACTICE_ITEM_DAYS", "20"))
PRACTICE_ITEM_MAX_DAYS = int(os.environ.get("PRACTICE_ITEM_MAX_DAYS", "120"))

# --- Citizens: the anonymous status lookup and Open311 (citizens/conf.py lists every setting) ---------
# Status lookups (API and page together) per client address and per tracking number, per window (s).
PUBLIC_STATUS_LIMIT_PER_ADDRESS = int(os.environ.get("PUBLIC_STATUS_LIMIT_PER_ADDRESS", "30"))
PUBLIC_STATUS_WINDOW_PER_ADDRESS = int(os.environ.get("PUBLIC_STATUS_WINDOW_PER_ADDRESS", "600"))
PUBLIC_STATUS_LIMIT_PER_NUMBER = int(os.environ.get("PUBLIC_STATUS_LIMIT_PER_NUMBER", "10"))
PUBLIC_STATUS_WINDOW_PER_NUMBER = int(os.environ.get("PUBLIC_STATUS_WINDOW_PER_NUMBER", "3600"))
# Reverse proxies of ours in front of the app that append to X-Forwarded-For (0: trust REMOTE_ADDR only).
PUBLIC_TRUSTED_PROXY_HOPS = int(os.environ.get("PUBLIC_TRUSTED_PROXY_HOPS", "0"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "windowsvc@localhost")

# --- Notifications: SMS gateway (docs/NOTIFICATIONS.md; other NOTIFICATIONS_* defaults in notifications/conf.py)
SMS_BACKEND = os.environ.get("SMS_BACKEND") or "notifications.channels.sms.FileSmsBackend"
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH") or str(VAR_DIR / "sms.log")
SMS_WEBHOOK_URL = os.environ.get("SMS_WEBHOOK_URL", "")
SMS_WEBHOOK_SECRET = os.environ.get("SMS_WEBHOOK_SECRET", "")
SMS_WEBHOOK_TIMEOUT = float(os.environ.get("SMS_WEBHOOK_TIMEOUT", "5"))

# Log lines (windowsvc/logs.py): "plain" for people, "json" (production's default) for the log pipeline; both
# carry the request id, in the web and in the Celery tasks a request enqueued.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "filters": {
        # Phone, id-number and credit-code shapes are hidden in every line (windowsvc/logfilter.py).
        "personal_data": {"()": "windowsvc.logfilter.PersonalDataFilter"},
        "request_id": {"()": "windowsvc.logs.RequestIdFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # axes narrates every attempt at INFO; its warnings (failures, lockouts) and windowsvc.logins are enough.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# --- 12345 hotline (hotline/, docs/HOTLINE.md) ------------------------------------------------------
HOTLINE_SIGNATURE_MAX_AGE = int(os.environ.get("HOTLINE_SIGNATURE_MAX_AGE", "300"))
HOTLINE_WEBHOOK_TIMEOUT = int(os.environ.get("HOTLINE_WEBHOOK_TIMEOUT", "5"))
HOTLINE_BACKOFF_SECONDS = int(os.environ.get("HOTLINE_BACKOFF_SECONDS", "30"))
HOTLINE_BACKOFF_MAX_SECONDS = int(os.environ.get("HOTLINE_BACKOFF_MAX_SECONDS", "3600"))
HOTLINE_MAX_ATTEMPTS = int(os.environ.get("HOTLINE_MAX_ATTEMPTS", "10"))

# --- Error reports (windowsvc/errorreports.py): Sentry or compatible, only when SENTRY_DSN is set ------
from windowsvc.errorreports import init_from_environment as _init_error_reports  # noqa: E402

SENTRY_ENABLED = _init_error_reports()
