"""Settings for the Organs Work Portal, read from the environment.

Embedded defaults (no variables set): SQLite file, Celery eager, local media, console e-mail,
so `make run` needs nothing else running. With DATABASE_URL and REDIS_URL the same code runs
in its production shape (PostgreSQL, Redis broker, Celery worker and beat). With DEBUG off,
a missing secret stops start-up with a clear message instead of running insecurely.
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.conf import global_settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Off unless asked for: a production server that forgets the variable must not serve debug pages. `make run` and the
# test suite (tests/env_plugin.py) ask for it.
DEBUG = env.bool("DEBUG", default=False)
# Production over HTTPS (the default) or on a plain-HTTP intranet: one switch for the SSL redirect, HSTS and the
# Secure flag on the session and CSRF cookies (browsers drop Secure cookies over http, and every login would be a 403).
PORTAL_HTTPS = env.bool("PORTAL_HTTPS", default=True)

_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"


def _is_placeholder(value: str) -> bool:
    """Whether `value` is one of .env.example's examples (its secrets, or a host in an example.* domain)."""
    if value == "change-me-to-50-random-characters":
        return True
    hosts = (item.split("://")[-1].split(":")[0].lower() for item in value.split(","))
    return any("example" in host.split(".") for host in hosts)


SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not DEBUG:
    _missing = [
        name
        for name, present in (
            ("SECRET_KEY", SECRET_KEY and SECRET_KEY != _DEV_SECRET),
            ("ALLOWED_HOSTS", env.list("ALLOWED_HOSTS", default=[])),
            ("DATABASE_URL", env.str("DATABASE_URL", default="")),
        )
        if not present
    ]
    if _missing:
        raise ImproperlyConfigured(
            "DEBUG is off, so these environment variables must be set: "
            + ", ".join(_missing)
            + ". See .env.example. (For development, set DEBUG=true: `make run` does.)"
        )
    # A copied .env.example must not become a production site whose secret key everybody knows.
    _placeholders = [
        name
        for name, value in (
            ("SECRET_KEY", SECRET_KEY),
            ("ALLOWED_HOSTS", ",".join(env.list("ALLOWED_HOSTS", default=[]))),
            ("CSRF_TRUSTED_ORIGINS", ",".join(env.list("CSRF_TRUSTED_ORIGINS", default=[]))),
        )
        if _is_placeholder(value)
    ]
    if _placeholders:
        raise ImproperlyConfigured(
            "DEBUG is off, but these environment variables still hold the example values from .env.example: "
            + ", ".join(_placeholders)
            + ". Replace them with this site's own values."
        )
    if "SECURE_SSL_REDIRECT" in os.environ:
        raise ImproperlyConfigured(
            "SECURE_SSL_REDIRECT is no longer read: set PORTAL_HTTPS=false for a plain-HTTP intranet "
            "(it also drops the Secure flag from cookies, without which login works only over HTTPS)."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the form widgets' own templates, for FORM_RENDERER below
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_htmx",
    "csp",
    "portal.third_party.AxesConfig",
    "django_celery_beat",
    "portal.third_party.CeleryResultsConfig",
    "portal",
    "activities",
    "clubs",
    "reading",
    "volunteers",
    "budget",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.PortalLocaleMiddleware",
    # After the language is chosen (its 400 page is translated), before anything queries with the URL's values.
    "portal.middleware.RejectNulCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication (it must know who is anonymous), before any view or CSRF check reads the body.
    "portal.middleware.AnonymousBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.ForcePasswordChangeMiddleware",
    # Must be last: it answers locked-out logins before the view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.portal_roles",
                "activities.context_processors.activity_roles",
            ],
        },
    },
]

# Widgets render through TEMPLATES, so templates/ can override a widget's template (the admin's date and time
# inputs get labels: templates/admin/widgets/split_datetime.html).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# How long a service waits for a row another request holds before answering "busy, try again" (PostgreSQL only:
# SQLite locks the whole database instead). See portal/locking.py.
PORTAL_LOCK_TIMEOUT_MS = env.int("PORTAL_LOCK_TIMEOUT_MS", default=5000)

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend that refuses throttled addresses and counts failed logins (portal/throttle.py).
    "portal.throttle.ThrottledModelBackend",
]

# Django's hashers (the first hashes every password people choose), plus the cheap one for generated
# one-time initial passwords (portal/hashers.py says why it may be cheap).
PASSWORD_HASHERS = [*global_settings.PASSWORD_HASHERS, "portal.hashers.InitialPasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed-login throttling (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Both axes and the login throttle take the client's address from here (behind TRUSTED_PROXY_COUNT proxies).
AXES_CLIENT_IP_CALLABLE = "portal.throttle.client_ip"
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Password spraying (portal/throttle.py): failed logins counted per client address across every account, and for
# the whole site, in the cache (CACHE_URL; shared by all workers only with a shared cache such as Redis).
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_FAILURES_GLOBAL = env.int("LOGIN_FAILURES_GLOBAL", default=500)
LOGIN_FAILURES_WINDOW_SECONDS = env.int("LOGIN_FAILURES_WINDOW_SECONDS", default=15 * 60)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:my_page"
LOGOUT_REDIRECT_URL = "portal:home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Uploaded files (posters) are public. Django serves them itself only in development; in production the web server
# in front does (nginx in docker-compose.yml, configured by portal/deploy/nginx.conf).
PORTAL_SERVE_MEDIA = DEBUG
# Summary workbooks: private, outside MEDIA_ROOT, served only by a view that checks permission. The web app and
# the Celery worker must share this directory.
REPORTS_ROOT = Path(env.str("REPORTS_ROOT", default=str(BASE_DIR / "private" / "reports")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="portal@localhost")
# Told (besides the committee staff with an e-mail address) when a summary report fails for a reason a retry would
# not cure: a comma-separated list of addresses.
ADMINS = [(address, address) for address in env.list("ADMINS", default=[])]

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Celery: eager without a broker (embedded mode), Redis with REDIS_URL (production shape).
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The periodic schedule lives in code; beat syncs it into its database table at start.
CELERY_BEAT_SCHEDULE = {
    "portal-heartbeat": {
        "task": "portal.tasks.record_heartbeat",
        "schedule": crontab(minute="*/10"),
    },
    # Last quarter's summary workbook, at 02:00 on the first day of each quarter (skipped if one exists).
    "reports-last-quarter": {
        "task": "portal.reports.generate_last_quarter_report",
        "schedule": crontab(minute=0, hour=2, day_of_month=1, month_of_year="1,4,7,10"),
    },
    # Reports left "running" by a worker that died are marked failed.
    "reports-fail-stuck": {
        "task": "portal.reports.fail_stuck_reports",
        "schedule": crontab(minute="*/10"),
    },
}

# Roster import limits. New accounts get no usable password: liaisons and staff issue each one a random initial
# password (portal/credentials.py), to be changed at first login.
ROSTER_IMPORT_MAX_BYTES = env.int("ROSTER_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
ROSTER_IMPORT_MAX_ROWS = env.int("ROSTER_IMPORT_MAX_ROWS", default=100_000)
# A sheet may reach this many columns (the roster's own plus the staff's extra ones); beyond it, it is refused.
ROSTER_IMPORT_MAX_COLUMNS = env.int("ROSTER_IMPORT_MAX_COLUMNS", default=64)
# What the workbook may unpack to (all its parts together): a zip bomb is refused before anything is parsed.
ROSTER_IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("ROSTER_IMPORT_MAX_UNCOMPRESSED_BYTES", default=200 * 1024 * 1024)
# Uploaded rosters wait here (private, outside MEDIA_ROOT) for the import task; the web app and the Celery worker
# must share this directory. A file is deleted once its import has finished.
IMPORTS_ROOT = Path(env.str("IMPORTS_ROOT", default=str(BASE_DIR / "private" / "imports")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    # The proxy in front (nginx in docker-compose.yml) sets this header to the scheme the client used.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if PORTAL_HTTPS:
        SECURE_SSL_REDIRECT = True
        SESSION_COOKIE_SECURE = True
        CSRF_COOKIE_SECURE = True
        SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
        SECURE_HSTS_INCLUDE_SUBDOMAINS = True
        SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    else:
        # Plain-HTTP intranet (PORTAL_HTTPS=false): no redirect, no HSTS, cookies without the Secure flag. These are
        # exactly the deploy checks that ask for HTTPS; everything else `check --deploy` reports still counts.
        SILENCED_SYSTEM_CHECKS = [
            "security.W004",  # SECURE_HSTS_SECONDS
            "security.W008",  # SECURE_SSL_REDIRECT
            "security.W012",  # SESSION_COOKIE_SECURE
            "security.W016",  # CSRF_COOKIE_SECURE
        ]

# Largest body an anonymous visitor may send (the login form needs a few hundred bytes); larger requests get 413
# before the body is read. Signed-in users are bound by DATA_UPLOAD_MAX_MEMORY_SIZE and the upload limits.
ANONYMOUS_MAX_BODY_BYTES = env.int("ANONYMOUS_MAX_BODY_BYTES", default=64 * 1024)

# Content-Security-Policy (django-csp): only our own scripts, styles, fonts and images run or load. Templates carry
# no inline <script>, <style>, style="" or on*= handlers; htmx is told not to inject its indicator <style>
# (templates/base.html). Bootstrap draws its icons (select arrows, the menu button) from data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every login at INFO; failures and lockouts still come through as warnings.
    "loggers": {"axes": {"level": "WARNING"}},
}

PORTAL_SITE_TITLE = _("Organs Work Portal")
PORTAL_ADMIN_INDEX_TITLE = _("Committee administration")
