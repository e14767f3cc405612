"""The restaurant's timing, read from the database: the room's tables, the learned dining
times, and the projected plan for everyone in line. The arithmetic is in orders.estimates;
this module only turns rows into its inputs, with a fixed number of queries however long the
queue is. Services use it to quote and to decide who to notify; selectors use it for screens.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Max, Prefetch
from django.utils import timezone

from . import estimates
from .models import (
    ACTIVE_STATUSES,
    HEADING_OVER_STATUSES,
    DiningTable,
    Order,
    OrderItem,
    OrderStatus,
)

# How much history teaches the dining times: the most recent sittings, within this window.
HISTORY_DAYS = 90
HISTORY_LIMIT = 2000


_learned = OrderedDict()  # (restaurant, what its history looks like) -> DiningTimes
_learned_lock = threading.Lock()
_LEARNED_KEEP = 64


def dining_times(restaurant, now):
    """The restaurant's learned sittings. One small query to see whether its history changed
    since last asked (a party left, a day went by, the usual sitting was edited), and only
    then the sittings themselves: every screen and every push asks for them."""
    since = (now - timedelta(days=HISTORY_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    history = Order.objects.filter(
        restaurant=restaurant,
        status=OrderStatus.COMPLETED,
        seated_at_time__isnull=False,
        completed_at_time__isnull=False,
        completed_at_time__gte=since,
    )
    shape = history.aggregate(n=Count("pk"), last=Max("completed_at_time"))
    key = (restaurant.pk, since, shape["n"], shape["last"], restaurant.avg_dine_in_duration_minutes)
    with _learned_lock:
        if key in _learned:
            _learned.move_to_end(key)
            return _learned[key]
    rows = history.order_by("-completed_at_time").values_list(
        "party_size", "seated_at_time", "completed_at_time"
    )[:HISTORY_LIMIT]
    sittings = [
        estimates.Sitting(size, seated, (completed - seated).total_seconds() / 60)
        for size, seated, completed in rows
    ]
    learned = estimates.DiningTimes(
        sittings, restaurant.avg_dine_in_duration_minutes, tz=timezone.get_current_timezone()
    )
    with _learned_lock:
        _learned[key] = learned
        while len(_learned) > _LEARNED_KEEP:
            _learned.popitem(last=False)
    return learned


def active_orders(restaurant, *, with_items=False):
    """The restaurant's active parties, each with `longest_prep` (minutes of its slowest
    dish; None when it ordered nothing). One query (two with the items)."""
    orders = Order.objects.filter(restaurant=restaurant, status__in=ACTIVE_STATUSES).annotate(
        longest_prep=Max("items__menu_item__estimated_prep_time_minutes")
    )
    if with_items:
        orders = orders.prefetch_related(
            Prefetch("items", queryset=OrderItem.objects.select_related("menu_item"))
        )
    return list(orders)


def food_ready_from(order, restaurant):
    """The earliest the party's food can be on the pass, plated: from when the kitchen
    started it (not started yet: from when the party joined, since the kitchen could have
    started then), its slowest dish plus the plating buffer. None when it ordered nothing.

    Anchored on times already in the database, so a kitchen that never presses the button
    delays nobody beyond that."""
    prep = getattr(order, "longest_prep", None)
    if prep is None:
        return None
    start = order.fired_at or order.joined_at
    return start + timedelta(minutes=prep + restaurant.plating_buffer_minutes)


def fire_at(expected_arrival, longest_prep_minutes, restaurant):
    """When the kitchen should start a ticket: so the food is plated just as the party walks
    in (its expected arrival minus its slowest dish, minus the plating buffer)."""
    if expected_arrival is None:
        return None
    return expected_arrival - timedelta(
        minutes=longest_prep_minutes + restaurant.plating_buffer_minutes
    )


def travel_minutes(order, restaurant):
    """How long a party needs to get here once told: what it said, or the house default."""
    if order.travel_minutes is not None:
        return order.travel_minutes
    return restaurant.default_travel_minutes


@dataclass
class Plan:
    """Everyone in line with a projected table, and what a newcomer would be quoted."""

    restaurant: object
    now: object
    tables: list
    times: estimates.DiningTimes
    table_states: list
    line: list  # PartyInLine for heading-over parties, then the queue
    seatings: dict = field(default_factory=dict)  # order pk -> Seating or None
    planner_after_line: estimates.SeatingPlanner = None

    def wait_minutes(self, order):
        seating = self.seatings.get(order.pk)
        return None if seating is None else estimates.minutes_until(seating.seat_at, self.now)

    def table_free_minutes(self, order):
        seating = self.seatings.get(order.pk)
        return None if seating is None else estimates.minutes_until(seating.table_free_at, self.now)

    @property
    def notify_rule(self):
        return estimates.NotifyRule(self.restaurant.notify_buffer_minutes)

    def is_due(self, order):
        """Should this waiting party be told to head over now?"""
        return self.notify_rule.is_due(
            self.seatings.get(order.pk),
            travel_minutes(order, self.restaurant),
            self.now,
            food_ready=food_ready_from(order, self.restaurant),
        )

    def food_is_what_it_waits_for(self, order):
        """True when the party's table is free (or freeing) but its food is not: it will be
        told to come once the food is nearly ready."""
        seating = self.seatings.get(order.pk)
        food = food_ready_from(order, self.restaurant)
        return bool(seating and food and food > seating.table_free_at and food > self.now)

    def projected_arrival(self, order):
        """When the party is expected to walk in: its target arrival once told to come; for
        a party still waiting, when the notify rule will tell it (its table free within its
        trip plus the buffer, its food plated by the time it gets here; never before now)
        plus its trip."""
        if order.status in HEADING_OVER_STATUSES:
            return order.target_arrival_time
        seating = self.seatings.get(order.pk)
        if order.status != OrderStatus.IN_QUEUE or seating is None:
            return None
        trip = timedelta(minutes=travel_minutes(order, self.restaurant))
        buffer = timedelta(minutes=self.restaurant.notify_buffer_minutes)
        food = food_ready_from(order, self.restaurant)
        arrival = max(self.now + trip, seating.table_free_at - buffer)
        return max(arrival, food) if food else arrival

    def newcomer(self, party_size, travel=0, longest_prep=None):
        """The Seating a party of this size joining now (travel minutes away, its slowest
        dish taking `longest_prep` minutes) would get."""
        lead = travel
        if longest_prep is not None:
            lead = max(lead, longest_prep + self.restaurant.plating_buffer_minutes)
        newcomer = estimates.PartyInLine("newcomer", party_size, self.now + timedelta(minutes=lead))
        # One more step from where the line left the tables: the same as planning the whole
        # line again with the newcomer at the back.
        return self.planner_after_line.copy().seat(newcomer)

    def newcomer_wait(self, party_size, travel=0, longest_prep=None):
        seating = self.newcomer(party_size, travel, longest_prep)
        return None if seating is None else estimates.minutes_until(seating.seat_at, self.now)

    def largest_table(self):
        return max((t.seats for t in self.tables), default=0)


def plan(restaurant, active_orders, now, *, tables=None, times=None):
    """Project the line: `active_orders` are the restaurant's active Order rows (any order).

    Queries: the tables (unless given) and the history (unless it changed). Who sits at
    which table comes from `active_orders`, which hold every seated party."""
    if tables is None:
        tables = list(DiningTable.objects.filter(restaurant=restaurant).order_by("number"))
    times = dining_times(restaurant, now) if times is None else times
    seated_by_table = {o.table_id: o for o in active_orders if o.status == OrderStatus.READY}
    free, occupied = [], []
    for table in tables:
        party = seated_by_table.get(table.pk)
        if party is not None:
            occupied.append((table.pk, table.seats, party.party_size, party.seated_at_time))
        elif table.walk_in:
            occupied.append(
                (table.pk, table.seats, table.walk_in_party_size, table.walk_in_seated_at)
            )
        else:
            free.append((table.pk, table.seats))
    states = estimates.table_states(occupied, free, times, now)

    # Parties told to come take tables in the order they will be at the door (a party
    # checked in is there now), as a host seats whoever is waiting first.
    heading = sorted(
        (o for o in active_orders if o.status in HEADING_OVER_STATUSES),
        key=lambda o: (o.arrived_at or o.target_arrival_time or now, o.notified_at or now, o.pk),
    )
    # A party more than half its grace period late loses its place: its table goes to the
    # next party in line, and it is seated if it turns up and a table is free. So does one
    # released for not confirming it was on its way (services._release_unconfirmed).
    late_after = timedelta(minutes=restaurant.arrival_grace_minutes / 2)
    late = [
        o for o in heading
        if o.arrived_at is None
        and (
            o.released_at is not None
            or (o.target_arrival_time and now > o.target_arrival_time + late_after)
        )
    ]
    heading = [o for o in heading if o not in late]
    waiting = sorted(
        (o for o in active_orders if o.status == OrderStatus.IN_QUEUE),
        key=lambda o: o.queue_position,
    )
    line = [
        estimates.PartyInLine(
            o.pk, o.party_size, now if o.arrived_at else max(now, o.target_arrival_time or now)
        )
        for o in heading
    ]
    for o in waiting:
        # A waiting party sits no sooner than it can get here once told, nor before its
        # food can be ready for it.
        ready = now + timedelta(minutes=travel_minutes(o, restaurant))
        food = food_ready_from(o, restaurant)
        line.append(estimates.PartyInLine(o.pk, o.party_size, max(ready, food or ready)))
    line += [estimates.PartyInLine(o.pk, o.party_size, now) for o in late]
    result = Plan(restaurant, now, tables, times, states, line)
    planner = estimates.SeatingPlanner(states, times, now)
    result.seatings = {party.key: planner.seat(party) for party in line}
    result.planner_after_line = planner
    return result
