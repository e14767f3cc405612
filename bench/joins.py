#!/usr/bin/env python
"""Joins per second on PostgreSQL with N concurrent connections.

Each worker has its own database connection and calls orders.services.join_queue (the whole
domain path a "Join the queue" click takes: lock the restaurant's row, check the form key and
the menu, quote the wait, hand out a code and a position, write the order, its items and its
log entry, run the timing rules) as fast as it can until the run's joins are done. Two
set-ups:

  one restaurant   every worker joins the same queue. Joins to one restaurant are serialised
                   on purpose (its row is locked so positions stay dense and codes unique),
                   so this is the ceiling of a single Friday rush. The queue grows during the
                   run (0 -> --joins parties), and a join reads the active queue, so later
                   joins cost more than early ones.
  N restaurants    each worker joins its own restaurant's queue: what the database does when
                   many restaurants are busy at once.

Workers are processes by default (several daphne workers; no GIL between them); --threads
runs them as threads of one process instead (one daphne's thread pool). Pushes to live
screens are off unless --broadcast is given (then every join also renders the host stand,
kitchen and diner screens and sends them on the configured channel layer, as in production).

Runs on a throwaway database created and dropped here (Django's test-database machinery):
DATABASE_URL picks the server, by default the local PostgreSQL
(postgres://postgres@127.0.0.1:5432/readytable); the database used is
"<name>_bench_joins_<pid>", never the real one. Every run is checked afterwards: all joins
present, positions 1..n, codes unique.

    .venv/bin/python bench/joins.py
    .venv/bin/python bench/joins.py --connections 1,8,32 --joins 1000
    .venv/bin/python bench/joins.py --threads --broadcast
"""

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/readytable"


def configure(broadcast):
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["LIVE_QUEUE_BROADCAST"] = "1" if broadcast else "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
        raise SystemExit("bench/joins.py measures PostgreSQL: set DATABASE_URL=postgres://...")
    os.environ["TEST_DB_NAME"] = f"{url.rsplit('/', 1)[-1] or 'readytable'}_bench_joins_{os.getpid()}"
    import django

    django.setup()


def make_restaurants(count, tag):
    from orders.models import MenuItem, RestaurantProfile

    made = []
    for i in range(count):
        restaurant = RestaurantProfile.objects.create(
            name=f"Bench {tag} {i}",
            slug=f"bench-{tag}-{i}",
            total_tables=12,
            max_party_size=8,
        )
        dishes = [
            MenuItem.objects.create(
                restaurant=restaurant, name=name, price="12.00", estimated_prep_time_minutes=prep
            ).pk
            for name, prep in [("Pizza", 12), ("Risotto", 20), ("Salad", 6)]
        ]
        made.append((restaurant.pk, dishes))
    return made


def work(worker, restaurant_id, dishes, joins, start_at):
    """One connection's share of the run. Returns the number of joins it made."""
    from django.db import connection

    from orders import services

    while time.time() < start_at:
        time.sleep(0.001)
    for n in range(joins):
        services.join_queue(
            restaurant_id,
            customer_name=f"W{worker} P{n}",
            party_size=2 + n % 4,
            lines=[services.LineRequest(dishes[n % 3], 1), services.LineRequest(dishes[(n + 1) % 3], 1)],
            submission_key=f"{worker}-{n}-{start_at}",
        )
    connection.close()
    return joins


def _process_entry(args):
    return work(*args)


def run(connections, total, spread, use_threads, tag):
    """Make `total` joins over `connections` workers; returns (seconds, restaurant ids)."""
    from django.db import connection

    restaurants = make_restaurants(connections if spread else 1, tag)
    shares = [total // connections + (1 if i < total % connections else 0) for i in range(connections)]
    start_at = time.time() + 0.5
    jobs = [
        (i, *restaurants[i if spread else 0], shares[i], start_at) for i in range(connections)
    ]
    connection.close()  # never share a connection with forked workers
    if use_threads:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(connections) as pool:
            done = sum(pool.map(lambda job: work(*job), jobs))
    else:
        with multiprocessing.get_context("fork").Pool(connections) as pool:
            done = sum(pool.map(_process_entry, jobs))
    elapsed = time.time() - start_at
    assert done == total
    return elapsed, [pk for pk, _ in restaurants]


def check(restaurant_ids, total):
    """Nothing lost, positions dense, codes unique, in every restaurant of the run."""
    from orders.models import Order, OrderStatus

    seen = 0
    for pk in restaurant_ids:
        orders = list(Order.objects.filter(restaurant_id=pk, status=OrderStatus.IN_QUEUE))
        seen += len(orders)
        positions = sorted(o.queue_position for o in orders)
        assert positions == list(range(1, len(orders) + 1)), f"positions not dense in {pk}"
        assert len({o.order_code for o in orders}) == len(orders), f"duplicate codes in {pk}"
    assert seen == total, f"{seen} of {total} joins found"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", default="1,5,20,50", help="comma-separated")
    parser.add_argument("--joins", type=int, default=300, help="joins per run")
    parser.add_argument("--threads", action="store_true", help="threads of one process")
    parser.add_argument("--broadcast", action="store_true", help="push screens on every join")
    args = parser.parse_args()
    sizes = [int(n) for n in args.connections.split(",")]

    configure(args.broadcast)
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment(debug=False)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    rows = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = cursor.fetchone()[0]
        for n in sizes:
            row = [n]
            for spread in (False, True):
                seconds, ids = run(n, args.joins, spread, args.threads, f"{n}-{int(spread)}")
                check(ids, args.joins)
                row.append(args.joins / seconds)
            rows.append(row)
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    workers = "threads of one process" if args.threads else "processes"
    pushes = "pushes on" if args.broadcast else "pushes off"
    print(
        f"Joins per second, PostgreSQL {server}, {args.joins} joins per run, "
        f"workers are {workers}, {pushes}"
    )
    print(f"{'connections':>11}  {'one restaurant':>15}  {'N restaurants':>14}")
    for n, one, many in rows:
        print(f"{n:>11}  {one:>15.0f}  {many:>14.0f}")
    print("Every run checked: all joins present, positions 1..n, codes unique.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
