"""On `orders.signals.queue_changed`: render each affected screen once from the database and
send it to that screen's group. Runs after the change committed; a failure here is logged
and never reaches the request, because the database already holds the truth and every
socket re-reads it on (re)connect and whenever it notices a missed version."""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from orders.models import RestaurantProfile

from . import groups, screens

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "screen.update"
# The request that made the change waits for the broadcast (it runs on commit, in the request).
# bench/fanout.py: 500 diner screens take ~0.1 s on the pub/sub layer. A Redis that accepts
# connections but does not answer must not hold the request longer than this; the screens
# left out catch up from the database within LIVE_QUEUE_RESYNC_SECONDS.
SEND_BUDGET_SECONDS = 2.0


def messages_for_change(restaurant_id, order_ids=()):
    """(group, message) pairs for one committed change: the host stand and kitchen once
    each, and every diner whose page may show something new."""
    restaurant, diner_pages = screens.diner_html_for_restaurant(restaurant_id, order_ids)
    version = restaurant.state_version
    out = [
        (groups.host_stand(restaurant.pk), _message(screens.host_html(restaurant), version)),
        (groups.kitchen(restaurant.pk), _message(screens.kitchen_html(restaurant), version)),
    ]
    out += [(groups.diner(order_id), _message(html, version)) for order_id, html in diner_pages]
    return out


def _message(html, version):
    return {"type": MESSAGE_TYPE, "html": html, "version": version}


async def send_all(layer, messages):
    async def send_each():
        for group, message in messages:
            await layer.group_send(group, message)

    await asyncio.wait_for(send_each(), timeout=SEND_BUDGET_SECONDS)


def on_queue_changed(sender, restaurant_id, order_ids=(), **kwargs):
    if not getattr(settings, "LIVE_QUEUE_BROADCAST", True):
        return
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        messages = messages_for_change(restaurant_id, order_ids)
    except RestaurantProfile.DoesNotExist:
        return
    try:
        async_to_sync(send_all)(layer, messages)
    except Exception:
        # Redis away or over capacity: screens catch up from the database by themselves.
        logger.warning(
            "Live update for restaurant %s not delivered; screens will re-sync",
            restaurant_id,
            exc_info=True,
        )
