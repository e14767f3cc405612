"""What the host stand, the kitchen display and a diner's page read: the right parties in the
right lists, with waits and fire times worked out by hand (4 tables, 50-minute sittings,
10 minutes' default travel; prep times: risotto 20, pizza 12, salad 6, tiramisu 3)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from orders import selectors, services
from orders.models import Order, OrderStatus
from tests.conftest import OPENING, minutes

S = OrderStatus

pytestmark = pytest.mark.django_db


def names(orders):
    return [order.customer_name for order in orders]


@pytest.fixture
def busy_evening(restaurant, join, staff_user, frozen_clock):
    """19:00: five parties join; Priya and Jonas are told to come; Priya sits down at once.
    19:10: the host seats two walk-ins. Left: Jonas heading over, Amelia, Kenji and Sofia
    waiting, 3 of 4 tables taken."""
    priya, jonas, amelia, kenji, sofia = (
        join(name) for name in ["Priya", "Jonas", "Amelia", "Kenji", "Sofia"]
    )
    services.notify_party(priya.pk, staff_user)
    services.notify_party(jonas.pk, staff_user)
    services.seat_party(priya.pk, staff_user)
    frozen_clock.advance(minutes(10))
    services.seat_walk_in(restaurant.pk, staff_user)
    services.seat_walk_in(restaurant.pk, staff_user)
    return priya, jonas, amelia, kenji, sofia


def test_host_stand_shows_each_party_in_its_place(restaurant, busy_evening):
    snap = selectors.queue_snapshot(restaurant)
    assert names(snap.waiting) == ["Amelia", "Kenji", "Sofia"]
    assert [o.queue_position for o in snap.waiting] == [1, 2, 3]
    assert names(snap.heading_over) == ["Jonas"]
    assert names(snap.seated) == ["Priya"]
    assert snap.head.customer_name == "Amelia"
    assert snap.waiting_count == 3
    assert snap.free_tables == 1
    assert snap.walk_in_tables == 2


def test_host_stand_shows_each_partys_wait(restaurant, busy_evening):
    # At 19:10 the tables free at: now (the free one), +40 (Priya, seated 19:00),
    # +50 and +50 (the walk-ins). Jonas, heading over, takes the free table now (0; it frees
    # again at +50). Amelia takes +40; Kenji +50; Sofia +50; a new joiner gets Jonas's
    # table's second sitting at +50.
    snap = selectors.queue_snapshot(restaurant)
    assert [o.estimated_wait_minutes for o in snap.heading_over] == [0]
    assert [o.estimated_wait_minutes for o in snap.waiting] == [40, 50, 50]
    assert snap.next_joiner_wait == 50
    assert [o.waited_minutes for o in snap.waiting] == [10, 10, 10]
    assert snap.seated[0].seated_minutes == 10


def test_new_party_sees_the_wait_it_was_quoted(restaurant, busy_evening, join):
    # Same moment, same room: the page must not contradict what the diner was just told (50).
    newcomer = join("Noor")
    assert newcomer.quoted_wait_minutes == 50
    snap = selectors.queue_snapshot(restaurant)
    assert snap.waiting[-1].pk == newcomer.pk
    assert snap.waiting[-1].estimated_wait_minutes == 50
    assert selectors.diner_view(newcomer.public_token).estimated_wait_minutes == 50


def test_party_that_has_left_disappears_from_the_host_stand(restaurant, busy_evening):
    priya, jonas, amelia, kenji, sofia = busy_evening
    services.leave_queue(kenji.pk)
    snap = selectors.queue_snapshot(restaurant)
    assert names(snap.waiting) == ["Amelia", "Sofia"]
    assert [o.estimated_wait_minutes for o in snap.waiting] == [40, 50]


def test_party_late_beyond_the_grace_period_is_flagged(restaurant, busy_evening):
    # Jonas was notified at 19:00 with 10 minutes to come and 10 more of grace: late after 19:20.
    on_time = selectors.queue_snapshot(restaurant, now=OPENING + minutes(20))
    assert on_time.heading_over[0].arrival_overdue is False
    late = selectors.queue_snapshot(restaurant, now=OPENING + minutes(21))
    assert late.heading_over[0].arrival_overdue is True


def test_host_stand_of_one_restaurant_shows_none_of_the_next(
    restaurant, other_restaurant, other_menu_item, join
):
    join("Priya")
    join("Lucia", at=other_restaurant, dishes={other_menu_item: 1})
    assert names(selectors.queue_snapshot(restaurant).waiting) == ["Priya"]
    assert names(selectors.queue_snapshot(other_restaurant.pk).waiting) == ["Lucia"]


# ---------------------------------------------------------------------------------------
# The kitchen display


@pytest.fixture
def three_tickets(join, staff_user, frozen_clock):
    """All notified at 19:00. Fire time = target arrival - longest prep - 2 min plating:
    Yusuf: tiramisu (3),        15 min away -> arrives 19:15, fire 19:10
    Xena:  salad + tiramisu (6), 20 min away -> arrives 19:20, fire 19:12
    Zoe:   risotto (20) + pizza, 25 min away -> arrives 19:25, fire 19:03
    """
    xena = join("Xena", dishes={"salad": 1, "tiramisu": 2}, travel_minutes=20)
    yusuf = join("Yusuf", dishes={"tiramisu": 1}, travel_minutes=15)
    zoe = join("Zoe", dishes={"risotto": 1, "pizza": 1}, travel_minutes=25)
    for order in (xena, yusuf, zoe):
        services.notify_party(order.pk, staff_user)
    join("Walter", travel_minutes=40)  # still waiting, his food not due for a while: no ticket
    return xena, yusuf, zoe


def test_kitchen_fires_tickets_by_fire_time_not_by_arrival(restaurant, three_tickets):
    tickets = selectors.kitchen_tickets(restaurant)
    assert [t.order.customer_name for t in tickets] == ["Zoe", "Yusuf", "Xena"]
    assert [t.fire_at for t in tickets] == [
        OPENING + minutes(3),
        OPENING + minutes(10),
        OPENING + minutes(12),
    ]
    assert [t.minutes_to_fire for t in tickets] == [3, 10, 12]
    assert [t.longest_prep_minutes for t in tickets] == [20, 3, 6]


def test_ticket_lists_what_the_party_ordered(restaurant, three_tickets):
    xena_ticket = next(
        t for t in selectors.kitchen_tickets(restaurant) if t.order.customer_name == "Xena"
    )
    assert [(line.menu_item.name, line.quantity) for line in xena_ticket.items] == [
        ("Burrata salad", 1),
        ("Tiramisu", 2),
    ]


def test_kitchen_is_warned_about_tickets_it_should_have_fired(
    restaurant, three_tickets, frozen_clock
):
    def late():
        return {
            t.order.customer_name: t.should_have_fired
            for t in selectors.kitchen_tickets(restaurant)
        }

    assert late() == {"Zoe": False, "Yusuf": False, "Xena": False}
    frozen_clock.set(OPENING + minutes(11))
    assert late() == {"Zoe": True, "Yusuf": True, "Xena": False}


def test_ticket_being_prepared_or_ready_is_no_longer_late(
    restaurant, three_tickets, staff_user, frozen_clock
):
    xena, yusuf, zoe = three_tickets
    services.start_preparing(zoe.pk, staff_user)
    services.accept_ticket(yusuf.pk, staff_user)
    services.mark_food_ready(yusuf.pk, staff_user)
    frozen_clock.set(OPENING + minutes(30))
    late = {t.order.customer_name: t.should_have_fired for t in selectors.kitchen_tickets(restaurant)}
    assert late == {"Zoe": False, "Yusuf": False, "Xena": True}


def test_seated_party_leaves_the_kitchen_display(restaurant, three_tickets, staff_user):
    xena, yusuf, zoe = three_tickets
    services.seat_party(zoe.pk, staff_user)
    services.mark_no_show(yusuf.pk, staff_user)
    assert [t.order.customer_name for t in selectors.kitchen_tickets(restaurant)] == ["Xena"]


# ---------------------------------------------------------------------------------------
# A diner's page


def test_waiting_diner_sees_place_wait_and_bill(join, frozen_clock, staff_user, restaurant):
    # Four walk-ins fill the room at 19:00 (each frees at +50); Priya and Jonas wait.
    for _ in range(4):
        services.seat_walk_in(restaurant.pk, staff_user)
    join("Priya")
    jonas = join("Jonas", dishes={"pizza": 2, "salad": 1})
    view = selectors.diner_view(jonas.public_token)
    assert view.order == jonas
    assert view.position == 2
    assert view.parties_ahead == 1
    assert view.estimated_wait_minutes == 50
    assert view.total == Decimal("41.00")  # 2 x 14.50 + 12.00
    assert selectors.diner_screen(view).status.step == 1


def test_diner_moves_up_when_the_party_ahead_leaves(join, frozen_clock):
    priya, jonas = join("Priya"), join("Jonas")
    services.leave_queue(priya.pk)
    view = selectors.diner_view(jonas.public_token)
    assert (view.position, view.parties_ahead) == (1, 0)


def test_notified_diner_sees_head_over_without_a_place_in_line(join, staff_user, frozen_clock):
    order = join()
    services.notify_party(order.pk, staff_user)
    view = selectors.diner_view(order.public_token)
    assert selectors.diner_screen(view).status.step == 2
    assert view.position is None and view.parties_ahead is None
    # Tables are free: the party sits as soon as it gets here, 10 minutes from now.
    assert view.estimated_wait_minutes == 10
    assert view.order.target_arrival_time == OPENING + minutes(10)


@pytest.mark.parametrize(
    "path, step",
    [
        ([S.AWAITING_ARRIVAL, S.READY], 3),
        ([S.AWAITING_ARRIVAL, S.READY, S.COMPLETED], 4),
        ([S.CANCELLED], 0),
        ([S.AWAITING_ARRIVAL, S.NO_SHOW], 0),
    ],
)
def test_diner_whose_wait_is_over_sees_no_wait(path, step, join, staff_user):
    order = join(dishes={"tiramisu": 3})
    for status in path:
        services.transition(order.pk, status, actor=staff_user)
    view = selectors.diner_view(order.public_token)
    assert view.order.status == path[-1]
    assert selectors.diner_screen(view).status.step == step
    assert view.position is None
    assert view.estimated_wait_minutes is None
    assert view.total == Decimal("24.00")


def test_unknown_tracking_link_finds_no_party(join):
    join()
    with pytest.raises(Order.DoesNotExist):
        selectors.diner_view("not-a-real-token")


# ---------------------------------------------------------------------------------------
# Who sees which restaurant, and what is on the menu


def test_staff_run_only_their_own_restaurant(
    restaurant, other_restaurant, staff_user, other_staff_user, django_user_model
):
    assert list(selectors.restaurants_for(staff_user)) == [restaurant]
    assert list(selectors.restaurants_for(other_staff_user)) == [other_restaurant]
    owner = django_user_model.objects.create_superuser("owner", password=None)
    assert list(selectors.restaurants_for(owner)) == [other_restaurant, restaurant]  # by name


def test_diners_see_open_restaurants_with_their_queue_length(
    restaurant, other_restaurant, join, staff_user, other_staff_user
):
    join("Priya")
    join("Jonas")
    services.notify_party(join("Amelia").pk, staff_user)  # heading over: not waiting
    services.set_accepting_joins(other_restaurant.pk, False, other_staff_user)
    assert [(r.name, r.waiting) for r in selectors.open_restaurants()] == [("Trattoria Verde", 2)]


def test_menu_hides_dishes_taken_off_tonight(restaurant, menu):
    menu["risotto"].available = False
    menu["risotto"].save()
    assert [item.name for item in selectors.menu_for(restaurant)] == [
        "Burrata salad",
        "Margherita pizza",
        "Tiramisu",
    ]


def test_kitchen_countdown_rounds_up_until_the_fire_time_and_then_counts_minutes_late(
    restaurant, three_tickets, frozen_clock
):
    def countdown(name):
        return next(
            t.minutes_to_fire for t in selectors.kitchen_tickets(restaurant)
            if t.order.customer_name == name
        )

    # Zoe fires at 19:03.
    frozen_clock.set(OPENING + minutes(2) + timedelta(seconds=20))
    assert countdown("Zoe") == 1  # 40 seconds to go reads "in 1 min", never "in 0 min"
    frozen_clock.set(OPENING + minutes(3))
    assert countdown("Zoe") == 0  # "Fire now"
    frozen_clock.set(OPENING + minutes(5) + timedelta(seconds=30))
    assert countdown("Zoe") == -2  # "late 2 min"
