"""Settings, read from environment variables.

Local use needs no configuration at all: SQLite (WAL) and a Celery broker on its own SQLite
file. Setting ``DATABASE_URL`` / ``CELERY_BROKER_URL`` switches to PostgreSQL / Redis with no
code change. ``DJANGO_ENV=production`` refuses to start without real secrets.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import django_stubs_ext
import environ
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

# Lets generic Django classes (ModelAdmin[Model], Manager[Model]) be subscripted at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"
TESTING = env.bool("OKR_TESTING", default=False)

# Production has no fallbacks for these: the dev defaults would silently run with a public key,
# a SQLite file per container, a broker file no other container sees, or answer every request 400.
PRODUCTION_REQUIRED = ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS")
if PRODUCTION:
    _missing = [name for name in PRODUCTION_REQUIRED if not env.str(name, default="")]
    if _missing:
        raise ImproperlyConfigured(
            f"DJANGO_ENV=production needs these environment variables: {', '.join(_missing)}"
        )

SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-" + "x" * 32)
DEBUG = env.bool("DEBUG", default=not PRODUCTION and not TESTING)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "csp",
    "okrplatform.accounts",
    "okrplatform.tenancy",
    "okrplatform.health",
    "okrplatform.api",
    "okrplatform.notifications",
    # Order matters for `seed_demo`: each app's demo builds on the ones before it.
    "kpis",
    "goals",
    "boards",
    "integrations",
    "okrplatform.webhooks",
]

MIDDLEWARE = [
    # First, so every response (a 500 from any layer too) and log line carries the id.
    "okrplatform.requestid.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "okrplatform.tenancy.middleware.OrganizationMiddleware",
]

ROOT_URLCONF = "okrplatform.urls"
WSGI_APPLICATION = "okrplatform.wsgi.application"
ASGI_APPLICATION = "okrplatform.asgi.application"

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
                "csp.context_processors.nonce",
                "okrplatform.tenancy.context_processors.organization",
                "okrplatform.notifications.context_processors.unread",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
_default_sqlite = f"sqlite:///{VAR_DIR / 'okrplatform.sqlite3'}"
_DATABASE_URL_EXAMPLE = "Expected e.g. postgres://user:password@host:5432/dbname or sqlite:///path"
_DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "psql", "sqlite"}
_database_url = env.str("DATABASE_URL", default="") or _default_sqlite
_database_scheme = urlsplit(_database_url).scheme
# The messages never echo the URL itself: it may carry a password into a log.
if _database_scheme not in _DATABASE_SCHEMES:
    _found = f"scheme {_database_scheme!r}" if _database_scheme else "no scheme"
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a PostgreSQL or SQLite URL ({_found}). {_DATABASE_URL_EXAMPLE}"
    )
try:
    DATABASES = {"default": env.db_url_config(_database_url)}
except (ImproperlyConfigured, ValueError, KeyError) as error:
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a valid database URL ({error}). {_DATABASE_URL_EXAMPLE}"
    ) from error
if not DATABASES["default"].get("NAME"):
    raise ImproperlyConfigured(f"DATABASE_URL names no database. {_DATABASE_URL_EXAMPLE}")
SILENCED_SYSTEM_CHECKS: list[str] = []
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite builds covering indexes (Index.include, PostgreSQL's index-only scans) as plain
    # indexes on their key columns, which is all it needs.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server, the worker and beat share the file without locking each other.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    # Persistent connections tripled API throughput here (see ARCHITECTURE.md).
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Behind PgBouncer in transaction mode, .iterator()'s named (WITH HOLD) cursors would outlive
    # the transaction that owns the server connection: fetch in client-side chunks instead.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DB_DISABLE_SERVER_SIDE_CURSORS", default=False
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        # A Redis outage costs cache hits, not pages (see okrplatform/cache.py).
        "default": {"BACKEND": "okrplatform.cache.FailSoftRedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "root"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=14)

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="okrplatform <noreply@localhost>")
# Where the app is reached, for links in emails sent by background tasks (no request to ask).
SITE_URL = env.str("SITE_URL", default="" if PRODUCTION else "http://127.0.0.1:8000")

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing root on every start
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the <body hx-headers>, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a hard-to-undo promise made to browser vendors for the whole domain; the
        # operator opts in with SECURE_HSTS_PRELOAD=true, so its reminder is not a deploy defect.
        SILENCED_SYSTEM_CHECKS.append("security.W021")
    # Probes speak plain HTTP to the process itself (docs/operations.md): a redirect is no answer.
    SECURE_REDIRECT_EXEMPT = [r"^healthz(/worker)?$"]

# Content-Security-Policy: only our own assets; inline script only with the per-request nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # NONCE is django-csp's marker for the per-request nonce; the string "'nonce'" would be sent
        # as is, and browsers reject it as an invalid source.
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- REST framework -------------------------------------------------------------------------
# The API's plumbing lives in okrplatform/api/ (see docs/api.md).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "okrplatform.api.authentication.APIKeyAuthentication",
        "okrplatform.api.authentication.OrganizationSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["okrplatform.api.permissions.OrganizationPermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "okrplatform.api.pagination.CursorPage",
    "DEFAULT_FILTER_BACKENDS": [
        "okrplatform.api.filters.FilterBackend",
        "okrplatform.api.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["okrplatform.api.throttling.APIKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api": env.str("API_THROTTLE_RATE", default="1200/minute"),
        "api_bulk": env.str("API_BULK_THROTTLE_RATE", default="120/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "okrplatform.api.errors.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Bulk ingest of 10,000 points is ~1 MB of JSON; larger bodies get a 413 problem document
# (kept under Django's DATA_UPLOAD_MAX_MEMORY_SIZE, whose own refusal is an HTML 400).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=2_500_000)
SPECTACULAR_SETTINGS = {
    "TITLE": "okrplatform API",
    "DESCRIPTION": "KPIs, KPI values, OKRs and boards of one organisation. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CycleStatusEnum": "goals.models.CycleStatus",
        "ObjectiveStatusEnum": "goals.models.ObjectiveStatus",
        "KeyResultStatusEnum": "goals.models.KeyResultStatus",
        "InitiativeStatusEnum": "goals.models.InitiativeStatus",
        "CycleKindEnum": "goals.models.CycleKind",
        "KeyResultKindEnum": "goals.models.KeyResultKind",
        "TargetKindEnum": "kpis.models.TargetKind",
        "WebhookEventEnum": "okrplatform.webhooks.models.WebhookEvent",
        "WebhookDeliveryStatusEnum": "okrplatform.webhooks.models.DeliveryStatus",
        "SyncRunStatusEnum": "integrations.models.RunStatus",
        "DataSourceStatusEnum": "integrations.models.SourceStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "okrplatform.api.schema.add_problem_responses",
    ],
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str(
    "CELERY_BROKER_URL", default=f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Celery closes every database connection after every task unless this is set: each sync run
# then paid for a new PostgreSQL session (and its cold catalogue caches). With it, a worker
# keeps its connection as Django's CONN_MAX_AGE says and reconnects every this many tasks;
# okrplatform.worker_connections closes a connection a task may have left unusable.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "platform-heartbeat": {"task": "okrplatform.tenancy.tasks.heartbeat", "schedule": 60.0},
}

# --- Integrations ---------------------------------------------------------------------------
# Fernet keys (comma-separated, newest first) that encrypt integration credentials at rest.
# `manage.py rotate_credential_keys` re-encrypts everything with the first key.
INTEGRATION_CREDENTIAL_KEYS = env.list("INTEGRATION_CREDENTIAL_KEYS", default=[])
if PRODUCTION and not INTEGRATION_CREDENTIAL_KEYS:
    raise ImproperlyConfigured(
        "DJANGO_ENV=production needs INTEGRATION_CREDENTIAL_KEYS (generate one with "
        "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
    )
# Private hosts (names, or CIDR networks) that a self-hosted deployment lets integrations reach.
OUTBOUND_ALLOWED_PRIVATE_HOSTS = env.list("OUTBOUND_ALLOWED_PRIVATE_HOSTS", default=[])
OUTBOUND_ALLOWED_PORTS = env.list("OUTBOUND_ALLOWED_PORTS", cast=int, default=[80, 443, 8080, 8443])
# Queues by kind of work, so one kind cannot starve another: syncs (slow upstreams), webhook
# deliveries and their sweeper's re-sends (slow subscribers), and everything else on "default".
# Production runs a worker per queue (docker-compose.yml, Procfile); `make run` one for all.
CELERY_TASK_ROUTES = {
    "integrations.*": {"queue": "integrations"},
    "webhooks.*": {"queue": "webhooks"},
}
# Every 10 s: a source's change waits for its slot plus up to one tick, so a 1-minute schedule
# shows on the board within 60 + 10 s + the sync itself (goal 75 s; at 30 s it was 90+, make
# bench). The claim is one indexed query (source_due_idx), cheap at any tick rate.
CELERY_BEAT_SCHEDULE["integrations-dispatch"] = {
    "task": "integrations.dispatch_due_sources",
    "schedule": env.float("INTEGRATIONS_DISPATCH_INTERVAL", default=10.0),
}
CELERY_BEAT_SCHEDULE["integrations-sweep"] = {
    "task": "integrations.sweep_expired_runs",
    "schedule": env.float("INTEGRATIONS_SWEEP_INTERVAL", default=60.0),
}
# Per-organisation fairness (integrations/fairness.py): while other organisations share the
# workers, one organisation runs at most this many syncs at once (0: no cap), so its hanging
# integrations cannot hold every worker slot. Alone, it has every slot. "Sharing" = another
# organisation has a run in flight, or this worker ran one within the window (seconds).
INTEGRATIONS_MAX_RUNNING_PER_ORGANIZATION = env.int(
    "INTEGRATIONS_MAX_RUNNING_PER_ORGANIZATION", default=1
)
INTEGRATIONS_FAIRNESS_WINDOW = env.float("INTEGRATIONS_FAIRNESS_WINDOW", default=60.0)
# The dispatcher sends an organisation's due runs as one task per this many (integrations/
# chunks.py); the task fetches at most INTEGRATIONS_FETCH_THREADS of them at once.
INTEGRATIONS_RUNS_PER_TASK = env.int("INTEGRATIONS_RUNS_PER_TASK", default=20)
INTEGRATIONS_FETCH_THREADS = env.int("INTEGRATIONS_FETCH_THREADS", default=8)
# Re-sends webhook deliveries whose message was lost (okrplatform/webhooks/sweeper.py).
CELERY_BEAT_SCHEDULE["webhooks-sweep"] = {
    "task": "webhooks.sweep_due_deliveries",
    "schedule": env.float("WEBHOOKS_SWEEP_INTERVAL", default=60.0),
}

# Notices whose email task was lost (broker down at commit) or ran out of retries are emailed
# by this sweep (okrplatform/notifications/sweeper.py).
CELERY_BEAT_SCHEDULE["notifications-email-sweep"] = {
    "task": "notifications.sweep_unsent_emails",
    "schedule": env.float("NOTIFICATIONS_EMAIL_SWEEP_INTERVAL", default=60.0),
}

# --- Worker liveness ------------------------------------------------------------------------
# Beat sends a canary to each queue; /healthz/worker answers 503 once one goes unanswered, which
# catches a worker that is alive (it answers pings) but no longer consuming.
WORKER_CANARY_QUEUES = env.list(
    "WORKER_CANARY_QUEUES", default=["default", "integrations", "webhooks"]
)
WORKER_CANARY_INTERVAL = env.float("WORKER_CANARY_INTERVAL", default=30.0)
WORKER_HEARTBEAT_MAX_AGE = env.float("WORKER_HEARTBEAT_MAX_AGE", default=WORKER_CANARY_INTERVAL * 4)
for _queue in WORKER_CANARY_QUEUES:
    CELERY_BEAT_SCHEDULE[f"health-canary-{_queue}"] = {
        "task": "okrplatform.health.canary",
        "schedule": WORKER_CANARY_INTERVAL,
        # A canary nobody took in time is dropped: a returning worker answers one, not hundreds.
        "options": {"queue": _queue, "expires": WORKER_CANARY_INTERVAL},
    }

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "okrplatform.requestid.RequestIDLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # httpx logs every request URL at INFO; integration URLs may carry tenants' tokens.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
