"""ReadyTable settings: everything comes from the environment, with embedded defaults.

No DATABASE_URL means SQLite in the project folder; no REDIS_URL means the in-memory
channel layer. With DEBUG off a SECRET_KEY must be given.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


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
    "orders",
    "live_queue",
    "insights",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # A file, not memory, so a server process started by the browser tests
            # sees the same test database.
            "TEST": {"NAME": os.environ.get("TEST_DB_NAME") or str(BASE_DIR / "test_db.sqlite3")},
            "OPTIONS": {"timeout": 20},
        }
    }
if "TEST" not in DATABASES["default"] and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # TEST_DB_NAME lets several test runs share one server without clobbering each other.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DB_NAME") or None}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
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
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True

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
    },
}

# Channel layer: REDIS_URL set means Redis; unset means the in-memory layer (one process
# only, so no push crosses from one server process to another).
#
# RedisPubSubChannelLayer, chosen from bench/fanout.py's figures (README has the table): one
# restaurant's change is 2 + N group sends (host, kitchen, every waiting diner), and the
# request that made the change waits for them on commit. Per group send pub/sub is one PUBLISH;
# RedisChannelLayer is a ZRANGE plus a Lua script. With 500 diner sockets a broadcast took
# 60-105 ms on pub/sub against 580-820 ms on core (p95 delivery 0.08-0.17 s against 0.8-0.9 s;
# burst throughput ~6800 against ~600 messages/s), and with its old capacity of 50 core
# dropped a tenth of the pushes even with changes spaced out (see capacity below). Across a
# Redis restart pub/sub keeps every socket open and re-subscribes (pushes again after ~0.5 s),
# while on core every consumer's receive raises, so every socket on every screen closes at
# once and all of them reconnect together. Pub/sub keeps nothing in Redis: no backlog (a screen is re-rendered
# whole, an old message is worthless) and no group memberships to expire or to leak when a
# server process dies, since Redis drops a dead connection's subscriptions.
#
# CHANNEL_LAYER=core selects RedisChannelLayer, kept for measuring (bench/fanout.py) and as a
# fallback; its numbers are set deliberately:
#   capacity 1000: all sockets of one server process share ONE Redis inbox (process-local
#     channels "specific.<process>!<socket>" map to one key), so capacity bounds the messages
#     in flight to a whole daphne process, not to one screen. One change puts one message per
#     socket there; 50 (the old value) silently dropped pushes as soon as a process held more
#     than 50 screens.
#   expiry 30 s: a screen message is stale long before then; live screens re-sync from the
#     database every LIVE_QUEUE_RESYNC_SECONDS anyway.
#   group_expiry 86400 s: must not be below daphne's --websocket_timeout (86400 s, daphne's
#     default, which `make run` and the Dockerfile keep), or a host stand left open all day
#     would silently fall out of its group while its socket is still open.
REDIS_URL = os.environ.get("REDIS_URL", "")
CHANNEL_LAYER = os.environ.get("CHANNEL_LAYER", "pubsub")
# Redis pub/sub channels are global to a Redis server (not per database number): deployments
# and test runs sharing one Redis keep apart by prefix. Every server process of one deployment
# must use the same prefix.
CHANNEL_LAYER_PREFIX = os.environ.get("CHANNEL_LAYER_PREFIX", "readytable")
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

# How often (seconds, with jitter) a live screen checks whether it missed an update.
LIVE_QUEUE_RESYNC_SECONDS = float(os.environ.get("LIVE_QUEUE_RESYNC_SECONDS", "3"))
# How often (seconds) a live page asks the server whether its socket is still there; with no
# answer by the next ask it drops the socket and connects again. A socket can die without
# a close event (a phone that slept, a changed network, a frozen server), and a page would
# otherwise say "Live" while hearing nothing.
LIVE_QUEUE_HEARTBEAT_SECONDS = float(os.environ.get("LIVE_QUEUE_HEARTBEAT_SECONDS", "20"))
# The simulator turns pushes off: nobody is watching a simulated evening.
LIVE_QUEUE_BROADCAST = env_bool("LIVE_QUEUE_BROADCAST", True)
