"""WebSocket consumers for the three live screens.

Each one: authorise, join its group, accept, then send the whole current screen read from
the database (subscribe first, then read, so no change falls between). Afterwards it
forwards pushed fragments, and re-reads the database when the process's one check per
restaurant (live_queue.catch_up) finds it shows an older state version than the database's:
a push went missing (the channel layer delivers at most once and drops messages while Redis
is away).
"""

import asyncio
import logging
import random

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from orders.models import Order, RestaurantProfile

from . import catch_up, groups, screens

logger = logging.getLogger(__name__)

# Close codes the browser sees. 4xxx are ours; the htmx extension does not retry them.
CLOSE_NOT_FOUND = 4404  # no such order (a diner's link) or restaurant
CLOSE_FORBIDDEN = 4403
# The page's heartbeat (static/js/live.js).
HEARTBEAT_PING = "ping"
HEARTBEAT_PONG = "pong"


class LiveScreenConsumer(AsyncWebsocketConsumer):
    """Shared life of a live screen; subclasses say who may watch and what they see."""

    group_names = ()
    restaurant_id = None
    shown_version = None
    _catching_up = None
    _watched = False

    async def connect(self):
        refusal = await self.authorise()
        if refusal is not None:
            # Accept-then-close so the browser gets our close code (a refused handshake
            # only ever shows up as 1006, which the client would retry forever).
            await self.accept()
            await self.close(code=refusal)
            return
        for group in self.group_names:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_current_state()
        catch_up.watch(self)
        self._watched = True

    async def disconnect(self, code):
        if self._watched:
            catch_up.unwatch(self)
            self._watched = False
        if self._catching_up is not None:
            self._catching_up.cancel()
        for group in self.group_names:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # Redis away: the group entry expires by itself
                logger.info("group_discard(%s) failed on disconnect", group, exc_info=True)

    async def receive(self, text_data=None, bytes_data=None):
        # The screens only listen, apart from the page's heartbeat: "ping" is answered with
        # "pong" so the page knows its socket is alive (static/js/live.js). Anything else a
        # client sends is ignored, never trusted.
        if text_data == HEARTBEAT_PING:
            await self.send(text_data=HEARTBEAT_PONG)
            return
        logger.warning(
            "Ignored unexpected message on %s: %r",
            self.scope.get("path"),
            (text_data or bytes_data or "")[:200],
        )

    async def screen_update(self, event):
        """A pushed screen. Not newer than what is on screen already? Drop it: older would
        step the screen back, and the same version is already showing (the re-sync check
        can beat the push to it)."""
        version = event.get("version")
        if version is not None and self.shown_version is not None and version <= self.shown_version:
            return
        self.shown_version = version
        await self.send(text_data=event["html"])

    async def send_current_state(self):
        version, html = await self.read_state()
        if version is not None and self.shown_version is not None and version < self.shown_version:
            # A newer push arrived while we were reading (the re-sync check runs beside the
            # message handler): showing this snapshot would step the screen back.
            return
        self.shown_version = version
        await self.send(text_data=html)

    def catch_up(self, version, within):
        """The database is at `version` and this screen shows another: re-read it, after a
        random moment of up to `within` seconds (so screens behind together do not all read
        at once), unless a push brought it there meanwhile."""
        if self._catching_up is not None and not self._catching_up.done():
            return
        self._catching_up = asyncio.ensure_future(self._catch_up(version, within))

    async def _catch_up(self, version, within):
        await asyncio.sleep(within * random.random())
        if self.shown_version == version:
            return
        try:
            await self.send_current_state()
        except Exception:
            logger.warning("Re-sync failed; the next check will try again", exc_info=True)

    async def authorise(self):
        raise NotImplementedError

    async def read_state(self):
        """(state_version, html) read from the database; version first, so the html is at
        least as new as the version we remember."""
        raise NotImplementedError


class DinerConsumer(LiveScreenConsumer):
    """A diner's tracking page: only the order its unguessable token names."""

    async def authorise(self):
        token = self.scope["url_route"]["kwargs"]["token"]
        found = await database_sync_to_async(
            lambda: Order.objects.filter(public_token=token).values("pk", "restaurant_id").first()
        )()
        if found is None:
            return CLOSE_NOT_FOUND
        self.token = token
        self.restaurant_id = found["restaurant_id"]
        self.group_names = (groups.diner(found["pk"]),)
        return None

    @database_sync_to_async
    def read_state(self):
        version = screens.state_version(self.restaurant_id)
        return version, screens.diner_html_for_token(self.token)


class StaffConsumer(LiveScreenConsumer):
    """Host stand and kitchen: a logged-in member of that restaurant's staff only."""

    group_for = None

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
        self.group_names = (type(self).group_for(restaurant.pk),)
        return None


class HostConsumer(StaffConsumer):
    group_for = staticmethod(groups.host_stand)

    @database_sync_to_async
    def read_state(self):
        version = screens.state_version(self.restaurant_id)
        restaurant = RestaurantProfile.objects.get(pk=self.restaurant_id)
        return version, screens.host_html(restaurant)


class KitchenConsumer(StaffConsumer):
    group_for = staticmethod(groups.kitchen)

    @database_sync_to_async
    def read_state(self):
        version = screens.state_version(self.restaurant_id)
        restaurant = RestaurantProfile.objects.get(pk=self.restaurant_id)
        return version, screens.kitchen_html(restaurant)
