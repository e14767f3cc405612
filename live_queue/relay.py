"""This server process's end of the live screens: one Relay per event loop (daphne runs one).

It listens on one channel-layer channel of its own, added to the group of every restaurant it
has sockets for and to the staff-access group, and keeps one feed per restaurant
(live_queue.feeds). The request that changed a queue publishes one small message ("restaurant 7
changed", live_queue.broadcast); the relay wakes that restaurant's feed.

Pushes are notifications: the channel layer delivers at most once and drops messages while
Redis is away. So every LIVE_QUEUE_RESYNC_SECONDS the relay reads the state version of all its
restaurants in one query, and a feed that is behind reads again. Diners' links are looked up
in batches, and cached, so a reconnect storm does not read them one by one. The relay also
counts the sockets each link and address holds, and closes staff sockets whose access ended
(live_queue.access).
"""

import asyncio
import logging
import random
import re
from collections import Counter, OrderedDict, defaultdict

from channels.layers import get_channel_layer
from django.conf import settings

from orders.models import Order, RestaurantProfile

from . import access, groups, screens
from .broadcast import MESSAGE_TYPE
from .database import workers
from .feeds import RestaurantFeed

logger = logging.getLogger(__name__)

# A feed nobody watches any more is kept this long, for sockets coming straight back.
IDLE_FEED_SECONDS = 30.0
# How long the channel layer may take to subscribe or receive before we try again.
LAYER_RETRY_SECONDS = 1.0
# The channel layer's group memberships are renewed this often (RedisChannelLayer expires
# them; after a Redis restart they are gone).
RENEW_GROUPS_SECONDS = 60.0
# Links are unguessable tokens (secrets.token_urlsafe); anything else is no link of ours.
TOKEN_PATTERN = re.compile(r"\A[A-Za-z0-9_-]{16,64}\Z")
TOKEN_BATCH = 500
TOKENS_KEPT = 100_000


class Relay:
    """This process's end of the channel layer, and its restaurants' feeds (one per event
    loop: daphne runs one)."""

    def __init__(self, loop):
        self.loop = loop
        self.feeds = {}
        self.channel = None
        self.subscribed = set()
        self._ready = defaultdict(asyncio.Event)  # restaurant id -> set once subscribed
        self.tasks = []
        self.staff = set()  # staff sockets, checked when their access may have ended
        self._spawned = set()  # short tasks started on a message, stopped with the relay
        self.per_link = Counter()  # diners' sockets per link
        self.per_address = Counter()  # sockets without a login per client address
        self._tokens = OrderedDict()  # link -> (order id, restaurant id)
        self._asked = {}  # link -> future, waiting for the next batch
        self._batch = None

    def feed(self, restaurant_id):
        found = self.feeds.get(restaurant_id)
        if found is None:
            found = self.feeds[restaurant_id] = RestaurantFeed(self, restaurant_id)
            self.start()
            if self.channel is not None:
                self._spawn(self._subscribe(restaurant_id))
        return found

    def start(self):
        if not self.tasks:
            self.tasks = [
                asyncio.ensure_future(self._listen()),
                asyncio.ensure_future(self._check_versions()),
                asyncio.ensure_future(self._tend()),
                asyncio.ensure_future(self._recheck_staff_now_and_then()),
            ]

    # -- how many sockets one client may hold

    def admit(self, socket):
        """Count a socket without a login against its link and its address; False when it
        would be one too many (LIVE_QUEUE_MAX_SOCKETS_PER_LINK, _PER_ADDRESS)."""
        link, address = getattr(socket, "order_id", None), socket.client_address
        if link is not None and self.per_link[link] >= settings.LIVE_QUEUE_MAX_SOCKETS_PER_LINK:
            return False
        if address and self.per_address[address] >= settings.LIVE_QUEUE_MAX_SOCKETS_PER_ADDRESS:
            return False
        if link is not None:
            self.per_link[link] += 1
        if address:
            self.per_address[address] += 1
        socket.admitted = (link, address)
        return True

    def release(self, socket):
        link, address = getattr(socket, "admitted", (None, None))
        for counter, key in ((self.per_link, link), (self.per_address, address)):
            if key is not None and key != "":
                counter[key] -= 1
                if counter[key] <= 0:
                    del counter[key]
        socket.admitted = (None, None)

    # -- staff sockets end with their staff member's access

    def watch_staff(self, socket):
        self.staff.add(socket)
        self.start()

    def forget_staff(self, socket):
        self.staff.discard(socket)

    async def recheck_staff(self, user_id=None, restaurant_id=None):
        """Close (4403) the staff sockets, of this user or restaurant (or all), whose access
        has ended."""
        sockets = [
            s for s in self.staff
            if (user_id is None or s.user_id == user_id)
            and (restaurant_id is None or s.restaurant_id == restaurant_id)
        ]
        if not sockets:
            return
        try:
            ended = await workers.run(access.who_may_no_longer_watch, sockets)
        except Exception:
            logger.warning("Could not check staff sockets' access; will try again", exc_info=True)
            return
        for socket in ended:
            await socket.close_forbidden()

    async def close_session(self, mark):
        """The session with this mark logged out: its staff sockets close."""
        for socket in [s for s in self.staff if s.session_mark == mark]:
            await socket.close_forbidden()

    def _spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self._spawned.add(task)
        task.add_done_callback(self._spawned.discard)

    async def _recheck_staff_now_and_then(self):
        while True:
            await asyncio.sleep(access.STAFF_RECHECK_SECONDS * (0.75 + random.random() / 2))
            await self.recheck_staff()

    # -- the channel layer

    async def _listen(self):
        layer = get_channel_layer()
        if layer is None:
            return
        while True:
            try:
                if self.channel is None:
                    self.channel = await layer.new_channel()
                    self.subscribed.clear()
                    await layer.group_add(groups.staff_access(), self.channel)
                    for restaurant_id in list(self.feeds):
                        await self._subscribe(restaurant_id)
                message = await layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis away: sockets are still served from the database by the version
                # check; listening resumes when it is back.
                logger.info("Live updates: channel layer unavailable; retrying", exc_info=True)
                if settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("RedisChannelLayer"):
                    self.channel = None  # core: a new inbox once Redis is back
                await asyncio.sleep(LAYER_RETRY_SECONDS)
                continue
            if message.get("type") == MESSAGE_TYPE:
                feed = self.feeds.get(message.get("restaurant"))
                if feed is not None:
                    feed.changed()
            elif message.get("type") == access.MESSAGE_TYPE:
                if message.get("session"):
                    self._spawn(self.close_session(message["session"]))
                else:
                    self._spawn(self.recheck_staff(message.get("user"), message.get("restaurant")))

    async def _subscribe(self, restaurant_id):
        layer = get_channel_layer()
        if layer is None or self.channel is None:
            return
        try:
            await layer.group_add(groups.restaurant(restaurant_id), self.channel)
        except Exception:
            logger.info("Live updates: could not subscribe restaurant %s yet", restaurant_id)
            return  # _tend tries again
        self.subscribed.add(restaurant_id)
        self._ready[restaurant_id].set()

    async def subscribed_to(self, restaurant_id, within=1.0):
        """Wait (a moment at most: with Redis away the version check stands in) until this
        process hears of the restaurant's changes."""
        if get_channel_layer() is None or restaurant_id in self.subscribed:
            return
        try:
            await asyncio.wait_for(self._ready[restaurant_id].wait(), within)
        except asyncio.TimeoutError:
            pass

    async def _renew_staff_group(self):
        layer = get_channel_layer()
        if layer is None or self.channel is None:
            return
        try:
            await layer.group_add(groups.staff_access(), self.channel)
        except Exception:
            logger.info("Live updates: could not renew the staff access group")

    async def _unsubscribe(self, restaurant_id):
        self.subscribed.discard(restaurant_id)
        self._ready.pop(restaurant_id, None)
        layer = get_channel_layer()
        if layer is None or self.channel is None:
            return
        try:
            await layer.group_discard(groups.restaurant(restaurant_id), self.channel)
        except Exception:
            logger.info("Live updates: could not unsubscribe restaurant %s", restaurant_id)

    async def _tend(self):
        """Subscribe what is not yet, renew memberships, and drop feeds nobody watches."""
        renewed = self.loop.time()
        while True:
            await asyncio.sleep(LAYER_RETRY_SECONDS)
            now = self.loop.time()
            renew = now - renewed > RENEW_GROUPS_SECONDS
            if renew:
                renewed = now
                await self._renew_staff_group()
            for restaurant_id, feed in list(self.feeds.items()):
                if feed.idle_since is not None and now - feed.idle_since > IDLE_FEED_SECONDS:
                    del self.feeds[restaurant_id]
                    if feed.task is not None:
                        feed.task.cancel()
                    await self._unsubscribe(restaurant_id)
                elif renew or restaurant_id not in self.subscribed:
                    await self._subscribe(restaurant_id)

    # -- the version check: one query per interval for all of this process's restaurants

    async def _check_versions(self):
        while True:
            interval = settings.LIVE_QUEUE_RESYNC_SECONDS
            # Jitter, so the processes of a deployment do not read in lockstep.
            await asyncio.sleep(interval * (0.75 + random.random() / 2))
            watched = [rid for rid, feed in self.feeds.items() if feed.state is not None]
            if not watched:
                continue
            try:
                versions = await workers.run(screens.state_versions, watched)
            except Exception:
                logger.warning("Live screens' version check failed; will try again", exc_info=True)
                continue
            now = self.loop.time()
            for restaurant_id in watched:
                feed = self.feeds.get(restaurant_id)
                if feed is None or feed.state is None:
                    continue
                if versions.get(restaurant_id) != feed.version:
                    feed.changed()
                else:
                    feed.checked_at = now

    # -- diners' links, looked up in batches

    async def order_for_token(self, token):
        """(order id, restaurant id) of the party whose link this is, or None."""
        if not TOKEN_PATTERN.match(token or ""):
            return None
        known = self._tokens.get(token)
        if known is not None:
            self._tokens.move_to_end(token)
            return known
        future = self._asked.get(token)
        if future is None:
            future = self._asked[token] = self.loop.create_future()
            if self._batch is None or self._batch.done():
                self._batch = asyncio.ensure_future(self._look_up_tokens())
        return await asyncio.shield(future)

    async def _look_up_tokens(self):
        await asyncio.sleep(0)  # let the links asked in the same moment join the batch
        while self._asked:
            asked = dict(list(self._asked.items())[:TOKEN_BATCH])
            try:
                found = await workers.run(_orders_for_tokens, list(asked))
            except Exception as error:
                for token, future in asked.items():
                    del self._asked[token]
                    if not future.done():
                        future.set_exception(error)
                continue
            for token, future in asked.items():
                del self._asked[token]
                result = found.get(token)
                if result is not None:
                    self._tokens[token] = result
                if not future.done():
                    future.set_result(result)
            while len(self._tokens) > TOKENS_KEPT:
                self._tokens.popitem(last=False)

    async def restaurant_for_slug(self, slug):
        """The id of the restaurant at this address (lobby boards), or None. Not kept: a board
        connects once an evening, and a restaurant made again under the same address is a new
        one."""
        return await workers.run(_restaurant_for_slug, slug)

    async def close(self):
        for task in [*self.tasks, *self._spawned]:
            task.cancel()
        for feed in self.feeds.values():
            if feed.task is not None:
                feed.task.cancel()
        for restaurant_id in list(self.subscribed):
            await self._unsubscribe(restaurant_id)
        self.feeds.clear()
        self.tasks = []


def _restaurant_for_slug(slug):
    return RestaurantProfile.objects.filter(slug=slug).values_list("pk", flat=True).first()


def _orders_for_tokens(tokens):
    return {
        token: (pk, restaurant_id)
        for token, pk, restaurant_id in Order.objects.filter(public_token__in=tokens).values_list(
            "public_token", "pk", "restaurant_id"
        )
    }


_relays = {}


def this_process():
    """This event loop's relay (daphne runs one loop per process)."""
    loop = asyncio.get_running_loop()
    found = _relays.get(loop)
    if found is None:
        found = _relays[loop] = Relay(loop)
    return found


async def close_relay():
    """Stop this event loop's relay (tests; a server shutting down)."""
    found = _relays.pop(asyncio.get_running_loop(), None)
    if found is not None:
        await found.close()


def watched_restaurants():
    """How many restaurants this process keeps feeds for (tests and diagnostics)."""
    found = _relays.get(asyncio.get_running_loop())
    return 0 if found is None else sum(1 for feed in found.feeds.values() if feed.watched)

