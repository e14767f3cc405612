"""Fixtures for the WebSocket tests: real consumers behind the real ASGI stack (origin
check, session auth, routing) on whichever channel layer the settings pick — Redis in CI,
in-memory on the embedded default."""

import asyncio
import shutil
import socket
import subprocess
import time
import uuid
from html.parser import HTMLParser

import pytest
from asgiref.sync import sync_to_async
from bs4 import BeautifulSoup, Tag
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client

from config.asgi import application
from orders import services
from orders.models import MenuItem, RestaurantProfile

from tests.conftest import fill_queue  # noqa: F401 (the long-queue tests import it from here)

from .redis_isolation import isolate_this_run

isolate_this_run()

ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")


@pytest.fixture(autouse=True)
def the_evening_s_clock_stands_still(frozen_clock):
    """The domain's time stands still unless a test moves it: a minute ticking over between
    two renders ("waited 12 min") would change a screen no test changed."""
    return frozen_clock


@pytest.fixture(autouse=True)
def fast_resync(settings):
    settings.LIVE_QUEUE_RESYNC_SECONDS = 0.3


@pytest.fixture(autouse=True)
def consumer_threads_close_their_connections():
    """Consumers reach the database from worker threads; with persistent connections those
    would outlive the test and keep PostgreSQL from dropping the test database."""
    from django.db import connections

    previous = connections.settings["default"].get("CONN_MAX_AGE", 0)
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    yield
    connections.settings["default"]["CONN_MAX_AGE"] = previous


@pytest.fixture(autouse=True)
def no_quiet_period_left_from_another_test():
    """A publish that failed (Redis away) makes the next few seconds' changes skip
    publishing; each test starts without that."""
    from live_queue import broadcast, consumers

    broadcast.reset_quiet_period()
    consumers.ignored_messages.reset()  # nor with another test's share of logged lines


@pytest.fixture(autouse=True)
async def live_feeds_stop_after_each_test():
    """Each test has an event loop of its own: its feeds stop with it, and the live side's
    database threads close their connections (or PostgreSQL could not drop the test
    database at the end)."""
    yield
    from django.db import connections

    from live_queue.database import workers
    from live_queue.relay import close_relay

    await close_relay()
    workers.shutdown()
    # The thread asgiref runs a test's sync_to_async calls in keeps its connection too.
    await sync_to_async(connections.close_all)()


@pytest.fixture
def make_restaurant(transactional_db):
    def make(slug="luigis", name="Luigi's", tables=2):
        restaurant = RestaurantProfile.objects.create(
            name=name, slug=slug, total_tables=tables, avg_dine_in_duration_minutes=40
        )
        MenuItem.objects.create(
            restaurant=restaurant, name="Lasagne", price="13.00", estimated_prep_time_minutes=15
        )
        return restaurant

    return make


@pytest.fixture
def restaurant(make_restaurant):
    return make_restaurant()


@pytest.fixture
def other_restaurant(make_restaurant):
    return make_restaurant(slug="rivals", name="Rivals")


def _join(restaurant, name="Ada", party_size=2):
    dish = restaurant.menu_items.first()
    return services.join_queue(
        restaurant.pk,
        customer_name=name,
        party_size=party_size,
        lines=[services.LineRequest(dish.pk, 1)],
    )


@pytest.fixture
def join():
    return sync_to_async(_join)


def _session_cookie_for(user):
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def staff_cookie(restaurant):
    def make(username="host", restaurant_to_staff=restaurant):
        user = get_user_model().objects.create_user(username=username, password="x-unused-9!")
        if restaurant_to_staff is not None:
            restaurant_to_staff.staff.add(user)
        return _session_cookie_for(user)

    return sync_to_async(make)


def open_socket(path, cookie=None, origin=ORIGIN, host=HOST):
    headers = [h for h in (origin, host) if h]
    if cookie:
        headers.append((b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


class _TopLevelIds(HTMLParser):
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.ids = []

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            self.ids.append(dict(attrs).get("id"))
        if tag not in self.VOID:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag not in self.VOID:
            self.depth -= 1


def top_level_ids(html):
    """The ids of a pushed message's top-level elements: what the htmx extension swaps."""
    parser = _TopLevelIds()
    parser.feed(html)
    return parser.ids


class Page:
    """A live screen as the browser holds it: the whole screen a (re)connect sends, with each
    push applied the way the htmx WebSocket extension applies it: every top-level element of
    a message swapped by its id, or as its hx-swap-oob says ("delete", "beforeend:#list",
    "beforebegin:#row"). A push naming something the page does not have is recorded in
    `missing` (the browser would log htmx:oobErrorNoTarget): it means the server lost track of
    what the page shows."""

    def __init__(self, html=""):
        self.soup = BeautifulSoup(html, "html.parser")
        self.missing = []

    def apply(self, html):
        for element in [c for c in BeautifulSoup(html, "html.parser").children if isinstance(c, Tag)]:
            how = element.attrs.pop("hx-swap-oob", "true")
            if ":" in how:
                style, selector = how.split(":", 1)
            else:
                style, selector = ("outerHTML" if how == "true" else how), f"#{element['id']}"
            target = self.soup.select_one(selector)
            if target is None:
                self.missing.append(selector)
            elif style == "outerHTML":
                target.replace_with(element)
            elif style == "delete":
                target.decompose()
            elif style == "beforeend":
                for child in list(element.children):
                    target.append(child.extract())
            elif style == "beforebegin":
                for child in list(element.children):
                    target.insert_before(child.extract())
            else:
                raise AssertionError(f"a push asks for a swap the page does not expect: {how}")

    def ids_in(self, list_id):
        """The ids of a list's rows, in order."""
        return [row["id"] for row in self.soup.select(f"#{list_id} > [id]")]

    def __str__(self):
        return str(self.soup)


class Screen:
    """One open live screen as a browser keeps it (a Page): the whole screen it is sent on
    connecting, then every push applied. When the server closes the socket (a consumer that
    died with Redis, say) it connects again, as static/js/live.js does, and takes the fresh
    whole screen."""

    def __init__(self, path, cookie=None):
        self.path = path
        self.cookie = cookie
        self.socket = None
        self.page = Page()
        self.reconnects = 0

    @property
    def html(self):
        return str(self.page)

    async def open(self, within=10):
        deadline = asyncio.get_running_loop().time() + within
        while True:
            self.socket = open_socket(self.path, self.cookie)
            try:
                ok, _ = await self.socket.connect(timeout=2)
                if ok:
                    self.page = Page(await self.socket.receive_from(timeout=2))
                    return self
            except Exception:  # refused: try again
                pass
            await self._drop()
            assert asyncio.get_running_loop().time() < deadline, f"{self.path} never connected"
            await asyncio.sleep(0.2)

    async def shows(self, *texts, within=5):
        """Wait until the screen shows every one of `texts`; fail after `within` seconds."""
        deadline = asyncio.get_running_loop().time() + within
        while not all(text in self.html for text in texts):
            remaining = deadline - asyncio.get_running_loop().time()
            missing = [text for text in texts if text not in self.html]
            assert remaining > 0, f"{self.path} still does not show {missing} after {within}s"
            try:
                # receive_nothing first: the communicator's receive_from cancels the
                # application when it times out.
                if await self.socket.receive_nothing(timeout=min(remaining, 0.2)):
                    continue
                self.page.apply(await self.socket.receive_from())
            except Exception:  # the server closed the socket (or the consumer died)
                await self._drop()
                self.reconnects += 1
                await self.open(within=max(remaining, 0.5))
        assert not self.page.missing, f"pushes named what the page did not have: {self.page.missing}"
        return self.html

    async def heard_everything(self, quiet=0.5):
        """Apply every push until none has come for `quiet` seconds."""
        while not await self.socket.receive_nothing(timeout=quiet):
            self.page.apply(await self.socket.receive_from())
        assert not self.page.missing, f"pushes named what the page did not have: {self.page.missing}"

    async def _drop(self):
        try:
            await self.socket.disconnect()
        except Exception:  # already gone
            pass

    async def close(self):
        await self._drop()


class PrivateRedis:
    """A redis-server of this test's own, on a free port, without persistence: killing and
    starting it again is a Redis restart that loses everything, as in production. Never the
    shared Redis on 6379: other suites run against that one at the same time."""

    def __init__(self, tmp_path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.dir = tmp_path
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.client().ping():
                    return
            except Exception:  # not listening yet
                assert time.monotonic() < deadline, "private redis-server did not start"
                time.sleep(0.05)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


needs_redis_server = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not on PATH"
)


@pytest.fixture
def layer_on_private_redis(settings, private_redis):
    """The project's Redis channel layer (the kind settings pick), on the private Redis."""
    from config.settings import redis_channel_layer

    settings.CHANNEL_LAYERS = {
        "default": redis_channel_layer(
            private_redis.url, django_settings.CHANNEL_LAYER, f"rt-test-{uuid.uuid4().hex[:8]}"
        )
    }
    return settings.CHANNEL_LAYERS["default"]


@pytest.fixture
def live_queries(monkeypatch):
    """Every SQL statement the live side's database threads run (live_queue.database), as
    they run; the test's own queries and the services' are not counted."""
    import threading

    from django.db.backends import utils

    seen = []
    lock = threading.Lock()
    real_execute, real_executemany = utils.CursorWrapper.execute, utils.CursorWrapper.executemany

    def note(sql):
        if threading.current_thread().name.startswith("live-db"):
            with lock:
                seen.append(sql)

    def execute(self, sql, params=None):
        note(sql)
        return real_execute(self, sql, params)

    def executemany(self, sql, param_list):
        note(sql)
        return real_executemany(self, sql, param_list)

    monkeypatch.setattr(utils.CursorWrapper, "execute", execute)
    monkeypatch.setattr(utils.CursorWrapper, "executemany", executemany)
    return seen
