"""What the forecast means for the room: the busiest day of the next 7 played through the
simulator (orders/simulation.py) with today's tables, and again with one more table of
each size the room has, to find the table that would cut the waits most.

The evening is built from the restaurant's own data: the forecast's parties per hour (joining
evenly through each hour), party sizes, stays, dishes and no-shows drawn from the last
HISTORY_WEEKS weeks, and the learned sittings as the simulator's history. Draws use a
low-discrepancy sequence instead of random numbers, so the same history always gives the
same evening, and a small one still has its sizes and stays in proportion. The simulator
has no diners who give up and leave: everyone forecast waits until seated (or is a no-show).

The simulator drives a clock shared by every thread of its process and needs a database of
its own, so it never runs inside the web server: each run is a child process
(`manage.py insights_play_evening`) on an in-memory SQLite database, two at a time (the
machine's cores). A run takes tens of seconds, so the screen shows the last one kept
(WhatIfRun) and a manager asks for a new one with a button.
"""

import json
import logging
import math
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Subquery, Sum
from django.utils import timezone

from orders import clock, selectors, timing
from orders.estimates import size_band
from orders.models import PAST_VISIT_CODE, MenuItem, Order, OrderItem, OrderStatus

from . import queries
from .models import WhatIfRun

logger = logging.getLogger(__name__)

HISTORY_WEEKS = 8
HISTORY_SITTINGS = 300  # the most recent sittings, given to the simulator to learn from
PARALLEL_RUNS = 2
RUN_TIMEOUT_SECONDS = 600
# A run still marked running after this long died with its server: it no longer blocks.
STALE_AFTER = timedelta(minutes=15)
GOLDEN = (math.sqrt(5) - 1) / 2


class WhatIfError(Exception):
    def __init__(self, message, status_code=409):
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def _draw(i, offset=0.0):
    """The i-th point of a low-discrepancy sequence in [0, 1)."""
    return (offset + (i + 1) * GOLDEN) % 1.0


def _pick(weights, u):
    """The key whose share of the total weight covers u in [0, 1)."""
    total = sum(weights.values())
    running = 0.0
    for key, weight in sorted(weights.items()):
        running += weight / total
        if u < running:
            return key
    return max(weights)


def _quantile(sorted_values, u):
    return sorted_values[min(len(sorted_values) - 1, int(u * len(sorted_values)))]


def _spread(expected_by_hour):
    """Whole parties per hour from fractional forecasts, keeping the day's total (largest
    remainders get the extra parties)."""
    floors = {h: math.floor(e) for h, e in expected_by_hour.items()}
    missing = round(sum(expected_by_hour.values())) - sum(floors.values())
    by_remainder = sorted(expected_by_hour, key=lambda h: (-(expected_by_hour[h] - floors[h]), h))
    for h in by_remainder[: max(0, missing)]:
        floors[h] += 1
    return {h: n for h, n in floors.items() if n > 0}


@dataclass
class RestaurantHabits:
    sizes: dict  # party size -> parties
    stays: dict  # size band -> sorted minutes at the table
    dishes: dict  # dish name -> portions ordered
    no_show_rate: float
    sittings: list  # (size, minutes, minute of day sat down) for the simulator's history


def habits(restaurant, now):
    """What the last HISTORY_WEEKS weeks say about the restaurant's parties. Four queries."""
    tz = timezone.get_current_timezone()
    since = now - timedelta(weeks=HISTORY_WEEKS)
    recent = Order.objects.filter(restaurant=restaurant, joined_at__gte=since, joined_at__lt=now).exclude(
        order_code=PAST_VISIT_CODE
    ).order_by()
    sizes = dict(recent.values("party_size").annotate(n=Count("pk")).values_list("party_size", "n"))
    outcome = recent.aggregate(
        seated=Count("pk", filter=queries.SEATED), no_shows=Count("pk", filter=queries.NO_SHOW)
    )
    came_or_not = outcome["seated"] + outcome["no_shows"]
    dishes = dict(
        OrderItem.objects.filter(order__in=recent, menu_item__available=True)
        .order_by()
        .values("menu_item__name")
        .annotate(n=Sum("quantity"))
        .values_list("menu_item__name", "n")
    )
    # The sittings the restaurant's quotes learn from (imported past visits included).
    rows = (
        Order.objects.filter(
            restaurant=restaurant, status=OrderStatus.COMPLETED, completed_at_time__gte=since,
            seated_at_time__isnull=False,
        )
        .order_by("-completed_at_time")
        .values_list("party_size", "seated_at_time", "completed_at_time")[:HISTORY_SITTINGS]
    )
    stays, sittings = {}, []
    for size, seated, completed in rows:
        minutes = max(1, round((completed - seated).total_seconds() / 60))
        local = seated.astimezone(tz)
        sittings.append((size, minutes, local.hour * 60 + local.minute))
        stays.setdefault(size_band(size), []).append(minutes)
    return RestaurantHabits(
        sizes=sizes,
        stays={band: sorted(values) for band, values in stays.items()},
        dishes=dishes,
        no_show_rate=outcome["no_shows"] / came_or_not if came_or_not else 0.0,
        sittings=sittings,
    )


def build_scenario(restaurant, day_forecast, habits_, room, menu, now):
    """A simulator scenario (orders.simulation's JSON format) of the forecast day: `room` is
    [(seats, tables)], `menu` the available MenuItems."""
    tz = timezone.get_current_timezone()
    per_hour = _spread({h: e for h, e in day_forecast.hours.items() if e > 0})
    if not per_hour or not room:
        return None
    largest = max(seats for seats, _ in room)
    sizes = {s: n for s, n in habits_.sizes.items() if s <= largest} or {2: 1}
    learned = timing.dining_times(restaurant, now)
    start_hour = min(per_hour)
    parties = []
    i = 0
    for hour in sorted(per_hour):
        n = per_hour[hour]
        for j in range(n):
            size = _pick(sizes, _draw(i))
            stays = habits_.stays.get(size_band(size))
            if stays:
                dine = _quantile(stays, _draw(i, 0.37))
            else:
                moment = datetime.combine(day_forecast.day, time(hour), tzinfo=tz)
                dine = round(learned.typical(size, moment))
            dishes = {}
            for k in range(size if habits_.dishes else 0):
                dish = _pick(habits_.dishes, _draw(i * 7 + k, 0.11))
                dishes[dish] = dishes.get(dish, 0) + 1
            parties.append({
                "id": f"p{i + 1}",
                "join": (hour - start_hour) * 60 + int((j + 0.5) * 60 / n),
                "party_size": size,
                "dine_minutes": max(1, int(dine)),
                "items": dishes,
                "no_show": _draw(i, 0.71) < habits_.no_show_rate,
            })
            i += 1
    on_menu = {item.name for item in menu}
    for party in parties:
        party["items"] = {d: q for d, q in party["items"].items() if d in on_menu}
    history = [
        {"party_size": min(size, largest), "dine_minutes": min(minutes, 1440), "start": start}
        for size, minutes, start in habits_.sittings
    ]
    return {
        "start": start_hour * 60,
        "restaurant": {
            "tables": [{"seats": seats, "count": count} for seats, count in room],
            "avg_dine_in_duration_minutes": restaurant.avg_dine_in_duration_minutes,
            "default_travel_minutes": restaurant.default_travel_minutes,
            "grace_minutes": min(restaurant.arrival_grace_minutes, 120),
            "notify_buffer_minutes": restaurant.notify_buffer_minutes,
            "plating_buffer_minutes": restaurant.plating_buffer_minutes,
        },
        "menu": [
            {"name": item.name, "prep_minutes": item.estimated_prep_time_minutes, "price": str(item.price)}
            for item in menu
        ],
        "history": history,
        "parties": parties,
    }


def room_variants(room):
    """[(label, seats added or None, room)]: today's tables, then one more of each size."""
    variants = [("Today's tables", None, list(room))]
    for seats, _ in room:
        bigger = [(s, n + 1 if s == seats else n) for s, n in room]
        variants.append((f"One more {seats}-top", seats, bigger))
    return variants


def _child_environment():
    """The simulator's process: the project's settings, an in-memory SQLite database of its
    own (never the restaurant's), no Redis, no pushes."""
    env = {
        k: v for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "TEST_DB_NAME", "SQLITE_PATH")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        LIVE_QUEUE_BROADCAST="0",
        LOG_LEVEL="WARNING",
        SQLITE_PATH=os.path.join(tempfile.gettempdir(), "readytable-what-if-unused.sqlite3"),
        TIME_ZONE=settings.TIME_ZONE,
    )
    return env


def play(scenario, variants):
    """Play `scenario` once per room variant in child processes; {label: [party results]}
    where a party result is (join minute, size, seated minute or None, no-show)."""
    jobs = [
        {"label": label, "tables": [{"seats": s, "count": n} for s, n in room]}
        for label, _, room in variants
    ]
    batches = [jobs[i::PARALLEL_RUNS] for i in range(PARALLEL_RUNS) if jobs[i::PARALLEL_RUNS]]

    def run(batch):
        answer = subprocess.run(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "insights_play_evening"],
            input=json.dumps({"scenario": scenario, "variants": batch}),
            capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS,
            env=_child_environment(), cwd=settings.BASE_DIR,
        )
        if answer.returncode != 0:
            raise WhatIfError(
                "The simulator stopped with an error: " + (answer.stderr.strip().splitlines() or ["?"])[-1],
                status_code=500,
            )
        return json.loads(answer.stdout)

    results = {}
    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        for played in pool.map(run, batches):
            results.update(played)
    return results


def summarise(scenario, variants, played):
    """Mean wait (joined to seated) per hour of joining for each room, and which extra table
    cuts the day's mean wait most (none when no extra table cuts it by a minute)."""
    start_hour = scenario["start"] // 60
    rooms = []
    for label, seats_added, room in variants:
        by_hour, waits = {}, []
        for join, _size, seated, no_show in played[label]:
            if no_show or seated is None:
                continue
            hour = (start_hour + join // 60) % 24
            by_hour.setdefault(hour, []).append(seated - join)
            waits.append(seated - join)
        rooms.append({
            "label": label,
            "seats_added": seats_added,
            "tables": [[s, n] for s, n in room],
            "mean_wait": sum(waits) / len(waits) if waits else None,
            "seated": len(waits),
            "waits_by_hour": {str(h): sum(w) / len(w) for h, w in sorted(by_hour.items())},
        })
    today = rooms[0]
    best = None
    for option in rooms[1:]:
        if option["mean_wait"] is None or today["mean_wait"] is None:
            continue
        if option["mean_wait"] <= today["mean_wait"] - 1 and (
            best is None or option["mean_wait"] < best["mean_wait"]
        ):
            best = option
    return {
        "parties": len(scenario["parties"]),
        "no_shows": sum(1 for p in scenario["parties"] if p["no_show"]),
        "rooms": rooms,
        "best": best["label"] if best else None,
        "hours": sorted({int(h) for r in rooms for h in r["waits_by_hour"]}),
    }


def _start_run(restaurant, day, now):
    """Claim the restaurant's one running what-if, or say when the running one started."""
    WhatIfRun.objects.filter(
        restaurant=restaurant, status=WhatIfRun.RUNNING, started_at__lt=now - STALE_AFTER
    ).update(status=WhatIfRun.FAILED, message="Stopped before it finished.")
    try:
        with transaction.atomic():
            return WhatIfRun.objects.create(restaurant=restaurant, day=day, started_at=now)
    except IntegrityError:
        running = WhatIfRun.objects.filter(restaurant=restaurant, status=WhatIfRun.RUNNING).first()
        since = timezone.localtime(running.started_at).strftime("%H:%M") if running else "a moment ago"
        raise WhatIfError(
            f"The what-if is already being worked out (since {since}): it will show here when it is done."
        ) from None


def run_what_if(restaurant, now=None):
    """Build the forecast day's evening, play it with each room, keep the result (WhatIfRun)
    and return it. Raises WhatIfError when there is nothing to play or a run is going."""
    from .screen import forecast_for  # the forecast as the screen shows it

    now = now or clock.now()
    demand = forecast_for(restaurant, now)
    if not demand.available:
        raise WhatIfError(
            "There is not enough history for a forecast yet, so there is no evening to play.",
            status_code=400,
        )
    busiest = demand.busiest_day
    room = selectors.table_sizes(restaurant)
    menu = list(MenuItem.objects.filter(restaurant=restaurant, available=True).order_by("name"))
    scenario = build_scenario(restaurant, busiest, habits(restaurant, now), room, menu, now)
    if scenario is None:
        raise WhatIfError("The forecast expects no parties in the next 7 days.", status_code=400)
    run = _start_run(restaurant, busiest.day, now)
    try:
        variants = room_variants(room)
        result = summarise(scenario, variants, play(scenario, variants))
    except Exception as exc:
        run.status, run.finished_at = WhatIfRun.FAILED, clock.now()
        run.message = getattr(exc, "message", "The simulator could not play the evening.")[:200]
        run.save(update_fields=["status", "finished_at", "message"])
        logger.exception("What-if for %s failed", restaurant.slug)
        if isinstance(exc, WhatIfError):
            raise
        raise WhatIfError(run.message, status_code=500) from exc
    run.status, run.finished_at, run.result = WhatIfRun.DONE, clock.now(), result
    run.save(update_fields=["status", "finished_at", "result"])
    return run


def latest(restaurant):
    """The last finished what-if and any run still going. One query: the last finished run
    and the running ones (one at a time per restaurant)."""
    last_done = (
        WhatIfRun.objects.filter(restaurant=restaurant, status=WhatIfRun.DONE)
        .order_by("-finished_at")
        .values("pk")[:1]
    )
    runs = list(
        WhatIfRun.objects.filter(restaurant=restaurant)
        .filter(Q(pk__in=Subquery(last_done)) | Q(status=WhatIfRun.RUNNING))
    )
    done = next((run for run in runs if run.status == WhatIfRun.DONE), None)
    running = next((run for run in runs if run.status == WhatIfRun.RUNNING), None)
    return done, running
