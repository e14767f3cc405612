"""The restaurant page tells diners how good its quotes have been: "Last 7 days: N% of parties
were seated within 5 minutes of their quote", once at least 30 parties were seated in those
7 days, unless the restaurant chose to hide it. No figure is shown on too little to go on."""

from datetime import timedelta

import pytest

from orders import selectors, services
from orders.models import Order, OrderStatus

from ..conftest import OPENING

pytestmark = pytest.mark.django_db

SHOWN = "of parties were seated within 5 minutes of their quote"


def seated(restaurant, *, quoted, waited, days_ago=1, name="Party"):
    """A party that joined `days_ago` before the evening, was quoted `quoted` minutes and sat
    down after `waited`."""
    joined = OPENING - timedelta(days=days_ago)
    return Order(
        restaurant=restaurant, customer_name=name, party_size=2, order_code="ACDE",
        status=OrderStatus.COMPLETED, quoted_wait_minutes=quoted, actual_wait_minutes=waited,
        joined_at=joined, seated_at_time=joined + timedelta(minutes=waited),
        completed_at_time=joined + timedelta(minutes=waited + 50),
    )


def a_week_of(restaurant, *, on_time, off):
    """`on_time` parties seated within 5 minutes of their quote (just inside, either way)
    and `off` parties seated 6 minutes late, over the last week."""
    parties = [
        seated(restaurant, quoted=20, waited=(25 if n % 2 else 15), days_ago=1 + n % 6)
        for n in range(on_time)
    ] + [seated(restaurant, quoted=20, waited=26, days_ago=2) for _ in range(off)]
    Order.objects.bulk_create(parties)


def restaurant_page(client, restaurant):
    response = client.get(restaurant.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_thirty_parties_seated_this_week_publish_how_many_sat_within_five_minutes(
    client, restaurant, menu, frozen_clock
):
    a_week_of(restaurant, on_time=27, off=3)
    assert "Last 7 days: 90% " + SHOWN in restaurant_page(client, restaurant)


def test_twenty_nine_parties_are_too_few_to_publish(client, restaurant, menu, frozen_clock):
    a_week_of(restaurant, on_time=29, off=0)
    assert SHOWN not in restaurant_page(client, restaurant)
    assert selectors.published_quote_accuracy(restaurant) is None


def test_a_restaurant_can_hide_the_figure(client, restaurant, menu, frozen_clock):
    a_week_of(restaurant, on_time=40, off=0)
    assert "Last 7 days: 100% " + SHOWN in restaurant_page(client, restaurant)
    restaurant.publish_quote_accuracy = False
    restaurant.save()
    assert SHOWN not in restaurant_page(client, restaurant)


def test_only_this_weeks_quoted_parties_count(restaurant, frozen_clock):
    a_week_of(restaurant, on_time=30, off=0)
    # Seated eight days ago, 30 minutes late: last week's, not this week's.
    Order.objects.bulk_create([seated(restaurant, quoted=10, waited=40, days_ago=8)])
    # A past visit loaded from before ReadyTable was never quoted.
    services.import_past_sittings(
        restaurant.pk, [(2, OPENING - timedelta(days=2), OPENING - timedelta(days=2, minutes=-45))]
    )
    accuracy = selectors.published_quote_accuracy(restaurant)
    assert (accuracy.seated, accuracy.within, accuracy.percent) == (30, 30, 100)


def test_a_party_seated_six_minutes_off_its_quote_is_not_within_five(restaurant, frozen_clock):
    Order.objects.bulk_create(
        [seated(restaurant, quoted=30, waited=24) for _ in range(15)]
        + [seated(restaurant, quoted=30, waited=35) for _ in range(15)]
    )
    accuracy = selectors.published_quote_accuracy(restaurant)
    assert (accuracy.seated, accuracy.within, accuracy.percent) == (30, 15, 50)
