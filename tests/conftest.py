"""Fixtures shared by every test: a small restaurant with a menu, a second restaurant next door,
their staff (hosts, and a manager), a clock the test moves by hand, and `join` to put a party in the queue.

The evening starts at OPENING (19:00 UTC); tests that care about minutes use `frozen_clock`.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache

import pytest

from orders import clock, services
from orders.models import MenuItem, RestaurantProfile, StaffRole

OPENING = datetime(2025, 6, 6, 19, 0, tzinfo=UTC)


def minutes(n):
    return timedelta(minutes=n)


@pytest.fixture(autouse=True)
def fresh_limits():
    """Every test starts with no joins counted against its address or restaurant (the join
    limits count in the cache: local memory, or Redis with REDIS_URL). Failed logins are rows
    of the test database, gone with it."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def frozen_clock():
    """The domain's time, stopped at OPENING for every thread (the services and any worker
    threads a test starts). Move it with `frozen_clock.advance(minutes(5))`."""
    manual = clock.ManualClock(OPENING)
    with clock.use(manual, all_threads=True):
        yield manual


@pytest.fixture
def clock_at(frozen_clock):
    """Same clock as `frozen_clock`, for tests that read better as `clock_at.set(...)`."""
    return frozen_clock


@pytest.fixture
def restaurant(db):
    """Four tables, fifty minutes a sitting, ten minutes to walk over, parties of up to 8, and
    a 1-minute notify buffer (stated, so tests that count minutes need not know the default)."""
    return RestaurantProfile.objects.create(
        name="Trattoria Verde",
        slug="trattoria-verde",
        total_tables=4,
        avg_dine_in_duration_minutes=50,
        default_travel_minutes=10,
        arrival_grace_minutes=10,
        notify_buffer_minutes=1,
        max_party_size=8,
        order_required=True,
    )


@pytest.fixture
def menu(restaurant):
    """The restaurant's dishes by short name, with distinct prep times (minutes):
    risotto 20, pizza 12, salad 6, tiramisu 3."""
    dishes = [
        ("pizza", "Margherita pizza", "14.50", 12),
        ("risotto", "Mushroom risotto", "17.00", 20),
        ("salad", "Burrata salad", "12.00", 6),
        ("tiramisu", "Tiramisu", "8.00", 3),
    ]
    return {
        key: MenuItem.objects.create(
            restaurant=restaurant,
            name=name,
            price=Decimal(price),
            estimated_prep_time_minutes=prep,
        )
        for key, name, price, prep in dishes
    }


@pytest.fixture
def other_restaurant(db):
    return RestaurantProfile.objects.create(
        name="Casa Azul", slug="casa-azul", total_tables=2, avg_dine_in_duration_minutes=40
    )


@pytest.fixture
def other_menu_item(other_restaurant):
    return MenuItem.objects.create(
        restaurant=other_restaurant, name="Tacos", price=Decimal("9.00"), estimated_prep_time_minutes=8
    )


STAFF_PASSWORD = "host-pass-123"


@cache
def _hashed(raw_password):
    # The real (slow on purpose) hasher, run once per session rather than once per test:
    # the hash stays valid for any process that logs in with it.
    from django.contrib.auth.hashers import make_password

    return make_password(raw_password)


def _staff(django_user_model, username, restaurant, role=StaffRole.HOST):
    user = django_user_model.objects.create(username=username, password=_hashed(STAFF_PASSWORD))
    restaurant.staff.add(user, through_defaults={"role": role})
    return user


@pytest.fixture
def staff_user(django_user_model, restaurant):
    """The host of `restaurant`; logs in with STAFF_PASSWORD."""
    return _staff(django_user_model, "host", restaurant)


@pytest.fixture
def manager_user(django_user_model, restaurant):
    """The manager of `restaurant`: the host's screens, plus insights and the room and
    timing. Logs in with STAFF_PASSWORD."""
    return _staff(django_user_model, "manager", restaurant, StaffRole.MANAGER)


@pytest.fixture
def other_staff_user(django_user_model, other_restaurant):
    """Staff of the restaurant next door only; logs in with STAFF_PASSWORD."""
    return _staff(django_user_model, "azul-host", other_restaurant)


@pytest.fixture
def join(restaurant, menu):
    """Put a party in the queue: `join("Priya")`, `join("Jonas", party_size=4,
    dishes={"risotto": 2}, travel_minutes=25)`. `dishes` maps menu keys (or MenuItems) to
    quantities; by default one pizza. Returns the new Order."""

    def _join(customer_name="Priya", *, party_size=2, dishes=None, at=None, **kwargs):
        dishes = {"pizza": 1} if dishes is None else dishes
        lines = [
            services.LineRequest(
                menu_item_id=(menu[dish] if isinstance(dish, str) else dish).pk,
                quantity=quantity,
            )
            for dish, quantity in dishes.items()
        ]
        return services.join_queue(
            (at or restaurant).pk,
            customer_name=customer_name,
            party_size=party_size,
            lines=lines,
            **kwargs,
        )

    return _join


@pytest.fixture
def queue_changes():
    """Every `queue_changed` announcement, as (restaurant_id, order_ids), in order."""
    from orders.signals import queue_changed

    heard = []

    def listener(sender, restaurant_id, order_ids, **kwargs):
        heard.append((restaurant_id, tuple(order_ids)))

    queue_changed.connect(listener, weak=False, dispatch_uid="tests.queue_changes")
    yield heard
    queue_changed.disconnect(dispatch_uid="tests.queue_changes")


def fill_queue(restaurant, waiting, *, name="Party"):
    """`waiting` more parties at the back of the queue, each with one dish, written in bulk:
    the same rows `waiting` joins would leave, without quoting each one against a line of
    hundreds (set-up for the long-queue tests, not what they test)."""
    from orders.models import Order, OrderItem, OrderStatus

    dish = restaurant.menu_items.first()
    now = clock.now()
    start = Order.objects.filter(restaurant=restaurant, status=OrderStatus.IN_QUEUE).count()
    alphabet = "ACDEFGHJKMNPQRTUVWXY34679"
    taken = set(Order.objects.filter(restaurant=restaurant).values_list("order_code", flat=True))
    codes = []
    n = 0
    while len(codes) < waiting:
        code = "".join(alphabet[(n // 25**k) % 25] for k in range(4))
        n += 7919  # a prime step walks the code space without repeats for a long while
        if code not in taken:
            taken.add(code)
            codes.append(code)
    orders = Order.objects.bulk_create(
        Order(
            restaurant=restaurant, customer_name=f"{name} {start + i + 1}", party_size=2,
            order_code=codes[i], status=OrderStatus.IN_QUEUE, queue_position=start + i + 1,
            quoted_wait_minutes=30, joined_at=now,
        )
        for i in range(waiting)
    )
    OrderItem.objects.bulk_create(
        OrderItem(order=order, menu_item=dish, quantity=1, unit_price=dish.price) for order in orders
    )
    return orders
