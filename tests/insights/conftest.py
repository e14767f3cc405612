"""A restaurant's past evenings, written party by party as the rows orders/ would have stored
(much faster than playing them through the services, and exact to the minute).

`story.seated(at("2025-06-06 19:00"), quoted=15, waited=20, stayed=50, ...)` and friends; `at`
reads a wall-clock time in the restaurant's time zone (settings.TIME_ZONE, which tests
change with override_settings)."""

import itertools
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from orders.models import ORDER_CODE_ALPHABET, DiningTable, Order, OrderItem, OrderStatus

_codes = ("".join(c) for c in itertools.product(ORDER_CODE_ALPHABET, repeat=4))


def at(text):
    """An aware moment from "YYYY-MM-DD HH:MM" on the restaurant's clock."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.get_current_timezone())


def mins(n):
    return timedelta(minutes=n)


class Story:
    def __init__(self, restaurant, menu):
        self.restaurant = restaurant
        self.menu = menu
        self.tables = {t.number: t for t in DiningTable.objects.filter(restaurant=restaurant)}

    def _party(self, joined, *, size, quoted, status, dishes=None, **times):
        order = Order.objects.create(
            restaurant=self.restaurant, customer_name="Party", party_size=size,
            order_code=next(_codes), status=status, quoted_wait_minutes=quoted,
            joined_at=joined, **times,
        )
        for key, quantity in (dishes or {}).items():
            dish = self.menu[key]
            OrderItem.objects.create(order=order, menu_item=dish, quantity=quantity, unit_price=dish.price)
        return order

    def seated(
        self, joined, *, quoted=15, waited=15, size=2, stayed=None, table=None, dishes=None,
        checked_in=None, travel=None, fired=None, ready=None, notified=None,
    ):
        """Joined at `joined`, quoted `quoted`, sat down `waited` minutes later and, with
        `stayed`, left after that many minutes (else still at the table). `checked_in`:
        minutes it stood at the door before sitting. `notified`: minutes after joining it was
        told to come (default: `travel` (10) minutes before it sat down). `fired`/`ready`:
        minutes after joining the kitchen started / finished its food."""
        seat = joined + mins(waited)
        travel = 10 if travel is None else travel
        told = (
            joined + mins(notified) if notified is not None
            else max(joined, seat - mins(travel + (checked_in or 0)))
        )
        return self._party(
            joined, size=size, quoted=quoted, dishes=dishes,
            status=OrderStatus.COMPLETED if stayed is not None else OrderStatus.READY,
            notified_at=told, target_arrival_time=told + mins(travel),
            arrived_at=seat - mins(checked_in) if checked_in else None,
            seated_at_time=seat, actual_wait_minutes=waited,
            completed_at_time=seat + mins(stayed) if stayed is not None else None,
            table=self.tables[table] if table else None,
            fired_at=joined + mins(fired) if fired is not None else None,
            food_ready_at=joined + mins(ready) if ready is not None else None,
        )

    def left(self, joined, *, quoted=30, after=10, size=2, dishes=None):
        """Joined, quoted, and left the queue `after` minutes later without sitting down."""
        return self._party(
            joined, size=size, quoted=quoted, dishes=dishes, status=OrderStatus.CANCELLED,
            ended_at=joined + mins(after),
        )

    def no_show(self, joined, *, quoted=15, told=10, size=2, dishes=None, fired=None):
        """Told to come `told` minutes after joining, and never turned up."""
        return self._party(
            joined, size=size, quoted=quoted, dishes=dishes, status=OrderStatus.NO_SHOW,
            notified_at=joined + mins(told), target_arrival_time=joined + mins(told + 10),
            ended_at=joined + mins(told + 25),
            fired_at=joined + mins(fired) if fired is not None else None,
        )

    def waiting(self, joined, *, quoted=20, position=1, size=2):
        return self._party(
            joined, size=size, quoted=quoted, status=OrderStatus.IN_QUEUE, queue_position=position
        )


@pytest.fixture
def story(restaurant, menu):
    return Story(restaurant, menu)
