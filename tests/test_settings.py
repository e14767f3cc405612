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
    "LIVE_QUEUE_RESYNC_SECONDS",
    "LIVE_QUEUE_BROADCAST",
    "STATIC_ROOT",
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
