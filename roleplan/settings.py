"""Settings for roleplan, read from environment variables (12-factor).

Every variable is listed in .env.example and in the README. With none set, roleplan runs on a
SQLite file and executes Celery tasks in-process, so `make run` needs no server. With
DATABASE_URL and REDIS_URL set, the same code runs on PostgreSQL, Redis and Celery workers.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=1 for local development."
        )
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "django-insecure-roleplan-development-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # Django's widget templates, found by the project's engine (FORM_RENDERER)
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "dbbackup",
    "roleplan.ownership",
    "products",
    "projects",
    "roleplan.alignment",
    "roleplan.activity",  # comments, mentions, notifications, follows, search, history
    "simple_history",  # the history of every editable row (roleplan/activity/history.py)
    # The JSON API (/api/v1/) and webhooks; "ninja" serves the API docs' files locally (no CDN).
    "ninja",
    "roleplan.integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before CommonMiddleware's host check: GET /healthz answers whatever the Host header
    # (container healthchecks and load balancers probe by address).
    "roleplan.middleware.HealthCheckMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A body that cannot be read as a form answers 400 before anything reads request.POST (the
    # CSRF check reads it in process_view, which runs after every middleware's __call__); after
    # AuthenticationMiddleware, so the error page knows who is signed in.
    "roleplan.middleware.UnreadableBodyMiddleware",
    # Before LoginRequiredMiddleware, whose first look at request.user reads the database.
    "roleplan.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Who saved a row when a service did not say (roleplan/activity/history.py: the service's
    # `by` comes first).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "roleplan.urls"
# Widgets render through the project's template engine, so templates/django/forms/widgets/
# can draw a select's options and a checkbox list's boxes in one loop instead of three
# includes per option (a change request's option form lists every deliverable and item).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "roleplan.wsgi.application"

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
                "roleplan.context_processors.navigation",
                # The top bar's search box and unread count (no query: a cached count or none).
                "roleplan.activity.context_processors.top_bar",
            ],
            "builtins": [
                "django_htmx.templatetags.django_htmx",
                "template_partials.templatetags.partials",
                # One number format everywhere: |num, |pct, |money, |quantity, |signed, |short.
                "roleplan.numbers",
            ],
        },
    },
]

# Database: PostgreSQL from DATABASE_URL, or a SQLite file as the embedded default.
# Connections persist between requests (CONN_MAX_AGE) and are checked before reuse.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast when the server is gone, so /healthz and pages answer 503 quickly.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = int(
        os.environ.get("DB_CONNECT_TIMEOUT", "2")
    )
else:
    # SQLite: wait for the writer instead of failing at once under concurrent requests.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes first: it refuses a locked-out username and address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Backups (django-dbbackup: manage.py dbbackup / dbrestore) go to a local folder, a volume in
# docker compose. PostgreSQL: pg_dump's custom format, restored with pg_restore. SQLite: its
# online backup API both ways, right while the app writes in WAL mode (roleplan/backups.py).
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR") or BASE_DIR / "backups")
STORAGES["dbbackup"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(BACKUP_DIR)},
}
DBBACKUP_CONNECTOR_MAPPING = {
    "django.db.backends.postgresql": "roleplan.backups.PgRestoreConnector",
    "django.db.backends.sqlite3": "roleplan.backups.SqliteOnlineConnector",
}
DBBACKUP_SEND_EMAIL = False  # failures show on the console and exit non-zero (cron mails them)

# Redis: the Celery broker and the shared cache. Unset: tasks run in-process, cache in memory.
REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "roleplan",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True  # no result backend: tasks report through the database
CELERY_TASK_ACKS_LATE = True  # a task lost with its worker is delivered again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task a dead worker took (acks_late) goes back to the queue once it is older than
# CELERY_VISIBILITY_TIMEOUT seconds; workers look for such tasks every CELERY_RESTORE_INTERVAL.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_interval": int(os.environ.get("CELERY_RESTORE_INTERVAL", "60")),
    "unacked_restore_throttle": 1,
}
CELERY_TIMEZONE = "UTC"
# Heartbeats for /healthz (roleplan/health.py): workers and beat write one every
# HEALTH_HEARTBEAT_SECONDS; one silent for HEALTH_STALE_SECONDS is reported stale; one gone for
# HEALTH_FORGET_SECONDS is no longer listed (a worker scaled down, a container renamed).
HEALTH_HEARTBEAT_SECONDS = float(os.environ.get("HEALTH_HEARTBEAT_SECONDS", "30"))
HEALTH_STALE_SECONDS = float(os.environ.get("HEALTH_STALE_SECONDS", "90"))
HEALTH_FORGET_SECONDS = float(os.environ.get("HEALTH_FORGET_SECONDS", "3600"))
CELERY_BEAT_SCHEDULER = "roleplan.celery:HeartbeatScheduler"
# Beat passes at least this often even when nothing is due, so its heartbeat stays fresh.
CELERY_BEAT_MAX_LOOP_INTERVAL = HEALTH_HEARTBEAT_SECONDS
# How often beat prepares due syncs and sweeps deliveries (seconds; the drills shorten them).
SYNC_PREPARE_EVERY = float(os.environ.get("SYNC_PREPARE_EVERY_SECONDS", "300"))
DELIVERY_SWEEP_EVERY = float(os.environ.get("DELIVERY_SWEEP_EVERY_SECONDS", "60"))
ACTIVITY_SWEEP_EVERY = float(os.environ.get("ACTIVITY_SWEEP_EVERY_SECONDS", "300"))
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Prepare the syncs starting within a local day and send their reminders (alignment).
    "alignment-prepare-due-syncs": {
        "task": "alignment.prepare_due_syncs",
        "schedule": SYNC_PREPARE_EVERY,
        "options": {"expires": max(SYNC_PREPARE_EVERY - 10, 1)},
    },
    # Retries after a backoff and deliveries whose sender died.
    "alignment-send-due-deliveries": {
        "task": "alignment.send_due_deliveries",
        "schedule": DELIVERY_SWEEP_EVERY,
        "options": {"expires": max(DELIVERY_SWEEP_EVERY - 5, 1)},
    },
    # Project health that changes with the calendar alone (a milestone becoming overdue).
    "projects-note-health": {
        "task": "projects.note_health",
        "schedule": crontab(minute=5),
        "options": {"expires": 3000},
    },
    # The weekly digest, Monday 07:00 UTC.
    "alignment-weekly-digest": {
        "task": "alignment.plan_weekly_digests",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
    # Action items given to someone or overdue: each owner told once (activity).
    "activity-sweep-action-items": {
        "task": "activity.sweep_action_items",
        "schedule": ACTIVITY_SWEEP_EVERY,
        "options": {"expires": max(ACTIVITY_SWEEP_EVERY - 10, 1)},
    },
    # The notifications people chose to read on Monday, Monday 07:30 UTC (activity).
    "activity-weekly-digest": {
        "task": "activity.plan_weekly_digests",
        "schedule": crontab(minute=30, hour=7, day_of_week="mon"),
    },
}

# The JSON API and webhooks (roleplan/integrations). Requests per token (or signed-in person)
# and minute, counted in the shared cache; 429 with Retry-After past it.
API_RATE_LIMIT_PER_MINUTE = int(os.environ.get("API_RATE_LIMIT_PER_MINUTE", "600"))
# Webhooks: a target resolving to a loopback, private, link-local or reserved address is
# refused unless this is on (tests, intranets). Each attempt waits at most WEBHOOK_TIMEOUT
# seconds and reads at most WEBHOOK_RESPONSE_BYTES of the answer; refused ones are retried with
# a doubling wait from WEBHOOK_RETRY_SECONDS, up to WEBHOOK_MAX_ATTEMPTS; a subscription whose
# attempts failed WEBHOOK_DISABLE_AFTER times in a row is turned off and its owner emailed.
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE")
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "5"))
WEBHOOK_RESPONSE_BYTES = int(os.environ.get("WEBHOOK_RESPONSE_BYTES", "4096"))
WEBHOOK_RETRY_SECONDS = int(os.environ.get("WEBHOOK_RETRY_SECONDS", "30"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))
WEBHOOK_DISABLE_AFTER = int(os.environ.get("WEBHOOK_DISABLE_AFTER", "15"))
WEBHOOK_LEASE_SECONDS = int(os.environ.get("WEBHOOK_LEASE_SECONDS", "60"))
WEBHOOK_SWEEP_EVERY = float(os.environ.get("WEBHOOK_SWEEP_EVERY_SECONDS", "60"))
# Retries after a backoff, and deliveries whose sender died (integrations).
CELERY_BEAT_SCHEDULE["integrations-send-due-webhooks"] = {
    "task": "integrations.send_due_webhooks",
    "schedule": WEBHOOK_SWEEP_EVERY,
    "options": {"expires": max(WEBHOOK_SWEEP_EVERY - 5, 1)},
}

# Email: the console backend unless an SMTP host is configured.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = 10
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "roleplan <roleplan@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Reminder and digest deliveries (roleplan/alignment/delivery.py): emails per SMTP connection;
# seconds after which a claim of a dead sender is taken over; first retry wait (doubling); tries.
DELIVERY_BATCH_SIZE = int(os.environ.get("DELIVERY_BATCH_SIZE", "100"))
DELIVERY_LEASE_SECONDS = int(os.environ.get("DELIVERY_LEASE_SECONDS", "900"))
DELIVERY_RETRY_SECONDS = int(os.environ.get("DELIVERY_RETRY_SECONDS", "60"))
DELIVERY_MAX_ATTEMPTS = int(os.environ.get("DELIVERY_MAX_ATTEMPTS", "8"))

# The public address of this installation, for links in emails and calendar feeds.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# The right-hand side of the Message-IDs of roleplan's emails.
EMAIL_MESSAGE_DOMAIN = urlparse(SITE_URL).hostname or "roleplan.local"

# Ownership: how long an owner's confirmation stays valid.
OWNERSHIP_CONFIRM_DAYS = int(os.environ.get("OWNERSHIP_CONFIRM_DAYS", "90"))

# Behind HTTPS (a proxy that sets X-Forwarded-Proto), cookies are secure and HSTS is sent.
# Without it (make run on http://127.0.0.1) a secure cookie would never come back, so the
# switch is explicit rather than derived from DEBUG. The proxy must overwrite
# X-Forwarded-Proto: a client-supplied value would otherwise pass for HTTPS.
HTTPS = env_bool("HTTPS")
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    # includeSubDomains covers the host's own subdomains only; "preload" in the header is
    # inert until someone submits the domain to the browsers' preload list (a separate step).
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: htmx sends the token from hx-headers on <body>.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "roleplan.csrf.csrf_failure"  # the app's own 403 page: reload, go back
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4). Scripts come only from our own static files: no
# inline <script>, no on*= handlers, no javascript: URLs, no eval (htmx runs with allowEval
# off, see templates/base.html). Inline style *attributes* stay allowed (style-src-attr) for
# one reason: progress bars (the project overview and scope pages, among others) set their
# width with style="width: N%". Style elements and sheets still come only from 'self' (htmx's own
# indicator <style> is switched off with includeIndicatorStyles: false).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Sign-in throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair is refused for AXES_COOLOFF_MINUTES, counted from the last
# failure; further tries while locked do not extend the wait. A success clears the count.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "roleplan.throttling.lockout_response"
# The client's address is the connection's, or behind PROXY_COUNT trusted proxies the entry of
# X-Forwarded-For that the outermost of them appended (roleplan/throttling.py).
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "roleplan.throttling.client_ip"
AXES_USERNAME_CALLABLE = "roleplan.throttling.username"
AXES_VERBOSE = False  # no banner on every manage.py command; lockouts are still logged

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},  # failures and lockouts; not every sign-in
    },
}
