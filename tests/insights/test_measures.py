"""The building blocks every insight is computed with: minutes between two moments and
percentiles, the same on PostgreSQL (percentile_cont) and SQLite (ranked in the database)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F

from insights.measures import Minutes, percentiles
from orders.models import Order, OrderStatus

from ..conftest import OPENING

pytestmark = pytest.mark.django_db


def waited(restaurant, minutes, size=2):
    return Order(
        restaurant=restaurant, customer_name="Party", party_size=size, order_code="ACDE",
        status=OrderStatus.COMPLETED, quoted_wait_minutes=10, actual_wait_minutes=minutes,
        joined_at=OPENING, seated_at_time=OPENING + timedelta(minutes=minutes, seconds=30),
    )


def test_minutes_between_joining_and_sitting_down(restaurant):
    Order.objects.bulk_create([waited(restaurant, 12)])
    minutes = Order.objects.annotate(m=Minutes(F("seated_at_time"), F("joined_at"))).get().m
    assert minutes == pytest.approx(12.5, abs=1e-6)


@pytest.mark.parametrize("ranked", [False, True], ids=["database's own", "ranked"])
def test_median_and_90th_percentile_interpolate_like_percentile_cont(restaurant, ranked):
    if not ranked and connection.vendor != "postgresql":
        pytest.skip("percentile_cont is PostgreSQL's")
    # Couples waited 0, 10, 20, 30 and 40 minutes; parties of four 5 and 15.
    Order.objects.bulk_create(
        [waited(restaurant, m) for m in (30, 0, 40, 10, 20)]
        + [waited(restaurant, m, size=4) for m in (15, 5)]
    )
    everyone = percentiles(Order.objects.all(), F("actual_wait_minutes"), (0.5, 0.9), ranked=ranked)
    # Seven waits 0 5 10 15 20 30 40: the median is the 4th; the 90th lies at position 5.4
    # of 0..6, 0.4 of the way from 30 to 40.
    assert everyone[None][0.5] == pytest.approx(15)
    assert everyone[None][0.9] == pytest.approx(34)
    by_size = percentiles(
        Order.objects.all(), F("actual_wait_minutes"), (0.5, 0.9), group=F("party_size"),
        ranked=ranked,
    )
    assert by_size[2][0.5] == pytest.approx(20)
    assert by_size[2][0.9] == pytest.approx(36)  # 30 + 0.6 x 10
    assert by_size[4][0.5] == pytest.approx(10)  # half-way between 5 and 15
    assert by_size[4][0.9] == pytest.approx(14)


@pytest.mark.parametrize("ranked", [False, True], ids=["database's own", "ranked"])
def test_one_party_is_its_own_percentile_and_no_party_has_none(restaurant, ranked):
    if not ranked and connection.vendor != "postgresql":
        pytest.skip("percentile_cont is PostgreSQL's")
    assert percentiles(Order.objects.all(), F("actual_wait_minutes"), (0.9,), ranked=ranked) == {}
    Order.objects.bulk_create([waited(restaurant, 7)])
    assert percentiles(Order.objects.all(), F("actual_wait_minutes"), (0.5, 0.9), ranked=ranked) == {
        None: {0.5: 7.0, 0.9: 7.0}
    }
