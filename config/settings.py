"""ReadyTable settings: everything comes from the environment, with embedded defaults.

No DATABASE_URL means SQLite in the project folder; no REDIS_URL means the in-memory
channel layer. With DEBUG off a SECRET_KEY must be given.
"""

import os
import re
import zoneinfo
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_bool(name, default):
    """On or off. Anything but the usual words refuses to start: a typo in a security switch
    (SECURE_COOKIES=flase) must not silently mean one or the other."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not on or off: use 1, true, yes or on, or 0, false, no or off."
    )


def env_number(name, default, *, kind=int, minimum=None, maximum=None, unit=""):
    """A whole (kind=int) or decimal (kind=float) number within [minimum, maximum]."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    what = "a whole number" if kind is int else "a number"
    try:
        number = kind(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not {what}{unit}.") from None
    if kind is float and (number != number or number in (float("inf"), float("-inf"))):
        raise ImproperlyConfigured(f"{name}={value!r} is not {what}{unit}.")
    if minimum is not None and number < minimum or maximum is not None and number > maximum:
        if maximum is None:
            bounds = f"at least {minimum}"
        elif minimum is None:
            bounds = f"at most {maximum}"
        else:
            bounds = f"between {minimum} and {maximum}"
        raise ImproperlyConfigured(f"{name}={value!r}: must be {bounds}{unit}.")
    return number


def env_positive_seconds(name, default):
    """Seconds, more than zero (0 would mean a busy loop or no wait at all)."""
    seconds = env_number(name, default, kind=float, minimum=0, unit=" (seconds)")
    if seconds <= 0:
        raise ImproperlyConfigured(f"{name}={os.environ[name]!r}: must be more than 0 seconds.")
    return seconds


RATE = re.compile(r"^(?P<count>[0-9]{1,6})/(?P<multi>[0-9]{0,6})(?P<period>[smhd])$")


def env_rate(name, default):
    """A rate as django-ratelimit writes it: "5/m" (5 a minute), "100/h", "10/30s"."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    match = RATE.match(value.strip())
    if not match or int(match["count"]) < 1 or match["multi"] in ("0", "00"):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate: write how many per period, such as 5/m "
            "(5 a minute), 30/h, 10/30s or 200/d, with at least 1."
        )
    return value.strip()


def env_list(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off ReadyTable refuses to start without one: "
            "export SECRET_KEY to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    # Only for local development with DEBUG on; never used in production.
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "csp",
    "django_ratelimit",
    "orders",
    "messaging",
    "live_queue",
    "insights",
]

MIDDLEWARE = [
    # First: a request whose address Django cannot even read (a NUL, a broken escape) is
    # answered 400 before anything looks it up in the database.
    "config.middleware.RefuseMalformedRequests",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so the static files keep their long cache headers.
    "config.middleware.NoStoreAndErrorBodies",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # An app's own "not found" (an unknown diner link) as the friendly page, DEBUG or not.
    "config.middleware.FriendlyNotFound",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a login refused for a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "live_queue.context_processors.live_pages",
            ],
        },
    },
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    # No persistent connections: under daphne every request runs in a thread of its own, and
    # a connection kept per thread outlives it, so a burst would pile up connections until
    # PostgreSQL refuses them ("too many clients") and the app stays down. Instead the number
    # of connections a process holds is capped: MAX_CONCURRENT_REQUESTS requests at a time,
    # plus LIVE_QUEUE_DB_THREADS for the live screens, plus one for sockets' logins (README
    # "Database connections").
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    except (ValueError, KeyError) as error:
        # Not echoed back: the URL holds the database password.
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a database URL ({type(error).__name__}: {error}); write it "
            "as postgres://user:password@host:5432/name."
        ) from None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # A file, not memory, so a server process started by the browser tests
            # sees the same test database.
            "TEST": {"NAME": os.environ.get("TEST_DB_NAME") or str(BASE_DIR / "test_db.sqlite3")},
            # BEGIN IMMEDIATE: a transaction that reads then writes (a login's failure count,
            # under django-axes) waits for the lock instead of failing at once with "database
            # is locked" when another request writes at the same moment.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
if "TEST" not in DATABASES["default"] and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # TEST_DB_NAME lets several test runs share one server without clobbering each other.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DB_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out account or address is refused before its password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:home"
LOGOUT_REDIRECT_URL = "staff:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "").strip() or "UTC"
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (ValueError, zoneinfo.ZoneInfoNotFoundError):
    raise ImproperlyConfigured(
        f"TIME_ZONE={TIME_ZONE!r} is not a time zone: use a name such as Europe/Lisbon or UTC."
    ) from None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
# Every folder of static/ but src/, which holds the Tailwind source: its `@import
# "tailwindcss"` is resolved by `make css`, and collectstatic's manifest storage (DEBUG off)
# would fail on it ("The file 'src/tailwindcss' could not be found").
STATICFILES_DIRS = [
    (folder.name, folder)
    for folder in sorted((BASE_DIR / "static").iterdir())
    if folder.is_dir() and folder.name != "src"
]
# Under daphne in development WhiteNoise serves straight from static/ (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
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

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
# Read (and so checked) in every mode, applied with DEBUG off.
_SECURE_COOKIES = env_bool("SECURE_COOKIES", True)
# HTTP Strict Transport Security: browsers refuse plain http to this host for that long once
# they have seen it over https. 0 turns it off (a trial over plain http; never in production).
_HSTS_SECONDS = env_number("HSTS_SECONDS", 31536000, minimum=0, maximum=2 * 31536000, unit=" (seconds)")
_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
if not DEBUG:
    SESSION_COOKIE_SECURE = _SECURE_COOKIES
    CSRF_COOKIE_SECURE = _SECURE_COOKIES
    # The proxy in front terminates TLS and says so in X-Forwarded-Proto (it must set that
    # header itself, never pass on a client's).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_HSTS_SECONDS = _HSTS_SECONDS
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _HSTS_INCLUDE_SUBDOMAINS
    SECURE_HSTS_PRELOAD = _HSTS_PRELOAD
    SECURE_SSL_REDIRECT = _SSL_REDIRECT
    # The container's health check speaks plain http to daphne directly, not through the proxy.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

SILENCED_SYSTEM_CHECKS = []
if not DEBUG and _HSTS_SECONDS and not _HSTS_PRELOAD:
    # Preloading is a deliberate request to the browsers' lists that is hard to take back;
    # it stays the operator's choice (HSTS_PRELOAD=1), not a warning on every deploy check.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

# Content-Security-Policy (django-csp), the same in development and production, so a page
# that would break under it breaks in the tests too. Only our own files: no inline scripts or
# styles (htmx's own indicator style is turned off in base.html's htmx-config), no eval.
# 'self' covers the live screens' ws:// and wss:// sockets to the same host.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    # Caught here, or logging fails later with "Unable to configure root logger".
    raise ImproperlyConfigured(
        f"LOG_LEVEL={LOG_LEVEL!r} is not a log level: use DEBUG, INFO, WARNING, ERROR or CRITICAL."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        # Every login writes INFO lines; failures and lockouts are WARNINGs and stay.
        "axes": {"level": "WARNING"},
    },
}

# Channel layer: REDIS_URL set means Redis; unset means the in-memory layer (one process
# only, so no push crosses from one server process to another; every process's version check
# still brings its screens up to date).
#
# What goes through it is small: one message per committed change, "restaurant 7 changed",
# to that restaurant's group, which every server process with sockets of that restaurant has
# joined once (live_queue.feeds). The screens are rendered in each process from the database.
#
# RedisPubSubChannelLayer (the default) was chosen from bench/fanout.py's figures (README):
# one PUBLISH per message, no queues or memberships kept in Redis (nothing to expire or to
# leak when a server process dies), and across a Redis restart it keeps every socket open and
# re-subscribes. CHANNEL_LAYER=core selects RedisChannelLayer, kept for measuring and as a
# fallback; its numbers are set deliberately:
#   capacity 1000: the messages in flight to one server process's inbox.
#   expiry 30 s: a change message is stale long before then; the version check catches up.
#   group_expiry 86400 s: not below daphne's --websocket_timeout (86400 s), and the feeds
#     renew their memberships every minute anyway.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        "REDIS_URL must start with redis://, rediss:// or unix:// (e.g. redis://localhost:6379/0)."
    )
CHANNEL_LAYER = os.environ.get("CHANNEL_LAYER", "").strip() or "pubsub"
# Redis pub/sub channels are global to a Redis server (not per database number): deployments
# and test runs sharing one Redis keep apart by prefix. Every server process of one deployment
# must use the same prefix.
CHANNEL_LAYER_PREFIX = os.environ.get("CHANNEL_LAYER_PREFIX", "").strip() or "readytable"
if not re.fullmatch(r"[A-Za-z0-9_.-]{1,50}", CHANNEL_LAYER_PREFIX):
    raise ImproperlyConfigured(
        f"CHANNEL_LAYER_PREFIX={CHANNEL_LAYER_PREFIX!r}: use 1 to 50 letters, digits, '.', '_' or '-'."
    )
if CHANNEL_LAYER not in ("pubsub", "core"):
    raise ImproperlyConfigured(f"CHANNEL_LAYER must be 'pubsub' or 'core', not {CHANNEL_LAYER!r}.")


def redis_channel_layer(url, kind="pubsub", prefix="readytable"):
    """The channel layer for a Redis at `url` (tests point one at a private Redis)."""
    host = {
        "address": url,
        # Never let a hung Redis hang a request for long: a push is only a notification.
        "socket_connect_timeout": 2,
        "health_check_interval": 15,
    }
    if kind == "core":
        return {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # Above core's 5 s blocking receive (BZPOPMIN), or idle receives time out.
                "hosts": [{**host, "socket_timeout": 10}],
                "prefix": prefix,
                "capacity": 1000,
                "expiry": 30,
                "group_expiry": 86400,
            },
        }
    return {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        # No capacity, expiry or group_expiry here: pub/sub stores no queues and no
        # memberships. A subscriber hears a message only while connected; what it misses is
        # caught by the version check and the snapshot on every (re)connect.
        "CONFIG": {
            # Reads on the subscriber connection poll with their own 0.1 s timeout, so this
            # bounds only a PUBLISH that Redis does not answer.
            "hosts": [{**host, "socket_timeout": 2}],
            "prefix": prefix,
        },
    }


if REDIS_URL:
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL, CHANNEL_LAYER, CHANNEL_LAYER_PREFIX)}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# How often (seconds, with jitter) each server process checks, in one query for all its
# restaurants, that its live screens have not missed an update.
LIVE_QUEUE_RESYNC_SECONDS = env_positive_seconds("LIVE_QUEUE_RESYNC_SECONDS", 3.0)
# Threads (each with one database connection) that read and render the live screens of one
# server process, however many sockets it holds.
LIVE_QUEUE_DB_THREADS = env_number("LIVE_QUEUE_DB_THREADS", 2, minimum=1, maximum=32)
# A live page sends a heartbeat every 20 seconds; a socket sending more than this many
# messages a second (bursts of four times as many) is closed.
LIVE_QUEUE_SOCKET_MESSAGES_PER_SECOND = env_number(
    "LIVE_QUEUE_SOCKET_MESSAGES_PER_SECOND", 5.0, kind=float, minimum=0.1, maximum=1000
)
# Sockets one server process keeps open for one diner's link (a few phones and tabs of the
# same party), and for one client address without a login (diners' pages, the lobby board);
# one more is closed with 4429. Behind a proxy the address is the one it forwards (daphne
# --proxy-headers).
LIVE_QUEUE_MAX_SOCKETS_PER_LINK = env_number("LIVE_QUEUE_MAX_SOCKETS_PER_LINK", 5, minimum=1)
LIVE_QUEUE_MAX_SOCKETS_PER_ADDRESS = env_number(
    "LIVE_QUEUE_MAX_SOCKETS_PER_ADDRESS", 200, minimum=1
)
# HTTP requests one server process serves at once; the others wait their turn. Each holds a
# database connection while it runs.
MAX_CONCURRENT_REQUESTS = env_number("MAX_CONCURRENT_REQUESTS", 16, minimum=1, maximum=1000)
# How often (seconds) a live page asks the server whether its socket is still there; with no
# answer by the next ask it drops the socket and connects again. A socket can die without
# a close event (a phone that slept, a changed network, a frozen server), and a page would
# otherwise say "Live" while hearing nothing.
LIVE_QUEUE_HEARTBEAT_SECONDS = env_positive_seconds("LIVE_QUEUE_HEARTBEAT_SECONDS", 20.0)
# The simulator turns pushes off: nobody is watching a simulated evening.
LIVE_QUEUE_BROADCAST = env_bool("LIVE_QUEUE_BROADCAST", True)

# The cache: what the join limits count in. With REDIS_URL, Django's own RedisCache, shared
# by every server process (INCR is atomic there); without it, each process's memory (the
# embedded default is one process). A Redis that does not answer must not hold a request:
# the join limits then let the join through (orders/limits.py) rather than refuse everyone.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CHANNEL_LAYER_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # django-ratelimit lists only django-redis and memcached as supported; Django's own
    # RedisCache increments atomically too (Redis INCR).
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.W001")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Local memory is per process: right for the embedded default (one daphne), and why
    # production sets REDIS_URL. django_ratelimit.E003 says exactly that.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

# Joins (POSTs of the join form on /r/<slug>/), counted per address and per restaurant
# in fixed windows; over either, the diner gets 429 with when to try again.
JOIN_RATE_PER_ADDRESS = env_rate("JOIN_RATE_PER_ADDRESS", "5/m")
JOIN_RATE_PER_RESTAURANT = env_rate("JOIN_RATE_PER_RESTAURANT", "30/m")
RATELIMIT_ENABLE = True
# A count the cache could not store lets the join through (orders/views/limits.py).
RATELIMIT_FAIL_OPEN = True

# Logins (staff and admin), django-axes: LOGIN_FAILURE_LIMIT failed logins for one account,
# or from one address, lock that account or address out for LOGIN_LOCKOUT_MINUTES; the right
# password is refused meanwhile. Each failure while locked out starts the time again. Staff
# unlock an account or address in the admin (Users: "Unlock login"; Axes: Access attempts).
LOGIN_FAILURE_LIMIT = env_number("LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=1000)
LOGIN_LOCKOUT_MINUTES = env_number("LOGIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=7 * 24 * 60, unit=" (minutes)")
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "orders.views.access.locked_out"
AXES_HTTP_RESPONSE_CODE = 429
# The address daphne reports (with --proxy-headers behind the proxy: the client's own).
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_VERBOSE = False


# -- Messages to diners (messaging/): texts, web push, email, through the outbox worker
# (manage.py send_messages). README "Texts, web push and email".

# Where diners reach the app: the links in texts, pushes and emails, and (behind a proxy)
# the URL Twilio's webhook signatures are checked against. Without it, links point at the
# development server and signatures are checked against the URL each request came to.
_PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
if _PUBLIC_BASE_URL and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s?#]*)?", _PUBLIC_BASE_URL):
    raise ImproperlyConfigured(
        f"PUBLIC_BASE_URL={_PUBLIC_BASE_URL!r} is not an address like https://queue.example.com."
    )
PUBLIC_BASE_URL_FROM_ENV = bool(_PUBLIC_BASE_URL)
PUBLIC_BASE_URL = _PUBLIC_BASE_URL or "http://127.0.0.1:8000"

# Texts: console (log them), file (one JSON object per line in SMS_FILE_PATH), twilio, or a
# dotted path to a backend class.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "").strip() or "console"
if SMS_BACKEND not in ("console", "file", "twilio") and "." not in SMS_BACKEND:
    raise ImproperlyConfigured(
        f"SMS_BACKEND={SMS_BACKEND!r}: use console, file, twilio or a dotted path to a backend class."
    )
SMS_FILE_PATH = os.environ.get("SMS_FILE_PATH", "").strip() or str(BASE_DIR / "sent_texts.jsonl")
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "").strip()
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "").strip()
TWILIO_FROM = os.environ.get("TWILIO_FROM", "").strip()
TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "").strip()

# Web push: a VAPID key pair (manage.py make_vapid_keys). Without it, "this browser" is not
# offered as a channel.
VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY", "").strip()
VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "").strip()
VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "").strip() or "mailto:owner@example.com"
if bool(VAPID_PUBLIC_KEY) != bool(VAPID_PRIVATE_KEY):
    raise ImproperlyConfigured("Set both VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, or neither.")
if not VAPID_SUBJECT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured(f"VAPID_SUBJECT={VAPID_SUBJECT!r}: use mailto:you@example.com or an https:// address.")

# Email: Django's framework. The console by default; SMTP with EMAIL_HOST.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "").strip() or (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST", "").strip()
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip() or "localhost"
EMAIL_PORT = env_number("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "").strip()
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "").strip() or "ReadyTable <queue@example.com>"

# The outbox worker: a handful of texts per party per evening at most, a rate per restaurant
# (so a bug or an attack cannot send thousands), retries with exponential backoff.
MESSAGING_TEXTS_PER_PARTY = env_number("MESSAGING_TEXTS_PER_PARTY", 8, minimum=1, maximum=100)
MESSAGING_RESTAURANT_RATE = env_rate("MESSAGING_RESTAURANT_RATE", "300/h")
MESSAGING_MAX_ATTEMPTS = env_number("MESSAGING_MAX_ATTEMPTS", 6, minimum=1, maximum=50)
MESSAGING_RETRY_SECONDS = env_number("MESSAGING_RETRY_SECONDS", 15, minimum=1, maximum=3600, unit=" (seconds)")
MESSAGING_LEASE_SECONDS = env_number("MESSAGING_LEASE_SECONDS", 120, minimum=30, maximum=3600, unit=" (seconds)")
