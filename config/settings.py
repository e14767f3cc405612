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

# Channel layer: REDIS_URL set means Redis; unset means in-memory (one process only).
# RedisPubSubChannelLayer is the default for its fan-out (one PUBLISH per group, however
# many sockets listen) and because its sockets survive a Redis restart; README has the
# measurements. CHANNEL_LAYER=core selects RedisChannelLayer instead.
REDIS_URL = os.environ.get("REDIS_URL", "")
_redis_host = {
    "address": REDIS_URL,
    # Never let a hung Redis hang a request: a push is only a notification.
    "socket_connect_timeout": 2,
    # Above RedisChannelLayer's 5 s blocking receive, or idle receives would time out.
    "socket_timeout": 10,
    "health_check_interval": 15,
}
if REDIS_URL and os.environ.get("CHANNEL_LAYER", "pubsub") == "core":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [_redis_host],
                # A screen gets one message per change and is re-rendered whole, so a
                # backlog is worthless: a small queue, old messages dropped quickly.
                "capacity": 50,
                "expiry": 30,
                # Must not be below daphne's websocket timeout (--websocket_timeout, 86400 s
                # by default), or a long-lived host screen silently leaves its group.
                "group_expiry": 86400,
            },
        }
    }
elif REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # Pub/sub keeps no queues and no group memberships in Redis, so capacity,
            # expiry and group_expiry do not exist here: a subscriber gets a message only
            # while it is connected, and a missed one is caught by the re-sync below.
            "CONFIG": {"hosts": [_redis_host]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# How often (seconds, with jitter) a live screen checks whether it missed an update.
LIVE_QUEUE_RESYNC_SECONDS = float(os.environ.get("LIVE_QUEUE_RESYNC_SECONDS", "3"))
# The simulator turns pushes off: nobody is watching a simulated evening.
LIVE_QUEUE_BROADCAST = env_bool("LIVE_QUEUE_BROADCAST", True)
