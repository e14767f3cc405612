"""Where the sockets are: one feed per restaurant per server process, shared by every socket
of that restaurant in that process.

The request that changed a queue publishes one small message ("restaurant 7 changed") and
returns (live_queue.broadcast). Each server process listens on one channel of its own, added
to the group of every restaurant it has sockets for. On a message, that restaurant's feed
reads the database once, renders what its watchers need once, and sends each socket only what
changed for it: a host stand or kitchen display the rows that differ, a diner the pieces of
their page whose value differs. Many messages arriving while a feed is busy make one more
read, not many.

Pushes are notifications: the channel layer delivers at most once and drops messages while
Redis is away. So every LIVE_QUEUE_RESYNC_SECONDS each process reads the state version of
all its restaurants in one query, and a feed that is behind reads again. A socket that
(re)connects is sent its whole screen from its feed's copy (read again first when the copy
has not been checked for a second), so a thousand phones reconnecting after a deploy cost a
handful of queries, not a thousand. Diners' links are looked up in batches for the same
reason.
"""

import asyncio
import logging
import random
import re
from collections import OrderedDict, defaultdict

from channels.layers import get_channel_layer
from django.conf import settings

from orders.models import Order, RestaurantProfile

from . import groups, screens
from .database import workers

logger = logging.getLogger(__name__)

# A (re)connecting socket is sent its feed's copy if the copy was checked against the
# database this recently; otherwise the feed checks first (once for all sockets joining).
FRESH_SECONDS = 1.0
# A feed nobody watches any more is kept this long, for sockets coming straight back.
IDLE_FEED_SECONDS = 30.0
# After a failed read (the database away), try again after this long.
RETRY_SECONDS = 1.0
# How long the channel layer may take to subscribe or receive before we try again.
LAYER_RETRY_SECONDS = 1.0
# The channel layer's group memberships are renewed this often (RedisChannelLayer expires
# them; after a Redis restart they are gone).
RENEW_GROUPS_SECONDS = 60.0
MESSAGE_TYPE = "queue.changed"
# Links are unguessable tokens (secrets.token_urlsafe); anything else is no link of ours.
TOKEN_PATTERN = re.compile(r"\A[A-Za-z0-9_-]{16,64}\Z")
TOKEN_BATCH = 500
TOKENS_KEPT = 100_000


class RestaurantFeed:
    """One restaurant's screens in this process: its watchers, its latest state, and the one
    task that reads and delivers. Only that task touches the state, so it needs no lock."""

    def __init__(self, relay, restaurant_id):
        self.relay = relay
        self.restaurant_id = restaurant_id
        self.state = None
        self.checked_at = 0.0  # loop time the state was last compared with the database
        self.hosts = set()
        self.kitchens = set()
        self.boards = set()  # lobby boards
        self.diners = defaultdict(set)  # order id -> sockets
        self.joining = set()  # sockets waiting for their whole screen
        self.resized = set()  # host stands that asked for another number of queue rows
        self.stale = True  # the database may hold a newer state than self.state
        self.task = None
        self.idle_since = None

    # -- who watches

    def join(self, socket):
        """Start sending `socket` its screen: the whole of it first, then what changes."""
        socket.shown = None
        if socket.screen == "host":
            self.hosts.add(socket)
        elif socket.screen == "kitchen":
            self.kitchens.add(socket)
        elif socket.screen == "board":
            self.boards.add(socket)
        else:
            self.diners[socket.order_id].add(socket)
        self.joining.add(socket)
        self.idle_since = None
        self.wake()

    def leave(self, socket):
        self.hosts.discard(socket)
        self.kitchens.discard(socket)
        self.boards.discard(socket)
        self.joining.discard(socket)
        self.resized.discard(socket)
        watchers = self.diners.get(socket.order_id)
        if watchers is not None:
            watchers.discard(socket)
            if not watchers:
                del self.diners[socket.order_id]
        if not self.watched:
            self.idle_since = self.relay.loop.time()

    def resize(self, socket):
        """A host stand asked for more (or fewer) queue rows."""
        if socket in self.hosts:
            self.resized.add(socket)
            self.wake()

    @property
    def watched(self):
        return bool(self.hosts or self.kitchens or self.boards or self.diners)

    def sockets(self):
        yield from self.hosts
        yield from self.kitchens
        yield from self.boards
        for watchers in self.diners.values():
            yield from watchers

    # -- news

    def changed(self):
        """The restaurant changed (a message arrived, or the version check says so)."""
        self.stale = True
        self.wake()

    def wake(self):
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._work())

    async def _work(self):
        loop = self.relay.loop
        while self.watched and (self.stale or self.joining or self.resized):
            joining, resized = set(self.joining), set(self.resized)
            read = self.stale or self.state is None
            if not read and joining and loop.time() - self.checked_at > FRESH_SECONDS:
                read = await self._is_behind()
            if read and self.state is None:
                # Subscribe first, then read: a change in between is heard, not missed.
                await self.relay.subscribed_to(self.restaurant_id)
            self.stale = False
            if read:
                diner_orders = list(self.diners)
            else:  # only the newcomers' pages need rendering
                diner_orders = list({s.order_id for s in joining if s.screen == "diner"})
            try:
                state = await workers.run(
                    screens.read_state,
                    self.restaurant_id,
                    self.state,
                    read=read,
                    host_windows={s.window for s in self.hosts},
                    kitchen=bool(self.kitchens),
                    diner_orders=diner_orders,
                    whole_host={s.window for s in joining if s.screen == "host"},
                    whole_kitchen=any(s.screen == "kitchen" for s in joining),
                    board=bool(self.boards),
                    whole_board=any(s.screen == "board" for s in joining),
                )
            except Exception:
                logger.warning(
                    "Could not read restaurant %s for its live screens; trying again",
                    self.restaurant_id,
                    exc_info=True,
                )
                self.stale = self.stale or read
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if state is None:  # the restaurant was deleted
                for socket in list(self.sockets()):
                    await socket.close_for_good()
                return
            if read:
                self.checked_at = loop.time()
            self.state = state
            await self._deliver(state, everyone=read, joining=joining, resized=resized)

    async def _is_behind(self):
        """Compare the copy with the database before sending it to joining sockets."""
        try:
            version = await workers.run(screens.state_version, self.restaurant_id)
        except Exception:
            logger.warning("Version check failed for restaurant %s", self.restaurant_id, exc_info=True)
            return False  # send what we have; the periodic check tries again
        self.checked_at = self.relay.loop.time()
        return version != self.state.version

    async def _deliver(self, state, *, everyone, joining, resized):
        """Send each socket what changed for it: the whole screen to one joining, the rows
        a host stand asked for, and (after a new read) every socket's changes."""
        if everyone:
            sockets = list(self.sockets())
        else:
            sockets = [s for s in joining | resized if s.feed is self]
        pushes = {}  # (what it shows, what it will show) -> message, shared by alike sockets
        for socket in sockets:
            if socket.screen == "diner":
                message = self._diner_message(socket, state)
            else:
                message = self._staff_message(socket, state, pushes)
            if message is False:
                continue  # not rendered yet: the next turn
            self.joining.discard(socket)
            self.resized.discard(socket)
            if message:
                await socket.push(message)

    @staticmethod
    def _staff_message(socket, state, pushes):
        if socket.screen == "host":
            new = state.host.get(socket.window)
        elif socket.screen == "kitchen":
            new = state.kitchen
        else:
            new = state.board
        if new is None or (socket.shown is None and new._whole is None):
            return False
        if new is socket.shown:
            return ""
        if socket.shown is None:
            message = new.whole()
        else:
            key = (id(socket.shown), id(new))
            if key not in pushes:
                pushes[key] = screens.changes(socket.shown, new)
            message = pushes[key]
        socket.shown = new
        return message

    def _diner_message(self, socket, state):
        new = state.diners.get(socket.order_id)
        html = state.diner_html.get(socket.order_id)
        if new is None:
            if socket.order_id in state.asked_for:
                # The party's record is gone for good.
                asyncio.ensure_future(socket.close_for_good())
                return ""
            return False
        if html is None:
            return False
        if new is socket.shown:
            return ""
        if socket.shown is None:
            message = screens.diner_whole(new, html)
        else:
            message = screens.diner_changes(socket.shown, new, html)
        socket.shown = new
        return message

    @property
    def version(self):
        return None if self.state is None else self.state.version


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
        self._tokens = OrderedDict()  # link -> (order id, restaurant id)
        self._asked = {}  # link -> future, waiting for the next batch
        self._batch = None

    def feed(self, restaurant_id):
        found = self.feeds.get(restaurant_id)
        if found is None:
            found = self.feeds[restaurant_id] = RestaurantFeed(self, restaurant_id)
            if not self.tasks:
                self.tasks = [
                    asyncio.ensure_future(self._listen()),
                    asyncio.ensure_future(self._check_versions()),
                    asyncio.ensure_future(self._tend()),
                ]
            elif self.channel is not None:
                asyncio.ensure_future(self._subscribe(restaurant_id))
        return found

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
        for task in self.tasks:
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


def relay():
    """This event loop's relay."""
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

