"""The queue clock worker: `manage.py run_timers` applies the timing rules as time passes."""

from io import StringIO

import pytest
from django.core.management import call_command

from orders import services
from orders.models import OrderStatus
from tests.conftest import OPENING, minutes

pytestmark = pytest.mark.django_db


def run_once():
    out = StringIO()
    call_command("run_timers", "--once", stdout=out)
    return out.getvalue()


def test_clock_tells_a_party_to_head_over_once_its_table_is_about_to_free(
    restaurant, staff_user, join, frozen_clock, queue_changes
):
    services.set_up_tables(restaurant.pk, {4: 1}, staff_user)
    services.seat_walk_in(restaurant.pk, staff_user)  # frees at 19:50
    services.update_house_settings(restaurant.pk, staff_user, auto_notify=True)
    order = join("Ada", travel_minutes=20)
    frozen_clock.set(OPENING + minutes(28))
    run_once()
    order.refresh_from_db()
    assert order.status == OrderStatus.IN_QUEUE
    frozen_clock.set(OPENING + minutes(29))  # 21 <= 20 + 1
    assert "changed 1 party" in run_once()
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_ARRIVAL


def test_clock_refreshes_the_screens_of_restaurants_with_parties_and_leaves_the_rest_alone(
    restaurant, other_restaurant, join, frozen_clock, queue_changes, django_capture_on_commit_callbacks
):
    join("Ada", travel_minutes=20)
    restaurant.refresh_from_db()
    other_restaurant.refresh_from_db()
    versions = (restaurant.state_version, other_restaurant.state_version)
    queue_changes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run_once()
    # One announcement, for the restaurant someone is waiting at; none for the empty one.
    assert [restaurant_id for restaurant_id, _ in queue_changes] == [restaurant.pk]
    restaurant.refresh_from_db()
    other_restaurant.refresh_from_db()
    assert (restaurant.state_version, other_restaurant.state_version) == (
        versions[0] + 1, versions[1]
    )


def test_clock_marks_late_parties_as_no_shows_where_the_restaurant_asked_for_it(
    restaurant, staff_user, join, frozen_clock
):
    services.update_house_settings(restaurant.pk, staff_user, auto_no_show=True)
    order = join("Ada", travel_minutes=20)
    services.notify_party(order.pk, staff_user)  # due 19:20, grace 10
    frozen_clock.set(OPENING + minutes(31))
    run_once()
    order.refresh_from_db()
    assert order.status == OrderStatus.NO_SHOW
