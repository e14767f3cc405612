"""A Friday rush: many diners press "Join" at the same instant, each request on its own
database connection. Only PostgreSQL really runs them side by side (SQLite serialises the
whole database), so these tests run there only."""

import threading

import pytest
from django.db import connection

from orders import services
from orders.models import ORDER_CODE_ALPHABET, Order, OrderItem

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: set DATABASE_URL=postgres://...",
    ),
    pytest.mark.django_db(transaction=True),
]


def all_at_once(count, work):
    """Run `work(i)` in `count` threads released together; returns (results, errors)."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, [None] * count

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors[i] = exc
        finally:
            connection.close()  # this thread's own connection, not the test's

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a join never finished"
    return results, errors


def test_fifty_parties_joining_at_once_all_get_a_place_and_a_code(restaurant, menu):
    pizza = menu["pizza"].pk

    def join(i):
        return services.join_queue(
            restaurant.pk,
            customer_name=f"Party {i}",
            party_size=2,
            lines=[services.LineRequest(menu_item_id=pizza, quantity=1)],
        ).pk

    results, errors = all_at_once(50, join)

    assert [e for e in errors if e is not None] == []
    orders = list(Order.objects.filter(restaurant=restaurant))
    assert len(orders) == 50
    assert {o.pk for o in orders} == set(results)
    assert sorted(o.queue_position for o in orders) == list(range(1, 51))
    codes = {o.order_code for o in orders}
    assert len(codes) == 50
    assert all(set(code) <= set(ORDER_CODE_ALPHABET) for code in codes)
    assert sorted(o.customer_name for o in orders) == sorted(f"Party {i}" for i in range(50))
    assert OrderItem.objects.filter(order__restaurant=restaurant).count() == 50
    restaurant.refresh_from_db()
    assert restaurant.state_version == 50


def test_join_form_sent_ten_times_at_once_makes_one_party(restaurant, menu):
    pizza = menu["pizza"].pk

    def join(i):
        return services.join_queue(
            restaurant.pk,
            customer_name="Priya",
            party_size=2,
            lines=[services.LineRequest(menu_item_id=pizza, quantity=1)],
            submission_key="one-form",
        ).pk

    results, errors = all_at_once(10, join)

    created = [pk for pk in results if pk is not None]
    assert len(created) == 1
    duplicates = [e for e in errors if e is not None]
    assert len(duplicates) == 9
    assert all(isinstance(e, services.DuplicateJoin) for e in duplicates)
    assert {e.order.pk for e in duplicates} == set(created)
    assert Order.objects.count() == 1


def test_two_hosts_notifying_the_same_head_call_one_party(restaurant, menu, staff_user):
    pizza = menu["pizza"].pk
    priya, jonas = (
        services.join_queue(
            restaurant.pk,
            customer_name=name,
            party_size=2,
            lines=[services.LineRequest(menu_item_id=pizza, quantity=1)],
        )
        for name in ["Priya", "Jonas"]
    )

    results, errors = all_at_once(
        2, lambda i: services.notify_next(restaurant.pk, staff_user, expected_order_id=priya.pk).pk
    )

    assert [pk for pk in results if pk is not None] == [priya.pk]
    assert [type(e) for e in errors if e is not None] == [services.IllegalTransition]
    jonas.refresh_from_db()
    assert (jonas.status, jonas.queue_position) == ("IN_QUEUE", 1)


def test_thirty_parties_joining_at_once_never_take_the_queue_past_its_cap(restaurant, menu):
    restaurant.max_queue_length = 12
    restaurant.save(update_fields=["max_queue_length"])
    pizza = menu["pizza"].pk

    def join(i):
        return services.join_queue(
            restaurant.pk,
            customer_name=f"Party {i}",
            party_size=2,
            lines=[services.LineRequest(menu_item_id=pizza, quantity=1)],
        ).pk

    results, errors = all_at_once(30, join)

    refusals = [e for e in errors if e is not None]
    assert len([r for r in results if r is not None]) == 12
    assert len(refusals) == 18
    assert all(isinstance(e, services.QueueFull) for e in refusals), refusals
    assert "The queue is full right now" in refusals[0].message
    positions = sorted(Order.objects.filter(restaurant=restaurant).values_list("queue_position", flat=True))
    assert positions == list(range(1, 13))
