#!/usr/bin/env python
"""Time (and count the queries of) the insights screen as a restaurant's history grows.

For each size (1,000, 10,000, 40,000 and 100,000 parties by default) a fresh restaurant gets that
many past parties, written the way seed_demo writes its two months (a busy trattoria with
lunch and dinner, closed on Mondays, about 110 parties a day, so 40,000 parties is a year):
joins by weekday and hour, quotes, waits at real tables, pre-orders, leavers, no-shows,
kitchen times. Then the screen is read as a manager reads it, over HTTP with Django's test
client, for the last 7 and 28 days and for the whole last year, and each section's queries
are timed on their own.

Runs on a throwaway database that it creates and drops (Django's test-database machinery):
DATABASE_URL picks the server, by default the local PostgreSQL
(postgres://postgres@127.0.0.1:5432/readytable); the database used is
"<name>_bench_insights_<pid>", never the real one. This prints figures; it asserts nothing.

    .venv/bin/python bench/insights.py
    .venv/bin/python bench/insights.py --sizes 1000,40000 --repeat 5
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/readytable"
PARTIES_PER_DAY = 110


def configure():
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["LIVE_QUEUE_BROADCAST"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        os.environ["TEST_DB_NAME"] = f"{url.rsplit('/', 1)[-1] or 'readytable'}_bench_insights_{os.getpid()}"
    import django

    django.setup()


def build_restaurant(parties, manager):
    """A busy trattoria with `parties` past parties. Returns (restaurant, parties written)."""
    from orders import services
    from orders.management.commands import seed_demo
    from orders.models import MenuItem, RestaurantProfile, StaffRole

    restaurant = RestaurantProfile.objects.create(
        name=f"Bench {parties}", slug=f"bench-{parties}", total_tables=0, max_party_size=6,
        avg_dine_in_duration_minutes=50,
    )
    restaurant.staff.add(manager, through_defaults={"role": StaffRole.MANAGER})
    # Three times the demo's room and custom.
    services.set_up_tables(restaurant.pk, {seats: 3 * n for seats, n in seed_demo.ROOM.items()}, "bench")
    items = {
        name: MenuItem.objects.create(
            restaurant=restaurant, name=name, description=description, price=price,
            estimated_prep_time_minutes=prep, course=course,
        )
        for name, description, price, prep, course in seed_demo.MENU
    }
    # The demo's ordinary day brings about 36 parties; six days of seven are open.
    busyness = PARTIES_PER_DAY / 36
    days = max(8, round(parties / PARTIES_PER_DAY * 7 / 6))
    written = seed_demo.write_past_service(
        restaurant, items, days=days, busyness=busyness, weekly_growth=0, seed=parties, log=False
    )
    return restaurant, written


def timed(fn, repeat):
    """(median ms, queries) of calling fn() `repeat` times."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, counts = [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        counts.append(len(queries.captured_queries))
    return statistics.median(times), max(counts)


SECTION_NAMES = [
    "headline figures (now + before)", "waits by hour/weekday/size", "idle freed tables (now + before)",
    "table use by hour", "table turn by size", "kitchen (late, prep by dish)",
    "sales by hour and dish", "revenue per queue position", "lost orders, drop-off",
    "forecast and backtest", "what-if (last kept)",
]


def sections(restaurant, period, now):
    from insights import queries, screen, whatif

    total = restaurant.total_tables
    return {
        "headline figures (now + before)": lambda: queries.summaries(restaurant, [period, period.previous()]),
        "waits by hour/weekday/size": lambda: (
            queries.waits_by_hour(restaurant, period), queries.waits_by_weekday(restaurant, period),
            queries.waits_by_size(restaurant, period),
        ),
        "idle freed tables (now + before)": lambda: queries.idle_tables_of(restaurant, [period, period.previous()]),
        "table use by hour": lambda: queries.table_use_by_hour(restaurant, period, now, total),
        "table turn by size": lambda: queries.table_turns(restaurant, period),
        "kitchen (late, prep by dish)": lambda: (
            queries.late_tickets(restaurant, period), queries.prep_by_dish(restaurant, period)
        ),
        "sales by hour and dish": lambda: (
            queries.sales_by_hour(restaurant, period), queries.sales_by_dish(restaurant, period)
        ),
        "revenue per queue position": lambda: queries.revenue_by_queue_position(restaurant, period),
        "lost orders, drop-off": lambda: (
            queries.lost_orders(restaurant, period), queries.drop_off_by_quote(restaurant, period)
        ),
        "forecast and backtest": lambda: screen.forecast_for(restaurant, now),
        "what-if (last kept)": lambda: whatif.latest(restaurant),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1000,10000,40000,100000", help="parties of history, comma-separated"
    )
    parser.add_argument("--repeat", type=int, default=3, help="reads per figure (median ms)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    configure()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment, teardown_test_environment
    from django.urls import reverse

    from insights.periods import parse_period
    from insights.screen import reading
    from orders import clock

    load_before = os.getloadavg()[0]
    setup_test_environment(debug=False)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    pages, parts, loaded = {}, {}, {}
    try:
        manager = get_user_model().objects.create(username="bench-manager")
        client = Client()
        client.force_login(manager)
        for size in sizes:
            start = time.perf_counter()
            restaurant, written = build_restaurant(size, manager)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would have by then
            loaded[size] = (written, time.perf_counter() - start)
            url = reverse("insights:page", args=[restaurant.slug])
            for label, params in [("last 7 days", {"period": "7d"}), ("last 28 days", {"period": "28d"}),
                                  ("last year", _last_year())]:
                def read():
                    response = client.get(url, params)
                    if response.status_code != 200:
                        raise SystemExit(f"{url} {params} answered {response.status_code}")

                pages[(label, size)] = timed(read, args.repeat)
            now = clock.now()
            period = parse_period({"period": "28d"}, now)
            # As the screen reads them (insights.screen.reading: one transaction, the
            # planner told index reads are cheap), without counting its BEGIN, SET and COMMIT.
            with reading():
                for name, fn in sections(restaurant, period, now).items():
                    parts[(name, size)] = timed(fn, args.repeat)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    vendor = connection.vendor
    print(f"Insights screen ({vendor}; median of {args.repeat} reads; history ~{PARTIES_PER_DAY} parties a day)")
    # Timings on a shared machine mean little without how busy it was.
    print(f"Load average (1 min) at start {load_before:.1f}, at end {os.getloadavg()[0]:.1f}, on {os.cpu_count()} CPUs")
    print("History loaded: " + ", ".join(
        f"{written:,} parties in {seconds:.0f} s" for written, seconds in (loaded[s] for s in sizes)
    ))
    header = f"{'whole page':<34}" + "".join(f"{f'{loaded[n][0]:,} parties':>22}" for n in sizes)
    print()
    print(header)
    print("-" * len(header))
    for label in ("last 7 days", "last 28 days", "last year"):
        cells = [f"{pages[(label, n)][1]:>4} q {pages[(label, n)][0]:>8.1f} ms" for n in sizes]
        print(f"{label:<34}" + "".join(f"{c:>22}" for c in cells))
    print()
    print(f"{'section, last 28 days':<34}" + "".join(f"{f'{loaded[n][0]:,} parties':>22}" for n in sizes))
    print("-" * len(header))
    for name in SECTION_NAMES:
        cells = [f"{parts[(name, n)][1]:>4} q {parts[(name, n)][0]:>8.1f} ms" for n in sizes]
        print(f"{name:<34}" + "".join(f"{c:>22}" for c in cells))
    return 0


def _last_year():
    from datetime import timedelta

    from django.utils import timezone

    from orders import clock

    today = timezone.localdate(clock.now())
    return {"period": "custom", "start": (today - timedelta(days=365)).isoformat(), "end": today.isoformat()}


if __name__ == "__main__":
    sys.exit(main())
