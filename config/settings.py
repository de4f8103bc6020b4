"""Project settings, read from the environment.

With nothing set the app runs for development: DEBUG on, SQLite, Celery tasks run eagerly.
Setting DEBUG=0 selects production behaviour and then SECRET_KEY must be given.
Under pytest the default database is the local PostgreSQL server (the suite runs on it).
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from django_guid.integrations import CeleryIntegration

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules

DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "core.error_pages.csrf_failure"  # a 403 page inside the layout: reload and try again

INSTALLED_APPS = [
    "core.admin_apps.CrmAdminConfig",  # django.contrib.admin with the head-office-only site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",  # API tokens stored as digests; the model is staff.ApiToken (KNOX_TOKEN_MODEL)
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_guid",  # the request id on every log line and in the X-Request-ID header
    "django_htmx",
    "simple_history",
    "axes",
    "django_celery_beat",
    "csp",
    "core",
    "staff",
    "audit",
    "clients",
    "circles",
    "chains",
    "imports",
    "groups",
    "services",
    "risk",
    "demo",
]

MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",  # first: every later log line carries the request id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static files keep their cache headers and need no CSP.
    "csp.middleware.CSPMiddleware",
    "core.security.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before anything reads a form: bad bytes, NUL and surrogates in forms and query strings are a 400.
    "core.middleware.TextGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "staff.middleware.LoginRequiredExceptApiMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "audit.middleware.AuditRequestMiddleware",
    "staff.sessions.SessionTimeoutMiddleware",  # idle timeout and absolute lifetime of sessions
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.htmx.VaryOnHtmxMiddleware",
    "core.middleware.VanishedObjectMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "core.api.handlers.DatabaseUnavailableMiddleware",  # /api/ answers a JSON 503 when the database is down
    "core.error_pages.MethodNotAllowedPageMiddleware",  # pages' empty 405 answers get the 405 page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
_default_db = "sqlite:///" + str(BASE_DIR / "db.sqlite3")
if TESTING:
    _default_db = "postgres://postgres@127.0.0.1:5432/crm"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _default_db) or _default_db,
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        # A pooled connection is checked before each request reuses it: after a database restart the
        # first request reconnects instead of failing on a dead socket.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # An unreachable database fails a request in seconds (a JSON 503 on the API), not after minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5))
    # No JIT compilation: the pages run many short queries with correlated subqueries (limit use),
    # where compiling costs more than it saves (measured: risk officer's landing page at 10,000 groups
    # 0.41 s with JIT, 0.18 s without). DB_JIT=on brings it back for analytics connections.
    if env_str("DB_JIT", "off") == "off":
        DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth and login throttling ------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Lock-out (staff.lockout): AXES_FAILURE_LIMIT failures lock one username from one address; the
# much higher AXES_ADDRESS_FAILURE_LIMIT locks an address whatever the usernames. Tokens obey it too.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_ADDRESS_FAILURE_LIMIT = env_int("AXES_ADDRESS_FAILURE_LIMIT", 50)
AXES_COOLOFF_TIME = 0.25  # hours: a locked account/IP pair may retry after 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "staff.lockout.LockoutHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# The real client address behind the proxy (staff.network): the proxy of docker-compose.yml is the one
# trusted hop that sets X-Forwarded-For; 0 ignores the header (no proxy). TRUSTED_PROXY_IPS, if set,
# limits which peers may set it.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
TRUSTED_PROXY_IPS = env_list("TRUSTED_PROXY_IPS", [])
AXES_CLIENT_IP_CALLABLE = "staff.network.client_ip"
AXES_USERNAME_CALLABLE = "staff.lockout.client_username"  # bounded: no typed name breaks the record

# Sessions (staff.sessions): logged out after SESSION_IDLE_TIMEOUT seconds without a request, and
# SESSION_ABSOLUTE_LIFETIME seconds after the login however active. The cookie outlives both, so the
# middleware (which says why) is what ends a session.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_ABSOLUTE_LIFETIME = env_int("SESSION_ABSOLUTE_LIFETIME", 10 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME + SESSION_IDLE_TIMEOUT

# API tokens (staff.tokens, django-rest-knox): every token expires; its owner picks the lifetime.
KNOX_TOKEN_MODEL = "staff.ApiToken"
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 90)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
API_TOKEN_LIMIT_PER_USER = env_int("API_TOKEN_LIMIT_PER_USER", 20)
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    "TOKEN_TTL": timedelta(days=API_TOKEN_DEFAULT_DAYS),
    "AUTO_REFRESH": False,
}
# knox's own token model is swapped out for staff.ApiToken: its migrations would still create an unused
# table with a foreign key to auth_user (which then blocks the test database's flush). None are run.
MIGRATION_MODULES = {"knox": None}

if TESTING:  # the suite creates many users; the production hasher is deliberately slow
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files: vendored JS comes from npm packages (node_modules), served by whitenoise ----
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
for _prefix, _path in (
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
):
    if _path.is_dir():
        STATICFILES_DIRS.append((_prefix, _path))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- Security (production when DEBUG is off) ------------------------------------------------
# Secure cookies in production; a plain-HTTP test bench (bench/load.py) may turn them off explicitly.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: pages get the token server-rendered (hx-headers in base.html).
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): our scripts and styles come from our own static files only;
# no inline script, no inline style attribute, no eval. Permissions-Policy, Cache-Control: no-store
# and the rest: core/security.py.
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

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "staff.authentication.ApiTokenAuthentication",  # `Authorization: Token <secret>` (knox, hashed)
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["core.api.filters.StrictFilterBackend"],
    # The API speaks JSON only, bounded in size and depth (core.api.parsers); other bodies answer 415.
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.SafeJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",  # strict `page`
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.api.base.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "core.api.base.exception_handler",
    # Every request is counted per user and per token (staff.throttling, on the cache: Redis when
    # REDIS_URL is set); over the rate: 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["staff.throttling.UserThrottle", "staff.throttling.TokenThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # Under pytest the per-user and per-token rates are out of the way of the other tests (the
        # throttle tests set their own); THROTTLE_USER / THROTTLE_TOKEN still win.
        "user": env_str("THROTTLE_USER", "1000000/minute" if TESTING else "1200/minute"),
        "token": env_str("THROTTLE_TOKEN", "1000000/minute" if TESTING else "600/minute"),
        # Scoped throttles: recording persons (ID numbers are personal data) and registry lookups.
        "persons": env_str("THROTTLE_PERSONS", "60/hour"),
        "registry": env_str("THROTTLE_REGISTRY", "600/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Group-client CRM API",
    "DESCRIPTION": "Circles, chains and cohorts of group clients (圈链群经营平台).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI assets come from the drf-spectacular-sidecar package, not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge: it would send the schema address to validator.swagger.io (and the CSP blocks it).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Several models have a `kind` with different choices: name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "AccountKindEnum": "clients.models.AccountKind",
        "InteractionKindEnum": "clients.models.InteractionKind",
        "FlowKindEnum": "chains.models.FlowKind",
        "NeedStatusEnum": "services.models.NeedStatus",
        "JobStatusEnum": "core.models.JobStatus",
        "FacilityStatusEnum": "risk.models.FacilityStatus",
    },
}

# --- Four eyes -------------------------------------------------------------------------------
# A unified credit limit moved by more than this factor (up or down) needs an explicit confirmation.
LIMIT_CHANGE_CONFIRM_FACTOR = env_int("LIMIT_CHANGE_CONFIRM_FACTOR", 10)

# --- Business dates (core.dates) -------------------------------------------------------------------
# The plausible range (ISO dates, inclusive) of every business date and time: value dates, statement
# periods, guarantees, interactions, balances, accounts, circle members. Pages, API, imports and the
# admin refuse dates outside it; `manage.py check` refuses a range outside 1900-01-01 .. 2261-12-31.
BUSINESS_DATE_MIN = env_str("BUSINESS_DATE_MIN", "1950-01-01")
BUSINESS_DATE_MAX = env_str("BUSINESS_DATE_MAX", "2100-12-31")

# --- Imports (imports/) ------------------------------------------------------------------------
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 200 * 1024 * 1024)  # command line and API
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)  # upload page
IMPORT_CHUNK_ROWS = env_int("IMPORT_CHUNK_ROWS", 50_000)  # rows per pandas chunk: bounds memory
IMPORT_MAX_ERRORS = env_int("IMPORT_MAX_ERRORS", 1000)  # row errors listed; the rest are counted
IMPORT_TEMP_DIR = env_str("IMPORT_TEMP_DIR", "") or None  # uploads kept between preview and confirm
# Upload-page files up to this size are checked and imported inside the request (a second or two);
# larger ones run as background jobs with a progress bar (imports.tasks). 0: every upload in the background.
IMPORT_INLINE_MAX_BYTES = env_int("IMPORT_INLINE_MAX_BYTES", 1024 * 1024)
IMPORT_UPLOAD_KEEP_HOURS = env_int("IMPORT_UPLOAD_KEEP_HOURS", 24)  # unconfirmed previews are deleted after this
IMPORT_ANALYZE_MIN_ROWS = env_int("IMPORT_ANALYZE_MIN_ROWS", 10_000)  # ANALYZE the loaded table after this many rows

# --- Celery -----------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL") or ("redis://127.0.0.1:6379/1" if TESTING else None)
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=REDIS_URL is None or TESTING)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 30  # the longest job's hard limit (no task declares a longer one)
CELERY_TASK_SOFT_TIME_LIMIT = 60 * 25
# A dead broker fails fast (about a second) instead of blocking whoever publishes: the web request
# never publishes (it writes the outbox, core.outbox), and the dispatcher retries what fails.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True  # a worker started before Redis waits for it
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,  # above the transport's 1 s BRPOP timeout
    # Unacknowledged work (acks_late) of a worker that died goes back to the queue after this: just
    # above the longest task's hard time limit (a shorter one would hand a running job to a second worker).
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 5 * 60),
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 2, "interval_start": 0,
                                                            "interval_step": 0.5, "interval_max": 1}}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Cache: API rate-limit counters, shared by every web worker ---------------------------------------
# Django's RedisCache when REDIS_URL (or CACHE_URL) is set, behaving as an empty cache while Redis is down
# (core.cache); per-process memory otherwise (development). Under pytest each run has its own key prefix,
# so counters of an earlier run never throttle a later one.
CACHE_URL = env_str("CACHE_URL") or REDIS_URL
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.FailSoftRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": f"test{os.getpid()}" if TESTING else "crm",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Outbox and job runs (core.outbox, core.jobs) -------------------------------------------------------
OUTBOX_KICK = env_bool("OUTBOX_KICK", default=True)  # dispatch right after commit (best-effort, in a thread)
OUTBOX_BATCH = env_int("OUTBOX_BATCH", 200)  # messages claimed per dispatch round
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 30)  # a claimed message is retried after this if unsent
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 2)  # backoff: 2, 4, 8 ... seconds
OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 300)
OUTBOX_KEEP_DAYS = env_int("OUTBOX_KEEP_DAYS", 7)  # sent messages are pruned after this
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 10)
JOB_HEARTBEAT_STALE_SECONDS = env_int("JOB_HEARTBEAT_STALE_SECONDS", 90)  # no heartbeat this long: reaped
JOB_LOCK_WAIT_SECONDS = env_int("JOB_LOCK_WAIT_SECONDS", 60)  # a second run waits this long, then skips
JOB_SKIP_RETRY_SECONDS = env_int("JOB_SKIP_RETRY_SECONDS", 60)  # a skipped run is queued again for this much later
JOB_LOCK_POLL_SECONDS = 0.5

# --- API limits (core.api.parsers) --------------------------------------------------------------
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 2_621_440)  # JSON bodies; 413 past it (flows: IMPORT_MAX_BYTES)
API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 32)  # nesting levels of a JSON body; 400 past it

# --- Health endpoint (core.health, /health/) ------------------------------------------------------
HEALTH_REDIS_TIMEOUT = 1.0  # seconds
HEALTH_WORKER_TIMEOUT = 1.0  # seconds to wait for a Celery worker's ping reply
HEALTH_OUTBOX_MAX_AGE_SECONDS = env_int("HEALTH_OUTBOX_MAX_AGE_SECONDS", 300)  # older pending work: unhealthy

# --- Logging ----------------------------------------------------------------------------------
# Every line carries the request id (django-guid: taken from a valid incoming X-Request-ID, else new,
# and returned in the X-Request-ID response header; Celery tasks log the id of the request that
# queued them). LOG_FORMAT=json writes one JSON object per line (python-json-logger).
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
    "UUID_LENGTH": 32,
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=True)],
}
LOG_FORMAT = env_str("LOG_FORMAT", "text") or "text"
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,  # names stay readable (UTF-8)
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT,
                    "level": env_str("LOG_LEVEL", "INFO")},  # also for loggers with their own level (django)
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-guid says at INFO each id it sets or passes to a task: noise.
    "loggers": {"django_guid": {"level": "WARNING"}},
}
