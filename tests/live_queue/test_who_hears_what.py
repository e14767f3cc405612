"""Each live screen hears its own restaurant's news and nothing else: the host stand and the
kitchen their own fragments, a diner only their own order, the restaurant next door nothing.
And who may open a screen at all."""

import logging

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.test import Client

from live_queue import groups
from live_queue.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND
from orders import services
from orders.models import RestaurantProfile

from .conftest import open_socket, top_level_ids

pytestmark = pytest.mark.django_db(transaction=True)

HOST_ONLY = 'id="host-queue"'
KITCHEN_ONLY = 'id="kitchen-tickets"'
DINER_ONLY = 'id="order-status"'


async def connected(path, cookie=None):
    socket = open_socket(path, cookie)
    ok, _ = await socket.connect()
    assert ok
    return socket


async def refusal_code(path, cookie=None, origin=...):
    kwargs = {} if origin is ... else {"origin": origin}
    socket = open_socket(path, cookie, **kwargs)
    ok, _ = await socket.connect()
    if not ok:
        return "handshake refused"
    return (await socket.receive_output())


async def test_each_screen_is_sent_only_its_own_fragments_when_a_party_joins(
    restaurant, staff_cookie, join
):
    ada = await join(restaurant, "Ada")
    cookie = await staff_cookie()
    host = await connected(f"/ws/restaurant/{restaurant.slug}/host/", cookie)
    kitchen = await connected(f"/ws/restaurant/{restaurant.slug}/kitchen/", cookie)
    diner = await connected(f"/ws/q/{ada.public_token}/")
    host_ids = top_level_ids(await host.receive_from())
    kitchen_ids = top_level_ids(await kitchen.receive_from())
    diner_ids = top_level_ids(await diner.receive_from())
    # Three screens made of different pieces: nothing one of them is sent lands on another.
    assert not set(host_ids) & set(kitchen_ids)
    assert not set(host_ids) & set(diner_ids)
    assert not set(kitchen_ids) & set(diner_ids)

    bob = await join(restaurant, "Bob")

    host_push = await host.receive_from()
    kitchen_push = await kitchen.receive_from()
    diner_push = await diner.receive_from()
    assert top_level_ids(host_push) == host_ids and bob.order_code in host_push
    assert top_level_ids(kitchen_push) == kitchen_ids and HOST_ONLY not in kitchen_push
    assert top_level_ids(diner_push) == diner_ids
    for foreign in (HOST_ONLY, KITCHEN_ONLY, "Bob", bob.order_code):
        assert foreign not in diner_push
    for socket in (host, kitchen, diner):
        await socket.disconnect()


async def test_a_diner_hears_only_about_their_own_order_all_evening(restaurant, join):
    ada = await join(restaurant, "Ada")
    bob = await join(restaurant, "Bob")
    ada_socket = await connected(f"/ws/q/{ada.public_token}/")
    heard = [await ada_socket.receive_from()]

    cy = await join(restaurant, "Cy")
    heard.append(await ada_socket.receive_from())
    await sync_to_async(services.notify_party)(bob.pk, None)
    heard.append(await ada_socket.receive_from())
    await sync_to_async(services.leave_queue)(cy.pk)
    heard.append(await ada_socket.receive_from())

    assert "#1" in heard[-1]  # Bob was told to come, so Ada is at the front now
    for html in heard:
        assert ada.order_code in html
        for other in (bob, cy):
            assert other.order_code not in html and other.customer_name not in html
    await ada_socket.disconnect()


async def test_the_restaurant_next_door_hears_nothing_of_our_evening(
    restaurant, other_restaurant, staff_cookie, join
):
    neighbour = await join(other_restaurant, "Neighbour")
    cookie = await staff_cookie("azul", other_restaurant)
    their_screens = [
        await connected(f"/ws/restaurant/{other_restaurant.slug}/host/", cookie),
        await connected(f"/ws/restaurant/{other_restaurant.slug}/kitchen/", cookie),
        await connected(f"/ws/q/{neighbour.public_token}/"),
    ]
    for socket in their_screens:
        await socket.receive_from()

    ours = await join(restaurant, "Ours")
    await sync_to_async(services.notify_party)(ours.pk, None)

    for socket in their_screens:
        assert await socket.receive_nothing(timeout=0.6)
        await socket.disconnect()


async def test_a_late_push_older_than_the_screen_is_never_shown(restaurant, join):
    ada = await join(restaurant, "Ada")
    diner = await connected(f"/ws/q/{ada.public_token}/")
    await diner.receive_from()
    shown = await sync_to_async(
        lambda: RestaurantProfile.objects.get(pk=restaurant.pk).state_version
    )()
    layer = get_channel_layer()

    await layer.group_send(
        groups.diner(ada.pk),
        {"type": "screen.update", "html": "<p id='x'>stale</p>", "version": shown - 1},
    )
    assert await diner.receive_nothing(timeout=0.5)

    await layer.group_send(
        groups.diner(ada.pk),
        {"type": "screen.update", "html": "<p id='x'>newer</p>", "version": shown + 1},
    )
    assert "newer" in await diner.receive_from()
    await diner.disconnect()


async def test_a_refused_staff_action_pushes_nothing(restaurant, staff_cookie, join):
    ada = await join(restaurant, "Ada")
    await sync_to_async(services.notify_party)(ada.pk, None)
    host = await connected(f"/ws/restaurant/{restaurant.slug}/host/", await staff_cookie())
    await host.receive_from()

    with pytest.raises(services.QueueError):
        await sync_to_async(services.notify_party)(ada.pk, None)  # told twice

    assert await host.receive_nothing(timeout=0.6)
    await host.disconnect()


async def test_a_change_is_pushed_only_once_the_whole_transaction_commits(
    restaurant, staff_cookie
):
    from asgiref.sync import async_to_sync
    from django.db import transaction

    host = await connected(f"/ws/restaurant/{restaurant.slug}/host/", await staff_cookie())
    await host.receive_from()
    dish = await sync_to_async(lambda: restaurant.menu_items.first())()

    def join_inside_a_bigger_transaction():
        with transaction.atomic():
            order = services.join_queue(
                restaurant.pk,
                customer_name="Patient",
                party_size=2,
                lines=[services.LineRequest(dish.pk, 1)],
            )
            # The join's own work is done, but the outer transaction has not committed.
            heard_before_commit = not async_to_sync(host.receive_nothing)(timeout=0.5)
        return order, heard_before_commit

    order, heard_before_commit = await sync_to_async(join_inside_a_bigger_transaction)()

    assert not heard_before_commit
    assert order.order_code in await host.receive_from()
    await host.disconnect()


async def test_a_broadcast_that_cannot_reach_redis_never_fails_the_change(
    restaurant, settings, caplog, unused_tcp_port
):
    from config.settings import redis_channel_layer

    # Nothing listens on this port: Redis is away.
    settings.CHANNEL_LAYERS = {
        "default": redis_channel_layer(f"redis://127.0.0.1:{unused_tcp_port}/0")
    }
    dish = await sync_to_async(lambda: restaurant.menu_items.first())()
    with caplog.at_level(logging.WARNING, logger="live_queue.broadcast"):
        order = await sync_to_async(services.join_queue)(
            restaurant.pk,
            customer_name="Unbothered",
            party_size=2,
            lines=[services.LineRequest(dish.pk, 1)],
        )
    assert order.queue_position == 1
    assert "screens will re-sync" in caplog.text


# ---------------------------------------------------------------- who may open a screen


async def test_a_staff_member_watches_their_host_stand_and_kitchen(restaurant, staff_cookie):
    cookie = await staff_cookie()
    for screen, piece in (("host", HOST_ONLY), ("kitchen", KITCHEN_ONLY)):
        socket = await connected(f"/ws/restaurant/{restaurant.slug}/{screen}/", cookie)
        assert piece in await socket.receive_from()
        await socket.disconnect()


async def test_a_superuser_may_watch_any_restaurant(restaurant, other_restaurant):
    def owner_cookie():
        user = get_user_model().objects.create_superuser("owner", password="x-unused-9!")
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    cookie = await sync_to_async(owner_cookie)()
    socket = await connected(f"/ws/restaurant/{other_restaurant.slug}/host/", cookie)
    assert HOST_ONLY in await socket.receive_from()
    await socket.disconnect()


@pytest.mark.parametrize("screen", ["host", "kitchen"])
async def test_an_anonymous_visitor_is_refused_both_staff_screens(restaurant, screen):
    closing = await refusal_code(f"/ws/restaurant/{restaurant.slug}/{screen}/")
    assert closing == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


async def test_staff_of_another_restaurant_cannot_watch_this_host_stand(
    restaurant, other_restaurant, staff_cookie
):
    cookie = await staff_cookie("rival-host", other_restaurant)
    closing = await refusal_code(f"/ws/restaurant/{restaurant.slug}/host/", cookie)
    assert closing == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


async def test_a_logged_in_user_who_is_not_staff_anywhere_is_refused(restaurant, staff_cookie):
    cookie = await staff_cookie("passer-by", restaurant_to_staff=None)
    closing = await refusal_code(f"/ws/restaurant/{restaurant.slug}/kitchen/", cookie)
    assert closing == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


async def test_a_deactivated_staff_account_is_refused(restaurant, staff_cookie):
    cookie = await staff_cookie("former-host")
    await sync_to_async(get_user_model().objects.filter(username="former-host").update)(
        is_active=False
    )
    closing = await refusal_code(f"/ws/restaurant/{restaurant.slug}/host/", cookie)
    assert closing == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


async def test_a_session_that_logged_out_no_longer_opens_the_host_stand(restaurant):
    def logged_in_then_out():
        user = get_user_model().objects.create_user("leaving", password="x-unused-9!")
        restaurant.staff.add(user)
        client = Client()
        client.force_login(user)
        cookie = client.cookies["sessionid"].value
        client.logout()
        return cookie

    cookie = await sync_to_async(logged_in_then_out)()
    closing = await refusal_code(f"/ws/restaurant/{restaurant.slug}/host/", cookie)
    assert closing == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


async def test_an_unknown_restaurant_is_closed_with_the_unknown_code(staff_cookie):
    closing = await refusal_code("/ws/restaurant/no-such-place/host/", await staff_cookie())
    assert closing == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}


async def test_a_token_one_letter_off_is_refused(restaurant, join):
    order = await join(restaurant)
    token = order.public_token
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    closing = await refusal_code(f"/ws/q/{wrong}/")
    assert closing == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}


@pytest.mark.parametrize("origin", [None, (b"origin", b"https://evil.example")])
async def test_a_staff_socket_without_our_origin_is_refused(restaurant, staff_cookie, origin):
    closing = await refusal_code(
        f"/ws/restaurant/{restaurant.slug}/host/", await staff_cookie(), origin=origin
    )
    assert closing == "handshake refused"


async def test_an_unexpected_client_message_is_logged_and_ignored(
    restaurant, staff_cookie, join, caplog
):
    host = await connected(f"/ws/restaurant/{restaurant.slug}/host/", await staff_cookie())
    await host.receive_from()
    with caplog.at_level(logging.WARNING, logger="live_queue.consumers"):
        await host.send_to(text_data='{"action": "notify", "order": 1}')
        assert await host.receive_nothing(timeout=0.3)
    assert "Ignored unexpected message" in caplog.text
    order = await join(restaurant, "Still served")
    assert order.order_code in await host.receive_from()
    await host.disconnect()
