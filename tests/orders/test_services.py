"""The queue's rules as the restaurant lives them: parties join, wait, are told to head over,
sit down, eat and leave; the host and the kitchen press buttons; the rules refuse what makes
no sense and leave everything as it was."""

import base64
import itertools
import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from orders import services
from orders.models import (
    ORDER_CODE_ALPHABET,
    Order,
    OrderEvent,
    OrderItem,
    OrderStatus,
    RestaurantEvent,
    RestaurantProfile,
)
from orders.services import LineRequest
from orders.signals import queue_changed
from tests.conftest import OPENING, minutes

S = OrderStatus

pytestmark = pytest.mark.django_db


def line_up(restaurant):
    """The waiting queue as the host stand reads it: (name, position), front first."""
    return list(
        Order.objects.filter(restaurant=restaurant, status=S.IN_QUEUE)
        .order_by("queue_position")
        .values_list("customer_name", "queue_position")
    )


def occupied(restaurant):
    restaurant.refresh_from_db()
    return restaurant.currently_occupied_tables


def fresh(order):
    order.refresh_from_db()
    return order


# ---------------------------------------------------------------------------------------
# Joining


def test_parties_join_at_the_back_of_the_queue(restaurant, join):
    for name in ["Priya", "Jonas", "Amelia"]:
        join(name)
    assert line_up(restaurant) == [("Priya", 1), ("Jonas", 2), ("Amelia", 3)]


def test_a_party_gets_a_four_letter_code_a_host_can_read_out(join):
    order = join()
    assert len(order.order_code) == 4
    assert set(order.order_code) <= set(ORDER_CODE_ALPHABET)
    # None of the look-alikes a diner would mistype.
    assert not set(order.order_code) & set("0O1IL2Z5S8B")


def test_no_two_parties_in_the_room_share_a_code(join, monkeypatch):
    # The dice land on ACDE twice in a row: the second party must get another code.
    rolls = iter(["ACDE", "ACDE", "FGHJ"])
    monkeypatch.setattr(services.random, "choices", lambda alphabet, k: list(next(rolls)))
    first, second = join("Priya"), join("Jonas")
    assert first.order_code == "ACDE"
    assert second.order_code == "FGHJ"


def test_code_of_a_party_that_has_left_can_be_handed_out_again(join, monkeypatch):
    rolls = iter(["ACDE", "ACDE"])
    monkeypatch.setattr(services.random, "choices", lambda alphabet, k: list(next(rolls)))
    first = join("Priya")
    services.leave_queue(first.pk)
    assert join("Jonas").order_code == "ACDE"


def test_twenty_parties_all_hold_different_codes(restaurant, join):
    for n in range(20):
        join(f"Party {n}")
    codes = list(Order.objects.filter(restaurant=restaurant).values_list("order_code", flat=True))
    assert len(set(codes)) == 20


def test_tracking_link_token_is_long_and_unguessable(join):
    first, second = join("Priya"), join("Jonas")
    # 128 random bits (secrets.token_urlsafe(16)): as unguessable as a session key, and short
    # enough for a link in a 160-character text.
    assert len(first.public_token) >= 22
    assert len(base64.urlsafe_b64decode(first.public_token + "==")) == 16
    assert first.public_token != second.public_token
    assert first.order_code not in first.public_token


def test_party_is_told_the_wait_it_joined_with(restaurant, join, frozen_clock):
    # 4 free tables and parties 20 minutes away: the first four sit as soon as they get
    # here (+20; their pizza takes 12 + 2 to plate, less than the trip); the fifth waits for
    # the first of them to finish its 50-minute sitting (+70).
    quotes = [join(f"Party {n}", travel_minutes=20).quoted_wait_minutes for n in range(5)]
    assert quotes == [20, 20, 20, 20, 70]
    assert Order.objects.get(customer_name="Party 4").quoted_wait_minutes == 70


def test_party_ten_minutes_away_is_quoted_the_time_its_food_takes(join):
    # Table free, 10 minutes away, but the pizza needs 12 minutes and 2 to plate: seated
    # with the food ready at +14.
    assert join("Priya", travel_minutes=10).quoted_wait_minutes == 14


def test_party_at_the_door_of_a_room_with_a_free_table_and_nothing_ordered_waits_nothing(
    restaurant, join
):
    restaurant.order_required = False
    restaurant.save()
    assert join("Priya", travel_minutes=0, dishes={}).quoted_wait_minutes == 0


def test_party_keeps_the_price_it_ordered_at(join, menu):
    order = join(dishes={"pizza": 2, "tiramisu": 1})
    menu["pizza"].price = Decimal("99.00")
    menu["pizza"].save()
    lines = {line.menu_item.name: (line.quantity, line.unit_price) for line in order.items.all()}
    assert lines == {
        "Margherita pizza": (2, Decimal("14.50")),
        "Tiramisu": (1, Decimal("8.00")),
    }
    assert fresh(order).total == Decimal("37.00")


def test_dishes_left_at_zero_are_not_ordered(join):
    order = join(dishes={"pizza": 1, "salad": 0})
    assert [line.menu_item.name for line in order.items.all()] == ["Margherita pizza"]


def test_joining_is_written_in_the_party_history(join, frozen_clock):
    order = join(travel_minutes=15, phone=" (415) 555-0134 ", customer_name="  Priya  ")
    assert order.customer_name == "Priya"
    assert order.phone == "+14155550134"  # E.164, read in the restaurant's region (US)
    assert order.joined_at == OPENING
    [event] = order.events.all()
    assert (event.action, event.from_status, event.to_status) == ("joined", "", S.IN_QUEUE)
    assert event.actor is None and event.actor_label == "diner"
    assert event.at == OPENING


# ---------------------------------------------------------------------------------------
# Refused joins leave nothing behind


REFUSED_JOINS = {
    "nobody in the party": (dict(party_size=0), "party_size"),
    "party above the largest table": (dict(party_size=9), "party_size"),
    "no name": (dict(customer_name="   "), "customer_name"),
    "negative quantity": (dict(dishes={"pizza": -1}), "items"),
    "too many of one dish": (dict(dishes={"pizza": services.MAX_ITEM_QUANTITY + 1}), "items"),
    "dish not on any menu": (dict(dish_ids={999_999: 1}), "items"),
    "dish of the restaurant next door": (dict(other_dish=True), "items"),
    "dish taken off tonight": (dict(unavailable=True), "items"),
    "nothing ordered": (dict(dishes={}), "items"),
    "only zeros ordered": (dict(dishes={"pizza": 0}), "items"),
    "travel time negative": (dict(travel_minutes=-1), "travel_minutes"),
    "travel time absurd": (dict(travel_minutes=services.MAX_TRAVEL_MINUTES + 1), "travel_minutes"),
}


@pytest.mark.parametrize("case", list(REFUSED_JOINS))
def test_refused_join_leaves_no_party_behind(case, restaurant, menu, other_menu_item, queue_changes):
    params, field = REFUSED_JOINS[case]
    params = dict(params)
    customer_name = params.pop("customer_name", "Priya")
    party_size = params.pop("party_size", 2)
    if params.pop("other_dish", False):
        quantities = {other_menu_item.pk: 1}
    elif params.pop("unavailable", False):
        menu["risotto"].available = False
        menu["risotto"].save()
        quantities = {menu["risotto"].pk: 1}
    elif "dish_ids" in params:
        quantities = params.pop("dish_ids")
    else:
        quantities = {menu[d].pk: q for d, q in params.pop("dishes", {"pizza": 1}).items()}
    lines = [LineRequest(menu_item_id=pk, quantity=q) for pk, q in quantities.items()]

    with pytest.raises(services.InvalidJoin) as refusal:
        services.join_queue(
            restaurant.pk, customer_name=customer_name, party_size=party_size, lines=lines, **params
        )

    assert field in refusal.value.errors
    assert refusal.value.status_code == 400
    assert not Order.objects.exists()
    assert not OrderItem.objects.exists()
    assert not OrderEvent.objects.exists()
    restaurant.refresh_from_db()
    assert restaurant.state_version == 0


def test_party_of_the_largest_size_allowed_may_join(restaurant, join):
    assert join(party_size=restaurant.max_party_size).party_size == 8


def test_restaurant_that_does_not_require_food_lets_parties_join_without_ordering(
    restaurant, join
):
    restaurant.order_required = False
    restaurant.save()
    order = join(dishes={})
    assert order.status == S.IN_QUEUE
    assert not order.items.exists()


def test_closed_restaurant_turns_parties_away(restaurant, join, staff_user):
    services.set_accepting_joins(restaurant.pk, False, staff_user)
    with pytest.raises(services.RestaurantClosed):
        join()
    assert not Order.objects.exists()
    assert not OrderItem.objects.exists()
    assert RestaurantEvent.objects.filter(action="closed_queue").count() == 1


def test_reopened_restaurant_takes_parties_again(restaurant, join, staff_user):
    services.set_accepting_joins(restaurant.pk, False, staff_user)
    services.set_accepting_joins(restaurant.pk, True, staff_user)
    assert join().queue_position == 1


def test_resent_join_form_returns_the_party_already_in_the_queue(restaurant, join):
    first = join("Priya", submission_key="form-abc")
    with pytest.raises(services.DuplicateJoin) as refusal:
        join("Priya", submission_key="form-abc", dishes={"risotto": 3})
    assert refusal.value.order == first
    assert first.order_code in refusal.value.message
    assert Order.objects.count() == 1
    assert OrderItem.objects.count() == 1
    assert line_up(restaurant) == [("Priya", 1)]


def test_resent_join_form_is_recognised_even_after_closing(restaurant, join, staff_user):
    first = join("Priya", submission_key="form-abc")
    services.set_accepting_joins(restaurant.pk, False, staff_user)
    with pytest.raises(services.DuplicateJoin) as refusal:
        join("Priya", submission_key="form-abc")
    assert refusal.value.order == first


# ---------------------------------------------------------------------------------------
# Positions close up


@pytest.fixture
def three_waiting(join):
    return join("Priya"), join("Jonas"), join("Amelia")


def test_party_behind_moves_up_when_party_ahead_leaves(restaurant, three_waiting):
    priya, jonas, amelia = three_waiting
    services.leave_queue(jonas.pk)
    assert line_up(restaurant) == [("Priya", 1), ("Amelia", 2)]
    assert fresh(jonas).queue_position is None


def test_whole_queue_moves_up_when_the_head_is_told_to_head_over(
    restaurant, three_waiting, staff_user
):
    priya, jonas, amelia = three_waiting
    services.notify_party(priya.pk, staff_user)
    assert line_up(restaurant) == [("Jonas", 1), ("Amelia", 2)]
    assert fresh(priya).queue_position is None


def test_party_behind_moves_up_when_host_removes_party_ahead(restaurant, three_waiting, staff_user):
    priya, jonas, amelia = three_waiting
    services.remove_party(priya.pk, staff_user)
    assert line_up(restaurant) == [("Jonas", 1), ("Amelia", 2)]


def test_new_party_joins_behind_the_closed_up_queue(restaurant, three_waiting, join):
    services.leave_queue(three_waiting[0].pk)
    join("Kenji")
    assert line_up(restaurant) == [("Jonas", 1), ("Amelia", 2), ("Kenji", 3)]


def test_leaving_the_last_place_moves_nobody(restaurant, three_waiting):
    services.leave_queue(three_waiting[2].pk)
    assert line_up(restaurant) == [("Priya", 1), ("Jonas", 2)]


def test_other_restaurants_queue_does_not_move(restaurant, other_restaurant, other_menu_item, join):
    join("Priya")
    across = join("Lucia", at=other_restaurant, dishes={other_menu_item: 1})
    behind = join("Mateo", at=other_restaurant, dishes={other_menu_item: 1})
    join("Jonas")
    services.leave_queue(Order.objects.get(customer_name="Priya").pk)
    assert (fresh(across).queue_position, fresh(behind).queue_position) == (1, 2)
    assert line_up(restaurant) == [("Jonas", 1)]


# ---------------------------------------------------------------------------------------
# Every move the rules allow, and what it does


def test_notified_party_is_expected_after_the_restaurants_travel_time(
    join, staff_user, frozen_clock
):
    order = join()
    frozen_clock.advance(minutes(7))
    services.notify_party(order.pk, staff_user)
    order = fresh(order)
    assert order.status == S.AWAITING_ARRIVAL
    assert order.notified_at == OPENING + minutes(7)
    assert order.target_arrival_time == OPENING + minutes(7 + 10)


def test_notified_party_is_expected_after_the_travel_time_it_gave(join, staff_user, frozen_clock):
    order = join(travel_minutes=25)
    services.notify_party(order.pk, staff_user)
    assert fresh(order).target_arrival_time == OPENING + minutes(25)


def test_party_already_at_the_door_is_expected_right_away(join, staff_user, frozen_clock):
    # 0 minutes away is a real answer, not "unknown": no default travel time added.
    order = join(travel_minutes=0)
    services.notify_party(order.pk, staff_user)
    assert fresh(order).target_arrival_time == OPENING


def test_kitchen_stamps_the_time_it_fires_a_ticket(join, staff_user, frozen_clock):
    order = join()
    services.notify_party(order.pk, staff_user)
    services.accept_ticket(order.pk, staff_user)
    assert fresh(order).status == S.RECEIVED
    assert order.fired_at is None
    frozen_clock.advance(minutes(3))
    services.start_preparing(order.pk, staff_user)
    order = fresh(order)
    assert order.status == S.PREPARING
    assert order.fired_at == OPENING + minutes(3)


def test_food_ready_is_stamped_without_seating_the_party(join, staff_user, frozen_clock):
    order = join()
    services.notify_party(order.pk, staff_user)
    services.accept_ticket(order.pk, staff_user)
    frozen_clock.advance(minutes(4))
    services.mark_food_ready(order.pk, staff_user)
    order = fresh(order)
    assert order.status == S.RECEIVED
    assert order.food_ready_at == OPENING + minutes(4)
    assert order.fired_at == OPENING + minutes(4)
    assert order.events.filter(action="food_ready").count() == 1
    with pytest.raises(services.IllegalTransition):
        services.mark_food_ready(order.pk, staff_user)


def test_food_cannot_be_ready_for_a_party_still_waiting(join, staff_user):
    order = join()
    with pytest.raises(services.IllegalTransition):
        services.mark_food_ready(order.pk, staff_user)
    assert fresh(order).food_ready_at is None


def test_seating_a_party_takes_a_table(restaurant, join, staff_user, frozen_clock):
    order = join()
    services.notify_party(order.pk, staff_user)
    frozen_clock.advance(minutes(9))
    services.seat_party(order.pk, staff_user)
    order = fresh(order)
    assert order.status == S.READY
    assert order.seated_at_time == OPENING + minutes(9)
    assert occupied(restaurant) == 1


def test_finished_party_frees_its_table(restaurant, join, staff_user, frozen_clock):
    order = join()
    services.notify_party(order.pk, staff_user)
    services.seat_party(order.pk, staff_user)
    frozen_clock.advance(minutes(48))
    services.complete_party(order.pk, staff_user)
    order = fresh(order)
    assert order.status == S.COMPLETED
    assert order.completed_at_time == OPENING + minutes(48)
    assert occupied(restaurant) == 0


@pytest.mark.parametrize(
    "action, reach, status",
    [
        ("leave_queue", [], S.CANCELLED),
        ("leave_queue", [S.AWAITING_ARRIVAL], S.CANCELLED),
        ("remove_party", [], S.CANCELLED),
        ("remove_party", [S.AWAITING_ARRIVAL, S.RECEIVED, S.PREPARING], S.CANCELLED),
        ("mark_no_show", [S.AWAITING_ARRIVAL], S.NO_SHOW),
        ("mark_no_show", [S.AWAITING_ARRIVAL, S.RECEIVED], S.NO_SHOW),
    ],
)
def test_party_that_leaves_or_never_shows_is_stamped_with_the_end_time(
    action, reach, status, restaurant, join, staff_user, frozen_clock
):
    order = join()
    drive(order, reach, staff_user)
    frozen_clock.advance(minutes(20))
    args = (order.pk,) if action == "leave_queue" else (order.pk, staff_user)
    getattr(services, action)(*args)
    order = fresh(order)
    assert order.status == status
    assert order.ended_at == OPENING + minutes(20)
    assert order.queue_position is None
    assert occupied(restaurant) == 0


def test_host_actions_are_signed_in_the_history(join, staff_user):
    order = join()
    services.notify_party(order.pk, staff_user)
    event = order.events.get(action="notified")
    assert (event.from_status, event.to_status) == (S.IN_QUEUE, S.AWAITING_ARRIVAL)
    assert event.actor == staff_user
    assert event.actor_label == "host"


# Written out by hand: the restaurant's rules, not a copy of services.TRANSITIONS.
LEGAL_MOVES = {
    (S.REQUESTED, S.IN_QUEUE),
    (S.REQUESTED, S.DECLINED),
    (S.REQUESTED, S.CANCELLED),
    (S.IN_QUEUE, S.AWAITING_ARRIVAL),
    (S.IN_QUEUE, S.CANCELLED),
    (S.AWAITING_ARRIVAL, S.RECEIVED),
    (S.AWAITING_ARRIVAL, S.PREPARING),
    (S.AWAITING_ARRIVAL, S.READY),
    (S.AWAITING_ARRIVAL, S.CANCELLED),
    (S.AWAITING_ARRIVAL, S.NO_SHOW),
    (S.RECEIVED, S.PREPARING),
    (S.RECEIVED, S.READY),
    (S.RECEIVED, S.CANCELLED),
    (S.RECEIVED, S.NO_SHOW),
    (S.PREPARING, S.READY),
    (S.PREPARING, S.CANCELLED),
    (S.PREPARING, S.NO_SHOW),
    (S.READY, S.COMPLETED),
}

# How a party reaches each status from the queue.
PATHS = {
    S.IN_QUEUE: [],
    S.AWAITING_ARRIVAL: [S.AWAITING_ARRIVAL],
    S.RECEIVED: [S.AWAITING_ARRIVAL, S.RECEIVED],
    S.PREPARING: [S.AWAITING_ARRIVAL, S.RECEIVED, S.PREPARING],
    S.READY: [S.AWAITING_ARRIVAL, S.READY],
    S.COMPLETED: [S.AWAITING_ARRIVAL, S.READY, S.COMPLETED],
    S.CANCELLED: [S.CANCELLED],
    S.NO_SHOW: [S.AWAITING_ARRIVAL, S.NO_SHOW],
}

ILLEGAL_MOVES = sorted(
    (a, b) for a, b in itertools.product(S, S) if (a, b) not in LEGAL_MOVES
)


def drive(order, path, actor):
    for status in path:
        services.transition(order.pk, status, actor=actor)
    return fresh(order)


def reach(status, join, restaurant, actor, name="Priya"):
    """A party brought to `status`; asking to join (and declined) at a restaurant that
    approves remote joins for that one join."""
    if status in (S.REQUESTED, S.DECLINED):
        RestaurantProfile.objects.filter(pk=restaurant.pk).update(approve_remote_joins=True)
        order = join(name)
        RestaurantProfile.objects.filter(pk=restaurant.pk).update(approve_remote_joins=False)
        return drive(order, [S.DECLINED] if status == S.DECLINED else [], actor)
    return drive(join(name), PATHS[status], actor)


@pytest.mark.parametrize("from_status, to_status", sorted(LEGAL_MOVES))
def test_every_legal_move_happens_and_is_logged(
    from_status, to_status, restaurant, join, staff_user
):
    order = reach(from_status, join, restaurant, staff_user)
    assert order.status == from_status
    services.transition(order.pk, to_status, actor=staff_user)
    assert fresh(order).status == to_status
    last = order.events.order_by("-id").first()
    assert (last.from_status, last.to_status) == (from_status, to_status)


@pytest.mark.parametrize("from_status, to_status", ILLEGAL_MOVES)
def test_illegal_move_is_refused_and_changes_nothing(
    from_status, to_status, restaurant, join, staff_user
):
    order = reach(from_status, join, restaurant, staff_user)
    behind = join("Jonas")
    before = (
        order.status,
        order.queue_position,
        occupied(restaurant),
        OrderEvent.objects.count(),
        fresh(behind).queue_position,
        restaurant.state_version,
    )
    with pytest.raises(services.IllegalTransition):
        services.transition(order.pk, to_status, actor=staff_user)
    order = fresh(order)
    restaurant.refresh_from_db()
    after = (
        order.status,
        order.queue_position,
        occupied(restaurant),
        OrderEvent.objects.count(),
        fresh(behind).queue_position,
        restaurant.state_version,
    )
    assert after == before


NAMED = "the party's name"


@pytest.mark.parametrize(
    "action, reach, says",
    [
        # The kitchen has the ticket: leaving is a call to the restaurant, not a button.
        ("leave_queue", [S.AWAITING_ARRIVAL, S.RECEIVED], "call Trattoria Verde on 0161 496 0000"),
        ("leave_queue", [S.AWAITING_ARRIVAL, S.READY], NAMED),
        # A party still waiting cannot be a no-show: nobody told it to come.
        ("mark_no_show", [], NAMED),
        ("mark_no_show", [S.AWAITING_ARRIVAL, S.READY], NAMED),
        # A seated party is completed, not removed.
        ("remove_party", [S.AWAITING_ARRIVAL, S.READY], NAMED),
    ],
)
def test_named_actions_refuse_what_the_button_does_not_mean(
    action, reach, says, restaurant, join, staff_user
):
    restaurant.phone = "0161 496 0000"
    restaurant.save()
    order = drive(join(), reach, staff_user)
    events = order.events.count()
    tables = occupied(restaurant)
    args = (order.pk,) if action == "leave_queue" else (order.pk, staff_user)
    with pytest.raises(services.IllegalTransition) as refusal:
        getattr(services, action)(*args)
    assert (order.customer_name if says == NAMED else says) in refusal.value.message
    assert fresh(order).status == order.status
    assert order.events.count() == events
    assert occupied(restaurant) == tables


# ---------------------------------------------------------------------------------------
# The host stand


def test_notify_next_calls_the_party_at_the_head(restaurant, three_waiting, staff_user):
    priya, jonas, amelia = three_waiting
    assert services.notify_next(restaurant.pk, staff_user).pk == priya.pk
    assert services.notify_next(restaurant.pk, staff_user).pk == jonas.pk
    assert line_up(restaurant) == [("Amelia", 1)]


def test_notify_next_with_nobody_waiting_says_so(restaurant, staff_user):
    with pytest.raises(services.EmptyQueue):
        services.notify_next(restaurant.pk, staff_user)


def test_notify_next_after_everyone_was_called_says_so(restaurant, join, staff_user):
    join()
    services.notify_next(restaurant.pk, staff_user)
    with pytest.raises(services.EmptyQueue):
        services.notify_next(restaurant.pk, staff_user)


def test_double_click_on_notify_does_not_call_the_party_behind(
    restaurant, three_waiting, staff_user
):
    priya, jonas, amelia = three_waiting
    services.notify_next(restaurant.pk, staff_user, expected_order_id=priya.pk)
    with pytest.raises(services.IllegalTransition):
        services.notify_next(restaurant.pk, staff_user, expected_order_id=priya.pk)
    assert fresh(jonas).status == S.IN_QUEUE
    assert line_up(restaurant) == [("Jonas", 1), ("Amelia", 2)]


def test_host_cannot_notify_a_party_of_another_restaurant(
    restaurant, other_restaurant, other_menu_item, join, other_staff_user
):
    across = join("Lucia", at=other_restaurant, dishes={other_menu_item: 1})
    with pytest.raises(services.EmptyQueue):
        services.notify_next(restaurant.pk, other_staff_user, expected_order_id=across.pk)
    assert fresh(across).status == S.IN_QUEUE


def test_party_cannot_be_seated_when_every_table_is_taken(restaurant, join, staff_user):
    for _ in range(restaurant.total_tables):
        services.seat_walk_in(restaurant.pk, staff_user)
    order = drive(join(), [S.AWAITING_ARRIVAL], staff_user)
    events = order.events.count()
    with pytest.raises(services.NoFreeTable):
        services.seat_party(order.pk, staff_user)
    assert fresh(order).status == S.AWAITING_ARRIVAL
    assert order.seated_at_time is None
    assert occupied(restaurant) == 4
    assert order.events.count() == events


def test_finished_party_makes_room_for_the_next(restaurant, join, staff_user):
    parties = [drive(join(f"Party {n}"), [S.AWAITING_ARRIVAL], staff_user) for n in range(5)]
    for party in parties[:4]:
        services.seat_party(party.pk, staff_user)
    with pytest.raises(services.NoFreeTable):
        services.seat_party(parties[4].pk, staff_user)
    services.complete_party(parties[0].pk, staff_user)
    services.seat_party(parties[4].pk, staff_user)
    assert fresh(parties[4]).status == S.READY
    assert occupied(restaurant) == 4


def test_walk_ins_fill_the_room_but_never_beyond_its_tables(restaurant, staff_user):
    for _ in range(4):
        services.seat_walk_in(restaurant.pk, staff_user)
    with pytest.raises(services.TablesOutOfRange):
        services.seat_walk_in(restaurant.pk, staff_user)
    assert occupied(restaurant) == 4
    assert RestaurantEvent.objects.filter(action="walk_in_seated").count() == 4


def test_clearing_walk_ins_never_frees_a_table_the_app_seated(restaurant, join, staff_user):
    order = drive(join(), [S.AWAITING_ARRIVAL, S.READY], staff_user)
    services.seat_walk_in(restaurant.pk, staff_user)
    assert occupied(restaurant) == 2
    services.walk_in_left(restaurant.pk, staff_user)
    assert occupied(restaurant) == 1
    with pytest.raises(services.TablesOutOfRange):
        services.walk_in_left(restaurant.pk, staff_user)
    assert occupied(restaurant) == 1
    assert fresh(order).status == S.READY


def test_empty_room_has_no_walk_in_to_clear(restaurant, staff_user):
    with pytest.raises(services.TablesOutOfRange):
        services.walk_in_left(restaurant.pk, staff_user)
    assert occupied(restaurant) == 0


# ---------------------------------------------------------------------------------------
# The history cannot be rewritten


def test_party_history_cannot_be_edited(join):
    event = join().events.get()
    event.detail = "never happened"
    with pytest.raises(ValueError):
        event.save()
    event.refresh_from_db()
    assert event.detail == ""


def test_party_history_cannot_be_deleted(join):
    event = join().events.get()
    with pytest.raises(ValueError):
        event.delete()
    assert OrderEvent.objects.filter(pk=event.pk).exists()


# ---------------------------------------------------------------------------------------
# Announcing changes: only what the database holds


def test_join_is_announced_after_it_commits(
    restaurant, join, queue_changes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = join()
        assert queue_changes == []  # not before the commit
    assert queue_changes == [(restaurant.pk, (order.pk,))]


def test_leaving_announces_the_party_and_everyone_who_moved_up(
    restaurant, three_waiting, queue_changes, django_capture_on_commit_callbacks
):
    priya, jonas, amelia = three_waiting
    with django_capture_on_commit_callbacks(execute=True):
        services.leave_queue(priya.pk)
    assert queue_changes == [(restaurant.pk, (priya.pk, jonas.pk, amelia.pk))]


def test_walk_in_is_announced_for_the_restaurant(
    restaurant, staff_user, queue_changes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.seat_walk_in(restaurant.pk, staff_user)
    assert queue_changes == [(restaurant.pk, ())]


def test_every_committed_change_moves_the_restaurants_state_version(
    restaurant, join, staff_user
):
    order = join()
    services.notify_party(order.pk, staff_user)
    services.seat_walk_in(restaurant.pk, staff_user)
    restaurant.refresh_from_db()
    assert restaurant.state_version == 3


def test_rolled_back_join_is_never_announced(
    restaurant, join, queue_changes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                join()
                raise RuntimeError("the request failed after joining")
    assert callbacks == []
    assert queue_changes == []
    assert not Order.objects.exists()


def test_refused_move_is_never_announced(
    restaurant, join, staff_user, queue_changes, django_capture_on_commit_callbacks
):
    order = join()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(services.IllegalTransition):
            services.complete_party(order.pk, staff_user)
    assert queue_changes == []


def test_broken_listener_does_not_break_the_join(
    restaurant, join, queue_changes, django_capture_on_commit_callbacks, caplog
):
    def broken(sender, **kwargs):
        raise ConnectionError("redis is away")

    queue_changed.connect(broken, weak=False, dispatch_uid="tests.broken")
    try:
        with caplog.at_level(logging.ERROR, logger="orders.services"):
            with django_capture_on_commit_callbacks(execute=True):
                order = join()
    finally:
        queue_changed.disconnect(dispatch_uid="tests.broken")
    assert Order.objects.filter(pk=order.pk, status=S.IN_QUEUE).exists()
    assert queue_changes == [(restaurant.pk, (order.pk,))]  # other listeners still hear it
    assert "queue_changed receiver" in caplog.text


def test_kitchen_steps_do_not_move_the_partys_target_arrival(join, staff_user):
    order = join(travel_minutes=20)
    services.notify_party(order.pk, staff_user)
    target = fresh(order).target_arrival_time
    services.accept_ticket(order.pk, staff_user)
    services.start_preparing(order.pk, staff_user)
    assert fresh(order).target_arrival_time == target
    assert fresh(order).target_arrival_time - order.notified_at == timedelta(minutes=20)
