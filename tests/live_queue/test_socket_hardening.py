"""Sockets as an attacker would try them: pages of other origins, staff whose access ended,
clients that talk too much or open too many, malformed paths, and Redis away when a phone
connects."""

import asyncio
import logging

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client

from live_queue.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_TOO_MANY
from orders import services

from .conftest import Screen, needs_redis_server, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def closing_code(socket, within=5):
    """The code the server closes `socket` with (after its whole screen, if it sends one)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        assert remaining > 0, "the socket was never closed"
        if await socket.receive_nothing(timeout=min(0.1, remaining)):
            continue
        output = await socket.receive_output()
        if output["type"] == "websocket.close":
            return output.get("code")


async def connected(path, cookie=None, **kwargs):
    socket = open_socket(path, cookie, **kwargs)
    ok, _ = await socket.connect()
    assert ok
    return socket


# ---------------------------------------------------------------- origins


@pytest.mark.parametrize(
    "origin, host",
    [
        (b"http://127.0.0.1:9999", b"127.0.0.1:8200"),  # another port of the same host
        (b"https://127.0.0.1", b"127.0.0.1:8200"),  # another scheme and port
        (b"http://localhost:1234", b"localhost:8200"),
        (b"http://127.0.0.1:8200", b"evil.example:8200"),  # a host we do not serve
        (b"null", b"127.0.0.1:8200"),  # a sandboxed page or a file
    ],
)
async def test_a_page_of_any_other_origin_cannot_open_a_socket(restaurant, join, origin, host):
    order = await join(restaurant)
    socket = open_socket(f"/ws/q/{order.public_token}/", origin=(b"origin", origin), host=(b"host", host))
    ok, _ = await socket.connect()
    assert not ok


async def test_our_own_page_opens_its_socket_on_any_port_it_is_served_from(restaurant, join):
    order = await join(restaurant)
    socket = await connected(
        f"/ws/q/{order.public_token}/",
        origin=(b"origin", b"http://127.0.0.1:8200"),
        host=(b"host", b"127.0.0.1:8200"),
    )
    assert 'id="order-status"' in await socket.receive_from()
    await socket.disconnect()


async def test_behind_the_https_proxy_only_the_https_page_may_connect(restaurant, join, settings):
    settings.ALLOWED_HOSTS = ["queue.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    order = await join(restaurant)
    path = f"/ws/q/{order.public_token}/"
    host = (b"host", b"queue.example.com")
    proto = (b"x-forwarded-proto", b"https")

    plain = open_socket(path, origin=(b"origin", b"http://queue.example.com"), host=host)
    plain.scope["headers"].append(proto)
    assert not (await plain.connect())[0]

    secure = open_socket(path, origin=(b"origin", b"https://queue.example.com"), host=host)
    secure.scope["headers"].append(proto)
    assert (await secure.connect())[0]
    await secure.disconnect()


async def test_a_trusted_origin_may_connect_as_csrf_allows_it(restaurant, join, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.com"]
    order = await join(restaurant)
    socket = await connected(
        f"/ws/q/{order.public_token}/", origin=(b"origin", b"https://tv.example.com")
    )
    await socket.disconnect()


# ---------------------------------------------------------------- staff whose access ends


def _staff_session(restaurant, username="host", *restaurants):
    user = get_user_model().objects.create_user(username, password="x-unused-9!")
    for place in (restaurant, *restaurants):
        place.staff.add(user)
    client = Client()
    client.force_login(user)
    return user, client


async def test_a_host_who_logs_out_elsewhere_stops_hearing_the_host_stand(restaurant):
    user, client = await sync_to_async(_staff_session)(restaurant)
    cookie = client.cookies["sessionid"].value
    host = await connected(f"/ws/restaurant/{restaurant.slug}/host/", cookie)
    await host.receive_from()

    await sync_to_async(client.post)("/restaurant/logout/")

    assert await closing_code(host) == CLOSE_FORBIDDEN


async def test_a_deactivated_account_stops_hearing_the_kitchen(restaurant):
    user, client = await sync_to_async(_staff_session)(restaurant)
    kitchen = await connected(
        f"/ws/restaurant/{restaurant.slug}/kitchen/", client.cookies["sessionid"].value
    )
    await kitchen.receive_from()

    def deactivate():
        user.is_active = False
        user.save()

    await sync_to_async(deactivate)()

    assert await closing_code(kitchen) == CLOSE_FORBIDDEN


async def test_taken_off_one_restaurant_s_staff_closes_that_screen_and_no_other(
    restaurant, other_restaurant, join
):
    user, client = await sync_to_async(_staff_session)(restaurant, "host", other_restaurant)
    cookie = client.cookies["sessionid"].value
    ours = await connected(f"/ws/restaurant/{restaurant.slug}/host/", cookie)
    theirs = await connected(f"/ws/restaurant/{other_restaurant.slug}/host/", cookie)
    await ours.receive_from()
    await theirs.receive_from()

    await sync_to_async(restaurant.staff.remove)(user)

    assert await closing_code(ours) == CLOSE_FORBIDDEN
    # Still on the other restaurant's staff: that screen stays and keeps hearing.
    order = await join(other_restaurant, "Next door")
    while order.order_code not in (html := await theirs.receive_from()):
        pass
    assert "Next door" in html
    await theirs.disconnect()


async def test_a_lost_access_message_is_made_good_by_the_periodic_check(
    restaurant, monkeypatch, settings
):
    from live_queue import access, broadcast

    monkeypatch.setattr(access, "STAFF_RECHECK_SECONDS", 0.5)
    user, client = await sync_to_async(_staff_session)(restaurant)
    host = await connected(f"/ws/restaurant/{restaurant.slug}/host/", client.cookies["sessionid"].value)
    await host.receive_from()

    # As if Redis lost the message.
    monkeypatch.setattr(broadcast, "publish_to", lambda group, message: None)
    await sync_to_async(restaurant.staff.remove)(user)

    assert await closing_code(host, within=5) == CLOSE_FORBIDDEN


# ---------------------------------------------------------------- clients that talk too much


async def test_junk_from_clients_is_ignored_and_logged_only_so_often(restaurant, join, caplog):
    # (A client sending faster than the rate is cut off where daphne reads its frames:
    # tests/e2e/test_socket_flood.py.)
    order = await join(restaurant)
    socket = await connected(f"/ws/q/{order.public_token}/")
    await socket.receive_from()
    with caplog.at_level(logging.WARNING, logger="live_queue.consumers"):
        for n in range(40):
            await socket.send_to(text_data=f"junk {n}")
        await socket.send_to(text_data="ping")
        assert await socket.receive_from() == "pong"  # all read, and the page still answered
    logged = [r for r in caplog.records if "Ignored unexpected message" in r.getMessage()]
    assert len(logged) == 10
    await socket.disconnect()


async def test_a_page_s_heartbeat_is_well_within_the_rate(restaurant, join, settings):
    order = await join(restaurant)
    socket = await connected(f"/ws/q/{order.public_token}/")
    await socket.receive_from()
    for _ in range(int(settings.LIVE_QUEUE_SOCKET_MESSAGES_PER_SECOND)):
        await socket.send_to(text_data="ping")
        assert await socket.receive_from() == "pong"
    await socket.disconnect()


async def test_one_link_keeps_a_few_screens_open_and_no_more(restaurant, join, settings):
    settings.LIVE_QUEUE_MAX_SOCKETS_PER_LINK = 3
    order = await join(restaurant)
    path = f"/ws/q/{order.public_token}/"
    tabs = [await connected(path) for _ in range(3)]
    for tab in tabs:
        await tab.receive_from()

    one_too_many = await connected(path)
    assert await closing_code(one_too_many) == CLOSE_TOO_MANY

    # A tab closed makes room again.
    await tabs[0].disconnect()
    await asyncio.sleep(0.1)
    again = await connected(path)
    assert 'id="order-status"' in await again.receive_from()
    for tab in [*tabs[1:], again]:
        await tab.disconnect()


async def test_one_address_cannot_open_screens_without_end(restaurant, join, settings):
    settings.LIVE_QUEUE_MAX_SOCKETS_PER_ADDRESS = 2
    parties = [await join(restaurant, f"Party {n}") for n in range(3)]

    def from_address(order, address):
        socket = open_socket(f"/ws/q/{order.public_token}/")
        socket.scope["client"] = (address, 50000)
        return socket

    sockets = []
    for order in parties[:2]:
        socket = from_address(order, "203.0.113.9")
        assert (await socket.connect())[0]
        await socket.receive_from()
        sockets.append(socket)
    refused = from_address(parties[2], "203.0.113.9")
    await refused.connect()
    assert await closing_code(refused) == CLOSE_TOO_MANY
    # Another address is not held back by this one.
    other = from_address(parties[2], "198.51.100.4")
    assert (await other.connect())[0]
    assert 'id="order-status"' in await other.receive_from()
    for socket in [*sockets, other]:
        await socket.disconnect()


# ---------------------------------------------------------------- malformed paths


@pytest.mark.parametrize(
    "path",
    ["/ws/q/\x00/", "/ws/q/abc%00def/", "/ws/q/" + "A" * 200 + "/", "/ws/q/short/", "/ws/nothing/", "/ws/"],
)
async def test_a_malformed_or_unknown_socket_path_is_closed_as_not_found_without_an_error(
    path, caplog
):
    socket = open_socket(path)
    with caplog.at_level(logging.ERROR):
        ok, _ = await socket.connect()
        assert ok
        assert await socket.receive_output() == {"type": "websocket.close", "code": CLOSE_NOT_FOUND}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# ---------------------------------------------------------------- Redis away


@needs_redis_server
async def test_a_phone_opening_its_page_while_redis_is_away_gets_its_screen_and_its_updates(
    restaurant, join, private_redis, layer_on_private_redis
):
    ada = await join(restaurant, "Ada")
    bob = await join(restaurant, "Bob")
    private_redis.kill()

    # Bob reloads his page now: his socket is accepted and shows him the database's truth.
    phone = Screen(f"/ws/q/{bob.public_token}/")
    await phone.open()
    assert 'data-testid="position">#2<' in phone.html

    # A change while Redis is away reaches him through the version check...
    await sync_to_async(services.leave_queue)(ada.pk)
    await phone.shows('data-testid="position">#1<', within=5)

    # ...and once Redis is back, through the push itself.
    private_redis.start()
    await sync_to_async(services.notify_party)(bob.pk, None)
    await phone.shows("Head over now", within=8)
    assert phone.reconnects == 0
    await phone.close()
