"""One re-sync check per restaurant per server process, however many screens are open.

Pushes go through the channel layer, which delivers at most once and drops messages while
Redis is away. So every LIVE_QUEUE_RESYNC_SECONDS (with jitter) a process reads each watched
restaurant's state version once, and each of its open screens that shows an older version
re-reads its whole screen from the database. A room with 500 phones open costs one small
query every few seconds, not 500.

Screens that fell behind together (a push lost while Redis restarted) catch up spread over
a fraction of a second, not all in the same instant.
"""

import asyncio
import logging
import random

from channels.db import database_sync_to_async
from django.conf import settings

from . import screens

logger = logging.getLogger(__name__)

# Screens behind after one check catch up within this share of the interval.
CATCH_UP_SPREAD = 0.3

_watches = {}  # (event loop, restaurant id) -> _Watch


class _Watch:
    def __init__(self, restaurant_id):
        self.restaurant_id = restaurant_id
        self.screens = set()
        self.task = None

    async def run(self):
        interval = settings.LIVE_QUEUE_RESYNC_SECONDS
        while True:
            # Jitter, so the processes of a deployment do not read in lockstep.
            await asyncio.sleep(interval * (0.75 + random.random() / 2))
            try:
                version = await database_sync_to_async(screens.state_version)(self.restaurant_id)
            except Exception:
                logger.warning("Re-sync check failed; will try again", exc_info=True)
                continue
            for screen in list(self.screens):
                if screen.shown_version != version:
                    screen.catch_up(version, within=interval * CATCH_UP_SPREAD)


def watch(screen):
    """Check `screen` (a live screen consumer with `restaurant_id`, `shown_version` and
    `catch_up(version, within)`) against the database until `unwatch(screen)`."""
    key = (asyncio.get_running_loop(), screen.restaurant_id)
    found = _watches.get(key)
    if found is None:
        found = _watches[key] = _Watch(screen.restaurant_id)
    if found.task is None or found.task.done():  # new, or ended by an error nobody expected
        found.task = asyncio.ensure_future(found.run())
    found.screens.add(screen)


def unwatch(screen):
    key = (asyncio.get_running_loop(), screen.restaurant_id)
    found = _watches.get(key)
    if found is None:
        return
    found.screens.discard(screen)
    if not found.screens:
        found.task.cancel()
        del _watches[key]


def watched_restaurants():
    """How many restaurants this process checks (for tests and diagnostics)."""
    loop = asyncio.get_running_loop()
    return sum(1 for (owner, _) in _watches if owner is loop)
