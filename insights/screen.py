"""The insights screen put together: each chart with its text summary and its table (the
same table the CSV download gives), the headline figures against the previous period, the
forecast and the what-if. Views call `insights_screen` for the page and `one_table` for a
CSV, which computes only that table's figures."""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from orders import selectors

from . import forecast as forecasting
from . import queries, whatif

# A chart speaks about a group only with at least this many parties in it.
MIN_GROUP = 5


@contextmanager
def reading():
    """The screen's reads, in one transaction (one consistent picture of the restaurant).

    On PostgreSQL the planner is told that reading a row by its index costs little more than
    reading it in sequence (random_page_cost 1.1, the usual value for SSDs and for data that
    fits in memory, instead of the default 4, which assumes spinning disks). With the
    default, joining a period's parties to their dishes reads every dish any party of the
    restaurant ever ordered, sequentially: five times slower with 100,000 parties behind it
    (bench/insights.py). SET LOCAL ends with the transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL random_page_cost = 1.1")
        yield


# ---------------------------------------------------------------------------------------
# Formatting, in the restaurant's words


def minutes(value):
    return "—" if value is None else f"{value:.1f}"


def whole(value):
    return "—" if value is None else f"{value:.0f}"


def pct(value):
    return "—" if value is None else f"{value:.0f}%"


def money(value):
    return "—" if value is None else f"${Decimal(value):,.2f}"


def long_day(day):
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B')}"


def _r(value, places=1):
    """A figure for a chart or a CSV: rounded, None stays None."""
    return None if value is None else round(float(value), places)


# ---------------------------------------------------------------------------------------
# Charts and their tables


@dataclass
class Table:
    key: str
    title: str
    columns: list
    rows: list  # the figures, for the CSV: numbers, text, None
    formats: list = field(default_factory=list)  # per column, how the page shows it

    def shown_rows(self):
        formats = self.formats or [str] * len(self.columns)
        return [
            [("—" if value is None else fmt(value)) for fmt, value in zip(formats, row)]
            for row in self.rows
        ]


@dataclass
class Chart:
    key: str
    title: str
    summary: str
    table: Table
    spec: dict  # what static/js/insights.js draws: type, labels, datasets, axis titles
    data: list = field(default_factory=list)  # the rows it was made from (for findings)

    @property
    def anchor(self):
        return f"chart-{self.key}"

    @property
    def script_id(self):
        return f"chart-data-{self.key}"

    @property
    def empty(self):
        return not self.table.rows


def _dataset(label, values, kind="bar", axis="y"):
    return {"label": label, "data": [_r(v) for v in values], "kind": kind, "axis": axis}


def _spec(labels, datasets, y_title, y2_title=None, kind="bar"):
    return {"type": kind, "labels": labels, "datasets": datasets, "yTitle": y_title, "y2Title": y2_title}


WAIT_COLUMNS = [
    "Parties joined", "Seated", "Left the queue", "No-shows", "Mean wait (min)",
    "90th percentile wait (min)", "Quote error, mean (min)", "Quotes short (+) or long (−) by (min)",
    "Seated within 5 min of the quote (%)",
]
WAIT_FORMATS = [str, str, str, str, str, minutes, minutes, minutes, minutes, whole]


def _wait_rows(rows):
    return [
        [r.label, r.joined, r.seated, r.left, r.no_shows, _r(r.mean_wait), _r(r.p90_wait),
         _r(r.quote_mae), _r(r.quote_bias), _r(r.on_time_pct, 0)]
        for r in rows
    ]


def _longest_wait_sentence(rows, what):
    trusted = [r for r in rows if r.seated >= MIN_GROUP and r.mean_wait is not None]
    if not trusted:
        return f"Too few parties were seated in this period to compare waits by {what}."
    worst = max(trusted, key=lambda r: r.mean_wait)
    best = min(trusted, key=lambda r: r.mean_wait)
    return (
        f"Parties waited longest at {worst.label}: {worst.mean_wait:.0f} min on average "
        f"(90th percentile {whole(worst.p90_wait)} min, {worst.seated} parties seated); "
        f"shortest at {best.label}: {best.mean_wait:.0f} min."
    )


def waits_chart(key, title, rows, what, label_column):
    table = Table(
        key, title, [label_column, *WAIT_COLUMNS], _wait_rows(rows), [str, *WAIT_FORMATS]
    )
    spec = _spec(
        [r.label for r in rows],
        [
            _dataset("Mean wait (min)", [r.mean_wait for r in rows]),
            _dataset("90th percentile wait (min)", [r.p90_wait for r in rows], kind="line"),
        ],
        "Minutes from joining to seated",
    )
    return Chart(key, title, _longest_wait_sentence(rows, what), table, spec, rows)


def quote_accuracy_chart(rows):
    title = "Quote accuracy by hour joined"
    trusted = [r for r in rows if r.seated >= MIN_GROUP and r.quote_bias is not None]
    if trusted:
        worst = max(trusted, key=lambda r: abs(r.quote_bias))
        direction = "short" if worst.quote_bias > 0 else "long"
        summary = (
            f"Quotes were furthest off for parties joining at {worst.label}: "
            f"{abs(worst.quote_bias):.0f} min too {direction} on average "
            f"({pct(worst.on_time_pct)} seated within 5 minutes of their quote, {worst.seated} parties)."
        )
    else:
        summary = "Too few parties were seated in this period to judge the quotes by hour."
    table = Table(
        "quote-accuracy-by-hour", title,
        ["Hour joined", "Seated", "Quote error, mean (min)", "Quotes short (+) or long (−) by (min)",
         "Seated within 5 min of the quote (%)"],
        [[r.label, r.seated, _r(r.quote_mae), _r(r.quote_bias), _r(r.on_time_pct, 0)] for r in rows],
        [str, str, minutes, minutes, whole],
    )
    spec = _spec(
        [r.label for r in rows],
        [
            _dataset("Quotes short (+) or long (−) by (min)", [r.quote_bias for r in rows]),
            _dataset("Seated within 5 min (%)", [r.on_time_pct for r in rows], kind="line", axis="y2"),
        ],
        "Minutes", "% within 5 minutes",
    )
    return Chart("quote-accuracy-by-hour", title, summary, table, spec, rows)


def table_use_chart(rows, total_tables):
    title = "Tables in use by hour"
    if rows:
        busiest = max(rows, key=lambda r: r.tables_in_use)
        summary = (
            f"The room was busiest at {busiest.label}, with {busiest.tables_in_use:.1f} of "
            f"{total_tables} tables in use on average ({pct(busiest.share)})."
        )
    else:
        summary = "No party sat down in this period."
    table = Table(
        "table-use-by-hour", title, ["Hour", "Tables in use, average", "Share of the tables (%)"],
        [[r.label, _r(r.tables_in_use, 2), _r(r.share, 0)] for r in rows],
        [str, lambda v: f"{v:.2f}", whole],
    )
    spec = _spec([r.label for r in rows], [_dataset("Tables in use", [r.tables_in_use for r in rows])],
                 f"Tables in use (of {total_tables})")
    return Chart("table-use-by-hour", title, summary, table, spec, rows)


def table_turn_chart(rows):
    title = "Table turn by party size"
    trusted = [r for r in rows if r.completed >= MIN_GROUP and r.median_minutes is not None]
    if trusted:
        longest = max(trusted, key=lambda r: r.over_configured)
        summary = (
            f"Parties of {longest.label} stayed {longest.median_minutes:.0f} min (median, "
            f"{longest.completed} sittings) against a usual sitting of {longest.configured} min."
        )
    else:
        summary = "Too few parties finished their meal in this period to compare sittings."
    table = Table(
        "table-turn-by-size", title,
        ["Party size", "Sittings", "Mean (min)", "Median (min)", "Usual sitting set (min)"],
        [[r.label, r.completed, _r(r.mean_minutes), _r(r.median_minutes), r.configured] for r in rows],
        [str, str, minutes, minutes, str],
    )
    spec = _spec(
        [r.label for r in rows],
        [
            _dataset("Median sitting (min)", [r.median_minutes for r in rows]),
            _dataset("Usual sitting set (min)", [r.configured for r in rows], kind="line"),
        ],
        "Minutes seated",
    )
    return Chart("table-turn-by-size", title, summary, table, spec, rows)


def prep_chart(rows):
    title = "Prep time by dish"
    trusted = [r for r in rows if r.tickets >= MIN_GROUP and r.mean_minutes is not None]
    if trusted:
        slowest = max(trusted, key=lambda r: r.over_estimate)
        summary = (
            f"{slowest.dish} tickets took {slowest.mean_minutes:.0f} min from fired to ready "
            f"on average, against the menu's {slowest.estimate} min ({slowest.tickets} tickets)."
        )
    else:
        summary = "Too few tickets were fired and marked ready in this period to time the dishes."
    table = Table(
        "prep-by-dish", title,
        ["Dish the ticket waited for", "Tickets", "Mean fired to ready (min)",
         "Menu estimate (min)", "Over the estimate (min)"],
        [[r.dish, r.tickets, _r(r.mean_minutes), r.estimate, _r(r.over_estimate)] for r in rows],
        [str, str, minutes, str, minutes],
    )
    spec = _spec(
        [r.dish for r in rows],
        [
            _dataset("Mean fired to ready (min)", [r.mean_minutes for r in rows]),
            _dataset("Menu estimate (min)", [r.estimate for r in rows], kind="line"),
        ],
        "Minutes",
    )
    return Chart("prep-by-dish", title, summary, table, spec, rows)


def sales_by_hour_chart(rows):
    title = "Pre-order sales by hour seated"
    if rows:
        best = max(rows, key=lambda r: r.revenue)
        total = sum((r.revenue for r in rows), Decimal("0"))
        summary = (
            f"{money(total)} of pre-ordered food was served; the best hour was {best.label} "
            f"with {money(best.revenue)} from {best.parties} parties."
        )
    else:
        summary = "No pre-ordered food was served in this period."
    table = Table(
        "sales-by-hour", title, ["Hour seated", "Parties", "Dishes", "Revenue"],
        [[r.label, r.parties, r.quantity, r.revenue] for r in rows], [str, str, str, money],
    )
    spec = _spec([r.label for r in rows], [_dataset("Revenue", [r.revenue for r in rows])], "Revenue")
    return Chart("sales-by-hour", title, summary, table, spec, rows)


def sales_by_dish_chart(rows):
    title = "Pre-order sales by dish"
    if rows:
        summary = (
            f"{rows[0].label} sold best: {rows[0].quantity} portions, {money(rows[0].revenue)}"
            + (f"; {rows[-1].label} least: {money(rows[-1].revenue)}." if len(rows) > 1 else ".")
        )
    else:
        summary = "No pre-ordered food was served in this period."
    table = Table(
        "sales-by-dish", title, ["Dish", "Portions", "Parties", "Revenue"],
        [[r.label, r.quantity, r.parties, r.revenue] for r in rows], [str, str, str, money],
    )
    spec = _spec([r.label for r in rows], [_dataset("Revenue", [r.revenue for r in rows])], "Revenue")
    return Chart("sales-by-dish", title, summary, table, spec, rows)


def position_chart(rows):
    title = "Revenue per queue position"
    trusted = [r for r in rows if r.joined >= MIN_GROUP]
    if len(trusted) >= 2:
        first, last = trusted[0], trusted[-1]
        summary = (
            f"A party joining {first.label} in line brought in {money(first.revenue_per_party)} "
            f"of pre-orders on average ({pct(first.seated_pct)} sat down); one joining "
            f"{last.label}, {money(last.revenue_per_party)} ({pct(last.seated_pct)} sat down)."
        )
    else:
        summary = "Too few parties in this period to compare places in line."
    table = Table(
        "revenue-per-queue-position", title,
        ["Place in line at joining", "Parties", "Seated", "Left the queue", "No-shows",
         "Revenue", "Revenue per party joined"],
        [[r.label, r.joined, r.seated, r.left, r.no_shows, r.revenue, r.revenue_per_party] for r in rows],
        [str, str, str, str, str, money, money],
    )
    spec = _spec(
        [r.label for r in rows],
        [
            _dataset("Revenue per party joined", [r.revenue_per_party for r in rows]),
            _dataset("Seated (%)", [r.seated_pct for r in rows], kind="line", axis="y2"),
        ],
        "Revenue per party", "% seated",
    )
    return Chart("revenue-per-queue-position", title, summary, table, spec, rows)


def drop_off_chart(rows):
    title = "Drop-off by quoted wait"
    trusted = [r for r in rows if r.joined >= MIN_GROUP]
    if trusted:
        worst = max(trusted, key=lambda r: r.left_pct)
        summary = (
            f"{pct(worst.left_pct)} of parties quoted {worst.label} left the queue "
            f"({worst.left} of {worst.joined})"
            + (f", against {pct(trusted[0].left_pct)} of those quoted {trusted[0].label}." if trusted[0] is not worst else ".")
        )
    else:
        summary = "Too few parties in this period to see where longer quotes lose diners."
    table = Table(
        "drop-off-by-quote", title, ["Quoted wait", "Parties", "Left the queue", "Seated", "Left (%)"],
        [[r.label, r.joined, r.left, r.seated, _r(r.left_pct, 0)] for r in rows],
        [str, str, str, str, whole],
    )
    spec = _spec([r.label for r in rows], [_dataset("Left the queue (%)", [r.left_pct for r in rows])],
                 "% who left the queue")
    return Chart("drop-off-by-quote", title, summary, table, spec, rows)


def forecast_chart(demand):
    title = "Demand forecast, next 7 days"
    labels, values, rows = [], [], []
    for day in demand.days:
        for hour, expected in day.hours.items():
            if expected < 0.05:
                continue
            labels.append(f"{day.day.strftime('%a')} {hour:02d}:00")
            values.append(expected)
            rows.append([day.day.isoformat(), day.day.strftime("%A"), f"{hour:02d}:00", _r(expected)])
    if demand.available:
        busiest = demand.busiest_day
        summary = (
            f"{sum(d.total for d in demand.days):.0f} parties expected over the next 7 days; the "
            f"busiest day is {long_day(busiest.day)} with {busiest.total:.0f}"
            + (f", most at {busiest.busiest_hour:02d}:00 ({busiest.hours[busiest.busiest_hour]:.1f})." if busiest.busiest_hour is not None else ".")
        )
    else:
        summary = "The forecast needs at least one full week of parties to go on."
    table = Table(
        "demand-forecast", title, ["Date", "Day", "Hour", "Parties expected"], rows,
        [str, str, str, lambda v: f"{v:.1f}"],
    )
    spec = _spec(labels, [_dataset("Parties expected", values, kind="line")], "Parties joining per hour", kind="line")
    return Chart("demand-forecast", title, summary, table, spec, demand.days)


def what_if_chart(run):
    title = "What one more table would do"
    result = run.result if run else None
    if not result or not result.get("rooms"):
        return None
    rooms = result["rooms"]
    hours = result["hours"]
    shown = [rooms[0]] + [r for r in rooms[1:] if r["label"] == result["best"]]
    today = rooms[0]
    if result["best"]:
        best = next(r for r in rooms if r["label"] == result["best"])
        summary = (
            f"Played {long_day(run.day)} as forecast ({result['parties']} parties): "
            f"{best['label'].lower()} would cut the mean wait from {today['mean_wait']:.0f} to "
            f"{best['mean_wait']:.0f} min; with today's tables it is the one extra table that helps most."
        )
    else:
        summary = (
            f"Played {long_day(run.day)} as forecast ({result['parties']} parties): "
            f"the mean wait is {minutes(today['mean_wait'])} min with today's tables, and no single "
            "extra table would cut it by a minute or more."
        )
    table = Table(
        "what-if", title, ["Hour joined", *[f"Mean wait, {r['label'].lower()} (min)" for r in rooms]],
        [[f"{h:02d}:00", *[_r(r["waits_by_hour"].get(str(h))) for r in rooms]] for h in hours],
        [str, *[minutes for _ in rooms]],
    )
    spec = _spec(
        [f"{h:02d}:00" for h in hours],
        [_dataset(r["label"], [r["waits_by_hour"].get(str(h)) for h in hours], kind="line") for r in shown],
        "Expected wait (min)", kind="line",
    )
    return Chart("what-if", title, summary, table, spec, rooms)


# ---------------------------------------------------------------------------------------
# The figures compared with the previous period


@dataclass
class Headline:
    label: str
    now: object
    before: object
    shown: str
    shown_before: str
    better_when: str  # "up", "down" or "" (neither is better)
    unit: str = ""

    @property
    def change(self):
        if self.now is None or self.before is None:
            return None
        return float(self.now) - float(self.before)

    @property
    def direction(self):
        change = self.change
        if not change:
            return "same"
        return "up" if change > 0 else "down"

    @property
    def verdict(self):
        """better, worse or neutral: for the colour and the words beside the change."""
        if self.direction == "same" or not self.better_when:
            return "neutral"
        return "better" if self.direction == self.better_when else "worse"

    @property
    def change_text(self):
        change = self.change
        if change is None:
            return "no figure to compare"
        if not change:
            return "same as before"
        sign = "+" if change > 0 else "−"
        amount = abs(change)
        if self.unit == "$":
            return f"{sign}{money(amount)}"
        if self.unit == "%":
            return f"{sign}{amount:.0f} points"
        if self.unit == "min":
            return f"{sign}{amount:.1f} min"
        return f"{sign}{amount:.0f}"


def headlines(now, before):
    def h(label, attr, fmt, better, unit=""):
        a, b = getattr(now, attr), getattr(before, attr)
        return Headline(label, a, b, fmt(a), fmt(b), better, unit)

    count = lambda v: "—" if v is None else f"{v}"  # noqa: E731
    return {
        "queue": [
            h("Parties joined", "joined", count, ""),
            h("Seated", "seated", count, "up"),
            h("Covers", "covers", count, "up"),
            h("Left the queue", "left", count, "down"),
            h("No-shows", "no_shows", count, "down"),
        ],
        "waits": [
            h("Mean wait", "mean_wait", lambda v: f"{minutes(v)} min", "down", "min"),
            h("90th percentile wait", "p90_wait", lambda v: f"{minutes(v)} min", "down", "min"),
            h("Quote error, mean", "quote_mae", lambda v: f"{minutes(v)} min", "down", "min"),
            h("Seated within 5 min of the quote", "on_time_pct", pct, "up", "%"),
            h("Quotes short (+) or long (−) by", "quote_bias", lambda v: f"{minutes(v)} min", "", "min"),
        ],
        "door": [
            h("Lobby wait, mean (arrived to seated)", "lobby_mean", lambda v: f"{minutes(v)} min", "down", "min"),
            h("Stood at the door over 5 min", "lobby_over_5", count, "down"),
            h("Table turn, mean", "turn_mean", lambda v: f"{minutes(v)} min", ""),
        ],
        "kitchen": [
            h("Food ready when the party sat down", "food_ready_pct", pct, "up", "%"),
        ],
        "revenue": [
            h("Pre-order revenue", "revenue", money, "up", "$"),
            h("Per party seated", "revenue_per_party", money, "up", "$"),
            h("Per cover", "revenue_per_cover", money, "up", "$"),
            h("Ordered by parties who left", "ordered_by_leavers", money, "down", "$"),
            h("Ordered by no-shows", "ordered_by_no_shows", money, "down", "$"),
        ],
    }


# ---------------------------------------------------------------------------------------
# The whole screen, and one table at a time for the CSV downloads


def forecast_for(restaurant, now):
    """The demand forecast from today (the restaurant's date) and its backtest. One query for
    the hourly history, one for the restaurant's first party."""
    tz = timezone.get_current_timezone()
    today = now.astimezone(tz).date()
    first, _ = forecasting.history_window(today)
    first_join = queries.first_join(restaurant)
    if first_join is None:
        return forecasting.demand_forecast({}, today, None)
    since = max(first, first_join.astimezone(tz).date())
    from .periods import local_midnight

    counts = queries.joins_per_hour(restaurant, local_midnight(since, tz), local_midnight(today, tz), tz)
    return forecasting.demand_forecast(counts, today, since)


def _total_tables(restaurant):
    return restaurant.total_tables


BUILDERS = {
    "waits-by-hour": lambda r, p, now: waits_chart(
        "waits-by-hour", "Waits by hour joined", queries.waits_by_hour(r, p), "hour", "Hour joined"
    ),
    "waits-by-weekday": lambda r, p, now: waits_chart(
        "waits-by-weekday", "Waits by weekday", queries.waits_by_weekday(r, p), "weekday", "Weekday"
    ),
    "waits-by-size": lambda r, p, now: waits_chart(
        "waits-by-size", "Waits by party size", queries.waits_by_size(r, p), "party size", "Party size"
    ),
    "table-use-by-hour": lambda r, p, now: table_use_chart(
        queries.table_use_by_hour(r, p, now, _total_tables(r)), _total_tables(r)
    ),
    "table-turn-by-size": lambda r, p, now: table_turn_chart(queries.table_turns(r, p)),
    "prep-by-dish": lambda r, p, now: prep_chart(queries.prep_by_dish(r, p)),
    "sales-by-hour": lambda r, p, now: sales_by_hour_chart(queries.sales_by_hour(r, p)),
    "sales-by-dish": lambda r, p, now: sales_by_dish_chart(queries.sales_by_dish(r, p)),
    "revenue-per-queue-position": lambda r, p, now: position_chart(queries.revenue_by_queue_position(r, p)),
    "drop-off-by-quote": lambda r, p, now: drop_off_chart(queries.drop_off_by_quote(r, p)),
    "demand-forecast": lambda r, p, now: forecast_chart(forecast_for(r, now)),
    "what-if": lambda r, p, now: what_if_chart(whatif.latest(r)[0]),
}
# quote-accuracy-by-hour shares its figures with waits-by-hour.
TABLE_KEYS = (*BUILDERS, "quote-accuracy-by-hour")


def one_table(restaurant, period, key, now):
    """The Table behind one chart (None: no such chart, or nothing to show yet)."""
    if key == "quote-accuracy-by-hour":
        chart = quote_accuracy_chart(queries.waits_by_hour(restaurant, period))
    elif key in BUILDERS:
        chart = BUILDERS[key](restaurant, period, now)
    else:
        return None
    return chart.table if chart else None


def insights_screen(restaurant, period, now):
    """Everything the page shows for `period`."""
    from .findings import findings

    current, previous = queries.summaries(restaurant, [period, period.previous()])
    by_hour = queries.waits_by_hour(restaurant, period)
    charts = {
        "waits-by-hour": waits_chart("waits-by-hour", "Waits by hour joined", by_hour, "hour", "Hour joined"),
        "quote-accuracy-by-hour": quote_accuracy_chart(by_hour),
    }
    for key, build in BUILDERS.items():
        if key not in charts and key not in ("demand-forecast", "what-if"):
            charts[key] = build(restaurant, period, now)
    demand = forecast_for(restaurant, now)
    charts["demand-forecast"] = forecast_chart(demand)
    done, running = whatif.latest(restaurant)
    charts["what-if"] = what_if_chart(done)
    idle, idle_before = queries.idle_tables_of(restaurant, [period, period.previous()])
    late = queries.late_tickets(restaurant, period)
    lost = queries.lost_orders(restaurant, period)
    week = selectors.quote_accuracy(
        restaurant, now - timedelta(days=selectors.ACCURACY_DAYS), now
    )
    published = selectors.published_quote_accuracy(restaurant, now, accuracy=week)
    return {
        "summary": current,
        "previous_summary": previous,
        "headlines": headlines(current, previous),
        "charts": charts,
        "idle": idle,
        "idle_before": idle_before,
        "late": late,
        "lost": lost,
        "demand": demand,
        "what_if": done,
        "what_if_running": running,
        "published": published,
        "week_accuracy": week,
        "findings": findings(current, charts, late, lost, demand, done),
    }
