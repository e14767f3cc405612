"""Replays a whole service through the real orders/ services with a controlled clock, and
measures what ReadyTable promises: accurate quotes, nobody waiting in the lobby, no table
standing empty while someone could sit at it, and food ready when the party sits down.

The scenario (README "Simulator") says who comes when, how far away they are, what they
order, and the truth the estimator never sees: how long each party really stays and who
never turns up. Time moves a minute at a time through `orders.clock`; nothing sleeps and
nothing reads the wall clock.

Two policies play the same evening:
- "readytable": quotes from the projection, parties told to head over by the timing rules
  (auto notify and auto no-show on), each ticket fired at its fire-at time.
- "seed": the original description's formula for the quote, a party told to come only when a
  table that fits it is already free, and the kitchen firing as the party is notified.
Both seat a party once it has arrived and a fitting table is free, and mark a no-show once
it is past its target arrival plus the grace period.
"""

import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from . import clock, estimates, selectors, services
from .models import (
    HEADING_OVER_STATUSES,
    DiningTable,
    MenuItem,
    Order,
    OrderStatus,
    RestaurantProfile,
)

POLICIES = ("readytable", "seed")
# Service happens on a fixed date so runs are repeatable; history is the evening before.
SERVICE_DATE = (2026, 3, 6)
DEFAULT_START = 18 * 60
# A service that has not finished a day after its last party joined is a broken scenario.
MAX_OVERRUN_MINUTES = 24 * 60
METRIC_KEYS = (
    "parties",
    "seated",
    "no_shows",
    "quote_mae_minutes",
    "quote_p90_abs_error_minutes",
    "mean_lobby_wait_minutes",
    "mean_table_idle_minutes",
    "food_ready_at_seating_pct",
)


class ScenarioError(ValueError):
    """A scenario the simulator refuses; the message names the field."""


# ---------------------------------------------------------------------------------------
# Reading and checking a scenario


def _field(data, key, path, kind, *, minimum=None, maximum=None, default=..., integer=False):
    here = f"{path}.{key}" if path else key
    if key not in data:
        if default is ...:
            raise ScenarioError(f"{here}: missing")
        return default
    value = data[key]
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScenarioError(f"{here}: must be a number, not {value!r}")
        if integer and value != int(value):
            raise ScenarioError(f"{here}: must be a whole number, not {value!r}")
        if minimum is not None and value < minimum:
            raise ScenarioError(f"{here}: must be at least {minimum}, not {value!r}")
        if maximum is not None and value > maximum:
            raise ScenarioError(f"{here}: must be at most {maximum}, not {value!r}")
        return int(value) if integer else value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ScenarioError(f"{here}: must be true or false, not {value!r}")
        return value
    if kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise ScenarioError(f"{here}: must be a non-empty text, not {value!r}")
        return value.strip()
    if kind == "list":
        if not isinstance(value, list):
            raise ScenarioError(f"{here}: must be a list")
        return value
    if kind == "object":
        if not isinstance(value, dict):
            raise ScenarioError(f"{here}: must be an object")
        return value
    raise AssertionError(kind)


@dataclass
class Party:
    id: str
    join: int
    party_size: int
    travel_minutes: int | None
    dine_minutes: int
    items: dict
    no_show: bool
    # Minutes after "head over now" the party answers "on my way" (None: never answers).
    confirm_after: int | None = None


@dataclass
class Scenario:
    name: str
    tables: dict  # seats -> count
    avg_dine_in_duration_minutes: int
    default_travel_minutes: int
    grace_minutes: int
    notify_buffer_minutes: int
    plating_buffer_minutes: int
    start: int  # minute of the day the service starts
    menu: list  # (name, prep minutes, price)
    history: list  # (party size, dine minutes, start minute of day)
    occupied_at_start: list  # (seats, party size, seated minutes ago, dine minutes)
    parties: list = field(default_factory=list)
    # The restaurant's "release unconfirmed parties after N minutes" (None: off).
    release_after: int | None = None


def load_scenario(data, name="scenario"):
    """Check a scenario (parsed JSON) and return a Scenario, or raise ScenarioError naming
    the field that is wrong."""
    if not isinstance(data, dict):
        raise ScenarioError("scenario: must be a JSON object")
    room = _field(data, "restaurant", "", "object")
    tables = {}
    for i, row in enumerate(_field(room, "tables", "restaurant", "list")):
        path = f"restaurant.tables[{i}]"
        if not isinstance(row, dict):
            raise ScenarioError(f"{path}: must be an object")
        seats = _field(row, "seats", path, "number", minimum=1, maximum=30, integer=True)
        count = _field(row, "count", path, "number", minimum=1, maximum=200, integer=True)
        tables[seats] = tables.get(seats, 0) + count
    if not tables:
        raise ScenarioError("restaurant.tables: needs at least one table")
    largest = max(tables)
    scenario = Scenario(
        name=name,
        tables=tables,
        avg_dine_in_duration_minutes=_field(
            room, "avg_dine_in_duration_minutes", "restaurant", "number",
            minimum=5, maximum=600, integer=True,
        ),
        default_travel_minutes=_field(
            room, "default_travel_minutes", "restaurant", "number",
            minimum=0, maximum=services.MAX_TRAVEL_MINUTES, integer=True, default=10,
        ),
        grace_minutes=_field(
            room, "grace_minutes", "restaurant", "number", minimum=0, maximum=120,
            integer=True, default=10,
        ),
        notify_buffer_minutes=_field(
            room, "notify_buffer_minutes", "restaurant", "number", minimum=0, maximum=30,
            integer=True, default=RestaurantProfile._meta.get_field("notify_buffer_minutes").default,
        ),
        plating_buffer_minutes=_field(
            room, "plating_buffer_minutes", "restaurant", "number", minimum=0, maximum=30,
            integer=True, default=RestaurantProfile._meta.get_field("plating_buffer_minutes").default,
        ),
        start=_field(data, "start", "", "number", minimum=0, maximum=1439, integer=True,
                     default=DEFAULT_START),
        release_after=_field(
            room, "release_unconfirmed_after_minutes", "restaurant", "number", minimum=1,
            maximum=120, integer=True, default=None,
        ) if room.get("release_unconfirmed_after_minutes") is not None else None,
        menu=[],
        history=[],
        occupied_at_start=[],
    )
    names = set()
    for i, row in enumerate(_field(data, "menu", "", "list")):
        path = f"menu[{i}]"
        if not isinstance(row, dict):
            raise ScenarioError(f"{path}: must be an object")
        item_name = _field(row, "name", path, "text")
        if item_name in names:
            raise ScenarioError(f"{path}.name: {item_name!r} is on the menu twice")
        names.add(item_name)
        prep = _field(row, "prep_minutes", path, "number", minimum=0, maximum=240, integer=True)
        try:
            price = Decimal(str(row.get("price", "0")))
        except InvalidOperation:
            raise ScenarioError(f"{path}.price: must be a price like \"14.50\"") from None
        if not price.is_finite() or price < 0:
            raise ScenarioError(f"{path}.price: must be a price like \"14.50\"")
        scenario.menu.append((item_name, prep, price))
    for i, row in enumerate(_field(data, "history", "", "list", default=[])):
        path = f"history[{i}]"
        if not isinstance(row, dict):
            raise ScenarioError(f"{path}: must be an object")
        scenario.history.append(
            (
                _field(row, "party_size", path, "number", minimum=1, maximum=100, integer=True),
                _field(row, "dine_minutes", path, "number", minimum=1, maximum=1440, integer=True),
                _field(row, "start", path, "number", minimum=0, maximum=1439, integer=True),
            )
        )
    taken = {}
    for i, row in enumerate(_field(data, "occupied_at_start", "", "list", default=[])):
        path = f"occupied_at_start[{i}]"
        if not isinstance(row, dict):
            raise ScenarioError(f"{path}: must be an object")
        seats = _field(row, "seats", path, "number", minimum=1, integer=True)
        if seats not in tables:
            raise ScenarioError(f"{path}.seats: the room has no table of {seats}")
        taken[seats] = taken.get(seats, 0) + 1
        if taken[seats] > tables[seats]:
            raise ScenarioError(f"{path}.seats: more tables of {seats} taken than the room has")
        party_size = _field(row, "party_size", path, "number", minimum=1, maximum=seats,
                            integer=True, default=seats)
        scenario.occupied_at_start.append(
            (
                seats,
                party_size,
                _field(row, "seated_minutes_ago", path, "number", minimum=0, maximum=1440,
                       integer=True),
                _field(row, "dine_minutes", path, "number", minimum=1, maximum=1440, integer=True),
            )
        )
    ids = set()
    for i, row in enumerate(_field(data, "parties", "", "list")):
        path = f"parties[{i}]"
        if not isinstance(row, dict):
            raise ScenarioError(f"{path}: must be an object")
        party_id = str(_field(row, "id", path, "text", default=f"party-{i + 1}"))
        if party_id in ids:
            raise ScenarioError(f"{path}.id: {party_id!r} is used twice")
        ids.add(party_id)
        size = _field(row, "party_size", path, "number", minimum=1, integer=True)
        if size > largest:
            raise ScenarioError(
                f"{path}.party_size: {size} is larger than every table (the largest seats {largest})"
            )
        items = _field(row, "items", path, "object", default={})
        for dish, quantity in items.items():
            if dish not in names:
                raise ScenarioError(f"{path}.items: unknown menu item {dish!r}")
            if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 50:
                raise ScenarioError(f"{path}.items.{dish}: quantity must be a whole number 1-50")
        scenario.parties.append(
            Party(
                id=party_id,
                join=_field(row, "join", path, "number", minimum=0, maximum=1440, integer=True),
                party_size=size,
                travel_minutes=_field(
                    row, "travel_minutes", path, "number", minimum=0,
                    maximum=services.MAX_TRAVEL_MINUTES, integer=True, default=None,
                ),
                dine_minutes=_field(row, "dine_minutes", path, "number", minimum=1,
                                    maximum=1440, integer=True),
                items=dict(items),
                no_show=_field(row, "no_show", path, "bool", default=False),
                confirm_after=(
                    None if row.get("confirm_after_minutes") is None
                    else _field(row, "confirm_after_minutes", path, "number", minimum=0,
                                maximum=240, integer=True)
                ),
            )
        )
    if not scenario.parties:
        raise ScenarioError("parties: needs at least one party")
    scenario.parties.sort(key=lambda p: p.join)
    return scenario


# ---------------------------------------------------------------------------------------
# Playing the evening


@dataclass
class PlayedParty:
    spec: Party
    order_id: int
    quote: float
    longest_prep: int
    joined: int
    notified: int | None = None
    arrived: int | None = None
    seated: int | None = None
    fired: int | None = None
    no_show: bool = False
    confirmed: bool = False


@dataclass
class FreedTable:
    """A table from the moment its party leaves until the next party sits at it."""

    table_id: int
    seats: int
    idle: int = 0
    open: bool = True


class Evening:
    """One policy playing one scenario on the database the caller set up."""

    def __init__(self, scenario, policy):
        if policy not in POLICIES:
            raise ScenarioError(f"policy: must be one of {', '.join(POLICIES)}")
        self.scenario = scenario
        self.policy = policy
        tz = timezone.get_current_timezone()
        day = datetime(*SERVICE_DATE, tzinfo=tz)
        self.midnight = day
        self.opening = day + timedelta(minutes=scenario.start)
        self.clock = clock.ManualClock(self.opening)
        self.parties = {}  # order id -> PlayedParty
        self.departures = {}  # minute -> [("order", id) | ("walk_in", table id)]
        self.freed = []  # FreedTable episodes
        self.open_episodes = {}  # table id -> FreedTable

    def at(self, minute):
        return self.opening + timedelta(minutes=minute)

    def minute(self, moment):
        return round((moment - self.opening).total_seconds() / 60)

    # -- set-up -------------------------------------------------------------------------

    def set_up(self):
        s = self.scenario
        self.restaurant = RestaurantProfile.objects.create(
            name=f"{s.name} ({self.policy})",
            slug=f"sim-{self.policy}-{RestaurantProfile.objects.count() + 1}",
            total_tables=0,
            max_party_size=max(s.tables),
            avg_dine_in_duration_minutes=s.avg_dine_in_duration_minutes,
            default_travel_minutes=s.default_travel_minutes,
            arrival_grace_minutes=s.grace_minutes,
            notify_buffer_minutes=s.notify_buffer_minutes,
            plating_buffer_minutes=s.plating_buffer_minutes,
            order_required=False,
        )
        services.set_up_tables(self.restaurant.pk, s.tables, services.SYSTEM)
        self.menu = {
            name: MenuItem.objects.create(
                restaurant=self.restaurant, name=name, price=price,
                estimated_prep_time_minutes=prep,
            )
            for name, prep, price in s.menu
        }
        yesterday = self.midnight - timedelta(days=1)
        services.import_past_sittings(
            self.restaurant.pk,
            [
                (size, yesterday + timedelta(minutes=start),
                 yesterday + timedelta(minutes=start + dine))
                for size, dine, start in s.history
            ],
        )
        for seats, party_size, ago, dine in sorted(s.occupied_at_start, key=lambda r: -r[2]):
            self.clock.set(self.at(-ago))
            table = (
                DiningTable.objects.filter(restaurant=self.restaurant, seats=seats, walk_in=False)
                .order_by("number")
                .first()
            )
            services.seat_walk_in(
                self.restaurant.pk, services.SYSTEM, table_id=table.pk, party_size=party_size
            )
            self.departures.setdefault(max(0, dine - ago), []).append(("walk_in", table.pk))
        self.clock.set(self.opening)
        if self.policy == "readytable":
            services.update_house_settings(
                self.restaurant.pk, services.SYSTEM, auto_notify=True, auto_no_show=True
            )
            if s.release_after:
                RestaurantProfile.objects.filter(pk=self.restaurant.pk).update(
                    release_unconfirmed_after_minutes=s.release_after
                )

    # -- one minute ---------------------------------------------------------------------

    def play(self):
        # Everything, the set-up included, runs on the simulator's clock.
        with clock.use(self.clock, all_threads=True):
            self.set_up()
            return self._play()

    def _play(self):
        joins = {}
        for party in self.scenario.parties:
            joins.setdefault(party.join, []).append(party)
        last_join = max(joins)
        minute = 0
        while True:
            self.clock.set(self.at(minute))
            self.leave(minute)
            for party in joins.get(minute, []):
                self.join(party, minute)
            self.confirm(minute)
            self.notify_and_mark_no_shows(minute)
            self.fire_tickets(minute)
            self.arrive_and_sit(minute)
            self.count_idle_tables(minute)
            if minute >= last_join and self.finished():
                break
            minute += 1
            if minute > last_join + MAX_OVERRUN_MINUTES:
                raise ScenarioError(
                    "parties: the evening did not finish within a day of the last join"
                )
        return self.report()

    def finished(self):
        everyone_done = all(p.no_show or p.seated is not None for p in self.parties.values())
        return everyone_done and not self.departures

    @property
    def clock_minute(self):
        return self.minute(self.clock())

    def leave(self, minute):
        for kind, key in self.departures.pop(minute, []):
            if kind == "order":
                order = Order.objects.get(pk=key)
                table = order.table
                services.complete_party(key, services.SYSTEM)
            else:
                table = DiningTable.objects.get(pk=key)
                services.walk_in_left(self.restaurant.pk, services.SYSTEM, table_id=key)
            episode = FreedTable(table.pk, table.seats)
            self.freed.append(episode)
            self.open_episodes[table.pk] = episode

    def join(self, party, minute):
        waiting = Order.objects.filter(
            restaurant=self.restaurant, status=OrderStatus.IN_QUEUE
        ).count()
        self.restaurant.refresh_from_db()
        seed_quote = estimates.seed_formula_wait(
            waiting,
            self.restaurant.currently_occupied_tables,
            self.restaurant.total_tables,
            self.restaurant.avg_dine_in_duration_minutes,
        )
        order = services.join_queue(
            self.restaurant.pk,
            customer_name=party.id,
            party_size=party.party_size,
            travel_minutes=party.travel_minutes,
            lines=[
                services.LineRequest(self.menu[dish].pk, quantity)
                for dish, quantity in party.items.items()
            ],
        )
        self.parties[order.pk] = PlayedParty(
            spec=party,
            order_id=order.pk,
            quote=order.quoted_wait_minutes if self.policy == "readytable" else seed_quote,
            longest_prep=max(
                (self.menu[dish].estimated_prep_time_minutes for dish in party.items), default=0
            ),
            joined=minute,
        )
        self.note_notified(minute)

    def note_notified(self, minute):
        """Pick up parties the services told to head over (by rule or by the host)."""
        pending = [p.order_id for p in self.parties.values() if p.notified is None]
        if not pending:
            return
        for pk, status in Order.objects.filter(pk__in=pending).values_list("pk", "status"):
            played = self.parties[pk]
            if status in HEADING_OVER_STATUSES:
                played.notified = minute
                if not played.spec.no_show:
                    travel = played.spec.travel_minutes
                    if travel is None:
                        travel = self.scenario.default_travel_minutes
                    played.arrived = minute + travel
                if self.policy == "seed":
                    # The seed's kitchen starts cooking when the party is told to come.
                    services.start_preparing(pk, services.SYSTEM)
                    played.fired = minute
            elif status == OrderStatus.NO_SHOW:
                played.no_show = True

    def confirm(self, minute):
        """Parties answer "on my way" when the scenario says (a no-show never does)."""
        for played in self.parties.values():
            after = played.spec.confirm_after
            if (
                played.notified is None or after is None or played.spec.no_show
                or played.confirmed or played.seated is not None or played.notified + after > minute
            ):
                continue
            played.confirmed = True
            try:
                services.confirm_on_my_way(played.order_id, via="simulator")
            except services.QueueError:
                pass  # already here, or gone

    def notify_and_mark_no_shows(self, minute):
        if self.policy == "readytable":
            services.run_timing_rules(self.restaurant.pk)
        else:
            self.seed_host(minute)
        self.note_notified(minute)
        on_their_way = [
            p.order_id for p in self.parties.values()
            if p.notified is not None and p.seated is None and not p.no_show
        ]
        for pk in Order.objects.filter(pk__in=on_their_way, status=OrderStatus.NO_SHOW).values_list(
            "pk", flat=True
        ):
            self.parties[pk].no_show = True

    def seed_host(self, minute):
        """The description's host: marks parties late beyond the grace period as no-shows,
        and tells a party to come only when a table that fits it is free and not already
        kept for a party on its way."""
        snap = selectors.queue_snapshot(self.restaurant)
        grace = timedelta(minutes=self.scenario.grace_minutes)
        for order in snap.heading_over:
            if (
                not order.arrived_at
                and order.target_arrival_time
                and snap.now > order.target_arrival_time + grace
            ):
                services.mark_no_show(order.pk, services.SYSTEM)
        snap = selectors.queue_snapshot(self.restaurant)
        free = sorted(t.seats for t in snap.tables if t.state == "free")

        def take(size):
            for i, seats in enumerate(free):
                if seats >= size:
                    return free.pop(i)
            return None

        for order in sorted(snap.heading_over, key=lambda o: (o.notified_at, o.pk)):
            take(order.party_size)
        for order in snap.waiting:
            if take(order.party_size) is not None:
                services.notify_party(order.pk, services.SYSTEM)

    def fire_tickets(self, minute):
        if self.policy != "readytable":
            return
        for ticket in selectors.kitchen_tickets(self.restaurant):
            played = self.parties[ticket.order.pk]
            if not ticket.fired and ticket.fire_at is not None and ticket.fire_at <= self.clock():
                services.start_preparing(ticket.order.pk, services.SYSTEM)
                played.fired = minute

    def arrive_and_sit(self, minute):
        here = sorted(
            (
                p for p in self.parties.values()
                if p.arrived is not None and p.arrived <= minute and p.seated is None
                and not p.no_show
            ),
            key=lambda p: (p.arrived, p.notified, p.order_id),
        )
        for played in here:
            try:
                order = services.seat_party(played.order_id, services.SYSTEM)
            except services.NoFreeTable:
                if played.arrived == minute:
                    # No table yet: the host checks the party in, so it waits in the lobby
                    # and is never taken for a no-show.
                    services.check_in(played.order_id, services.SYSTEM)
                continue
            played.seated = minute
            self.departures.setdefault(minute + played.spec.dine_minutes, []).append(
                ("order", played.order_id)
            )
            episode = self.open_episodes.pop(order.table_id, None)
            if episode is not None:
                episode.open = False
        # Orders a rule touched while seating (e.g. the next party told to come).
        self.note_notified(minute)

    def count_idle_tables(self, minute):
        """A freed table is idle this minute if it is still empty and could have seated a
        party that is waiting in the queue (not yet told to come: a party on its way cannot
        sit any sooner). Each waiting party can fill one table, so empty freed tables are
        matched to waiting parties that fit them, the largest party first at the smallest
        table that seats it; every matched table counts one idle minute."""
        if not self.open_episodes:
            return
        waiting = sorted(
            (p.spec.party_size for p in self.parties.values() if p.notified is None and not p.no_show),
            reverse=True,
        )
        empty = sorted(self.open_episodes.values(), key=lambda e: e.seats)
        for size in waiting:
            for i, episode in enumerate(empty):
                if episode.seats >= size:
                    episode.idle += 1
                    del empty[i]
                    break

    # -- the figures --------------------------------------------------------------------

    def report(self):
        played = list(self.parties.values())
        seated = [p for p in played if p.seated is not None]
        errors = sorted(abs(p.quote - (p.seated - p.joined)) for p in seated)
        lobby = [p.seated - p.arrived for p in seated]
        with_food = [p for p in seated if p.spec.items]
        ready = [
            p for p in with_food if p.fired is not None and p.fired + p.longest_prep <= p.seated
        ]
        return {
            "policy": self.policy,
            "parties": len(played),
            "seated": len(seated),
            "no_shows": sum(1 for p in played if p.no_show),
            "quote_mae_minutes": _round(statistics.fmean(errors) if errors else 0.0),
            "quote_p90_abs_error_minutes": _round(_percentile(errors, 90)),
            "mean_lobby_wait_minutes": _round(statistics.fmean(lobby) if lobby else 0.0),
            "mean_table_idle_minutes": _round(
                statistics.fmean(e.idle for e in self.freed) if self.freed else 0.0
            ),
            "food_ready_at_seating_pct": _round(
                100.0 * len(ready) / len(with_food) if with_food else 100.0
            ),
            "mean_wait_minutes": _round(
                statistics.fmean(p.seated - p.joined for p in seated) if seated else 0.0
            ),
            "tables_freed": len(self.freed),
            # The cost of firing ahead: food cooked for a party that never sat down.
            "tickets_fired_for_no_shows": sum(
                1 for p in played if p.no_show and p.fired is not None
            ),
            "service_minutes": self.clock_minute,
            # Parties that lost their projected table for not confirming in time.
            "released": Order.objects.filter(
                restaurant=self.restaurant, released_at__isnull=False
            ).count(),
        }


def _percentile(values, pct):
    """Nearest-rank percentile of sorted values."""
    if not values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(values)))
    return float(values[rank - 1])


def _round(value):
    return round(float(value), 2)


def run(scenario, policy="readytable"):
    """Play `scenario` (a Scenario) under `policy` on the current database; returns the
    figures. The caller provides a throwaway database (the simulate command does)."""
    return Evening(scenario, policy).play()

