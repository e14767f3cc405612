"""A long queue and a room full of phones cost the same database work as a short queue and
one phone: a push reads the restaurant once per process, a reconnect storm reads it a handful
of times, and the host stand is sent the rows that changed. (Speed itself is measured by
bench/live_load.py, not here.)"""

import asyncio
import re
import json

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from orders import services
from orders.models import Order, OrderStatus

from .conftest import Page, fill_queue, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_periodic_check(settings):
    """Only the change under test reads the database: no version check in between."""
    settings.LIVE_QUEUE_RESYNC_SECONDS = 3600



async def open_all(paths, cookie=None):
    sockets = [open_socket(path, cookie) for path in paths]
    results = await asyncio.gather(*(socket.connect() for socket in sockets))
    assert all(ok for ok, _ in results)
    wholes = await asyncio.gather(*(socket.receive_from() for socket in sockets))
    return sockets, wholes


async def each_hears_something(sockets, within=30):
    return await asyncio.gather(*(socket.receive_from(timeout=within) for socket in sockets))


async def close_all(sockets):
    await asyncio.gather(*(socket.disconnect() for socket in sockets))


async def reads_for_one_change(restaurant, sockets, live_queries, party):
    await asyncio.sleep(0.2)  # every joining socket served
    live_queries.clear()
    await sync_to_async(services.notify_party)(party.pk, None)
    await each_hears_something(sockets)
    return list(live_queries)


async def test_a_push_reads_the_database_as_often_for_500_phones_as_for_5(
    restaurant, live_queries
):
    parties = await sync_to_async(fill_queue)(restaurant, 120)

    few, _ = await open_all([f"/ws/q/{p.public_token}/" for p in parties[10:15]])
    with_5 = await reads_for_one_change(restaurant, few, live_queries, parties[0])
    await close_all(few)

    # 100 parties, five phones each (a family's phones, open tabs): 500 sockets.
    many, _ = await open_all([f"/ws/q/{p.public_token}/" for p in parties[15:115] for _ in range(5)])
    with_500 = await reads_for_one_change(restaurant, many, live_queries, parties[1])
    await close_all(many)

    assert len(many) == 500
    assert 0 < len(with_5) == len(with_500), (with_5, with_500)


async def test_a_reconnect_storm_of_200_phones_reads_the_database_a_handful_of_times(
    restaurant, live_queries
):
    parties = await sync_to_async(fill_queue)(restaurant, 200)

    # After a deploy: every phone of the restaurant connects again at the same moment.
    sockets, wholes = await open_all([f"/ws/q/{p.public_token}/" for p in parties])

    assert all('id="order-status"' in html for html in wholes)
    assert all(f'data-testid="position">#{n}<' in html for n, html in enumerate(wholes, start=1))
    # The links looked up in batches, the restaurant read once or twice: not 200 of either.
    assert len(live_queries) <= 20, live_queries
    await close_all(sockets)


async def test_the_host_stand_hears_only_the_rows_that_changed(restaurant, staff_cookie):
    parties = await sync_to_async(fill_queue)(restaurant, 60)
    socket = open_socket(f"/ws/restaurant/{restaurant.slug}/host/", await staff_cookie())
    assert (await socket.connect())[0]
    page = Page(await socket.receive_from())
    first_rows = [f"queue-{p.pk}" for p in parties[:25]]
    assert page.ids_in("queue-rows") == first_rows
    assert "Showing the first 25 of 60" in str(page)

    # A party far down the line, beyond the rows on screen, leaves: the count changes, and no
    # row does.
    await sync_to_async(services.leave_queue)(parties[40].pk)
    push = await socket.receive_from()
    assert not re.search(r'id="queue-\d+"', push) and "Queue (59)" in push
    page.apply(push)

    # The tenth party leaves: its row goes, the rows behind it move up one place, and the
    # 26th party comes into view at the end. The nine ahead are not sent at all.
    await sync_to_async(services.leave_queue)(parties[9].pk)
    push = await socket.receive_from()
    for ahead in parties[:9]:
        assert f'id="queue-{ahead.pk}"' not in push
    assert f'id="queue-{parties[9].pk}" hx-swap-oob="delete"' in push
    page.apply(push)
    assert page.ids_in("queue-rows") == first_rows[:9] + first_rows[10:] + [f"queue-{parties[25].pk}"]
    assert not page.missing
    await socket.disconnect()


async def test_a_host_asks_for_more_rows_and_a_reconnect_keeps_them(restaurant, staff_cookie):
    parties = await sync_to_async(fill_queue)(restaurant, 60)
    cookie = await staff_cookie()
    socket = open_socket(f"/ws/restaurant/{restaurant.slug}/host/", cookie)
    assert (await socket.connect())[0]
    page = Page(await socket.receive_from())

    # "Show 25 more" (htmx's ws-send posts its hx-vals with the request's headers).
    await socket.send_to(text_data=json.dumps({"rows": 50, "HEADERS": {"HX-Request": "true"}}))
    page.apply(await socket.receive_from())
    assert page.ids_in("queue-rows") == [f"queue-{p.pk}" for p in parties[:50]]
    assert "Showing the first 50 of 60" in str(page)
    assert 'data-ws-value="50"' in str(page)  # what static/js/live.js asks for on reconnect
    await socket.disconnect()

    again = open_socket(f"/ws/restaurant/{restaurant.slug}/host/?rows=50", cookie)
    assert (await again.connect())[0]
    assert Page(await again.receive_from()).ids_in("queue-rows") == [f"queue-{p.pk}" for p in parties[:50]]
    await again.disconnect()


async def test_the_host_stand_page_stays_small_with_a_thousand_parties_waiting(
    restaurant, staff_cookie, client
):
    await sync_to_async(fill_queue)(restaurant, 1000)

    def host_stand(rows=None):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_user("big-night", password="x-unused-9!")
        restaurant.staff.add(user)
        client.force_login(user)
        url = reverse("staff:host", args=[restaurant.slug])
        return client.get(url), client.get(url + "?rows=100")

    page, more = await sync_to_async(host_stand)()
    assert page.status_code == 200
    assert len(page.content) < 100_000
    body = page.content.decode()
    assert "Queue (1000)" in body and "Showing the first 25 of 1000" in body
    assert len(re.findall(r"id=\"queue-\d+\"", body)) == 25
    assert len(re.findall(r"id=\"queue-\d+\"", more.content.decode())) == 100


async def test_waiting_diners_hear_their_new_place_and_nothing_else(restaurant, live_queries):
    parties = await sync_to_async(fill_queue)(restaurant, 30)
    sockets, _ = await open_all([f"/ws/q/{p.public_token}/" for p in parties])

    await sync_to_async(services.notify_party)(parties[0].pk, None)
    pushes = await each_hears_something(sockets)

    assert "Head over now" in pushes[0]
    for n, push in enumerate(pushes[1:], start=1):
        # A place in line, a few hundred bytes: not the whole page again.
        assert f'data-testid="position">#{n}<' in push
        assert 'id="order-status"' not in push and len(push) < 600
    assert (await Order.objects.aget(pk=parties[0].pk)).status == OrderStatus.AWAITING_ARRIVAL
    await close_all(sockets)
