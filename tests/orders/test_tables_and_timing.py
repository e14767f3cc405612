"""The room's tables and the timing rules, through orders.services, on the real database.

Trattoria Verde (tests/conftest.py) starts with 4 tables seating up to 8; most tests here give
it a room of two 2-tops, one 4-top and one 6-top. Parties are 10 minutes away unless they say
otherwise; a sitting lasts 50 minutes until the restaurant has history.
"""

import pytest

from orders import selectors, services
from orders.models import DiningTable, Order, OrderEvent, OrderStatus, RestaurantEvent
from tests.conftest import OPENING, minutes

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(restaurant, staff_user):
    """Two 2-tops, a 4-top and a 6-top; returns {seats: [tables]}."""
    services.set_up_tables(restaurant.pk, {2: 2, 4: 1, 6: 1}, staff_user)
    tables = {}
    for table in DiningTable.objects.filter(restaurant=restaurant).order_by("number"):
        tables.setdefault(table.seats, []).append(table)
    return tables


def seated_and_arrived(order, staff_user, table_id=None):
    services.notify_party(order.pk, staff_user)
    return services.seat_party(order.pk, staff_user, table_id=table_id)


def refresh(obj):
    obj.refresh_from_db()
    return obj


# --- the room ----------------------------------------------------------------------------


def test_new_restaurant_given_only_a_number_of_tables_gets_that_many_tables(restaurant):
    tables = DiningTable.objects.filter(restaurant=restaurant)
    assert tables.count() == restaurant.total_tables == 4
    assert {t.seats for t in tables} == {restaurant.max_party_size}


def test_host_sets_up_the_room_by_table_size_and_the_total_follows(restaurant, room):
    assert {seats: len(tables) for seats, tables in room.items()} == {2: 2, 4: 1, 6: 1}
    assert refresh(restaurant).total_tables == 4
    assert RestaurantEvent.objects.filter(restaurant=restaurant, action="tables_set_up").exists()


def test_a_table_in_use_is_never_taken_away(restaurant, room, join, staff_user):
    seated_and_arrived(join("Ada", party_size=5), staff_user)  # takes the 6-top
    with pytest.raises(services.TablesOutOfRange, match="of 6"):
        services.set_up_tables(restaurant.pk, {2: 2, 4: 1}, staff_user)
    assert DiningTable.objects.filter(restaurant=restaurant, seats=6).count() == 1


def test_room_cannot_lose_the_only_table_a_waiting_party_fits(restaurant, room, join, staff_user):
    join("Big party", party_size=6)
    with pytest.raises(services.TablesOutOfRange, match="party of 6"):
        services.set_up_tables(restaurant.pk, {2: 2, 4: 2}, staff_user)


@pytest.mark.parametrize(
    "counts, message",
    [({}, "at least one table"), ({0: 3}, "between 1"), ({4: -1}, "negative"), ({4: 500}, "At most")],
)
def test_nonsense_room_set_ups_are_refused(restaurant, staff_user, counts, message):
    with pytest.raises(services.TablesOutOfRange, match=message):
        services.set_up_tables(restaurant.pk, counts, staff_user)
    assert DiningTable.objects.filter(restaurant=restaurant).count() == 4


# --- seating -----------------------------------------------------------------------------


def test_party_is_seated_at_the_smallest_free_table_that_fits(room, join, staff_user):
    three = seated_and_arrived(join("Trio", party_size=3), staff_user)
    couple = seated_and_arrived(join("Couple", party_size=2), staff_user)
    assert three.table == room[4][0]
    assert couple.table == room[2][0]


def test_couple_takes_a_bigger_table_when_every_small_one_is_taken(room, join, staff_user):
    seated_and_arrived(join("A"), staff_user)
    seated_and_arrived(join("B"), staff_user)
    third = seated_and_arrived(join("C"), staff_user)
    assert third.table == room[4][0]


def test_party_too_big_for_every_free_table_is_refused_and_keeps_its_place(
    restaurant, room, join, staff_user
):
    seated_and_arrived(join("Sixsome", party_size=6), staff_user)
    five = join("Fivesome", party_size=5)
    services.notify_party(five.pk, staff_user)
    with pytest.raises(services.NoFreeTable, match="No free table seats 5"):
        services.seat_party(five.pk, staff_user)
    assert refresh(five).status == OrderStatus.AWAITING_ARRIVAL
    assert refresh(restaurant).currently_occupied_tables == 1


def test_host_may_choose_the_table(room, join, staff_user):
    order = seated_and_arrived(join("Ada"), staff_user, table_id=room[6][0].pk)
    assert order.table == room[6][0]


def test_host_cannot_seat_a_party_at_a_table_too_small_or_taken(room, join, staff_user):
    seated_and_arrived(join("Ada"), staff_user, table_id=room[2][0].pk)
    trio = join("Trio", party_size=3)
    services.notify_party(trio.pk, staff_user)
    with pytest.raises(services.NoFreeTable, match="too small"):
        services.seat_party(trio.pk, staff_user, table_id=room[2][1].pk)
    with pytest.raises(services.NoFreeTable, match="is taken"):
        services.seat_party(trio.pk, staff_user, table_id=room[2][0].pk)
    assert refresh(trio).status == OrderStatus.AWAITING_ARRIVAL


def test_completing_a_party_frees_its_table_and_keeps_where_it_sat(
    restaurant, room, join, staff_user
):
    order = seated_and_arrived(join("Ada"), staff_user)
    assert refresh(restaurant).currently_occupied_tables == 1
    services.complete_party(order.pk, staff_user)
    assert refresh(restaurant).currently_occupied_tables == 0
    assert refresh(order).table == room[2][0]  # history keeps the table
    again = seated_and_arrived(join("Bea"), staff_user)
    assert again.table == room[2][0]


def test_seating_stores_the_real_wait_next_to_the_quote(join, staff_user, frozen_clock):
    order = join("Ada", travel_minutes=20)
    frozen_clock.advance(minutes(14))
    services.notify_party(order.pk, staff_user)
    frozen_clock.advance(minutes(9))
    seated = services.seat_party(order.pk, staff_user)
    assert (seated.quoted_wait_minutes, seated.actual_wait_minutes) == (20, 23)


def test_party_larger_than_every_table_cannot_join(restaurant, room, join, menu):
    with pytest.raises(services.InvalidJoin, match="largest table seats 6"):
        join("Eightsome", party_size=8)
    assert not Order.objects.filter(customer_name="Eightsome").exists()


# --- walk-ins ----------------------------------------------------------------------------


def test_walk_in_sits_at_the_smallest_free_table_that_fits(restaurant, room, staff_user, frozen_clock):
    table = services.seat_walk_in(restaurant.pk, staff_user, party_size=3)
    assert table == room[4][0]
    assert (refresh(table).walk_in_party_size, table.walk_in_seated_at) == (3, OPENING)
    assert refresh(restaurant).currently_occupied_tables == 1


def test_walk_in_at_a_chosen_table_and_leaving_frees_it(restaurant, room, staff_user):
    services.seat_walk_in(restaurant.pk, staff_user, table_id=room[6][0].pk)
    with pytest.raises(services.TablesOutOfRange, match="already taken"):
        services.seat_walk_in(restaurant.pk, staff_user, table_id=room[6][0].pk)
    services.walk_in_left(restaurant.pk, staff_user, table_id=room[6][0].pk)
    assert not refresh(room[6][0]).walk_in
    assert refresh(restaurant).currently_occupied_tables == 0


def test_walk_in_cannot_leave_a_table_an_app_party_sits_at(restaurant, room, join, staff_user):
    order = seated_and_arrived(join("Ada"), staff_user)
    with pytest.raises(services.TablesOutOfRange, match="complete that party"):
        services.walk_in_left(restaurant.pk, staff_user, table_id=order.table_id)


def test_walk_in_seated_twenty_minutes_ago_frees_its_table_like_any_party(
    restaurant, staff_user, frozen_clock, join
):
    services.set_up_tables(restaurant.pk, {4: 1}, staff_user)
    services.seat_walk_in(restaurant.pk, staff_user)
    frozen_clock.advance(minutes(20))
    # 50-minute sitting, 20 gone: a party 10 minutes away sits in 30.
    assert join("Ada").quoted_wait_minutes == 30


# --- the diner's travel time ---------------------------------------------------------------


def test_diner_says_how_far_away_they_are_and_the_estimate_follows(join, frozen_clock):
    order = join("Ada")
    services.set_travel_minutes(order.pk, 25)
    view = selectors.diner_view(order.public_token)
    assert view.order.travel_minutes == 25
    assert view.estimated_wait_minutes == 25
    assert OrderEvent.objects.filter(order=order, action="travel_time", detail="25 min away").exists()


def test_travel_time_is_fixed_once_the_party_was_told_to_head_over(join, staff_user):
    order = join("Ada")
    services.notify_party(order.pk, staff_user)
    with pytest.raises(services.IllegalTransition, match="already been told"):
        services.set_travel_minutes(order.pk, 5)


@pytest.mark.parametrize("bad", [-1, 181])
def test_travel_time_out_of_range_is_refused(join, bad):
    order = join("Ada")
    with pytest.raises(services.InvalidJoin, match="between 0 and 180"):
        services.set_travel_minutes(order.pk, bad)
    assert refresh(order).travel_minutes is None


def test_notified_party_is_expected_after_its_own_travel_time(join, staff_user, frozen_clock):
    order = join("Ada", travel_minutes=17)
    notified = services.notify_party(order.pk, staff_user)
    assert notified.target_arrival_time == OPENING + minutes(17)


# --- automatic notification ---------------------------------------------------------------


@pytest.fixture
def full_room(restaurant, staff_user, frozen_clock):
    """One 4-top, taken by a walk-in seated at 19:00 (frees at 19:50); auto notify on."""
    services.set_up_tables(restaurant.pk, {4: 1}, staff_user)
    services.seat_walk_in(restaurant.pk, staff_user)
    services.update_house_settings(
        restaurant.pk, staff_user, auto_notify=True, notify_buffer_minutes=2
    )
    return restaurant


def test_party_is_told_to_head_over_when_its_table_frees_within_its_trip(
    full_room, join, frozen_clock
):
    order = join("Ada", travel_minutes=15)
    frozen_clock.set(OPENING + minutes(32))  # table frees in 18 > 15 + 2
    assert services.run_timing_rules(full_room.pk) == []
    assert refresh(order).status == OrderStatus.IN_QUEUE
    frozen_clock.set(OPENING + minutes(33))  # 17 <= 15 + 2
    assert services.run_timing_rules(full_room.pk) == [order.pk]
    order = refresh(order)
    assert order.status == OrderStatus.AWAITING_ARRIVAL
    assert order.target_arrival_time == OPENING + minutes(48)
    event = order.events.get(action="notified")
    assert (event.actor, event.actor_label) == (None, "system")


def test_party_farther_away_is_told_sooner(full_room, join, staff_user, frozen_clock):
    near, far = join("Near", travel_minutes=5), join("Far", travel_minutes=40)
    # One table, free at 19:50. Near (5 away) is told at 19:43.
    frozen_clock.set(OPENING + minutes(43))
    services.run_timing_rules(full_room.pk)
    assert (refresh(near).status, refresh(far).status) == ("AWAITING_ARRIVAL", "IN_QUEUE")
    # Near sits down at 19:50, so the table is Far's at 20:40; Far needs 40 + 2 minutes.
    frozen_clock.set(OPENING + minutes(50))
    services.walk_in_left(full_room.pk, staff_user)
    services.seat_party(near.pk, staff_user)
    frozen_clock.set(OPENING + minutes(57))
    services.run_timing_rules(full_room.pk)
    assert refresh(far).status == OrderStatus.IN_QUEUE
    frozen_clock.set(OPENING + minutes(58))
    services.run_timing_rules(full_room.pk)
    assert refresh(far).status == OrderStatus.AWAITING_ARRIVAL


def test_party_joining_a_room_with_a_free_table_is_told_to_come_at_once(
    restaurant, staff_user, join
):
    services.update_house_settings(restaurant.pk, staff_user, auto_notify=True)
    order = join("Ada", travel_minutes=20)  # her pizza (12 + 2) is ready before she is here
    assert refresh(order).status == OrderStatus.AWAITING_ARRIVAL


def test_party_whose_food_takes_longer_than_its_trip_is_told_once_the_food_will_be_ready(
    restaurant, staff_user, join, frozen_clock
):
    services.update_house_settings(
        restaurant.pk, staff_user, auto_notify=True, notify_buffer_minutes=1
    )
    # Table free, 5 minutes away, risotto takes 20 + 2 to plate: the kitchen sees the ticket
    # at once; Ada is told at 19:17 (22 - 5: prep times are known, so no buffer) and walks in
    # as the food comes off the pass.
    order = join("Ada", travel_minutes=5, dishes={"risotto": 1})
    tickets = selectors.kitchen_tickets(restaurant)
    assert [(t.order.pk, t.called, t.should_have_fired) for t in tickets] == [(order.pk, False, True)]
    frozen_clock.set(OPENING + minutes(16))
    services.run_timing_rules(restaurant.pk)
    assert refresh(order).status == OrderStatus.IN_QUEUE
    assert [o.waiting_for_food for o in selectors.queue_snapshot(restaurant).waiting] == [True]
    frozen_clock.set(OPENING + minutes(17))
    services.run_timing_rules(restaurant.pk)
    assert refresh(order).status == OrderStatus.AWAITING_ARRIVAL


def test_kitchen_starting_a_ticket_before_the_call_leaves_the_party_in_the_queue(
    restaurant, staff_user, join, frozen_clock
):
    order = join("Ada", travel_minutes=5, dishes={"risotto": 1})
    frozen_clock.advance(minutes(3))
    services.start_preparing(order.pk, staff_user)
    order = refresh(order)
    assert (order.status, order.queue_position, order.fired_at) == (
        OrderStatus.IN_QUEUE, 1, OPENING + minutes(3)
    )
    assert order.events.filter(action="fired", detail="before the party was called").exists()
    with pytest.raises(services.IllegalTransition, match="already being prepared"):
        services.start_preparing(order.pk, staff_user)
    # The party's seat follows the real firing: 19:03 + 20 + 2.
    assert selectors.diner_view(order.public_token).estimated_wait_minutes == 22
    services.mark_food_ready(order.pk, staff_user)
    assert refresh(order).food_ready_at == OPENING + minutes(3)


def test_completing_a_table_notifies_the_next_party_at_once(full_room, join, staff_user, frozen_clock):
    seated = join("Ada", travel_minutes=0)
    frozen_clock.advance(minutes(20))  # her food could be ready by now
    services.walk_in_left(full_room.pk, staff_user)  # table free: Ada told at once
    services.seat_party(seated.pk, staff_user)
    waiting = join("Bea", travel_minutes=10)
    assert refresh(waiting).status == OrderStatus.IN_QUEUE
    frozen_clock.advance(minutes(20))
    services.complete_party(seated.pk, staff_user)
    assert refresh(waiting).status == OrderStatus.AWAITING_ARRIVAL


def test_with_auto_notify_off_the_host_stand_shows_who_to_notify_now(
    restaurant, staff_user, join, frozen_clock
):
    services.set_up_tables(restaurant.pk, {4: 1}, staff_user)
    services.seat_walk_in(restaurant.pk, staff_user)
    order = join("Ada", travel_minutes=10)
    frozen_clock.set(OPENING + minutes(38))
    assert [o.pk for o in selectors.queue_snapshot(restaurant).due_now] == []
    frozen_clock.set(OPENING + minutes(39))  # table frees in 11 <= 10 + 1
    assert [o.pk for o in selectors.queue_snapshot(restaurant).due_now] == [order.pk]
    assert services.run_timing_rules(restaurant.pk) == []  # nobody is told by itself
    assert refresh(order).status == OrderStatus.IN_QUEUE


# --- no-shows ------------------------------------------------------------------------------


def test_party_late_past_the_grace_period_is_flagged_on_the_host_stand(
    restaurant, join, staff_user, frozen_clock
):
    order = join("Ada")
    services.notify_party(order.pk, staff_user)  # due 19:10, grace 10 minutes
    frozen_clock.set(OPENING + minutes(20))
    assert selectors.queue_snapshot(restaurant).late == []
    frozen_clock.set(OPENING + minutes(21))
    assert [o.pk for o in selectors.queue_snapshot(restaurant).late] == [order.pk]
    services.run_timing_rules(restaurant.pk)
    assert refresh(order).status == OrderStatus.AWAITING_ARRIVAL  # the host decides


def test_with_auto_no_show_on_a_late_party_is_marked_and_the_next_one_notified(
    restaurant, join, staff_user, frozen_clock
):
    services.update_house_settings(restaurant.pk, staff_user, auto_no_show=True)
    late, next_ = join("Late"), join("Next")
    services.notify_party(late.pk, staff_user)
    frozen_clock.set(OPENING + minutes(21))
    changed = services.run_timing_rules(restaurant.pk)
    assert refresh(late).status == OrderStatus.NO_SHOW
    assert refresh(next_).status == OrderStatus.AWAITING_ARRIVAL
    assert set(changed) >= {late.pk, next_.pk}
    assert late.events.get(action="no_show").actor_label == "system"


# --- house settings ---------------------------------------------------------------------------


def test_configured_average_stays_editable_and_moves_the_quotes(restaurant, staff_user, join):
    services.set_up_tables(restaurant.pk, {4: 1}, staff_user)
    services.seat_walk_in(restaurant.pk, staff_user)
    services.update_house_settings(restaurant.pk, staff_user, avg_dine_in_duration_minutes=80)
    assert join("Ada").quoted_wait_minutes == 80


@pytest.mark.parametrize(
    "values, message",
    [
        ({"avg_dine_in_duration_minutes": 2}, "between 5 and 600"),
        ({"notify_buffer_minutes": 99}, "between 0 and 30"),
        ({"auto_notify": "yes"}, "wrong kind"),
        ({"owner": "me"}, "Unknown setting"),
    ],
)
def test_house_settings_out_of_range_are_refused(restaurant, staff_user, values, message):
    with pytest.raises(services.TablesOutOfRange, match=message):
        services.update_house_settings(restaurant.pk, staff_user, **values)
    restaurant.refresh_from_db()
    assert restaurant.avg_dine_in_duration_minutes == 50 and not restaurant.auto_notify


# --- learning from the restaurant's own history -------------------------------------------------


def test_quotes_learn_from_how_long_parties_really_stayed(restaurant, staff_user, join, frozen_clock):
    services.set_up_tables(restaurant.pk, {4: 1}, staff_user)
    yesterday = OPENING - minutes(24 * 60)
    services.import_past_sittings(
        restaurant.pk, [(2, yesterday, yesterday + minutes(30)) for _ in range(10)]
    )
    services.seat_walk_in(restaurant.pk, staff_user, party_size=2)
    # Couples here stay 30, not the configured 50: the table frees at +30.
    assert join("Ada").quoted_wait_minutes == 30
    assert selectors.queue_snapshot(restaurant).learned_from == 10


def test_imported_history_is_not_an_active_party_and_holds_no_code(restaurant, staff_user):
    services.import_past_sittings(
        restaurant.pk, [(2, OPENING - minutes(90), OPENING - minutes(40))]
    )
    assert selectors.queue_snapshot(restaurant).waiting_count == 0
    with pytest.raises(services.TablesOutOfRange, match="end after it starts"):
        services.import_past_sittings(restaurant.pk, [(2, OPENING, OPENING)])


def test_room_with_one_table_says_so_in_the_singular(restaurant, staff_user, join):
    services.set_up_tables(restaurant.pk, {4: 1}, staff_user)
    services.seat_walk_in(restaurant.pk, staff_user)
    order = join("Ada")
    services.notify_party(order.pk, staff_user)
    with pytest.raises(services.NoFreeTable, match="^The only table is occupied"):
        services.seat_party(order.pk, staff_user)


def test_dish_number_no_database_could_hold_is_not_on_the_menu(restaurant, menu):
    with pytest.raises(services.InvalidJoin, match="not on this restaurant's menu"):
        services.join_queue(
            restaurant.pk,
            customer_name="Ada",
            party_size=2,
            lines=[services.LineRequest(menu_item_id=2**70, quantity=1)],
        )
    assert not Order.objects.filter(customer_name="Ada").exists()


# --- a party at the door before its table is free ------------------------------------------


def test_party_checked_in_at_the_door_is_never_taken_for_a_no_show(
    restaurant, staff_user, join, frozen_clock
):
    services.update_house_settings(restaurant.pk, staff_user, auto_no_show=True)
    order = join("Ada")
    services.notify_party(order.pk, staff_user)  # due 19:10
    frozen_clock.set(OPENING + minutes(9))
    services.check_in(order.pk, staff_user)
    frozen_clock.set(OPENING + minutes(40))
    services.run_timing_rules(restaurant.pk)
    order = refresh(order)
    assert (order.status, order.arrived_at) == (OrderStatus.AWAITING_ARRIVAL, OPENING + minutes(9))
    snap = selectors.queue_snapshot(restaurant)
    assert snap.late == []  # not flagged either
    assert order.events.filter(action="arrived").exists()


def test_checked_in_party_is_first_for_the_next_table_that_fits(
    restaurant, staff_user, join, frozen_clock
):
    services.set_up_tables(restaurant.pk, {4: 1}, staff_user)
    services.seat_walk_in(restaurant.pk, staff_user)  # the only table frees at 19:50
    far = join("Far", travel_minutes=80)
    services.notify_party(far.pk, staff_user)  # told first, due 20:20
    near = join("Near", travel_minutes=5)
    services.notify_party(near.pk, staff_user)  # due 19:05
    frozen_clock.set(OPENING + minutes(5))
    services.check_in(near.pk, staff_user)
    waits = {o.customer_name: o.estimated_wait_minutes for o in selectors.queue_snapshot(restaurant).heading_over}
    # Near is at the door: it takes the table at 19:50; Far, though told first, sits after
    # Near's 50-minute sitting, at 20:40.
    assert waits == {"Near": 45, "Far": 95}


def test_only_a_party_told_to_come_can_be_checked_in_and_only_once(join, staff_user):
    order = join("Ada")
    with pytest.raises(services.IllegalTransition, match="Notify them first"):
        services.check_in(order.pk, staff_user)
    services.notify_party(order.pk, staff_user)
    services.check_in(order.pk, staff_user)
    with pytest.raises(services.IllegalTransition, match="already checked in"):
        services.check_in(order.pk, staff_user)
