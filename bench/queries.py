#!/usr/bin/env python
"""Database queries (and time) per screen as the queue grows.

For each queue length (5, 50 and 200 waiting parties by default) a fresh restaurant is set up
through the real orders.services: 8 tables, 3 parties seated, 4 told to head over (so the
kitchen has tickets), then N parties waiting, each with two dishes. Then each screen is
fetched over HTTP with Django's test client, as a logged-in host or a diner would:

  host stand       /restaurant/<slug>/host/
  kitchen display  /restaurant/<slug>/kitchen/
  diner page       /q/<token>/   (the party at the back of the queue)
  restaurant page  /r/<slug>/    (menu, wait, join form)

and the SQL queries each one makes are counted. A screen whose count grows with N has an N+1
problem (tests/orders/test_views_queries.py fails on it too); the milliseconds are the median
of several renders, for a feel of how the screens scale, not a target.

Runs on a throwaway database that it creates and drops (Django's test-database machinery):
DATABASE_URL picks the server, by default the local PostgreSQL
(postgres://postgres@127.0.0.1:5432/readytable); the database used is
"<name>_bench_queries_<pid>", never the real one. Pushes to live screens are switched off.

    .venv/bin/python bench/queries.py
    .venv/bin/python bench/queries.py --sizes 5,100,500 --repeat 5
    DATABASE_URL=sqlite:///tmp/x.sqlite3 .venv/bin/python bench/queries.py   # SQLite instead
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


def configure():
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Nobody watches the bench's screens; the broadcast would only add noise.
    os.environ["LIVE_QUEUE_BROADCAST"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        os.environ["TEST_DB_NAME"] = f"{url.rsplit('/', 1)[-1] or 'readytable'}_bench_queries_{os.getpid()}"
    import django

    django.setup()


def build_evening(waiting, host):
    """A restaurant mid-service with `waiting` parties in line. Returns (restaurant, diner)."""
    from orders import services
    from orders.models import MenuItem, RestaurantProfile

    restaurant = RestaurantProfile.objects.create(
        name=f"Bench {waiting}",
        slug=f"bench-{waiting}",
        total_tables=8,
        avg_dine_in_duration_minutes=50,
        max_party_size=8,
    )
    # A manager: the host stand as a manager sees it, with its Room and timing form.
    restaurant.staff.add(host, through_defaults={"role": "manager"})
    dishes = [
        MenuItem.objects.create(
            restaurant=restaurant, name=name, price=price, estimated_prep_time_minutes=prep
        )
        for name, price, prep in [
            ("Margherita pizza", "14.50", 12),
            ("Mushroom risotto", "17.00", 20),
            ("Burrata salad", "12.00", 6),
            ("Tiramisu", "8.00", 3),
        ]
    ]

    def join(n):
        return services.join_queue(
            restaurant.pk,
            customer_name=f"Party {n}",
            party_size=2 + n % 3,
            lines=[
                services.LineRequest(dishes[n % 4].pk, 1),
                services.LineRequest(dishes[(n + 1) % 4].pk, 2),
            ],
        )

    for n in range(3):
        order = join(n)
        services.notify_party(order.pk, host)
        services.seat_party(order.pk, host)
    for n in range(3, 7):
        services.notify_party(join(n).pk, host)
    diner = None
    for n in range(7, 7 + waiting):
        diner = join(n)
    return restaurant, diner


def measure(client, url, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts, times = [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        counts.append(len(queries.captured_queries))
    return max(counts), statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5,50,200", help="waiting parties, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="renders per screen (median ms)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    configure()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment, teardown_test_environment
    from django.urls import reverse

    setup_test_environment(debug=False)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        host = get_user_model().objects.create(username="bench-host")
        client = Client()
        client.force_login(host)
        results = {}
        for size in sizes:
            restaurant, diner = build_evening(size, host)
            screens = {
                "host stand": reverse("staff:host", args=[restaurant.slug]),
                "kitchen display": reverse("staff:kitchen", args=[restaurant.slug]),
                "diner page": diner.get_absolute_url(),
                "restaurant page": restaurant.get_absolute_url(),
            }
            for screen, url in screens.items():
                results[(screen, size)] = measure(client, url, args.repeat)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    vendor = connection.vendor
    print(f"Queries per screen ({vendor}; 3 seated, 4 tickets, N waiting; median of {args.repeat} renders)")
    header = f"{'screen':<17}" + "".join(f"{f'N={n}':>18}" for n in sizes)
    print(header)
    print("-" * len(header))
    grows = []
    for screen in ["host stand", "kitchen display", "diner page", "restaurant page"]:
        cells = []
        for size in sizes:
            count, ms = results[(screen, size)]
            cells.append(f"{count:>5} q {ms:>7.1f} ms")
        print(f"{screen:<17}" + "".join(f"{c:>18}" for c in cells))
        if len({results[(screen, s)][0] for s in sizes}) > 1:
            grows.append(screen)
    print()
    if grows:
        print("Query count GROWS with the queue on: " + ", ".join(grows))
        return 1
    print("Query counts are flat: no screen's queries grow with the queue.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
