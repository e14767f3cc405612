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

logger = logging.getLogger(__name__)

# A Redis that accepts connections but does not answer must not hold the request longer
# than this.
SEND_BUDGET_SECONDS = 0.5
# After a failed publish, requests skip publishing for this long instead of each waiting for
# a Redis that is away; the version check keeps screens right meanwhile.
QUIET_AFTER_FAILURE_SECONDS = 5.0
# More parties than this in one change: the message just says the restaurant changed.
MAX_ORDER_IDS = 200
MESSAGE_TYPE = "queue.changed"

_quiet_until = 0.0


async def _send(layer, group, message):
    await asyncio.wait_for(layer.group_send(group, message), SEND_BUDGET_SECONDS)


def reset_quiet_period():
    global _quiet_until
    _quiet_until = 0.0


def publish_to(group, message):
    """Send one message to a group of server processes, never failing the caller: a message
    that cannot go out is made good by the checks every process runs by itself."""
    global _quiet_until
    if not getattr(settings, "LIVE_QUEUE_BROADCAST", True):
        return
    layer = get_channel_layer()
    if layer is None or time.monotonic() < _quiet_until:
        return
    try:
        async_to_sync(_send)(layer, group, message)
    except Exception:
        _quiet_until = time.monotonic() + QUIET_AFTER_FAILURE_SECONDS
        logger.warning(
            "Live message to %s not published (channel layer unavailable); screens catch "
            "up through the version check",
            group,
            exc_info=True,
        )


def on_queue_changed(sender, restaurant_id, order_ids=(), **kwargs):
    message = {"type": MESSAGE_TYPE, "restaurant": restaurant_id}
    if len(order_ids) <= MAX_ORDER_IDS:
        message["orders"] = list(order_ids)
    publish_to(groups.restaurant(restaurant_id), message)
