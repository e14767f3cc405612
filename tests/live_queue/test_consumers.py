"""The live screens over real WebSockets: who may listen, what each group hears, and that the
screens always come back to the database's truth."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from live_queue.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND
from orders import services
from orders.models import Order

from .conftest import open_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def connected(path, cookie=None, origin=...):
    kwargs = {} if origin is ... else {"origin": origin}
    socket = open_socket(path, cookie, **kwargs)
    ok, _ = await socket.connect()
    assert ok
    return socket


async def next_html(socket, containing, timeout=3):
    """Wait for a pushed message that contains `containing`; earlier ones are skipped."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        assert remaining > 0, f"no message containing {containing!r} within {timeout}s"
        html = await socket.receive_from(timeout=remaining)
        if containing in html:
            return html


async def test_diner_gets_their_whole_screen_on_connect(restaurant, join):
    order = await join(restaurant, "Ada")
    socket = await connected(f"/ws/q/{order.public_token}/")
    html = await socket.receive_from()
    assert 'id="order-status"' in html and 'id="order-position"' in html
    assert "#1" in html
    await socket.disconnect()


async def test_unknown_diner_token_is_closed_with_a_clear_code(restaurant):
    socket = open_socket("/ws/q/not-a-real-token/")
    await socket.connect()
    closing = await socket.receive_output()
    assert closing == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}


async def test_socket_from_a_foreign_origin_is_refused(restaurant, join):
    order = await join(restaurant)
    socket = open_socket(f"/ws/q/{order.public_token}/", origin=(b"origin", b"https://evil.example"))
    ok, _ = await socket.connect()
    assert not ok


async def test_anonymous_visitor_cannot_watch_the_host_stand(restaurant):
    socket = open_socket(f"/ws/restaurant/{restaurant.slug}/host/")
    await socket.connect()
    assert await socket.receive_output() == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


async def test_staff_of_another_restaurant_cannot_watch_this_kitchen(
    restaurant, other_restaurant, staff_cookie
):
    cookie = await staff_cookie("rival-cook", other_restaurant)
    socket = open_socket(f"/ws/restaurant/{restaurant.slug}/kitchen/", cookie)
    await socket.connect()
    assert await socket.receive_output() == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}


async def test_host_sees_a_diner_join_and_other_restaurants_hosts_do_not(
    restaurant, other_restaurant, staff_cookie, join
):
    ours = await connected(f"/ws/restaurant/{restaurant.slug}/host/", await staff_cookie("ours"))
    theirs = await connected(
        f"/ws/restaurant/{other_restaurant.slug}/host/",
        await staff_cookie("theirs", other_restaurant),
    )
    assert "Nobody is waiting" in await ours.receive_from()
    await theirs.receive_from()

    order = await join(restaurant, "Grace")

    html = await next_html(ours, order.order_code)
    # Her row, and the queue's head with its count: not the whole screen again.
    assert f'id="queue-{order.pk}"' in html and "Grace" in html and "Queue (1)" in html
    assert 'id="host-tables"' not in html
    assert await theirs.receive_nothing(timeout=0.5)
    await ours.disconnect()
    await theirs.disconnect()


async def test_kitchen_sees_the_ticket_when_the_host_notifies(restaurant, staff_cookie, join):
    order = await join(restaurant, "Linus")
    kitchen = await connected(f"/ws/restaurant/{restaurant.slug}/kitchen/", await staff_cookie())
    # A table is free and lasagne takes longer than his trip: the kitchen sees his ticket
    # on deck before he is told to come.
    first = await kitchen.receive_from()
    assert order.order_code in first and "Not called yet" in first

    await sync_to_async(services.notify_party)(order.pk, None)

    html = await next_html(kitchen, order.order_code)
    assert "Lasagne" in html and "Fire at" in html and "Not called yet" not in html
    await kitchen.disconnect()


async def test_party_behind_moves_up_when_the_party_ahead_leaves(restaurant, join):
    first = await join(restaurant, "First")
    second = await join(restaurant, "Second")
    behind = await connected(f"/ws/q/{second.public_token}/")
    assert "#2" in await behind.receive_from()

    await sync_to_async(services.leave_queue)(first.pk)

    html = await next_html(behind, "#1")
    assert "You&#x27;re next" in html or "You're next" in html
    await behind.disconnect()


async def test_diner_hears_head_over_now_and_nothing_about_other_parties(restaurant, join):
    ada = await join(restaurant, "Ada")
    bob = await join(restaurant, "Bob")
    ada_socket = await connected(f"/ws/q/{ada.public_token}/")
    await ada_socket.receive_from()

    await sync_to_async(services.notify_party)(ada.pk, None)

    html = await next_html(ada_socket, "Head over now")
    assert 'data-status="AWAITING_ARRIVAL"' in html
    assert bob.order_code not in html and "Bob" not in html
    await ada_socket.disconnect()


async def test_a_rolled_back_change_is_never_pushed(restaurant, staff_cookie, join):
    host = await connected(f"/ws/restaurant/{restaurant.slug}/host/", await staff_cookie())
    await host.receive_from()

    def join_then_fail():
        with transaction.atomic():
            services.join_queue(
                restaurant.pk,
                customer_name="Ghost",
                party_size=2,
                lines=[services.LineRequest(restaurant.menu_items.first().pk, 1)],
            )
            raise RuntimeError("the card machine fell over")

    with pytest.raises(RuntimeError):
        await sync_to_async(join_then_fail)()

    assert await host.receive_nothing(timeout=0.8)
    assert not await sync_to_async(Order.objects.filter(customer_name="Ghost").exists)()
    await host.disconnect()


async def test_unexpected_client_messages_are_ignored_and_the_screen_keeps_working(
    restaurant, staff_cookie, join
):
    host = await connected(f"/ws/restaurant/{restaurant.slug}/host/", await staff_cookie())
    await host.receive_from()
    await host.send_to(text_data='{"HEADERS": {}, "delete": "everything"}')
    await host.send_to(bytes_data=b"\x00\x01")

    order = await join(restaurant, "Still here")

    assert order.order_code in await next_html(host, order.order_code)
    assert await sync_to_async(Order.objects.count)() == 1
    await host.disconnect()


async def test_a_page_asking_whether_its_socket_is_alive_hears_pong_and_nothing_else(
    restaurant, staff_cookie, join
):
    host = await connected(f"/ws/restaurant/{restaurant.slug}/host/", await staff_cookie())
    await host.receive_from()

    await host.send_to(text_data="ping")

    assert await host.receive_from() == "pong"
    assert await host.receive_nothing(timeout=0.5)
    # Only the exact heartbeat is answered.
    await host.send_to(text_data="ping please")
    assert await host.receive_nothing(timeout=0.5)
    await host.disconnect()


async def test_screen_catches_up_from_the_database_when_a_push_is_lost(
    restaurant, staff_cookie, join, settings
):
    host = await connected(f"/ws/restaurant/{restaurant.slug}/host/", await staff_cookie())
    await host.receive_from()

    # As if Redis were away: the change commits but no push goes out.
    settings.LIVE_QUEUE_BROADCAST = False
    order = await join(restaurant, "Missed")

    html = await next_html(host, order.order_code, timeout=3)
    assert "Missed" in html
    await host.disconnect()


async def test_a_room_full_of_screens_costs_one_database_check_per_interval(
    restaurant, other_restaurant, staff_cookie, join, monkeypatch, settings
):
    """The re-sync check reads the versions of all of a process's restaurants in one query per
    interval, not one per open screen: a busy evening's phones must not hammer the database."""
    from live_queue import relay, screens

    parties = [await join(restaurant, f"Party {n}") for n in range(6)]
    sockets = [await connected(f"/ws/restaurant/{restaurant.slug}/host/", await staff_cookie())]
    sockets += [await connected(f"/ws/q/{party.public_token}/") for party in parties]
    neighbour = await join(other_restaurant, "Next door")
    sockets.append(await connected(f"/ws/q/{neighbour.public_token}/"))
    for socket in sockets:
        await socket.receive_from()
    assert relay.watched_restaurants() == 2

    checks = []
    real = screens.state_versions
    monkeypatch.setattr(
        screens, "state_versions", lambda ids: checks.append(sorted(ids)) or real(ids)
    )
    await asyncio.sleep(10 * settings.LIVE_QUEUE_RESYNC_SECONDS)

    # Ten intervals, jittered by up to a quarter either way: 6 to 14 checks, each of both
    # restaurants at once. One per screen would be 80.
    assert 6 <= len(checks) <= 14
    assert all(ids == sorted([restaurant.pk, other_restaurant.pk]) for ids in checks)
    # Nothing changed, so no screen was sent anything.
    for socket in sockets:
        assert await socket.receive_nothing(timeout=0.05)

    for socket in sockets:
        await socket.disconnect()
    await asyncio.sleep(0.05)
    assert relay.watched_restaurants() == 0


async def test_screens_behind_together_all_catch_up_and_a_closed_one_is_left_alone(
    restaurant, join, settings
):
    diners = [await join(restaurant, f"Party {n}") for n in range(4)]
    sockets = [await connected(f"/ws/q/{party.public_token}/") for party in diners]
    for place, socket in enumerate(sockets, start=1):
        assert f'data-testid="position">#{place}<' in await socket.receive_from()
    await sockets[0].disconnect()

    # The first party leaves the queue and the push is lost: every screen still open is
    # behind, and each catches up by itself to its party's new place.
    settings.LIVE_QUEUE_BROADCAST = False
    await sync_to_async(services.remove_party)(diners[0].pk, services.SYSTEM)
    for place, socket in enumerate(sockets[1:], start=1):
        html = await next_html(socket, f'data-testid="position">#{place}<')
        assert 'id="order-position"' in html
    for socket in sockets[1:]:
        await socket.disconnect()
