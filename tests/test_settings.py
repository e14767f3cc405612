"""ReadyTable is configured from the environment. Each case starts a fresh Python process with
exactly the variables an operator would set, because settings are read once, at start-up."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent

# Everything the settings read; cleared so the developer's own shell cannot leak in.
READ_BY_SETTINGS = [
    "PUBLIC_BASE_URL",
    "SMS_BACKEND",
    "VAPID_PUBLIC_KEY",
    "VAPID_PRIVATE_KEY",
    "MESSAGING_RESTAURANT_RATE",
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "TIME_ZONE",
    "LOG_LEVEL",
    "SQLITE_PATH",
    "TEST_DB_NAME",
    "SECURE_COOKIES",
    "CHANNEL_LAYER",
    "CHANNEL_LAYER_PREFIX",
    "LIVE_QUEUE_RESYNC_SECONDS",
    "LIVE_QUEUE_HEARTBEAT_SECONDS",
    "LIVE_QUEUE_BROADCAST",
    "STATIC_ROOT",
    "HSTS_SECONDS",
    "HSTS_INCLUDE_SUBDOMAINS",
    "HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "JOIN_RATE_PER_ADDRESS",
    "JOIN_RATE_PER_RESTAURANT",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_LOCKOUT_MINUTES",
]


def start(env, expression="None"):
    """Start Django with `env` and print `expression` (evaluated with `settings` in scope)."""
    clean = {k: v for k, v in os.environ.items() if k not in READ_BY_SETTINGS}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    code = (
        "import json, logging, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        f"print(json.dumps({expression}, default=str))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=clean, capture_output=True, text=True,
        timeout=60,
    )


def setting(env, expression):
    result = start(env, expression)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_without_a_secret_key_refuses_to_start_and_says_why():
    result = start({"DEBUG": "0"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr
    assert "export SECRET_KEY" in result.stderr


@pytest.mark.parametrize("debug", ["0", "false", "off", "no"])
def test_every_usual_way_of_saying_debug_off_is_understood(debug):
    assert start({"DEBUG": debug}).returncode != 0  # off, so the key is required


def test_production_with_a_secret_key_starts_with_secure_cookies():
    values = setting(
        {"DEBUG": "0", "SECRET_KEY": "s" * 50},
        "[settings.DEBUG, settings.SECRET_KEY, settings.SESSION_COOKIE_SECURE, "
        "settings.CSRF_COOKIE_SECURE, settings.SECURE_PROXY_SSL_HEADER]",
    )
    assert values == [False, "s" * 50, True, True, ["HTTP_X_FORWARDED_PROTO", "https"]]


def test_secure_cookies_can_be_turned_off_for_a_plain_http_demo():
    values = setting(
        {"DEBUG": "0", "SECRET_KEY": "s" * 50, "SECURE_COOKIES": "0"},
        "[settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE]",
    )
    assert values == [False, False]


def test_development_starts_without_any_configuration():
    values = setting({}, "[settings.DEBUG, bool(settings.SECRET_KEY)]")
    assert values == [True, True]


def test_database_url_picks_postgresql():
    db = setting(
        {"DATABASE_URL": "postgres://rt:pw@db.internal:6543/readytable"},
        "settings.DATABASES['default']",
    )
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"], db["PASSWORD"]) == (
        "db.internal",
        6543,
        "readytable",
        "rt",
        "pw",
    )


def test_test_database_name_can_be_chosen_on_postgresql():
    db = setting(
        {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/readytable", "TEST_DB_NAME": "test_x"},
        "settings.DATABASES['default']['TEST']",
    )
    assert db["NAME"] == "test_x"


def test_no_database_url_means_sqlite_in_the_project_folder():
    db = setting({}, "settings.DATABASES['default']")
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(db["NAME"]) == PROJECT / "db.sqlite3"


def test_sqlite_file_can_be_moved():
    db = setting({"SQLITE_PATH": "/tmp/elsewhere.sqlite3"}, "settings.DATABASES['default']")
    assert db["NAME"] == "/tmp/elsewhere.sqlite3"


def test_hosts_and_trusted_origins_are_comma_separated_lists():
    values = setting(
        {
            "ALLOWED_HOSTS": "queue.example.com, www.queue.example.com ,",
            "CSRF_TRUSTED_ORIGINS": "https://queue.example.com,https://www.queue.example.com",
        },
        "[settings.ALLOWED_HOSTS, settings.CSRF_TRUSTED_ORIGINS]",
    )
    assert values == [
        ["queue.example.com", "www.queue.example.com"],
        ["https://queue.example.com", "https://www.queue.example.com"],
    ]


def test_restaurant_time_zone_is_configurable():
    assert setting({"TIME_ZONE": "Europe/Lisbon"}, "settings.TIME_ZONE") == "Europe/Lisbon"


@pytest.mark.parametrize("level", ["debug", "WARNING"])
def test_log_level_is_accepted_in_any_case(level):
    assert setting({"LOG_LEVEL": level}, "logging.getLogger().level") == getattr(
        __import__("logging"), level.upper()
    )


def test_unknown_log_level_refuses_to_start_and_says_why():
    result = start({"LOG_LEVEL": "chatty"})
    assert result.returncode != 0
    assert "LOG_LEVEL" in result.stderr


def test_production_static_files_are_collected_with_their_fingerprints(tmp_path):
    # What the Dockerfile runs at build time: DEBUG off means hashed names and a manifest.
    env = {k: v for k, v in os.environ.items() if k not in READ_BY_SETTINGS}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="build-only-not-secret",
        STATIC_ROOT=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    assert "css/app.css" in manifest
    assert (tmp_path / manifest["css/app.css"]).exists()
    assert not any(name.startswith("src/") for name in manifest)  # the Tailwind source stays out


# ----------------------------------------------------------------------------------------
# Every variable is checked at start-up, and a wrong one says which and why, never a traceback
# from deep inside Django or a value silently taken for something else.


def refusal(env):
    """What a person reads when the app refuses to start with `env`."""
    result = start(env)
    assert result.returncode != 0, f"started with {env}"
    assert "ImproperlyConfigured" in result.stderr
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "env, says",
    [
        ({"LIVE_QUEUE_RESYNC_SECONDS": "abc"}, "LIVE_QUEUE_RESYNC_SECONDS='abc' is not a number"),
        ({"LIVE_QUEUE_RESYNC_SECONDS": "0"}, "LIVE_QUEUE_RESYNC_SECONDS='0': must be more than 0"),
        ({"LIVE_QUEUE_RESYNC_SECONDS": "-3"}, "LIVE_QUEUE_RESYNC_SECONDS='-3': must be at least 0"),
        ({"LIVE_QUEUE_RESYNC_SECONDS": "nan"}, "LIVE_QUEUE_RESYNC_SECONDS='nan' is not a number"),
        ({"LIVE_QUEUE_HEARTBEAT_SECONDS": "0"}, "LIVE_QUEUE_HEARTBEAT_SECONDS='0': must be more than 0"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not on or off"),
        ({"DEBUG": "0", "SECRET_KEY": "s" * 50, "SECURE_COOKIES": "flase"}, "SECURE_COOKIES='flase' is not on or off"),
        ({"LIVE_QUEUE_BROADCAST": "2"}, "LIVE_QUEUE_BROADCAST='2' is not on or off"),
        ({"HSTS_SECONDS": "-1"}, "HSTS_SECONDS='-1': must be between 0 and"),
        ({"HSTS_SECONDS": "a year"}, "HSTS_SECONDS='a year' is not a whole number"),
        ({"SECURE_SSL_REDIRECT": "sometimes"}, "SECURE_SSL_REDIRECT='sometimes' is not on or off"),
        ({"LOGIN_FAILURE_LIMIT": "0"}, "LOGIN_FAILURE_LIMIT='0': must be between 1 and 1000"),
        ({"LOGIN_FAILURE_LIMIT": "5.5"}, "LOGIN_FAILURE_LIMIT='5.5' is not a whole number"),
        ({"LOGIN_LOCKOUT_MINUTES": "-15"}, "LOGIN_LOCKOUT_MINUTES='-15': must be between 1 and"),
        ({"JOIN_RATE_PER_ADDRESS": "fast"}, "JOIN_RATE_PER_ADDRESS='fast' is not a rate"),
        ({"JOIN_RATE_PER_RESTAURANT": "0/m"}, "JOIN_RATE_PER_RESTAURANT='0/m' is not a rate"),
        ({"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE='Mars/Olympus' is not a time zone"),
        ({"DATABASE_URL": "nonsense://x"}, "DATABASE_URL is not a database URL"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must start with redis://"),
        ({"CHANNEL_LAYER": "kafka"}, "CHANNEL_LAYER must be 'pubsub' or 'core'"),
        ({"CHANNEL_LAYER_PREFIX": "my prefix!"}, "CHANNEL_LAYER_PREFIX='my prefix!'"),
    ],
)
def test_a_wrong_setting_refuses_to_start_and_names_itself(env, says):
    assert says in refusal(env)


def test_a_database_url_that_does_not_parse_is_refused_without_echoing_the_password():
    line = refusal({"DATABASE_URL": "postgres://rt:hunter2@db:notaport/rt"})
    assert "DATABASE_URL is not a database URL" in line
    assert "hunter2" not in line


def test_numbers_and_rates_written_right_are_taken():
    values = setting(
        {
            "LIVE_QUEUE_RESYNC_SECONDS": "0.5",
            "LOGIN_FAILURE_LIMIT": "8",
            "LOGIN_LOCKOUT_MINUTES": "30",
            "JOIN_RATE_PER_ADDRESS": "10/30s",
            "JOIN_RATE_PER_RESTAURANT": "200/h",
            "DEBUG": " Yes ",
        },
        "[settings.LIVE_QUEUE_RESYNC_SECONDS, settings.AXES_FAILURE_LIMIT, "
        "settings.AXES_COOLOFF_TIME.total_seconds(), settings.JOIN_RATE_PER_ADDRESS, "
        "settings.JOIN_RATE_PER_RESTAURANT, settings.DEBUG]",
    )
    assert values == [0.5, 8, 1800.0, "10/30s", "200/h", True]


PRODUCTION = {
    # The production settings the README documents (its "Production checklist").
    "DEBUG": "0",
    "SECRET_KEY": "k3V9-very-long-random-production-key-qL7xT2mN8pR4sW6yZ0bC5dF1gH3jK",
    "ALLOWED_HOSTS": "queue.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://queue.example.com",
    "DATABASE_URL": "postgres://readytable:pw@db:5432/readytable",
    "REDIS_URL": "redis://redis:6379/0",
    "PUBLIC_BASE_URL": "https://queue.example.com",
}


def test_production_is_https_only_with_hsts_and_a_redirect_the_health_check_is_spared():
    values = setting(
        PRODUCTION,
        "[settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "settings.SECURE_SSL_REDIRECT, settings.SECURE_REDIRECT_EXEMPT, "
        "settings.SECURE_PROXY_SSL_HEADER, settings.CACHES['default']['BACKEND']]",
    )
    assert values == [
        31536000,
        True,
        True,
        ["^healthz$"],
        ["HTTP_X_FORWARDED_PROTO", "https"],
        "django.core.cache.backends.redis.RedisCache",
    ]


def test_a_plain_http_trial_can_turn_hsts_and_the_redirect_off():
    values = setting(
        {**PRODUCTION, "HSTS_SECONDS": "0", "SECURE_SSL_REDIRECT": "0", "SECURE_COOKIES": "0"},
        "[settings.SECURE_HSTS_SECONDS, settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE]",
    )
    assert values == [0, False, False]


def test_without_redis_the_join_limits_count_in_local_memory():
    backend = setting({}, "settings.CACHES['default']['BACKEND']")
    assert backend == "django.core.cache.backends.locmem.LocMemCache"


def manage(env, *args):
    clean = {k: v for k, v in os.environ.items() if k not in READ_BY_SETTINGS}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=clean, capture_output=True,
        text=True, timeout=120,
    )


def test_the_deploy_check_is_clean_with_the_documented_production_settings():
    result = manage(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_warns_when_hsts_and_the_redirect_are_off():
    # The checks are really run: the plain-http trial's settings are what they warn about.
    result = manage(
        {**PRODUCTION, "HSTS_SECONDS": "0", "SECURE_SSL_REDIRECT": "0"},
        "check", "--deploy", "--fail-level", "WARNING",
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


def test_the_deploy_check_warns_when_the_public_address_for_links_in_texts_is_missing():
    without = {k: v for k, v in PRODUCTION.items() if k != "PUBLIC_BASE_URL"}
    result = manage(without, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0 and "messaging.W001" in result.stderr + result.stdout


def test_messaging_settings_that_are_not_what_they_should_be_stop_the_app():
    for env, says in (
        ({"SMS_BACKEND": "carrier-pigeon"}, "SMS_BACKEND"),
        ({"PUBLIC_BASE_URL": "queue.example.com"}, "PUBLIC_BASE_URL"),
        ({"VAPID_PUBLIC_KEY": "only-half"}, "VAPID_PRIVATE_KEY"),
        ({"MESSAGING_RESTAURANT_RATE": "lots"}, "MESSAGING_RESTAURANT_RATE"),
    ):
        result = manage(env, "check")
        assert result.returncode != 0 and says in result.stderr, (env, result.stderr[-300:])
