"""The figures of the insights screen, read from what orders/ stores: every one an aggregate
the database computes (GROUP BY, dates and hours in the restaurant's time zone, percentiles),
so Python only arranges the handful of rows that come back, however long the history.

A period's parties are those who joined the queue in it. Past visits imported from before
ReadyTable (orders.services.import_past_sittings) were never quoted, never queued and never
ordered: they teach the dining times, and count in no figure here.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Abs,
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    ExtractMinute,
    Least,
    TruncDate,
    TruncHour,
)

from orders.estimates import SIZE_BANDS
from orders.models import (
    HEADING_OVER_STATUSES,
    PAST_VISIT_CODE,
    MenuItem,
    Order,
    OrderItem,
    OrderStatus,
)

from .measures import Minutes, PercentileCont, in_the_aggregate, percentiles

# How close to the quote counts as "on time", as the restaurant page publishes it.
ON_TIME_MINUTES = 5
SEATED = Q(seated_at_time__isnull=False)
LEFT = Q(status=OrderStatus.CANCELLED)
NO_SHOW = Q(status=OrderStatus.NO_SHOW)
STILL_IN_LINE = Q(status__in=(OrderStatus.IN_QUEUE, *HEADING_OVER_STATUSES))
ON_TIME = Q(
    actual_wait_minutes__lte=F("quoted_wait_minutes") + ON_TIME_MINUTES,
    actual_wait_minutes__gte=F("quoted_wait_minutes") - ON_TIME_MINUTES,
)
# Positive: the party waited longer than it was told (the quote ran short).
QUOTE_ERROR = ExpressionWrapper(
    F("actual_wait_minutes") - F("quoted_wait_minutes"), output_field=IntegerField()
)
LINE_TOTAL = ExpressionWrapper(
    F("quantity") * F("unit_price"), output_field=DecimalField(max_digits=12, decimal_places=2)
)
MONEY = DecimalField(max_digits=14, decimal_places=2)
ZERO = Decimal("0.00")

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Where a longer quote starts to lose diners: quotes in these bands (lower bounds, minutes).
QUOTE_BANDS = (0, 10, 20, 30, 45, 60)
# Queue position at joining, grouped: 1st, 2nd, 3rd, 4th-5th, 6th-10th, 11th and later.
POSITION_BANDS = (1, 2, 3, 4, 6, 11)
# Nobody waits longer than this in a queue: the parties ahead of a newcomer joined within it.
LONGEST_QUEUE_HOURS = 12


# ---------------------------------------------------------------------------------------
# Which parties, and how they are grouped


def parties(restaurant, period):
    """The parties who joined the restaurant's queue in `period`."""
    return (
        Order.objects.filter(
            restaurant=restaurant, joined_at__gte=period.start, joined_at__lt=period.end
        )
        .exclude(order_code=PAST_VISIT_CODE)
        .order_by()
    )


def items_of(restaurant, period):
    """The dishes those parties pre-ordered."""
    return (
        OrderItem.objects.filter(
            order__restaurant=restaurant,
            order__joined_at__gte=period.start,
            order__joined_at__lt=period.end,
        )
        .exclude(order__order_code=PAST_VISIT_CODE)
        .order_by()
    )


def size_band_of(field_name="party_size"):
    """The party's size band (its smallest size: 1, 3, 5 or 7), as orders.estimates bands
    them for learning sittings."""
    return Case(
        *[When(**{f"{field_name}__lte": high}, then=Value(low)) for low, high in SIZE_BANDS[:-1]],
        default=Value(SIZE_BANDS[-1][0]),
        output_field=IntegerField(),
    )


def band_label(low):
    for band_low, high in SIZE_BANDS:
        if band_low == low:
            return f"{low}+" if high >= 10_000 else f"{low}-{high}"
    return str(low)


def _bands(value_expression, lows, output=IntegerField()):
    """The band (its lower bound) `value_expression` falls in, for ascending `lows`."""
    whens = [When(**{f"{value_expression}__lt": high}, then=Value(low)) for low, high in zip(lows, lows[1:])]
    return Case(*whens, default=Value(lows[-1]), output_field=output)


def quote_band_label(low):
    i = QUOTE_BANDS.index(low)
    return f"{low}+ min" if i == len(QUOTE_BANDS) - 1 else f"{low}-{QUOTE_BANDS[i + 1] - 1} min"


def position_band_label(low):
    i = POSITION_BANDS.index(low)
    if i == len(POSITION_BANDS) - 1:
        return f"{low}th or later"
    high = POSITION_BANDS[i + 1] - 1
    if high == low:
        return {1: "1st", 2: "2nd", 3: "3rd"}.get(low, f"{low}th")
    return f"{low}th-{high}th"


def hour_label(hour):
    return f"{hour:02d}:00"


# ---------------------------------------------------------------------------------------
# The headline figures of a period (each compared with the period before)


@dataclass
class Summary:
    joined: int = 0
    seated: int = 0
    left: int = 0
    no_shows: int = 0
    still_in_line: int = 0
    covers: int = 0
    mean_wait: float | None = None
    p90_wait: float | None = None
    quote_mae: float | None = None
    quote_bias: float | None = None
    on_time: int = 0
    checked_in: int = 0
    lobby_mean: float | None = None  # over every seated party; 0 for those who walked straight in
    lobby_over_5: int = 0
    completed: int = 0
    turn_mean: float | None = None
    food_marked_ready: int = 0
    food_ready_at_seating: int = 0
    revenue: Decimal = ZERO
    ordered_by_leavers: Decimal = ZERO
    ordered_by_no_shows: Decimal = ZERO

    @property
    def on_time_pct(self):
        return _pct(self.on_time, self.seated)

    @property
    def food_ready_pct(self):
        return _pct(self.food_ready_at_seating, self.food_marked_ready)

    @property
    def left_pct(self):
        return _pct(self.left, self.joined - self.still_in_line)

    @property
    def no_show_pct(self):
        return _pct(self.no_shows, self.joined - self.still_in_line)

    @property
    def revenue_per_party(self):
        return _money(self.revenue / self.seated) if self.seated else None

    @property
    def revenue_per_cover(self):
        return _money(self.revenue / self.covers) if self.covers else None


def _pct(part, whole):
    return 100.0 * part / whole if whole else None


def summary(restaurant, period):
    """The headline figures of one period (see `summaries`)."""
    return summaries(restaurant, [period])[0]


def _which_period(periods, field):
    """The index in `periods` of the one `field` (a moment) falls in; NULL: none."""
    return Case(
        *[
            When(**{f"{field}__gte": p.start, f"{field}__lt": p.end}, then=Value(i))
            for i, p in enumerate(periods)
        ],
        default=Value(None),
        output_field=IntegerField(),
    )


def _spanning(periods):
    return min(p.start for p in periods), max(p.end for p in periods)


def summaries(restaurant, periods):
    """[Summary] of each of `periods` (e.g. this period and the one before). The parties are
    read in one query for the span the periods cover, each counted in the period it joined
    in, with the 90th percentile wait on PostgreSQL (elsewhere it is ranked in a query of its
    own); then the money, one query a period."""
    periods = list(periods)
    first, last = _spanning(periods)
    span = SimpleNamespace(start=first, end=last)
    lobby = Minutes(F("seated_at_time"), F("arrived_at"))
    checked_in = SEATED & Q(arrived_at__isnull=False)
    figures = dict(
        joined=Count("pk"),
        seated=Count("pk", filter=SEATED),
        left=Count("pk", filter=LEFT),
        no_shows=Count("pk", filter=NO_SHOW),
        still_in_line=Count("pk", filter=STILL_IN_LINE),
        covers=Coalesce(Sum("party_size", filter=SEATED), 0),
        mean_wait=Avg("actual_wait_minutes", filter=SEATED),
        quote_mae=Avg(Abs(QUOTE_ERROR), filter=SEATED),
        quote_bias=Avg(QUOTE_ERROR, filter=SEATED),
        on_time=Count("pk", filter=SEATED & ON_TIME),
        checked_in=Count("pk", filter=checked_in),
        lobby_total=Sum("lobby", filter=checked_in),
        lobby_over_5=Count("pk", filter=checked_in & Q(lobby__gt=5)),
        completed=Count("pk", filter=Q(completed_at_time__isnull=False)),
        turn_mean=Avg("turn", filter=Q(completed_at_time__isnull=False)),
        food_marked_ready=Count("pk", filter=SEATED & Q(food_ready_at__isnull=False)),
        food_ready_at_seating=Count("pk", filter=SEATED & Q(food_ready_at__lte=F("seated_at_time"))),
    )
    if in_the_aggregate():
        figures["p90_wait"] = PercentileCont(F("actual_wait_minutes"), 0.9, filter=SEATED)
    which = _which_period(periods, "joined_at")
    rows = (
        parties(restaurant, span)
        .annotate(which=which)
        .filter(which__isnull=False)
        .annotate(lobby=lobby, turn=Minutes(F("completed_at_time"), F("seated_at_time")))
        .values("which")
        .annotate(**figures)
        .order_by()
    )
    results = [Summary() for _ in periods]
    for row in rows:
        i = row.pop("which")
        lobby_total = row.pop("lobby_total") or 0.0
        result = results[i] = Summary(**{k: _plain(v) for k, v in row.items()})
        result.lobby_mean = lobby_total / result.seated if result.seated else None
    if not in_the_aggregate():
        p90 = percentiles(
            parties(restaurant, span).filter(SEATED), F("actual_wait_minutes"), (0.9,), group=which
        )
        for i, result in enumerate(results):
            result.p90_wait = p90.get(i, {}).get(0.9)
    # The money a period at a time: over both at once PostgreSQL would rather read every
    # dish the restaurant ever sold than look up each party's (twice as slow, for 28 days
    # with a year of history behind them).
    for period, result in zip(periods, results):
        money = items_of(restaurant, period).aggregate(
            revenue=Coalesce(Sum(LINE_TOTAL, filter=Q(order__seated_at_time__isnull=False)), ZERO, output_field=MONEY),
            ordered_by_leavers=Coalesce(Sum(LINE_TOTAL, filter=Q(order__status=OrderStatus.CANCELLED)), ZERO, output_field=MONEY),
            ordered_by_no_shows=Coalesce(Sum(LINE_TOTAL, filter=Q(order__status=OrderStatus.NO_SHOW)), ZERO, output_field=MONEY),
        )
        for name, value in money.items():
            setattr(result, name, _money(value))
    return results


def _float(value):
    return None if value is None else float(value)


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def _money(value):
    return Decimal(value or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------
# Waits and quotes, broken down


@dataclass
class WaitRow:
    key: int
    label: str
    joined: int
    seated: int
    left: int
    no_shows: int
    mean_wait: float | None
    p90_wait: float | None
    quote_mae: float | None
    quote_bias: float | None
    on_time: int

    @property
    def on_time_pct(self):
        return _pct(self.on_time, self.seated)


def waits_by(restaurant, period, group, label):
    """Waits and quote accuracy per group (an expression over the parties, e.g. the hour
    they joined): one query on PostgreSQL, two elsewhere (the percentile ranked apart)."""
    figures = dict(
        joined=Count("pk"),
        seated=Count("pk", filter=SEATED),
        left=Count("pk", filter=LEFT),
        no_shows=Count("pk", filter=NO_SHOW),
        mean_wait=Avg("actual_wait_minutes", filter=SEATED),
        quote_mae=Avg(Abs(QUOTE_ERROR), filter=SEATED),
        quote_bias=Avg(QUOTE_ERROR, filter=SEATED),
        on_time=Count("pk", filter=SEATED & ON_TIME),
    )
    if in_the_aggregate():
        figures["p90"] = PercentileCont(F("actual_wait_minutes"), 0.9, filter=SEATED)
    rows = list(parties(restaurant, period).annotate(g=group).values("g").annotate(**figures).order_by("g"))
    if in_the_aggregate():
        p90 = {row["g"]: {0.9: _float(row["p90"])} for row in rows}
    else:
        p90 = percentiles(
            parties(restaurant, period).filter(SEATED), F("actual_wait_minutes"), (0.9,), group=group
        )
    return [
        WaitRow(
            key=int(row["g"]),
            label=label(int(row["g"])),
            joined=row["joined"],
            seated=row["seated"],
            left=row["left"],
            no_shows=row["no_shows"],
            mean_wait=_plain(row["mean_wait"]),
            p90_wait=p90.get(row["g"], {}).get(0.9),
            quote_mae=_plain(row["quote_mae"]),
            quote_bias=_plain(row["quote_bias"]),
            on_time=row["on_time"],
        )
        for row in rows
    ]


def waits_by_hour(restaurant, period):
    return waits_by(restaurant, period, ExtractHour("joined_at", tzinfo=period.tz), hour_label)


def waits_by_weekday(restaurant, period):
    return waits_by(
        restaurant, period, ExtractIsoWeekDay("joined_at", tzinfo=period.tz),
        lambda day: WEEKDAYS[day - 1],
    )


def waits_by_size(restaurant, period):
    return waits_by(restaurant, period, size_band_of(), band_label)


# ---------------------------------------------------------------------------------------
# The door and the tables


@dataclass
class IdleTables:
    freed: int  # tables freed in the period and seated again by a party from the queue
    idle_minutes: float
    idle_freed: int  # of those, the ones that stood empty a minute or more

    @property
    def mean_idle(self):
        return self.idle_minutes / self.freed if self.freed else None


def _minutes_sql(end, start):
    if connection.vendor == "postgresql":
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 60.0)"
    return f"((julianday({end}) - julianday({start})) * 1440.0)"


def idle_tables(restaurant, period):
    """The idle freed tables of one period (see `idle_tables_of`)."""
    return idle_tables_of(restaurant, [period])[0]


def idle_tables_of(restaurant, periods):
    """[IdleTables] of each of `periods`: how long freed tables stood empty while the party
    who sat there next was already in the queue and not yet told to come (the simulator's
    "idle freed table", from what was stored). Walk-ins are seated by hand without a party
    row and are not counted. One query for all the periods: the next sitting at each table
    comes from a window function over the sittings of the span they cover.

    A sitting counts in the period its table was freed in, when it started at most a day
    before that period and the next sitting at its table started at most a day after it
    (as if each period's sittings were read on their own)."""
    table = Order._meta.db_table
    idle = _minutes_sql("busy_from", "free_from")
    which, which_params = [], []
    for i, p in enumerate(periods):
        which.append(
            f"WHEN freed >= %s AND freed < %s AND seated >= %s AND seated < %s AND next_seated < %s THEN {i}"
        )
        day_after = p.end + timedelta(days=1)
        which_params += [p.start, p.end, p.start - timedelta(days=1), day_after, day_after]
    sql = f"""
        SELECT which, COUNT(*),
               COALESCE(SUM(CASE WHEN busy_from > free_from THEN {idle} ELSE 0 END), 0),
               COALESCE(SUM(CASE WHEN busy_from > free_from AND {idle} >= 1 THEN 1 ELSE 0 END), 0)
        FROM (
            SELECT CASE {" ".join(which)} END AS which,
                   CASE WHEN next_joined > freed THEN next_joined ELSE freed END AS free_from,
                   COALESCE(next_notified, next_seated) AS busy_from
            FROM (
                SELECT seated_at_time AS seated, completed_at_time AS freed,
                       LEAD(seated_at_time) OVER w AS next_seated,
                       LEAD(joined_at) OVER w AS next_joined,
                       LEAD(notified_at) OVER w AS next_notified
                FROM {table}
                WHERE restaurant_id = %s AND table_id IS NOT NULL AND seated_at_time IS NOT NULL
                  AND order_code <> %s AND seated_at_time >= %s AND seated_at_time < %s
                WINDOW w AS (PARTITION BY table_id ORDER BY seated_at_time, id)
            ) sittings
            WHERE next_seated IS NOT NULL AND next_seated >= freed
        ) freed_tables
        WHERE which IS NOT NULL
        GROUP BY which
    """
    # A sitting that started up to a day before a period can free its table in it; the
    # next sitting can start up to a day after.
    first, last = _spanning(periods)
    results = [IdleTables(freed=0, idle_minutes=0.0, idle_freed=0) for _ in periods]
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                *which_params, restaurant.pk, PAST_VISIT_CODE,
                first - timedelta(days=1), last + timedelta(days=1),
            ],
        )
        for i, freed, minutes, idle_freed in cursor.fetchall():
            results[i] = IdleTables(freed=freed or 0, idle_minutes=float(minutes or 0), idle_freed=idle_freed or 0)
    return results


@dataclass
class TurnRow:
    key: int
    label: str
    completed: int
    mean_minutes: float | None
    median_minutes: float | None
    configured: int

    @property
    def over_configured(self):
        return None if self.median_minutes is None else self.median_minutes - self.configured


def table_turns(restaurant, period):
    """Seated to completed, by party size band, against the restaurant's configured usual
    sitting. One query on PostgreSQL, two elsewhere."""
    done = parties(restaurant, period).filter(completed_at_time__isnull=False, seated_at_time__isnull=False)
    turn = Minutes(F("completed_at_time"), F("seated_at_time"))
    figures = dict(completed=Count("pk"), mean=Avg("turn"))
    if in_the_aggregate():
        figures["median"] = PercentileCont(F("turn"), 0.5)
    rows = list(done.annotate(g=size_band_of(), turn=turn).values("g").annotate(**figures).order_by("g"))
    if in_the_aggregate():
        medians = {row["g"]: {0.5: _float(row["median"])} for row in rows}
    else:
        medians = percentiles(done, turn, (0.5,), group=size_band_of())
    return [
        TurnRow(
            key=row["g"], label=band_label(row["g"]), completed=row["completed"],
            mean_minutes=_plain(row["mean"]), median_minutes=medians.get(row["g"], {}).get(0.5),
            configured=restaurant.avg_dine_in_duration_minutes,
        )
        for row in rows
    ]


@dataclass
class UseRow:
    hour: int
    label: str
    tables_in_use: float  # on average over the period's days with service, during this hour
    share: float | None  # of today's tables


def table_use_by_hour(restaurant, period, now, total_tables):
    """How many tables were in use, on average, in each hour of the day. Three queries.

    The parties seated in the period are counted per minute of the day they sat down and per
    minute they left (still seated: now), so the tables in use at any minute are the
    sittings begun by then less those ended by then, plus one all day long for each sitting
    that ran past midnight (it holds its table at both ends of the day)."""
    tz = period.tz
    seated = parties(restaurant, period).filter(SEATED)
    end = Coalesce(F("completed_at_time"), Value(now))
    starts = dict(
        seated.annotate(m=ExtractHour("seated_at_time", tzinfo=tz) * 60 + ExtractMinute("seated_at_time", tzinfo=tz))
        .values("m").annotate(n=Count("pk")).values_list("m", "n")
    )
    if not starts:
        return []
    ends = dict(
        seated.annotate(e=end)
        .annotate(m=ExtractHour("e", tzinfo=tz) * 60 + ExtractMinute("e", tzinfo=tz))
        .values("m").annotate(n=Count("pk")).values_list("m", "n")
    )
    shape = seated.annotate(
        day=TruncDate("seated_at_time", tzinfo=tz), end_day=TruncDate(end, tzinfo=tz)
    ).aggregate(days=Count("day", distinct=True), overnight=Count("pk", filter=Q(end_day__gt=F("day"))))
    occupied = shape["overnight"]
    tables_minutes = [0] * 24
    starts = {int(m): n for m, n in starts.items()}
    ends = {int(m): n for m, n in ends.items()}
    for minute in range(24 * 60):
        # A party that sat down and left in the same minute held no table.
        occupied += starts.get(minute, 0) - ends.get(minute, 0)
        tables_minutes[minute // 60] += occupied
    days = shape["days"] or 1
    rows = []
    for hour, total in enumerate(tables_minutes):
        in_use = total / 60 / days
        if in_use <= 0:
            continue
        rows.append(
            UseRow(
                hour=hour, label=hour_label(hour), tables_in_use=in_use,
                share=100.0 * in_use / total_tables if total_tables else None,
            )
        )
    return rows


# ---------------------------------------------------------------------------------------
# The kitchen


def _slowest_dish(column):
    return Subquery(
        OrderItem.objects.filter(order=OuterRef("pk"))
        .order_by("-menu_item__estimated_prep_time_minutes", "menu_item_id")
        .values(column)[:1]
    )


@dataclass
class LateTickets:
    tickets: int
    late: int
    mean_minutes_late: float | None
    most_minutes_late: float | None

    @property
    def late_pct(self):
        return _pct(self.late, self.tickets)


def late_tickets(restaurant, period):
    """Tickets the kitchen started after their fire time: the party's target arrival less its
    slowest dish and the plating buffer (what the kitchen display counts down to), or the
    moment the party joined if that was later (no kitchen starts food for a party not yet in
    the queue). A ticket started a minute or more after it is late. One query."""
    late_by = Least(
        ExpressionWrapper(
            Minutes(F("fired_at"), F("target_arrival_time"))
            + F("slowest_prep")
            + Value(restaurant.plating_buffer_minutes),
            output_field=FloatField(),
        ),
        Minutes(F("fired_at"), F("joined_at")),
    )
    late = Q(late_by__gte=1)
    figures = (
        parties(restaurant, period)
        .filter(fired_at__isnull=False, target_arrival_time__isnull=False)
        # Each ticket's slowest dish, by a join grouped per party (the aggregate below then
        # reads these rows as a subquery, so the join is made once).
        .annotate(slowest_prep=Max("items__menu_item__estimated_prep_time_minutes"))
        .filter(slowest_prep__isnull=False)
        .annotate(late_by=late_by)
        .aggregate(
            tickets=Count("pk"),
            late=Count("pk", filter=late),
            mean=Avg("late_by", filter=late),
            most=Max("late_by", filter=late),
        )
    )
    return LateTickets(
        tickets=figures["tickets"], late=figures["late"],
        mean_minutes_late=_plain(figures["mean"]), most_minutes_late=_plain(figures["most"]),
    )


@dataclass
class DishPrep:
    dish_id: int
    dish: str
    tickets: int
    mean_minutes: float | None
    estimate: int

    @property
    def over_estimate(self):
        return None if self.mean_minutes is None else self.mean_minutes - self.estimate


def prep_by_dish(restaurant, period):
    """Fired to ready, for tickets grouped by their slowest dish (the one the ticket waits
    for), against that dish's estimate on the menu. Two queries."""
    tickets = parties(restaurant, period).filter(fired_at__isnull=False, food_ready_at__isnull=False)
    prep = Minutes(F("food_ready_at"), F("fired_at"))
    dish = _slowest_dish("menu_item_id")
    # Tickets without a dish group under None and are dropped here: filtering them out in
    # the query would look up every ticket's slowest dish a second time.
    rows = [
        row
        for row in tickets.annotate(dish=dish, prep=prep).values("dish").annotate(tickets=Count("pk"), mean=Avg("prep"))
        if row["dish"] is not None
    ]
    menu = MenuItem.objects.in_bulk([row["dish"] for row in rows])
    result = [
        DishPrep(
            dish_id=row["dish"], dish=menu[row["dish"]].name, tickets=row["tickets"],
            mean_minutes=_plain(row["mean"]),
            estimate=menu[row["dish"]].estimated_prep_time_minutes,
        )
        for row in rows
        if row["dish"] in menu
    ]
    return sorted(result, key=lambda r: r.dish)


# ---------------------------------------------------------------------------------------
# Revenue from pre-orders


@dataclass
class SalesRow:
    key: object
    label: str
    parties: int
    revenue: Decimal
    quantity: int = 0


def sales_by_hour(restaurant, period):
    """Pre-ordered food of the parties who sat down, by the hour they sat down. One query."""
    rows = (
        items_of(restaurant, period)
        .filter(order__seated_at_time__isnull=False)
        .annotate(h=ExtractHour("order__seated_at_time", tzinfo=period.tz))
        .values("h")
        .annotate(parties=Count("order", distinct=True), revenue=Sum(LINE_TOTAL), quantity=Sum("quantity"))
        .order_by("h")
    )
    return [
        SalesRow(key=row["h"], label=hour_label(int(row["h"])), parties=row["parties"],
                 revenue=_money(row["revenue"]), quantity=row["quantity"])
        for row in rows
    ]


def sales_by_dish(restaurant, period):
    """Pre-ordered dishes of the parties who sat down, best-selling (by revenue) first."""
    rows = (
        items_of(restaurant, period)
        .filter(order__seated_at_time__isnull=False)
        .values("menu_item_id", "menu_item__name")
        .annotate(parties=Count("order", distinct=True), revenue=Sum(LINE_TOTAL), quantity=Sum("quantity"))
        .order_by("-revenue", "menu_item__name")
    )
    return [
        SalesRow(key=row["menu_item_id"], label=row["menu_item__name"], parties=row["parties"],
                 revenue=_money(row["revenue"]), quantity=row["quantity"])
        for row in rows
    ]


def _order_value():
    return Subquery(
        OrderItem.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(v=Sum(LINE_TOTAL))
        .values("v"),
        output_field=MONEY,
    )


@dataclass
class PositionRow:
    key: int
    label: str
    joined: int
    seated: int
    left: int
    no_shows: int
    revenue: Decimal  # pre-orders of those who sat down

    @property
    def revenue_per_party(self):
        """What a party joining at this place in line brought in, on average, counting
        those who never sat down: the revenue of a place in the queue."""
        return _money(self.revenue / self.joined) if self.joined else None

    @property
    def seated_pct(self):
        return _pct(self.seated, self.joined)


def revenue_by_queue_position(restaurant, period):
    """Parties by their place in line at joining: how many sat down, and the pre-ordered
    revenue they brought in per party who joined there. Parties still in line are left out
    (their evening is not over). One query.

    The place in line is not stored, so it is counted from the stored times: every party adds
    one to the line when it joins and takes one away when it leaves it (told to come, gone or
    seated); a running sum over those moments, in the database, is the length of the line,
    and at a party's own joining it is that party's place. At one instant, parties leaving go
    before parties joining (they are no longer ahead), except a party told to come the moment
    it joined (or, by a clock's slip, before), which leaves just after its own joining."""
    table, items = Order._meta.db_table, OrderItem._meta.db_table
    capped = "LEAST(place, %s)" if connection.vendor == "postgresql" else "MIN(place, %s)"
    out = "COALESCE(notified_at, ended_at, seated_at_time)"
    mine = f"restaurant_id = %s AND order_code <> %s AND joined_at >= %s AND joined_at < %s"
    still = ", ".join(["%s"] * len(STILL_IN_LINE.children[0][1]))
    sql = f"""
        SELECT {capped} AS capped, COUNT(*),
               SUM(CASE WHEN o.seated_at_time IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN o.status = %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN o.status = %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN o.seated_at_time IS NOT NULL THEN COALESCE(
                   (SELECT SUM(i.quantity * i.unit_price) FROM {items} i WHERE i.order_id = o.id), 0
               ) ELSE 0 END)
        FROM (
            SELECT id, step, SUM(step) OVER (ORDER BY at, k, id, step DESC ROWS UNBOUNDED PRECEDING) AS place
            FROM (
                SELECT id, joined_at AS at, 1 AS k, 1 AS step FROM {table} WHERE {mine}
                UNION ALL
                SELECT id, CASE WHEN {out} > joined_at THEN {out} ELSE joined_at END AS at,
                       CASE WHEN {out} > joined_at THEN 0 ELSE 1 END AS k, -1 AS step
                FROM {table} WHERE {mine} AND {out} IS NOT NULL
            ) moments
        ) line
        JOIN {table} o ON o.id = line.id AND line.step = 1
        WHERE o.joined_at >= %s AND o.joined_at < %s AND o.status NOT IN ({still})
        GROUP BY {capped}
    """
    # The line is counted from LONGEST_QUEUE_HOURS before the period: nobody waits longer.
    since = period.start - timedelta(hours=LONGEST_QUEUE_HOURS)
    window = [restaurant.pk, PAST_VISIT_CODE, since, period.end]
    params = [
        POSITION_BANDS[-1], OrderStatus.CANCELLED, OrderStatus.NO_SHOW,
        *window, *window,
        period.start, period.end, *STILL_IN_LINE.children[0][1],
        POSITION_BANDS[-1],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        by_place = cursor.fetchall()
    bands = {}
    for place, joined, seated, left, no_shows, revenue in by_place:
        band = max((low for low in POSITION_BANDS if low <= place), default=POSITION_BANDS[0])
        row = bands.setdefault(band, [0, 0, 0, 0, Decimal("0")])
        for i, value in enumerate((joined, seated, left, no_shows)):
            row[i] += value or 0
        row[4] += Decimal(str(revenue or 0))
    return [
        PositionRow(key=band, label=position_band_label(band), joined=joined, seated=seated,
                    left=left, no_shows=no_shows, revenue=_money(revenue))
        for band, (joined, seated, left, no_shows, revenue) in sorted(bands.items())
    ]


@dataclass
class LostOrders:
    left: int
    left_value: Decimal
    no_shows: int
    no_show_value: Decimal
    fired_for_no_shows: int  # no-shows whose food the kitchen had started
    fired_value: Decimal


def lost_orders(restaurant, period):
    """What the parties who left the queue, or never turned up, had ordered. One query."""
    value = _order_value()
    figures = (
        parties(restaurant, period)
        .filter(LEFT | NO_SHOW)
        .annotate(value=value)
        .aggregate(
            left=Count("pk", filter=LEFT),
            left_value=Sum("value", filter=LEFT),
            no_shows=Count("pk", filter=NO_SHOW),
            no_show_value=Sum("value", filter=NO_SHOW),
            fired_for_no_shows=Count("pk", filter=NO_SHOW & Q(fired_at__isnull=False)),
            fired_value=Sum("value", filter=NO_SHOW & Q(fired_at__isnull=False)),
        )
    )
    return LostOrders(
        left=figures["left"], left_value=_money(figures["left_value"]),
        no_shows=figures["no_shows"], no_show_value=_money(figures["no_show_value"]),
        fired_for_no_shows=figures["fired_for_no_shows"], fired_value=_money(figures["fired_value"]),
    )


# ---------------------------------------------------------------------------------------
# Drop-off: who leaves the queue, against the wait they were quoted


@dataclass
class DropOffRow:
    key: int
    label: str
    joined: int  # parties whose evening is over (seated, left or no-show)
    left: int
    seated: int

    @property
    def left_pct(self):
        return _pct(self.left, self.joined)


def drop_off_by_quote(restaurant, period):
    """One query. Parties still in line are left out: they have not decided yet."""
    rows = (
        parties(restaurant, period)
        .exclude(STILL_IN_LINE)
        .annotate(g=_bands("quoted_wait_minutes", QUOTE_BANDS))
        .values("g")
        .annotate(joined=Count("pk"), left=Count("pk", filter=LEFT), seated=Count("pk", filter=SEATED))
        .order_by("g")
    )
    return [
        DropOffRow(key=row["g"], label=quote_band_label(row["g"]), joined=row["joined"],
                   left=row["left"], seated=row["seated"])
        for row in rows
    ]


# ---------------------------------------------------------------------------------------
# Demand: parties joining per hour, for the forecast


def joins_per_hour(restaurant, since, until, tz):
    """{(local date, hour): parties who joined} for [since, until). One query; hours nobody
    joined are absent. Two hours with the same wall-clock time (the night clocks go back)
    count together, as the restaurant would read them."""
    rows = (
        Order.objects.filter(restaurant=restaurant, joined_at__gte=since, joined_at__lt=until)
        .exclude(order_code=PAST_VISIT_CODE)
        .annotate(h=TruncHour("joined_at", tzinfo=tz))
        .values("h")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("h", "n")
    )
    counts = {}
    for hour, n in rows:
        local = hour.astimezone(tz) if hour.tzinfo else hour
        key = (local.date(), local.hour)
        counts[key] = counts.get(key, 0) + n
    return counts


def first_join(restaurant):
    """When the restaurant's first party joined through ReadyTable (None: never)."""
    return (
        Order.objects.filter(restaurant=restaurant)
        .exclude(order_code=PAST_VISIT_CODE)
        .order_by("joined_at")
        .values_list("joined_at", flat=True)
        .first()
    )
