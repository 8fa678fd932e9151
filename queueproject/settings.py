"""Settings, read from the environment with safe development defaults.

Every variable is documented in README.md ("Configuration"). With nothing set, the project runs on
SQLite and an embedded Redis under var/; production sets DEBUG=0, SECRET_KEY, DATABASE_URL and
REDIS_URL.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from queueproject.api.docs import TAGS as API_TAGS
from queueproject.env import env_bool, env_bytes, env_int, env_limits, env_list, env_str
from queueproject.redis_settings import redis_settings

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("QUEUEPROJECT_VAR_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DEBUG", True)


def _secret_key() -> str:
    key = env_str("SECRET_KEY", "")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "jobs",
    "uploads",
    "dashboard",
    "django_rq",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "queueproject.middleware.refuse_nul_in_query",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "queueproject.urls"
ASGI_APPLICATION = "queueproject.asgi.application"
WSGI_APPLICATION = "queueproject.wsgi.application"

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
                "dashboard.context.roles",
            ],
        },
    },
]


def _database(url: str) -> dict[str, object]:
    config: dict[str, object] = dict(
        dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Several worker processes write at once: WAL lets readers proceed, IMMEDIATE takes the
        # write lock up front (no deadlock-prone upgrade), and the timeout waits for it.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
        # Tests start worker processes that must see the test database: keep it on disk.
        config["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    return config


DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: one server for RQ, cache and the channel layer. Unset: the embedded server under var/.
REDIS_URL = env_str("REDIS_URL", "")
EMBEDDED_REDIS_DIR = VAR_DIR / "redis"
EMBEDDED_REDIS = not REDIS_URL
if EMBEDDED_REDIS:
    REDIS_URL = f"unix://{EMBEDDED_REDIS_DIR / 'redis.sock'}?db=0"

JOB_QUEUES = env_list("JOB_QUEUES", ["uploads", "default"])
JOB_DEFAULT_TIMEOUT = env_int("JOB_DEFAULT_TIMEOUT", 600, minimum=1)
JOB_BATCH_MAX = env_int("JOB_BATCH_MAX", 1000, minimum=1)  # jobs in one batch submission
# Backpressure: most pending + waiting jobs per queue ("*" = every queue; 0 = no limit).
QUEUE_MAX_WAITING = env_limits("QUEUE_MAX_WAITING", {"*": 100_000})
JOB_RETENTION_DAYS = env_int("JOB_RETENTION_DAYS", 30, minimum=1)
METRICS_RETENTION_DAYS = env_int("METRICS_RETENTION_DAYS", 14, minimum=1)
# GET /metrics accepts `Authorization: Bearer <METRICS_TOKEN>`; unset, only staff sessions.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
MAINTENANCE_INTERVAL = env_int("MAINTENANCE_INTERVAL", 30, minimum=1)
WORKER_HEARTBEAT_INTERVAL = env_int("WORKER_HEARTBEAT_INTERVAL", 5, minimum=1)
WORKER_DEAD_AFTER = env_int("WORKER_DEAD_AFTER", 30, minimum=2)
WORKER_SHUTDOWN_GRACE = env_int("WORKER_SHUTDOWN_GRACE", 5, minimum=0)
MAX_STALLED_COUNT = env_int("MAX_STALLED_COUNT", 3, minimum=0)
# Diagnostic job types (system.noop, system.sleep, system.fail) for health checks and benchmarks.
DIAGNOSTIC_JOBS = env_bool("DIAGNOSTIC_JOBS", DEBUG)
_redis = redis_settings(REDIS_URL, queues=JOB_QUEUES, default_timeout=JOB_DEFAULT_TIMEOUT)
RQ_QUEUES = _redis["RQ_QUEUES"]
RQ = {"WORKER_CLASS": "jobs.worker.LedgerWorker"}
CACHES = _redis["CACHES"]
CHANNEL_LAYERS = _redis["CHANNEL_LAYERS"]

# Limits of the bulk-upload pipeline.
UPLOAD_MAX_BYTES = env_bytes("UPLOAD_MAX_BYTES", 100 * 1024 * 1024)
UPLOAD_MAX_ROWS = env_int("UPLOAD_MAX_ROWS", 1_000_000, minimum=1)
# An xlsx is a zip: refuse one that expands past this (a zip bomb).
UPLOAD_MAX_UNCOMPRESSED_BYTES = env_bytes("UPLOAD_MAX_UNCOMPRESSED_BYTES", 2 * 1024**3)
# Spare a busy database: at most this many rows per second per import (0 = no limit).
UPLOAD_THROTTLE_ROWS_PER_SECOND = env_int("UPLOAD_THROTTLE_ROWS_PER_SECOND", 0)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-za"
TIME_ZONE = env_str("TIME_ZONE", "Africa/Johannesburg")
USE_I18N = True
FORMAT_MODULE_PATH = ["queueproject.formats"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "dashboard" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
if DEBUG:  # whitenoise warns on every start when STATIC_ROOT is missing
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

LOGIN_URL = "dashboard:login"
LOGIN_REDIRECT_URL = "dashboard:overview"
LOGOUT_REDIRECT_URL = "dashboard:login"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "queueproject.api.envelope.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["queueproject.api.throttles.ScopedThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "uploads": env_str("THROTTLE_UPLOADS", "60/min"),
        "submissions": env_str("THROTTLE_SUBMISSIONS", "120/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Request bodies are JSON (the bulk upload's multipart form is declared on its view).
    "DEFAULT_PARSER_CLASSES": ["queueproject.api.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "queueproject API",
    "DESCRIPTION": "Bulk uploads and durable background jobs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets come from drf-spectacular-sidecar and are served by us: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Resource tags, and a summary and description for every operation (queueproject/api/docs.py).
    "TAGS": API_TAGS,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "queueproject.api.docs.describe_operations",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
