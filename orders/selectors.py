"""Read-side queries for the screens. Each screen's state is built with a fixed number of
queries, however long the queue is.

A diner's live pieces (their status, place, wait, kitchen note and actions) are small frozen
values: a piece's HTML depends on its value alone, so two diners with the same value share
one rendering, and a piece whose value did not change is not sent again."""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, F, Q

from . import clock, estimates, timing
from .models import (
    ACTIVE_STATUSES,
    COURSE_ORDER,
    HEADING_OVER_STATUSES,
    PAST_VISIT_CODE,
    DiningTable,
    MenuItem,
    Order,
    OrderStatus,
    RestaurantProfile,
)


def restaurants_for(user):
    """The restaurants a staff member may run (superusers: all)."""
    qs = RestaurantProfile.objects.all()
    if not user.is_superuser:
        qs = qs.filter(staff=user)
    return qs.order_by("name")


def open_restaurants():
    return RestaurantProfile.objects.filter(accepting_joins=True).annotate(
        waiting=Count("orders", filter=Q(orders__status=OrderStatus.IN_QUEUE))
    )


def restaurants_with_active_parties():
    """Ids of the restaurants with someone waiting, on the way or seated: the ones whose
    screens and timing rules move with the clock."""
    return list(
        Order.objects.filter(status__in=ACTIVE_STATUSES)
        .values_list("restaurant_id", flat=True)
        .distinct()
        .order_by("restaurant_id")
    )


# The published quote accuracy: parties seated within this many minutes of their quote, over
# the last ACCURACY_DAYS days, shown once at least ACCURACY_MIN_PARTIES were seated (fewer
# would make a percentage that swings on one party).
ACCURACY_MINUTES = 5
ACCURACY_DAYS = 7
ACCURACY_MIN_PARTIES = 30


@dataclass(frozen=True)
class QuoteAccuracy:
    seated: int
    within: int  # seated within ACCURACY_MINUTES of their quote, early or late

    @property
    def percent(self):
        return round(100 * self.within / self.seated) if self.seated else None

    @property
    def publishable(self):
        return self.seated >= ACCURACY_MIN_PARTIES


def quote_accuracy(restaurant, start, end):
    """How many parties sat down in [start, end), and how many of them within
    ACCURACY_MINUTES of the wait they were quoted. One aggregate query. Past visits imported
    from before ReadyTable were never quoted and do not count."""
    within = Q(
        actual_wait_minutes__lte=F("quoted_wait_minutes") + ACCURACY_MINUTES,
        actual_wait_minutes__gte=F("quoted_wait_minutes") - ACCURACY_MINUTES,
    )
    figures = (
        Order.objects.filter(
            restaurant=restaurant,
            seated_at_time__gte=start,
            seated_at_time__lt=end,
            actual_wait_minutes__isnull=False,
        )
        .exclude(order_code=PAST_VISIT_CODE)
        .aggregate(seated=Count("pk"), within=Count("pk", filter=within))
    )
    return QuoteAccuracy(seated=figures["seated"], within=figures["within"])


def published_quote_accuracy(restaurant, now=None, *, accuracy=None):
    """The figure the restaurant page shows diners ("Last 7 days: N% of parties were seated
    within 5 minutes of their quote"), or None: hidden by the restaurant's setting (no query
    then), or too few parties seated to say. `accuracy`: the last ACCURACY_DAYS' figure up to
    `now`, when the caller has read it already (no query then either)."""
    if not restaurant.publish_quote_accuracy:
        return None
    if accuracy is None:
        now = now or clock.now()
        accuracy = quote_accuracy(restaurant, now - timedelta(days=ACCURACY_DAYS), now)
    return accuracy if accuracy.publishable else None


def table_sizes(restaurant):
    """[(seats, number of tables)] of a restaurant's room, smallest first."""
    return list(
        DiningTable.objects.filter(restaurant=restaurant)
        .values("seats")
        .annotate(n=Count("pk"))
        .order_by("seats")
        .values_list("seats", "n")
    )


def menu_for(restaurant):
    """The dishes a diner can order, by course (starters first), then by name."""
    items = MenuItem.objects.filter(restaurant=restaurant, available=True).order_by("name")
    return sorted(items, key=lambda item: COURSE_ORDER.get(item.course, len(COURSE_ORDER)))


def _minutes_between(start, end):
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() // 60))


@dataclass
class QueueSnapshot:
    """A restaurant's whole evening at one moment: what the host stand shows."""

    restaurant: RestaurantProfile
    now: datetime
    requests: list = field(default_factory=list)  # REQUESTED (asked to join), oldest first
    waiting: list = field(default_factory=list)  # IN_QUEUE by position
    heading_over: list = field(default_factory=list)  # notified, not seated, by target arrival
    seated: list = field(default_factory=list)  # READY, by seated time
    tables: list = field(default_factory=list)  # DiningTable rows, by number, with occupants
    waits_by_size: list = field(default_factory=list)  # [(largest party, minutes or None)]
    next_joiner_wait: int = 0
    learned_from: int = 0  # past sittings the dining times were learned from
    orders: list = field(default_factory=list)  # every active party, as read
    plan: object = None  # timing.Plan: who sits where and when

    @property
    def waiting_count(self):
        return len(self.waiting)

    @property
    def head(self):
        return self.waiting[0] if self.waiting else None

    @property
    def free_tables(self):
        return sum(1 for t in self.tables if t.state == "free")

    @property
    def walk_in_tables(self):
        return sum(1 for t in self.tables if t.state == "walk_in")

    @property
    def due_now(self):
        """Waiting parties whose table is about to free: tell them to head over now."""
        return [o for o in self.waiting if o.due_now]

    @property
    def late(self):
        return [o for o in self.heading_over if o.arrival_overdue]


# Readers other apps add to every snapshot (messaging/: each party's last message), so a
# screen shows what they keep without orders/ knowing about them. Each is called with the
# snapshot once it is built and must read with a fixed number of queries, whatever the
# queue's length (one query for every party at once, never one per party).
_snapshot_readers = []


def add_snapshot_reader(reader):
    """Register `reader(snap)`, called at the end of every queue_snapshot."""
    if reader not in _snapshot_readers:
        _snapshot_readers.append(reader)


def queue_snapshot(restaurant_or_id, *, with_items=False, now=None, with_readers=True):
    """Read a restaurant, its tables and its active parties, with each party's projection.

    Six queries (seven with items), whatever the queue's length, plus the snapshot readers'
    (`with_readers=False` leaves them out, for screens that show nothing of theirs).
    """
    now = now or clock.now()
    pk = getattr(restaurant_or_id, "pk", restaurant_or_id)
    restaurant = RestaurantProfile.objects.get(pk=pk)
    orders = timing.active_orders(restaurant, with_items=with_items)
    tables = list(DiningTable.objects.filter(restaurant=restaurant).order_by("number"))
    requests = list(
        Order.objects.filter(restaurant=restaurant, status=OrderStatus.REQUESTED).order_by("joined_at", "pk")
    )
    for order in requests:
        order.restaurant = restaurant
        order.waited_minutes = _minutes_between(order.joined_at, now)
    snap = QueueSnapshot(restaurant=restaurant, now=now, tables=tables, requests=requests)
    for order in orders:
        order.restaurant = restaurant
        if order.status == OrderStatus.IN_QUEUE:
            snap.waiting.append(order)
        elif order.status in HEADING_OVER_STATUSES:
            snap.heading_over.append(order)
        else:
            snap.seated.append(order)
    snap.waiting.sort(key=lambda o: o.queue_position)
    snap.heading_over.sort(key=lambda o: (o.target_arrival_time or now, o.pk))
    snap.seated.sort(key=lambda o: (o.seated_at_time or now, o.pk))

    plan = timing.plan(restaurant, orders, now, tables=tables)
    snap.orders, snap.plan = orders, plan
    snap.learned_from = plan.times.sample_count
    seated_at = {o.table_id: o for o in snap.seated}
    tables_by_pk = {t.pk: t for t in tables}
    free_at = {state.key: state.free_at for state in plan.table_states}
    for table in tables:
        table.seated_party = seated_at.get(table.pk)
        table.state = "party" if table.seated_party else "walk_in" if table.walk_in else "free"
        since = table.seated_party.seated_at_time if table.seated_party else table.walk_in_seated_at
        table.occupied_minutes = _minutes_between(since, now)
        table.frees_in_minutes = (
            estimates.minutes_until(free_at[table.pk], now) if table.state != "free" else 0
        )
    for order in snap.seated:
        # From the tables already read, so a screen showing "T4" costs no query per party.
        order.table = tables_by_pk.get(order.table_id)
    free_tables = sorted((t for t in tables if t.state == "free"), key=lambda t: (t.seats, t.number))
    for order in orders:
        order.waited_minutes = _minutes_between(order.joined_at, now)
        order.seated_minutes = _minutes_between(order.seated_at_time, now)
        order.estimated_wait_minutes = plan.wait_minutes(order)
        seating = plan.seatings.get(order.pk)
        order.projected_table = tables_by_pk.get(seating.table_key) if seating else None
        if order.status in HEADING_OVER_STATUSES:
            # Where the host may seat them now: the free tables that fit, smallest first.
            fits = [t for t in free_tables if t.seats >= order.party_size]
            # "Seat" seats them at the table they are expected at when it is free, else at
            # the smallest free table that fits; the host may pick any of the others.
            expected = order.projected_table
            order.seat_at = expected if expected in fits else (fits[0] if fits else None)
            order.other_tables = [t for t in fits if t is not order.seat_at]
        order.due_now = order.status == OrderStatus.IN_QUEUE and plan.is_due(order)
        order.waiting_for_food = order.status == OrderStatus.IN_QUEUE and (
            plan.food_is_what_it_waits_for(order)
        )
        order.arrival_overdue = bool(
            order.status in HEADING_OVER_STATUSES
            and order.arrived_at is None
            and order.target_arrival_time
            and now > order.target_arrival_time + timedelta(minutes=restaurant.arrival_grace_minutes)
        )
        # "Confirmed 19:32" or "not confirmed yet · 6 min" since the call.
        order.minutes_since_called = (
            _minutes_between(order.notified_at, now) if order.status in HEADING_OVER_STATUSES else None
        )
    sizes = sorted({t.seats for t in tables})
    snap.waits_by_size = [(seats, plan.newcomer_wait(seats)) for seats in sizes]
    smallest_party = min(2, sizes[-1]) if sizes else 1
    snap.next_joiner_wait = plan.newcomer_wait(smallest_party) if sizes else None
    for reader in _snapshot_readers if with_readers else ():
        reader(snap)
    return snap


# A waiting party's ticket shows on the kitchen display this long before it should be fired.
KITCHEN_LOOKAHEAD_MINUTES = 15


@dataclass
class KitchenTicket:
    order: Order
    items: list
    fire_at: datetime | None
    longest_prep_minutes: int
    should_have_fired: bool
    minutes_to_fire: int | None  # negative once the fire time has passed; None once fired
    expected_arrival: datetime | None
    called: bool  # the party has been told to head over

    @property
    def fired(self):
        return self.order.fired_at is not None

    @property
    def minutes_late(self):
        """Whole minutes past its fire time, for a ticket not started yet (else 0)."""
        return -self.minutes_to_fire if self.minutes_to_fire and self.minutes_to_fire < 0 else 0


def _minutes_to(moment, now):
    """Whole minutes until `moment`, rounded up while it is ahead ("in 1 min" with 40 seconds
    to go), and minus the whole minutes since it passed."""
    seconds = (moment - now).total_seconds()
    return math.ceil(seconds / 60) if seconds > 0 else -math.floor(-seconds / 60)


def kitchen_tickets(restaurant, now=None):
    """The kitchen's tickets, in the order they should be fired. Six queries."""
    return kitchen_tickets_from(queue_snapshot(restaurant, with_items=True, now=now, with_readers=False))


def kitchen_tickets_from(snap):
    """The kitchen's tickets from a snapshot read `with_items`, in the order they should be
    fired: every party told to head over, and every party still waiting whose food takes
    longer than its trip, once its projected fire time is near (or the kitchen already
    started it)."""
    now, restaurant, plan = snap.now, snap.restaurant, snap.plan
    lookahead = now + timedelta(minutes=KITCHEN_LOOKAHEAD_MINUTES)
    tickets = []
    for order in snap.orders:
        if order.status == OrderStatus.READY:
            continue
        items = list(order.items.all())
        longest = max((i.menu_item.estimated_prep_time_minutes for i in items), default=0)
        arrival = plan.projected_arrival(order)
        fire = timing.fire_at(arrival, longest, restaurant)
        called = order.status in HEADING_OVER_STATUSES
        if not called and order.fired_at is None and (not items or fire is None or fire > lookahead):
            continue
        not_started = order.fired_at is None and order.status != OrderStatus.PREPARING
        tickets.append(
            KitchenTicket(
                order=order,
                items=items,
                fire_at=fire,
                longest_prep_minutes=longest,
                should_have_fired=bool(fire and now >= fire and not_started),
                minutes_to_fire=_minutes_to(fire, now) if fire and not_started else None,
                expected_arrival=arrival,
                called=called,
            )
        )
    tickets.sort(key=lambda t: (t.fire_at or now, t.order.pk))
    return tickets


@dataclass
class DinerView:
    order: Order
    items: list
    total: object
    position: int | None
    parties_ahead: int | None
    estimated_wait_minutes: int | None


def _diner_view(order, estimated, items=None):
    position = order.queue_position if order.status == OrderStatus.IN_QUEUE else None
    return DinerView(
        order=order,
        items=items,
        total=sum((line.line_total for line in items), start=0) if items is not None else None,
        position=position,
        parties_ahead=(position - 1) if position else None,
        estimated_wait_minutes=estimated,
    )


def diner_view(token, now=None):
    """What one diner's tracking page shows. Raises Order.DoesNotExist for an unknown token."""
    order = Order.objects.select_related("restaurant").get(public_token=token)
    items = list(order.items.select_related("menu_item"))
    estimated = None
    if order.status == OrderStatus.IN_QUEUE or order.status in HEADING_OVER_STATUSES:
        snap = queue_snapshot(order.restaurant, now=now, with_readers=False)
        for party in snap.waiting + snap.heading_over:
            if party.pk == order.pk:
                estimated = getattr(party, "estimated_wait_minutes", None)
                order.queue_position = party.queue_position
                order.status = party.status
                break
    return _diner_view(order, estimated, items)


# ---------------------------------------------------------------------------------------
# The live pieces of a diner's page


STEP_LABELS = ("In the queue", "Head over", "Seated", "Done")


def _step(status):
    """Where the party is on the diner's four-step indicator (0 when it ended early)."""
    if status == OrderStatus.IN_QUEUE:
        return 1
    if status in HEADING_OVER_STATUSES:
        return 2
    if status == OrderStatus.READY:
        return 3
    if status == OrderStatus.COMPLETED:
        return 4
    return 0


@dataclass(frozen=True)
class DinerStatus:
    """The banner: waiting, head over now (with the time to be there), seated, or ended."""

    code: str
    status: str
    target_arrival: datetime | None
    restaurant_name: str
    restaurant_slug: str
    restaurant_phone: str = ""

    step_labels = STEP_LABELS

    @property
    def heading_over(self):
        return self.status in HEADING_OVER_STATUSES

    @property
    def step(self):
        return _step(self.status)

    @property
    def title(self):
        return f"{'Head over now! · ' if self.heading_over else ''}{self.code} · {self.restaurant_name}"


@dataclass(frozen=True)
class DinerPosition:
    """The party's place in the queue (None once it is no longer waiting)."""

    position: int | None

    @property
    def parties_ahead(self):
        return None if self.position is None else self.position - 1


@dataclass(frozen=True)
class DinerWait:
    """Minutes until the party is projected to sit down (None: not known)."""

    minutes: int | None


@dataclass(frozen=True)
class DinerKitchenNote:
    kitchen_started: bool


@dataclass(frozen=True)
class DinerActions:
    """"Leave the queue", or, once the kitchen has the party's ticket in hand or has started
    its food, why it cannot leave from the page and the number to call; and the answers to
    "head over now": on my way, running late."""

    can_leave: bool
    token: str
    kitchen_has_it: bool = False
    kitchen_started: bool = False
    restaurant_name: str = ""
    restaurant_phone: str = ""
    can_answer: bool = False  # told to head over and not here yet
    confirmed_at: datetime | None = None
    late_by: int | None = None  # minutes after the time first asked, if the party said so


@dataclass(frozen=True)
class DinerScreen:
    """Everything on a diner's page that changes while they watch it, piece by piece."""

    status: DinerStatus
    position: DinerPosition
    wait: DinerWait
    kitchen: DinerKitchenNote
    actions: DinerActions


def _late_by(order):
    """Minutes the party said it would be late by (its target moved past the time first
    asked), or None."""
    if not order.is_heading_over or order.notified_at is None or order.target_arrival_time is None:
        return None
    asked_for = order.notified_at + timedelta(minutes=timing.travel_minutes(order, order.restaurant))
    late = round((order.target_arrival_time - asked_for).total_seconds() / 60)
    return late if late > 0 else None


def diner_screen(view):
    """The live pieces of one diner's page, from a DinerView."""
    order = view.order
    restaurant = order.restaurant
    waiting = order.status == OrderStatus.IN_QUEUE
    return DinerScreen(
        status=DinerStatus(
            code=order.order_code,
            status=str(order.status),
            target_arrival=order.target_arrival_time if order.is_heading_over else None,
            restaurant_name=restaurant.name,
            restaurant_slug=restaurant.slug,
            restaurant_phone=restaurant.phone,
        ),
        position=DinerPosition(view.position if waiting else None),
        wait=DinerWait(view.estimated_wait_minutes if waiting else None),
        kitchen=DinerKitchenNote(bool(waiting and order.fired_at)),
        actions=DinerActions(
            can_leave=order.can_leave,
            token=order.public_token,
            # Only while the party is still on its way: once seated or gone, nothing to say.
            kitchen_has_it=order.kitchen_has_it and not order.is_final and order.status != OrderStatus.READY,
            kitchen_started=order.fired_at is not None or order.status == OrderStatus.PREPARING,
            restaurant_name=restaurant.name,
            restaurant_phone=restaurant.phone,
            can_answer=order.is_heading_over and order.arrived_at is None,
            confirmed_at=order.confirmed_at if order.is_heading_over else None,
            late_by=_late_by(order),
        ),
    )


def diner_screens_from_snapshot(snap, order_ids=None):
    """{order id: DinerScreen} of the parties in a snapshot (asking to join, waiting,
    notified, seated), or of those of them in `order_ids`."""
    parties = snap.requests + snap.waiting + snap.heading_over + snap.seated
    if order_ids is not None:
        wanted = set(order_ids)
        parties = [order for order in parties if order.pk in wanted]
    return {
        order.pk: diner_screen(_diner_view(order, getattr(order, "estimated_wait_minutes", None)))
        for order in parties
    }


def diner_screens_for_orders(order_ids):
    """DinerScreens of orders that may no longer be active (seated, left, no-show...).
    One query."""
    orders = Order.objects.select_related("restaurant").filter(pk__in=list(order_ids))
    return {order.pk: diner_screen(_diner_view(order, None)) for order in orders}
