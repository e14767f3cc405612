"""On `orders.signals.queue_changed`: publish one small message, "this restaurant changed"
(and which parties), to the restaurant's group, and return. Whatever the queue's length, the
request that made the change does this much live-update work and no more: the screens are
rendered where the sockets are (live_queue.feeds), once per restaurant per server process.

Runs after the change committed; a failure here is logged and never reaches the request,
because the database already holds the truth and every server process's version check
finds what a lost message did not say."""

import asyncio
import logging
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from . import groups
from .feeds import MESSAGE_TYPE

logger = logging.getLogger(__name__)

# A Redis that accepts connections but does not answer must not hold the request longer
# than this.
SEND_BUDGET_SECONDS = 0.5
# After a failed publish, requests skip publishing for this long instead of each waiting for
# a Redis that is away; the version check keeps screens right meanwhile.
QUIET_AFTER_FAILURE_SECONDS = 5.0
# More parties than this in one change: the message just says the restaurant changed.
MAX_ORDER_IDS = 200

_quiet_until = 0.0


async def publish(layer, restaurant_id, order_ids):
    message = {"type": MESSAGE_TYPE, "restaurant": restaurant_id}
    if len(order_ids) <= MAX_ORDER_IDS:
        message["orders"] = list(order_ids)
    await asyncio.wait_for(
        layer.group_send(groups.restaurant(restaurant_id), message), SEND_BUDGET_SECONDS
    )


def reset_quiet_period():
    global _quiet_until
    _quiet_until = 0.0


def on_queue_changed(sender, restaurant_id, order_ids=(), **kwargs):
    global _quiet_until
    if not getattr(settings, "LIVE_QUEUE_BROADCAST", True):
        return
    layer = get_channel_layer()
    if layer is None or time.monotonic() < _quiet_until:
        return
    try:
        async_to_sync(publish)(layer, restaurant_id, tuple(order_ids))
    except Exception:
        _quiet_until = time.monotonic() + QUIET_AFTER_FAILURE_SECONDS
        logger.warning(
            "Live update for restaurant %s not published (channel layer unavailable); "
            "screens catch up through the version check",
            restaurant_id,
            exc_info=True,
        )
