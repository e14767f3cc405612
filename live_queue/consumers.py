"""WebSocket consumers for the live screens: who may watch, and a socket's own small talk.

A consumer authorises its socket, accepts it and hands it to its restaurant's feed
(live_queue.feeds), which sends the whole screen first and then what changes. Sockets never
talk to the channel layer themselves and read nothing from the database on their own: the
feed does both once per restaurant per process.
"""

import json
import logging
import time

from channels.db import database_sync_to_async
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.utils import await_many_dispatch
from channels.generic.websocket import AsyncWebsocketConsumer

from orders.models import RestaurantProfile
from orders.views.fragments import queue_window

from . import access
from .relay import this_process

logger = logging.getLogger(__name__)

# Close codes the browser sees. 4xxx are ours; the page's script does not retry them.
CLOSE_NOT_FOUND = 4404  # no such party (a diner's link) or restaurant
CLOSE_FORBIDDEN = 4403  # not (or no longer) allowed to watch this screen
CLOSE_TOO_MANY = 4429  # this link or address has too many screens open already
# The page's heartbeat (static/js/live.js).
HEARTBEAT_PING = "ping"
HEARTBEAT_PONG = "pong"
# Ignored messages are logged, but at most this many a minute per process (a flood must not
# flood the log too); the rest are counted in the next line logged.
IGNORED_LOGGED_PER_MINUTE = 10


class _IgnoredMessages:
    def __init__(self):
        self.reset()

    def reset(self):
        self.window_start = 0.0
        self.logged = 0
        self.unlogged = 0

    def note(self, path, text):
        now = time.monotonic()
        if now - self.window_start >= 60:
            self.window_start, self.logged = now, 0
        if self.logged >= IGNORED_LOGGED_PER_MINUTE:
            self.unlogged += 1
            return
        self.logged += 1
        more, self.unlogged = self.unlogged, 0
        logger.warning(
            "Ignored unexpected message on %s: %r%s",
            path,
            (text or "")[:200],
            f" (and {more} more not logged)" if more else "",
        )


ignored_messages = _IgnoredMessages()


class LiveScreenConsumer(AsyncWebsocketConsumer):
    """Shared life of a live screen; subclasses say who may watch and which screen."""

    screen = None  # "host", "kitchen", "board" or "diner"
    restaurant_id = None
    order_id = None
    window = None
    shown = None  # what the feed last sent this socket
    feed = None
    admitted = (None, None)  # what this socket counts against (live_queue.relay.Relay.admit)
    user_id = session_key = session_mark = None  # a staff socket's login (live_queue.access)

    @property
    def client_address(self):
        client = self.scope.get("client")
        return client[0] if client else None

    async def connect(self):
        refusal = await self.authorise()
        if refusal is not None:
            # Accept-then-close so the browser gets our close code (a refused handshake
            # only ever shows up as 1006, which the client would retry forever).
            await self.accept()
            await self.close(code=refusal)
            return
        await self.accept()
        self.feed = this_process().feed(self.restaurant_id)
        self.feed.join(self)

    async def disconnect(self, code):
        if self.feed is not None:
            self.feed.leave(self)
            self.feed = None
        relay = this_process()
        relay.release(self)
        relay.forget_staff(self)

    async def __call__(self, scope, receive, send):
        # Channels' own __call__ gives every socket a channel-layer channel (a Redis
        # subscription each, with pub/sub); these sockets need none: their restaurant's feed
        # listens once per process.
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            await await_many_dispatch([receive], self.dispatch)
        except StopConsumer:
            pass

    async def dispatch(self, message):
        # Channels' own dispatch closes stale database connections before every message (a
        # thread hop for each heartbeat); these consumers do no database work per message.
        await getattr(self, get_handler_name(message))(message)

    async def receive(self, text_data=None, bytes_data=None):
        # The screens only listen, apart from the page's heartbeat ("ping" is answered with
        # "pong", static/js/live.js) and what a screen asks of its own view. Anything else a
        # client sends is ignored, never trusted. (How fast a client may talk is kept where
        # daphne reads the frames: live_queue.rates.)
        if text_data == HEARTBEAT_PING:
            await self.send(text_data=HEARTBEAT_PONG)
            return
        if not self.asked(text_data):
            ignored = text_data if text_data is not None else repr(bytes_data[:200])
            ignored_messages.note(self.scope.get("path"), ignored)


    def asked(self, text_data):
        """Handle a request the screen's page may send; False if it is none."""
        return False

    async def push(self, html):
        """Called by the feed: send the socket part of its screen."""
        try:
            await self.send(text_data=html)
        except Exception:  # closing meanwhile: the feed forgets it on disconnect
            logger.debug("Push to a closing socket dropped", exc_info=True)

    async def close_for_good(self):
        await self.close(code=CLOSE_NOT_FOUND)

    async def close_forbidden(self):
        await self.close(code=CLOSE_FORBIDDEN)

    async def authorise(self):
        raise NotImplementedError


class DinerConsumer(LiveScreenConsumer):
    """A diner's tracking page: only the order its unguessable link names."""

    screen = "diner"

    async def authorise(self):
        token = self.scope["url_route"]["kwargs"]["token"]
        relay = this_process()
        found = await relay.order_for_token(token)
        if found is None:
            return CLOSE_NOT_FOUND
        self.order_id, self.restaurant_id = found
        if not relay.admit(self):
            logger.info("Refused one more socket for link of order %s from %s", self.order_id, self.client_address)
            return CLOSE_TOO_MANY
        return None


class BoardConsumer(LiveScreenConsumer):
    """A restaurant's lobby board: public, like the page (codes and waits only)."""

    screen = "board"

    async def authorise(self):
        slug = self.scope["url_route"]["kwargs"]["slug"]
        relay = this_process()
        found = await relay.restaurant_for_slug(slug)
        if found is None:
            return CLOSE_NOT_FOUND
        self.restaurant_id = found
        if not relay.admit(self):  # public: counted against its address like a diner's page
            return CLOSE_TOO_MANY
        return None


class StaffConsumer(LiveScreenConsumer):
    """Host stand and kitchen: a logged-in member of that restaurant's staff only."""

    async def authorise(self):
        slug = self.scope["url_route"]["kwargs"]["slug"]
        user = self.scope.get("user")
        restaurant = await database_sync_to_async(
            lambda: RestaurantProfile.objects.filter(slug=slug).first()
        )()
        if restaurant is None:
            return CLOSE_NOT_FOUND
        allowed = await database_sync_to_async(restaurant.is_staffed_by)(user) if user else False
        if not allowed:
            return CLOSE_FORBIDDEN
        self.restaurant_id = restaurant.pk
        # Kept to check later that this session may still watch (live_queue.access).
        self.user_id = user.pk
        self.session_key = self.scope["session"].session_key
        self.session_mark = access.session_mark(self.session_key)
        this_process().watch_staff(self)
        return None


class HostConsumer(StaffConsumer):
    screen = "host"

    async def connect(self):
        # As many queue rows as the page shows (static/js/live.js says so on reconnect).
        self.window = queue_window(_query_value(self.scope, "rows"))
        await super().connect()

    def asked(self, text_data):
        """"Show more" (ws-send): {"rows": N, "HEADERS": {...}}."""
        try:
            asked = json.loads(text_data or "")
            rows = asked["rows"] if isinstance(asked, dict) else None
        except (ValueError, KeyError, TypeError):
            return False
        if isinstance(rows, bool) or not isinstance(rows, (int, str)):
            return False
        self.window = queue_window(rows)
        if self.feed is not None:
            self.feed.resize(self)
        return True


class KitchenConsumer(StaffConsumer):
    screen = "kitchen"


def _query_value(scope, name):
    from urllib.parse import parse_qs

    try:
        values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    except ValueError:
        return None
    return values[0] if values else None


class NoSuchScreen(LiveScreenConsumer):
    """A socket path that is no screen: accepted and closed with "not found"."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)
