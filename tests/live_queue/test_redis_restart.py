"""Redis goes away in the middle of service and comes back empty, with the host stand, the
kitchen and diners' pages open. The database is the truth: every open screen must show it
again within a few seconds, whether or not its socket dropped.

Each test runs its own redis-server on a free port (the shared one on 6379 is never touched)
with the project's Redis channel layer pointed at it."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings

from live_queue import groups
from orders import services
from orders.models import Order, OrderStatus

from .conftest import Screen, needs_redis_server

pytestmark = [pytest.mark.django_db(transaction=True), needs_redis_server]


async def open_screens(restaurant, cookie, *orders):
    screens = {
        "host": Screen(f"/ws/restaurant/{restaurant.slug}/host/", cookie),
        "kitchen": Screen(f"/ws/restaurant/{restaurant.slug}/kitchen/", cookie),
    }
    for order in orders:
        screens[order.customer_name] = Screen(f"/ws/q/{order.public_token}/")
    for screen in screens.values():
        await screen.open()
    return screens


async def test_every_open_screen_shows_the_truth_soon_after_redis_restarts(
    restaurant, staff_cookie, join, private_redis, layer_on_private_redis
):
    ada = await join(restaurant, "Ada")
    bob = await join(restaurant, "Bob")
    screens = await open_screens(restaurant, await staff_cookie(), ada, bob)
    assert "#2" in screens["Bob"].html

    private_redis.kill()
    # The host tells Ada to come while Redis is away: the push is lost, the change is not.
    await sync_to_async(services.notify_party)(ada.pk, None)
    assert (await Order.objects.aget(pk=ada.pk)).status == OrderStatus.AWAITING_ARRIVAL

    private_redis.start()
    cy = await join(restaurant, "Cy")

    await screens["Ada"].shows("Head over now", within=5)
    await screens["Bob"].shows("#1", within=5)
    await screens["host"].shows(cy.order_code, "Cy", within=5)
    await screens["kitchen"].shows(ada.order_code, "Lasagne", within=5)
    for screen in screens.values():
        await screen.close()


@pytest.mark.skipif(
    getattr(django_settings, "CHANNEL_LAYER", "pubsub") != "pubsub",
    reason="only the pub/sub layer keeps sockets open across a Redis restart; core closes them",
)
async def test_pushes_reach_the_open_screens_again_once_redis_is_back(
    restaurant, staff_cookie, join, private_redis, layer_on_private_redis, settings
):
    # No re-sync from the database in this test: what arrives is pushed through Redis.
    settings.LIVE_QUEUE_RESYNC_SECONDS = 3600
    ada = await join(restaurant, "Ada")
    screens = await open_screens(restaurant, await staff_cookie(), ada)

    private_redis.kill()
    await asyncio.sleep(0.5)
    private_redis.start()
    await subscribed_again(private_redis, layer_on_private_redis, groups.restaurant(restaurant.pk))

    await sync_to_async(services.notify_party)(ada.pk, None)

    await screens["Ada"].shows("Head over now", within=3)
    await screens["host"].shows(ada.order_code, "Heading over (1)", within=3)
    assert all(screen.reconnects == 0 for screen in screens.values())
    for screen in screens.values():
        await screen.close()


async def subscribed_again(redis, layer, group, within=5):
    """Wait until the server process has re-subscribed `group` on the restarted Redis (the
    pub/sub layer names a group's Redis channel "<prefix>__group__<group>")."""
    channel = f"{layer['CONFIG']['prefix']}__group__{group}"
    client = redis.client()
    deadline = asyncio.get_running_loop().time() + within
    while dict(client.pubsub_numsub(channel)).get(channel.encode(), 0) < 1:
        assert asyncio.get_running_loop().time() < deadline, f"{group} never re-subscribed"
        await asyncio.sleep(0.1)
