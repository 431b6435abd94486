"""Settings for the involvement portal: one module, read from the environment.

With no environment at all these are the laptop defaults (DEBUG on, SQLite, local-memory cache,
email on the console), so `make run` and `.venv/bin/python manage.py ...` share one database.
In production (DEBUG off) a missing SECRET_KEY or ALLOWED_HOSTS stops start-up rather than
running insecurely, and the HTTPS-only protections switch on.
"""

from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    # Only ever used on a laptop: production refuses to start without its own key.
    SECRET_KEY = env.str("SECRET_KEY", default="laptop-only-insecure-key-do-not-deploy")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("laptop-only"):
        raise ImproperlyConfigured("Set SECRET_KEY to a random value of at least 50 characters.")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Set ALLOWED_HOSTS to the host names the portal answers on.")

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# How many proxies in front of gunicorn are the trust's own, and so whose X-Forwarded-For
# entries are believed (involvement/client_address.py): 0 believes none, 1 is nginx alone.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("Set TRUSTED_PROXY_COUNT to 0 or more.")

INSTALLED_APPS = [
    "involvement.apps.StaffAdminConfig",  # django.contrib.admin, with the staff sign-in
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "crispy_forms",
    "formtools",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "involvement",
    "opportunities",
    "applications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages go out gzipped to browsers that accept it: the opportunity list is 28 KB of HTML
    # and about 5 KB compressed, on a phone the difference between one round trip and several
    # before the first paint. Django's GZipMiddleware pads each response with a random number
    # of bytes ("Heal the BREACH"), and CSRF tokens are masked afresh on every page, so a
    # compressed page does not give its secrets away to a BREACH-style attack. Static files
    # never reach it: whitenoise above answers them, compressed once at collectstatic.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "involvement.middleware.StaffSessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "involvement.middleware.SecurityHeadersMiddleware",
    # django-axes wants to be last: it turns a lock-out into its response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed sign-ins and locks the account and address out (see AXES_* below).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "involvement.urls"
WSGI_APPLICATION = "involvement.wsgi.application"

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
                "involvement.context_processors.trust",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
# A kept connection is checked before a request uses it, so after a database restart the first
# request on each worker reconnects instead of failing with the dead connection.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://involvement")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Losing Redis degrades the portal, never breaks it (involvement/cache.py): pages are built
    # without it, and a Redis that does not answer is given up on within these timeouts.
    CACHES["default"]["BACKEND"] = "involvement.cache.ResilientRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}
    )
# After Redis fails to answer, it is left alone for this many seconds before being tried again,
# so a Redis that is down costs requests nothing.
CACHE_RETRY_SECONDS = env.int("CACHE_RETRY_SECONDS", default=5)
# Public pages are kept in the cache for visitors who are not signed in and forgotten when staff
# change what they show (involvement/page_cache.py). This bounds what changes with the clock
# alone, such as a meeting that has started no longer being "upcoming". 0 turns it off.
PUBLIC_PAGE_CACHE_SECONDS = env.int("PUBLIC_PAGE_CACHE_SECONDS", default=300)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# NHS.UK frontend comes straight from its npm package; `make run` and CI run `npm ci` first.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("nhsuk", BASE_DIR / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default=(
                "django.contrib.staticfiles.storage.StaticFilesStorage"
                if DEBUG
                else "involvement.storage.StaticFilesStorage"
            ),
        )
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# Without a timeout an SMTP server that stops answering would stall the email worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="involvement@example.nhs.uk")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background tasks (emails). On a laptop they run at once, in the request's process, after the
# database transaction commits; in production TASKS_BACKEND is django-tasks-db's database
# backend and `manage.py email_worker` runs them.
TASKS = {
    "default": {
        "BACKEND": env.str(
            "TASKS_BACKEND", default="django_tasks.backends.immediate.ImmediateBackend"
        ),
    }
}
# `manage.py email_worker` (involvement/worker.py) puts back in the queue an email task that a
# worker has been "running" for longer than this: that worker died (killed, machine lost) while
# sending. It must be longer than the longest real send, or an email still being sent would be
# sent twice: each task sends one email, and the SMTP server is allowed EMAIL_TIMEOUT (30)
# seconds to answer each step of the conversation (connect, greeting, sender, recipient, data),
# so a slow server can take a few times that; 300 leaves room for one slow at every step and for
# clocks a little apart between machines.
EMAIL_WORKER_STALE_SECONDS = env.int("EMAIL_WORKER_STALE_SECONDS", default=300)
if not DEBUG and EMAIL_WORKER_STALE_SECONDS <= 2 * EMAIL_TIMEOUT:
    raise ImproperlyConfigured(
        "Set EMAIL_WORKER_STALE_SECONDS above twice EMAIL_TIMEOUT, or emails still being sent "
        "would be sent again."
    )
# The email queue counts as stalled (a warning on the admin's home page and in the log, and
# `manage.py check_email_queue` failing) when an email has waited longer than this to be sent.
EMAIL_QUEUE_ALERT_MINUTES = env.int("EMAIL_QUEUE_ALERT_MINUTES", default=15)

# How long personal details are kept (`manage.py apply_retention`, run daily, anonymises them;
# the privacy notice states these periods from the same settings). After an expression of
# interest ends as "not progressed" or "withdrawn" before joining:
RETENTION_ENDED_MONTHS = env.int("RETENTION_ENDED_MONTHS", default=12)
# After a lay partner (an expression that reached "joined") leaves:
RETENTION_LAY_PARTNER_YEARS = env.int("RETENTION_LAY_PARTNER_YEARS", default=6)
# How long the "manage my expression of interest" link in the confirmation email works.
MANAGE_LINK_MAX_AGE = env.int("MANAGE_LINK_MAX_AGE_DAYS", default=180) * 24 * 60 * 60
# How long the link emailed to an under-16's parent or carer, to say whether they agree,
# works. Staff can send a new one from the admin.
PARENT_CONSENT_LINK_MAX_AGE = (
    env.int("PARENT_CONSENT_LINK_MAX_AGE_DAYS", default=30) * 24 * 60 * 60
)
# Expressions of interest one address may send in RATE_LIMIT_WINDOW seconds: generous for a
# person (or a family sharing a connection), tight for a bot.
EXPRESSION_RATE_LIMIT = env.int("EXPRESSION_RATE_LIMIT", default=10)
EXPRESSION_RATE_LIMIT_WINDOW = env.int("EXPRESSION_RATE_LIMIT_WINDOW", default=3600)
# The link confirming a sign-up for alerts about new opportunities works for this many days;
# a sign-up still unconfirmed after that is deleted by `manage.py apply_retention`.
ALERT_CONFIRMATION_DAYS = env.int("ALERT_CONFIRMATION_DAYS", default=3)
if ALERT_CONFIRMATION_DAYS < 1:
    raise ImproperlyConfigured("Set ALERT_CONFIRMATION_DAYS to a whole number of days, 1 or more.")
# A sign-in link to a lay partner's own page (/my-involvement/) works once, for this many
# minutes; signed in, they stay so for MY_INVOLVEMENT_SESSION_HOURS
# (applications/my_involvement.py).
MY_INVOLVEMENT_LINK_MINUTES = env.int("MY_INVOLVEMENT_LINK_MINUTES", default=30)
MY_INVOLVEMENT_SESSION_HOURS = env.int("MY_INVOLVEMENT_SESSION_HOURS", default=3)
if MY_INVOLVEMENT_LINK_MINUTES < 1 or MY_INVOLVEMENT_SESSION_HOURS < 1:
    raise ImproperlyConfigured(
        "Set MY_INVOLVEMENT_LINK_MINUTES and MY_INVOLVEMENT_SESSION_HOURS to 1 or more."
    )
# Claims (applications/claims.py). Receipts people upload are kept here: outside STATIC_ROOT
# and never under any public address; only the claim's views serve them. Back it up with the
# database. Each receipt may be at most RECEIPT_MAX_MB.
RECEIPTS_ROOT = env.path("RECEIPTS_ROOT", default=BASE_DIR / "private" / "receipts")
RECEIPT_MAX_MB = env.int("RECEIPT_MAX_MB", default=10)
# Django's upload limits at their defaults suit the claim form: files over
# FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) are spooled to a temporary file, not held in memory;
# DATA_UPLOAD_MAX_MEMORY_SIZE does not count files; a claim has at most 12 receipt boxes,
# well under DATA_UPLOAD_MAX_NUMBER_FILES (100). The proxy limits the body's size
# (deploy/nginx/involvement.conf).
# Mileage in a person's own car, paid a mile. The default is HMRC's approved mileage allowance
# for cars (45p a mile for the first 10,000 miles); set the trust's own rate if it differs.
EXPENSES_MILEAGE_RATE = Decimal(env.str("EXPENSES_MILEAGE_RATE", default="0.45"))
# `manage.py send_meeting_reminders` emails people booked on meetings this many days ahead.
MEETING_REMINDER_DAYS = env.int("MEETING_REMINDER_DAYS", default=2)
# `manage.py close_event_registrations` closes registrations for an event this many days after
# it ends ("attended" or "did not attend", from the booking): time for staff to record who came.
EVENT_REGISTRATION_CLOSE_DAYS = env.int("EVENT_REGISTRATION_CLOSE_DAYS", default=7)
# Where links in emails point: the public address of the portal.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

CRISPY_ALLOWED_TEMPLATE_PACKS = ("nhsuk",)
CRISPY_TEMPLATE_PACK = "nhsuk"

# The trust the portal serves. Its name and contact details are settings, not code, so the
# same portal can serve another trust.
TRUST_NAME = env.str("TRUST_NAME", default="Imperial College Healthcare NHS Trust")
TRUST_INVOLVEMENT_EMAIL = env.str("TRUST_INVOLVEMENT_EMAIL", default="imperial.involvement@nhs.net")
TRUST_INVOLVEMENT_PHONE = env.str("TRUST_INVOLVEMENT_PHONE", default="")

# NHS.UK's Frutiger web font, from NHS England's asset host as NHS.UK frontend asks for it, only
# when the trust turns it on: an NHS organisation registers for NHS England's licence before it
# uses Frutiger, and on a phone the text then also waits for a second host (a new connection)
# before it is painted. Off, the pages use Arial, NHS.UK's own fallback for Frutiger, and ask
# no other host for anything (static/scss/_fonts.scss).
FRUTIGER_FONT = env.bool("FRUTIGER_FONT", default=False)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Every form, the admin's included, posts the CSRF token from a hidden field, and no script
# (ours, NHS.UK frontend's or the admin's) reads the cookie, so scripts need not see it either.
CSRF_COOKIE_HTTPONLY = True
# Lax, not Strict: a member of staff following the link in a notification email arrives signed
# in. Cross-site POSTs never carry either cookie.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The load balancer may ask for /healthz over plain HTTP; a redirect would read as "down".
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is asked for a whole registrable domain (the trust's *.nhs.uk) by whoever runs
    # it, not by one service on a subdomain, so the portal does not send `preload` unless told
    # to, and the deploy check's reminder about it (security.W021) is silenced until then.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Content-Security-Policy (django-csp) --------------------------------------------------
# No inline scripts or styles anywhere: the nhsuk-frontend "js-enabled" snippet is a static file.
# NHS.UK's Frutiger font, when FRUTIGER_FONT turns it on, comes from its own asset host; off,
# fonts come from the portal alone. The admin needs nothing relaxed either: Django 5.2's admin
# scripts read their settings from data- attributes, never inline scripts.
# tests/browser/test_csp.py signs in and uses the admin in Chromium, listening for refusals.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, *(["https://assets.nhs.uk"] if FRUTIGER_FONT else [])],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# --- Staff sign-in ---------------------------------------------------------------------------
# Five failed sign-ins for one username from one address lock it out for an hour.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# django-axes finds the address with the portal's own helper, which knows TRUSTED_PROXY_COUNT,
# so behind the proxy one person's failures never lock everyone else out.
AXES_CLIENT_IP_CALLABLE = "involvement.client_address.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_HTTP_RESPONSE_CODE = 429
# The lock-out page says for how long, and whom to ask (involvement/security.py).
AXES_LOCKOUT_CALLABLE = "involvement.security.locked_out_response"
# Never keep a typed security code, or a set-up link's token, in django-axes's record of failed
# attempts.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token", "link"]
# Before the lock, failures are slowed: after the 3rd failure for a username and address, another
# attempt sooner than 30 seconds after the last failure is refused without checking the password.
# Refused at once and counted in the cache, never by sleeping in the request, which would let
# anyone tie up the server's few workers by failing to sign in (see involvement/security.py).
STAFF_SIGN_IN_SLOW_AFTER = env.int("STAFF_SIGN_IN_SLOW_AFTER", default=3)
STAFF_SIGN_IN_RETRY_WAIT = env.int("STAFF_SIGN_IN_RETRY_WAIT_SECONDS", default=30)
# Whom staff ask when they are locked out, lose their phone or need a new set-up link.
STAFF_SIGN_IN_HELP_EMAIL = env.str("STAFF_SIGN_IN_HELP_EMAIL", default=TRUST_INVOLVEMENT_EMAIL)
# Two-factor sign-in (TOTP) for every staff account; on by default in production. Admins invite
# a member of staff to set up an authenticator app (involvement/admin.py) and never see its
# secret or QR code: the portal emails the person a set-up link, which works for this many hours
# and for one set-up only (involvement/two_factor.py).
REQUIRE_STAFF_TWO_FACTOR = env.bool("REQUIRE_STAFF_TWO_FACTOR", default=not DEBUG)
STAFF_SET_UP_LINK_HOURS = env.int("STAFF_SET_UP_LINK_HOURS", default=24)
if STAFF_SET_UP_LINK_HOURS < 1:
    raise ImproperlyConfigured("Set STAFF_SET_UP_LINK_HOURS to a whole number of hours, 1 or more.")
OTP_TOTP_ISSUER = f"{TRUST_NAME} involvement portal"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Staff sessions end after 30 minutes idle and 12 hours in all.
SESSION_COOKIE_AGE = 12 * 60 * 60
STAFF_IDLE_TIMEOUT = env.int("STAFF_IDLE_TIMEOUT_MINUTES", default=30) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Error reports never carry what a person typed into a form (involvement/error_reports.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "involvement.error_reports.PersonalDataReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # The security log: sign-ins, failed sign-ins, lock-outs, refused permissions and exports
        # of personal data, one `event=... key=value` line each, never the contents of a form.
        "security": {"format": "%(asctime)s SECURITY %(levelname)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "security": {"class": "logging.StreamHandler", "formatter": "security"},
    },
    "loggers": {
        "involvement.security": {"handlers": ["security"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
