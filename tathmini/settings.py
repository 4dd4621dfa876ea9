"""Tathmini settings: one module, every value from the environment (see README's table).

The embedded default (no variables set) is a development server on SQLite in ./data.
TATHMINI_PRODUCTION=1 turns on the production mode: DEBUG off, a real SECRET_KEY required,
HTTPS-only cookies and HSTS; `manage.py check --deploy --fail-level WARNING` passes in it.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from tathmini.env import database_from_url, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

PRODUCTION = env_bool("TATHMINI_PRODUCTION", False)
DEBUG = False if PRODUCTION else env_bool("DEBUG", True)

_DEV_SECRET = "dev-only-insecure-key-never-used-in-production"  # noqa: S105  (refused in production)
SECRET_KEY = env_str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of 50+ characters in production")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the host(s) the site is served on in production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the API docs page's assets, served from here (no CDN)
    "tathmini.core",
    "tathmini.accounts",
    "tathmini.strategy",
    "tathmini.registry",
    "tathmini.services",
    "tathmini.feedback",
    "tathmini.records",
    "tathmini.api",
    "tathmini.measure",
    "tathmini.monitor",
    "tathmini.reports",
    "tathmini.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content Security Policy and Permissions Policy, on static files too (core/middleware.py).
    "tathmini.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # NUL in an address or a query string never reaches a query (tathmini/core/safeinput.py).
    "tathmini.core.safeinput.UnstorableInputMiddleware",
]

ROOT_URLCONF = "tathmini.urls"
WSGI_APPLICATION = "tathmini.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "tathmini.core.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATA_DIR = Path(env_str("TATHMINI_DATA_DIR", str(BASE_DIR / "data")))
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "tathmini.sqlite3",
            "OPTIONS": {
                # IMMEDIATE takes the write lock when a transaction starts, so two writers
                # queue on busy_timeout instead of failing with "database is locked" midway.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # WAL lets readers run beside the one writer; synchronous=FULL keeps every
                # committed transaction after a power cut (NORMAL could lose the last ones).
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
            },
            "TEST": {"NAME": None},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Spreadsheet import (docs/import-formats.md) -----------------------------------------------
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
# An XLSX file is a zip of XML: refused before unpacking when it has too many parts or inflates too far.
IMPORT_MAX_XLSX_ENTRIES = env_int("IMPORT_MAX_XLSX_ENTRIES", 200, minimum=1)
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024, minimum=1)
# Files with more rows are refused: memory follows the rows a file holds, not its bytes.
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 100_000, minimum=1)
# Files with more rows are checked and written in the background, with a progress page.
IMPORT_BACKGROUND_ROWS = env_int("IMPORT_BACKGROUND_ROWS", 2000, minimum=0)

# --- REST API (docs/api.md) ---------------------------------------------------------------------
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "600/min")  # per token; checked at start-up (api.E001)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tathmini.api.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["tathmini.api.permissions.HasApiToken"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["tathmini.api.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_METADATA_CLASS": None,  # no OPTIONS: the schema describes every endpoint
    "EXCEPTION_HANDLER": "tathmini.api.problems.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tathmini API",
    "DESCRIPTION": "The operational records of the e-Government Agency's strategic plan (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs page are public; a signed-in session only shows the site's header.
    "SERVE_AUTHENTICATION": ["rest_framework.authentication.SessionAuthentication"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets whose field name other record types share, named here; the others get distinct
    # names by themselves (a complaint's are also in its ComplaintChangeRequest component).
    "ENUM_NAME_OVERRIDES": {
        "InformationRequestStatusEnum": "tathmini.feedback.models.InformationRequest.Status",
        "ComplaintStatusEnum": "tathmini.feedback.models.Complaint.Status",
        "ComplaintCategoryEnum": "tathmini.feedback.models.Complaint.Category",
    },
    "PREPROCESSING_HOOKS": ["tathmini.api.schema.expand_record_endpoints"],
}

# --- Availability monitor (docs/monitor.md) -------------------------------------------------
# Addresses or networks (CIDR) the monitor may reach although they are not public, e.g. a GovNet
# range; by default it refuses loopback, private, link-local, multicast and other such addresses.
MONITOR_ALLOWLIST = env_list("MONITOR_ALLOWLIST", [])
MONITOR_CONCURRENCY = env_int("MONITOR_CONCURRENCY", 100, minimum=1)
MONITOR_TIMEOUT_SECONDS = env_int("MONITOR_TIMEOUT_SECONDS", 10, minimum=1)
MONITOR_MAX_BYTES = env_int("MONITOR_MAX_BYTES", 1024 * 1024, minimum=1024)
MONITOR_INTERVAL_SECONDS = env_int("MONITOR_INTERVAL_SECONDS", 60, minimum=10)
# The hourly probe figures (response times) of days older than this are cleared; flips, incidents
# and the daily availability (seconds monitored and up) are kept for good.
MONITOR_ROLLUP_DAYS = env_int("MONITOR_ROLLUP_DAYS", 90, minimum=2)

# --- Reports (docs/reports.md) ------------------------------------------------------------------
# Returns for a period fall due this many days after it ends; reminders go out this many days before.
REPORTS_RETURN_GRACE_DAYS = env_int("REPORTS_RETURN_GRACE_DAYS", 30, minimum=0)
REPORTS_REMINDER_DAYS = env_int("REPORTS_REMINDER_DAYS", 7, minimum=0)

# --- Public portal (docs/portal.md) -----------------------------------------------------------
INFORMATION_REQUEST_WORKING_DAYS = env_int("INFORMATION_REQUEST_WORKING_DAYS", 20, minimum=1)
COMPLAINT_WORKING_DAYS = env_int("COMPLAINT_WORKING_DAYS", 10, minimum=1)
# Posts one client may make to each public form (and reference look-ups); checked at start-up.
PORTAL_RATE_LIMIT = env_str("PORTAL_RATE_LIMIT", "10/hour")
# The year's moon-dated public holidays (Eid al-Fitr, Eid al-Adha, Maulid), as ISO dates.
PORTAL_EXTRA_HOLIDAYS = env_list("PORTAL_EXTRA_HOLIDAYS", [])

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "sw"  # Swahili first; English beside it
LANGUAGES = [("sw", _("Kiswahili")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True  # stored in UTC; shown in the Agency's time zone
TIME_ZONE = env_str("TIME_ZONE", "Africa/Dar_es_Salaam")
LANGUAGE_COOKIE_NAME = "tathmini_language"

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]  # the site's own CSS; apps' static/ folders are found too
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Uploaded files (evidence of manual indicator values) ---------------------------------------
# Never served as static files: nothing routes MEDIA_URL, and a reverse proxy must not either.
# Evidence goes out only through the manual values' download view, which checks who asks.
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"
MANUAL_EVIDENCE_MAX_BYTES = env_int("MANUAL_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024, minimum=1)

# --- Email ----------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tathmini@localhost")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# On every response, development included (SecurityMiddleware; Django's defaults, stated here).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_FAILURE_VIEW = "tathmini.core.errors.csrf_failure"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("USE_X_FORWARDED_PROTO", False):
        # Only behind a proxy that sets this header itself and strips it from clients.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"redact_tokens": {"()": "tathmini.core.logs.RedactTokensInPaths"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Failed sign-ins, lockouts, refused pages and API calls, failed CSRF checks; and every
        # unhandled exception with the reference its error page shows (tathmini/core/logs.py).
        # At INFO whatever LOG_LEVEL says: they reach the console through the root's handler.
        "tathmini.security": {"level": "INFO"},
        "tathmini.errors": {"level": "INFO"},
        # Its lines carry the path, where a survey invitation's token would be.
        "django.request": {"filters": ["redact_tokens"]},
    },
}
