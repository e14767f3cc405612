"""A Friday rush must not slow the screens down: the host stand, the kitchen display, a diner's
tracking page and the restaurant's page read the database the same number of times with 100
parties waiting as with 5. (How many, per screen and queue length: bench/queries.py.)"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import services

pytestmark = pytest.mark.django_db


def queries_to_show(browser, url):
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(url)
    assert response.status_code == 200, url
    return len(queries.captured_queries), response.content.decode()


@pytest.fixture
def host(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def busy_room(join, staff_user):
    """One party seated, two told to head over (with several dishes each)."""
    seated = join("Kenji", dishes={"pizza": 2, "tiramisu": 1})
    services.notify_party(seated.pk, staff_user)
    services.seat_party(seated.pk, staff_user)
    for name in ["Amelia", "Sofia"]:
        party = join(name, dishes={"risotto": 1, "salad": 2, "tiramisu": 1})
        services.notify_party(party.pk, staff_user)


def fill_queue_to(join, restaurant, size):
    from orders.models import Order, OrderStatus

    waiting = Order.objects.filter(restaurant=restaurant, status=OrderStatus.IN_QUEUE).count()
    for n in range(waiting, size):
        join(f"Party {n + 1}", dishes={"pizza": 1, "salad": 1})


def test_host_stand_reads_as_often_with_100_parties_waiting_as_with_5(
    host, restaurant, join, busy_room
):
    url = reverse("staff:host", args=[restaurant.slug])
    fill_queue_to(join, restaurant, 5)
    with_5, page = queries_to_show(host, url)
    assert "Queue (5)" in page
    fill_queue_to(join, restaurant, 100)
    with_100, page = queries_to_show(host, url)
    assert "Queue (100)" in page
    assert with_100 == with_5


def test_diner_page_reads_as_often_with_100_parties_waiting_as_with_5(
    client, restaurant, join, busy_room
):
    fill_queue_to(join, restaurant, 2)
    diner = join("Priya", dishes={"pizza": 1, "risotto": 1, "salad": 1})
    fill_queue_to(join, restaurant, 5)
    with_5, page = queries_to_show(client, diner.get_absolute_url())
    assert 'data-testid="position">#3<' in page
    fill_queue_to(join, restaurant, 100)
    with_100, page = queries_to_show(client, diner.get_absolute_url())
    assert 'data-testid="position">#3<' in page
    assert with_100 == with_5


def test_restaurant_page_reads_as_often_with_100_parties_waiting_as_with_5(
    client, restaurant, join, busy_room
):
    url = restaurant.get_absolute_url()
    fill_queue_to(join, restaurant, 5)
    with_5, page = queries_to_show(client, url)
    assert "5 parties" in page
    fill_queue_to(join, restaurant, 100)
    with_100, page = queries_to_show(client, url)
    assert "100 parties" in page
    assert with_100 == with_5


def test_kitchen_display_reads_as_often_with_30_tickets_as_with_3(
    host, restaurant, join, staff_user
):
    url = reverse("staff:kitchen", args=[restaurant.slug])

    def tickets_up_to(count):
        for n in range(count - len(tickets)):
            party = join(f"Ticket {len(tickets) + 1}", dishes={"risotto": 1, "salad": 2})
            services.notify_party(party.pk, staff_user)
            tickets.append(party)

    tickets = []
    tickets_up_to(3)
    with_3, page = queries_to_show(host, url)
    assert all(t.order_code in page for t in tickets)
    tickets_up_to(30)
    with_30, page = queries_to_show(host, url)
    assert all(t.order_code in page for t in tickets)
    assert with_30 == with_3
