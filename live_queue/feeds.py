"""Where the sockets are: one feed per restaurant per server process, shared by every socket
of that restaurant in that process (the process's Relay, live_queue.relay, keeps them).

On news of a change (a message through the channel layer, or the version check finding the
database ahead), the feed reads the restaurant once, renders what its watchers need once, and
sends each socket only what changed for it: a host stand or kitchen display the rows that
differ, a diner the pieces of their page whose value differs. Many messages arriving while a
feed is busy make one more read, not many. A socket that (re)connects is sent its whole screen
from the feed's copy, read again first when the copy has not been checked for a second, so a
thousand phones reconnecting after a deploy cost a handful of queries, not a thousand.
"""

import asyncio
import logging
from collections import defaultdict

from . import screens
from .database import workers

logger = logging.getLogger(__name__)

# A (re)connecting socket is sent its feed's copy if the copy was checked against the
# database this recently; otherwise the feed checks first (once for all sockets joining).
FRESH_SECONDS = 1.0
# After a failed read (the database away), try again after this long.
RETRY_SECONDS = 1.0


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
