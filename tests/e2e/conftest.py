"""Browser tests: the real app under daphne in a subprocess, on the test database, driven
through Debian's Chromium by Playwright.

The server reads and writes the same test database as the test process (pytest-django's
PostgreSQL test database, or the SQLite test file that TEST_DB_NAME names), so every test
here commits its data (`django_db(transaction=True)`). Pushes from the test process reach the
server only through Redis; with the in-memory layer a test changes things through the server
(a browser click) when it wants a push, or relies on the snapshot a page gets on connect.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.db import connections as db_connections
from django.test import Client

from tests.live_queue.redis_isolation import isolate_this_run

isolate_this_run()  # the servers inherit this run's channel prefix through the environment

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium's own calls home are refused on a closed
# network and slow everything down.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TEMPLATE_SYNTAX = re.compile(r"\{[#%{].{0,60}|.{0,60}[#%}]\}")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

# Playwright's sync API keeps an event loop running in the test's thread while the browser is
# open: Django refuses ORM calls from such a thread, and a broadcast (async_to_sync) cannot run
# there. `elsewhere` runs the test's own changes in a worker thread, as a request or a
# management command would make them, so their broadcasts go out (through Redis they reach
# the servers). Reads and fixtures in the test's thread are plain blocking calls, one at a
# time, so the `browser` fixture allows them while it is open.
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="e2e-orm")


def elsewhere(fn, *args, **kwargs):
    def call():
        try:
            return fn(*args, **kwargs)
        finally:
            db_connections.close_all()

    return _worker.submit(call).result()


needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM} (make browser)"
)


def pytest_collection_modifyitems(config, items):
    """Mark the browser tests, and run them last: the quick tests report first, and no async
    test ever runs while Playwright's event loop holds the main thread."""
    here = Path(__file__).parent
    browser_tests = [item for item in items if here in Path(item.fspath).parents]
    for item in browser_tests:
        item.add_marker(pytest.mark.e2e)
        item.add_marker(needs_chromium)
    items[:] = [item for item in items if item not in browser_tests] + browser_tests


def join_on_a_phone(open_page, base_url, restaurant, name):
    """A diner joins `restaurant` through its page on a phone: a couple, one pizza."""
    diner = open_page(f"{base_url}/r/{restaurant.slug}/", phone=True)
    diner.get_by_label("Your name").fill(name)
    diner.get_by_label("Party size").fill("2")
    diner.get_by_label("Quantity of Margherita pizza").fill("1")
    diner.get_by_role("button", name="Join the queue").click()
    return diner


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def on_postgresql():
    return connection.vendor == "postgresql"


def server_environment(**extra):
    """The environment a server needs to serve this test run's database and channel layer."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    db = connection.settings_dict
    if on_postgresql():
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env["SQLITE_PATH"] = str(db["NAME"])
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="1",
        LOG_LEVEL="WARNING",
        # No periodic re-sync: what a page shows comes from its snapshot on (re)connect or
        # from a push, so a push that never arrives fails the test instead of being papered
        # over three seconds later. (tests/live_queue covers the re-sync.)
        LIVE_QUEUE_RESYNC_SECONDS="3600",
        # Every diner here joins from 127.0.0.1, on one server for all the browser tests: the
        # join limits (tested on their own) must not turn the tenth diner away.
        JOIN_RATE_PER_ADDRESS="1000/m",
        JOIN_RATE_PER_RESTAURANT="1000/m",
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # not for the server
    env.update(extra)
    return env


class AppServer:
    """`daphne config.asgi:application` on a port of its own: the whole app in one process,
    as `make run` serves it."""

    def __init__(self, log_dir, port=None, extra_args=(), **env):
        self.port = port or free_port()
        self.extra_args = list(extra_args)
        self.env = server_environment(**env)
        self.log_path = Path(log_dir) / f"daphne-{self.port}.log"
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, within=30):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
             *self.extra_args, "config.asgi:application"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + within
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daphne exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"daphne did not answer within {within}s:\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self, how=signal.SIGTERM):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(how)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class SilentFront:
    """A TCP relay in front of a server, standing in for a load balancer or a network: while
    `silent`, it takes new connections and never answers them (nor passes them on); otherwise
    it relays them to the server. `cut()` drops every connection it holds, as a network
    would. Threads of its own, so the test can go on driving the browser."""

    def __init__(self, backend_port):
        self.backend_port = backend_port
        self.silent = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._held = []
        self._lock = threading.Lock()
        self._open = True
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _hold(self, *socks):
        with self._lock:
            self._held.extend(socks)

    def _accept(self):
        while self._open:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._hold(client)
            if self.silent:
                continue
            try:
                backend = socket.create_connection(("127.0.0.1", self.backend_port))
            except OSError:
                client.close()
                continue
            self._hold(backend)
            for src, dst in ((client, backend), (backend, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self._lock:
            held, self._held = self._held, []
        for sock in held:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self):
        self._open = False
        self._listener.close()
        self.cut()


@pytest.fixture
def silent_front():
    """`silent_front(server)`: a SilentFront before that server, closed after the test."""
    fronts = []

    def front(server):
        fronts.append(SilentFront(server.port))
        return fronts[-1]

    yield front
    for front_ in fronts:
        front_.close()


@pytest.fixture(scope="session")
def server_logs(tmp_path_factory):
    return tmp_path_factory.mktemp("daphne-logs")


@pytest.fixture(scope="package")
def app_server(django_db_setup, django_db_blocker, server_logs):
    """One server for the browser tests (it stops before the test database is dropped)."""
    with django_db_blocker.unblock():
        server = AppServer(server_logs).start()
    yield server
    server.stop()


@pytest.fixture
def start_server(server_logs, transactional_db):
    """Servers of a test's own, for tests that stop and start them: `start_server(port=...)`."""
    started = []

    def start(**kwargs):
        server = AppServer(server_logs, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="package")
def browser():
    """One Chromium for all the browser tests, closed after the last of them."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(browser):
    """`open_page(url, phone=True, cookie=None)`: a page in a browser context of its own (one
    person's device), closed at the end of the test."""
    contexts = []
    script_errors = []

    def open_(url=None, *, phone=False, session=None, base_url=None):
        context = browser.new_context(
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
            base_url=base_url,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        if session is not None:
            # For the whole site (a cookie set for the page's URL would not go with /ws/...).
            origin = urlsplit(base_url or url)
            context.add_cookies([{
                "name": settings.SESSION_COOKIE_NAME, "value": session,
                "domain": origin.hostname, "path": "/",
            }])
        page = context.new_page()
        # A script error on a live page (ours or htmx's) fails the test, even when the page
        # still looks right.
        page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
        if url is not None:
            page.goto(url)
        return page

    yield open_
    leaks = []
    for context in contexts:
        for page in context.pages:
            # Template syntax a person would read on the screen (a broken tag or comment).
            text = page.locator("body").inner_text() if page.url.startswith("http") else ""
            leaks += [f"{page.url}: {m.group(0)!r}" for m in TEMPLATE_SYNTAX.finditer(text)]
        context.close()
    assert not script_errors, "script errors on the pages:\n" + "\n".join(script_errors)
    assert not leaks, "template syntax shows on the pages:\n" + "\n".join(leaks)


@pytest.fixture
def staff_session(transactional_db):
    """`staff_session(user)`: the session cookie of a staff member who logged in."""

    def session_for(user):
        client = Client()
        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    return session_for


@pytest.fixture
def second_host(django_user_model, restaurant):
    user = django_user_model.objects.create_user("second-host", password="x-unused-9!")
    restaurant.staff.add(user)
    return user


@pytest.fixture
def second_manager(django_user_model, restaurant):
    from orders.models import StaffRole

    user = django_user_model.objects.create_user("second-manager", password="x-unused-9!")
    restaurant.staff.add(user, through_defaults={"role": StaffRole.MANAGER})
    return user
