"""Each live screen hears its own restaurant's news and nothing else: the host stand and the
kitchen their own fragments, a diner only their own order, the restaurant next door nothing.
And who may open a screen at all."""

import asyncio
import logging
import re

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client

from live_queue.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND
from orders import services
from orders.models import Order

from .conftest import Page, Screen, open_socket, top_level_ids

pytestmark = pytest.mark.django_db(transaction=True)

HOST_ONLY = 'id="host-queue"'
KITCHEN_ONLY = 'id="kitchen-tickets"'
DINER_ONLY = 'id="order-status"'
DINER_PIECES = {"order-status", "order-position", "order-wait", "order-kitchen-note", "order-actions"}


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


def all_ids(html):
    return set(re.findall(r'\sid="([^"]+)"', html))


async def test_each_screen_is_sent_only_its_own_pieces_when_a_party_joins(
    restaurant, staff_cookie, join
):
    ada = await join(restaurant, "Ada")
    cookie = await staff_cookie()
    host = await connected(f"/ws/restaurant/{restaurant.slug}/host/", cookie)
    kitchen = await connected(f"/ws/restaurant/{restaurant.slug}/kitchen/", cookie)
    diner = await connected(f"/ws/q/{ada.public_token}/")
    host_ids = all_ids(await host.receive_from())
    kitchen_ids = all_ids(await kitchen.receive_from())
    diner_ids = all_ids(await diner.receive_from())
    # Three screens made of different pieces: nothing one of them is sent lands on another.
    assert not host_ids & kitchen_ids
    assert not host_ids & diner_ids
    assert not kitchen_ids & diner_ids

    bob = await join(restaurant, "Bob")

    host_push = await host.receive_from()
    assert bob.order_code in host_push
    # The host stand is sent its own pieces again (the queue's head, the summary) and Bob's
    # new row, inserted into its own queue list.
    assert set(top_level_ids(host_push)) - {None} <= host_ids
    assert 'hx-swap-oob="beforeend:#queue-rows"' in host_push
    assert HOST_ONLY not in host_push and KITCHEN_ONLY not in host_push
    # Ada's place and wait do not change when a party joins behind her: she hears nothing.
    assert await diner.receive_nothing(timeout=0.5)
    for socket in (host, kitchen, diner):
        await socket.disconnect()


async def test_a_diner_hears_only_about_their_own_order_all_evening(restaurant, join):
    ada = await join(restaurant, "Ada")
    bob = await join(restaurant, "Bob")
    ada_socket = await connected(f"/ws/q/{ada.public_token}/")
    heard = [await ada_socket.receive_from()]

    async def everything_heard():
        # receive_nothing first: receive_from cancels the application when it times out.
        while not await ada_socket.receive_nothing(timeout=0.5):
            heard.append(await ada_socket.receive_from())

    cy = await join(restaurant, "Cy")
    await everything_heard()
    await sync_to_async(services.notify_party)(bob.pk, None)
    await everything_heard()
    await sync_to_async(services.leave_queue)(cy.pk)
    await everything_heard()

    page = Page(heard[0])
    for html in heard[1:]:
        page.apply(html)
    assert 'data-testid="position">#1<' in str(page) and not page.missing
    for html in heard:
        assert set(top_level_ids(html)) <= DINER_PIECES
        for other in (bob, cy):
            assert other.order_code not in html and other.customer_name not in html
    await ada_socket.disconnect()


async def test_a_diner_behind_hears_only_the_pieces_that_changed(restaurant, join):
    first = await join(restaurant, "First")
    second = await join(restaurant, "Second")
    behind = await connected(f"/ws/q/{second.public_token}/")
    assert set(top_level_ids(await behind.receive_from())) == DINER_PIECES

    await sync_to_async(services.leave_queue)(first.pk)

    push = await behind.receive_from()
    # Her place moved; her status, her kitchen note and her way out did not.
    assert "order-position" in top_level_ids(push)
    assert not {"order-status", "order-actions", "order-kitchen-note"} & set(top_level_ids(push))
    await behind.disconnect()


async def test_a_burst_of_changes_leaves_every_screen_showing_the_last_one(
    restaurant, staff_cookie, join
):
    parties = [await join(restaurant, f"Party {n}") for n in range(8)]
    last = parties[-1]
    host = Screen(f"/ws/restaurant/{restaurant.slug}/host/", await staff_cookie())
    diner = Screen(f"/ws/q/{last.public_token}/")
    await host.open()
    await diner.open()
    assert 'data-testid="position">#8<' in diner.html

    # Seven parties leave as fast as the services allow: the feed may fold several changes
    # into one read, but what each screen ends up showing is the database's last word.
    for party in parties[:-1]:
        await sync_to_async(services.leave_queue)(party.pk)

    await diner.shows('data-testid="position">#1<', "You're next")
    await host.shows("Queue (1)")
    await host.close()
    await diner.close()


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
    assert "not published" in caplog.text


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
    assert await sync_to_async(Order.objects.count)() == 0
    order = await join(restaurant, "Still served")
    assert order.order_code in await host.receive_from()
    await host.disconnect()
