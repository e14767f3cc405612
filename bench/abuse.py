#!/usr/bin/env python
"""What one abusive client gets out of a real server: joins per second one address gets
through, login attempts before the lockout (per account, per address, and in parallel), and
/healthz latency while one client floods a diner's socket with messages.

It starts its own daphne (with --proxy-headers, so the bench can speak from many addresses
through X-Forwarded-For, as clients behind the proxy do) on a throwaway database, created and
dropped here like bench/queries.py's: DATABASE_URL picks the server (by default the local
PostgreSQL, postgres://postgres@127.0.0.1:5432/readytable; the database used is
"<name>_bench_abuse_<pid>"), or a temporary SQLite file with DATABASE_URL=sqlite. REDIS_URL, if
set, is passed on (then the join limits count in Redis). The limits are the configured ones
(JOIN_RATE_PER_ADDRESS, LOGIN_FAILURE_LIMIT, ...; their defaults unless set). It prints
figures and asserts no timings.

    .venv/bin/python bench/abuse.py
    .venv/bin/python bench/abuse.py --join-seconds 20 --flood-seconds 10
    DATABASE_URL=sqlite .venv/bin/python bench/abuse.py
"""

import argparse
import asyncio
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/readytable"
PASSWORD = "bench-host-pass-123"


def configure():
    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["LIVE_QUEUE_BROADCAST"] = "1"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    if url.startswith("postgres"):
        os.environ["DATABASE_URL"] = url
        os.environ["TEST_DB_NAME"] = f"{url.rsplit('/', 1)[-1] or 'readytable'}_bench_abuse_{os.getpid()}"
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["TEST_DB_NAME"] = str(Path(tempfile.mkdtemp(prefix="rt-abuse-")) / "db.sqlite3")
    import django

    django.setup()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_daphne(port):
    from django.db import connection

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    else:
        env["SQLITE_PATH"] = str(db["NAME"])
    env.update(DEBUG="1", LOG_LEVEL="ERROR")
    log = tempfile.NamedTemporaryFile(prefix="rt-abuse-daphne-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "--proxy-headers", "-b", "127.0.0.1", "-p", str(port),
         "config.asgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc, log.name
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"daphne did not start; see {log.name}")


def set_up():
    from django.contrib.auth import get_user_model

    from orders import services
    from orders.models import MenuItem, RestaurantProfile

    restaurant = RestaurantProfile.objects.create(
        name="Bench Abuse", slug="bench-abuse", total_tables=10, max_party_size=8
    )
    pizza = MenuItem.objects.create(
        restaurant=restaurant, name="Pizza", price="12.00", estimated_prep_time_minutes=12
    )
    users = get_user_model()
    for name in ["host", "cook"]:
        restaurant.staff.add(users.objects.create_user(name, password=PASSWORD))
    order = services.join_queue(
        restaurant.pk, customer_name="Flooder", party_size=2,
        lines=[services.LineRequest(pizza.pk, 1)],
    )
    return restaurant, pizza, order


class Browser:
    """A cookie jar and a CSRF token, speaking from one address (X-Forwarded-For)."""

    def __init__(self, base, address):
        self.base, self.address = base, address
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            NoRedirects(),
        )

    def get(self, path):
        return self._open(urllib.request.Request(self.base + path, headers=self._headers()))

    def post_form(self, path, fields):
        """GET the page for its CSRF token, then POST `fields` with it. Returns the status."""
        status, page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token[1] if token else ""})
        request = urllib.request.Request(
            self.base + path, data=data.encode(), headers={**self._headers(), "Referer": self.base + path}
        )
        return self._open(request)[0]

    def _headers(self):
        return {"X-Forwarded-For": self.address}

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=30) as answer:
                return answer.status, answer.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def joins_from_one_address(base, restaurant, pizza, seconds):
    browser = Browser(base, "198.51.100.1")
    path = f"/r/{restaurant.slug}/"
    accepted = refused = other = 0
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        n += 1
        status = browser.post_form(path, {
            "customer_name": f"Spam {n}", "party_size": "2", f"item-{pizza.pk}-qty": "1",
            "submission_key": f"abuse-{n}-{start}",
        })
        if status == 302:
            accepted += 1
        elif status == 429:
            refused += 1
        else:
            other += 1
    elapsed = time.monotonic() - start
    return accepted, refused, other, elapsed


def attempts_until_locked(base, usernames, addresses, limit=200):
    """Wrong passwords, one at a time, until the login answers 429 (the attempt that reaches
    the limit is itself answered with the lockout page); returns that attempt's number."""
    for n in range(1, limit + 1):
        browser = Browser(base, addresses[n % len(addresses)])
        status = browser.post_form(
            "/restaurant/login/", {"username": usernames[n % len(usernames)], "password": "wrong-guess"}
        )
        if status == 429:
            return n
    return None


def parallel_attempts(base, username, clients, address="203.0.113.200"):
    """`clients` wrong passwords at once at one account; how many were answered as a wrong
    password (400), how many with the lockout page (429)."""
    barrier = threading.Barrier(clients)
    browsers = [Browser(base, address) for _ in range(clients)]
    for b in browsers:
        b.get("/restaurant/login/")  # the CSRF cookie first

    def attempt(b):
        barrier.wait()
        return b.post_form("/restaurant/login/", {"username": username, "password": "wrong-guess"})

    with ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(attempt, browsers))
    return statuses.count(400), statuses.count(429), len(statuses) - statuses.count(400) - statuses.count(429)


def healthz_latencies(base, seconds, stop=None):
    times = []
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (stop and stop.is_set()):
        t0 = time.monotonic()
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=30) as answer:
                answer.read()
        except (urllib.error.URLError, OSError):
            pass
        times.append(time.monotonic() - t0)
        time.sleep(0.05)
    return times


async def flood(port, token, seconds):
    """One client sends socket messages as fast as it can, opened the way a browser does; when
    the server closes its socket it opens another and goes on, for `seconds`. Returns
    (messages sent, sockets it needed, the close codes it got)."""
    import websockets

    sent, sockets, codes = 0, 0, set()
    uri = f"ws://127.0.0.1:{port}/ws/q/{token}/"
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sockets += 1
        try:
            async with websockets.connect(uri, origin=f"http://127.0.0.1:{port}", max_queue=None) as ws:
                await ws.recv()  # the snapshot
                while time.monotonic() < end:
                    for _ in range(100):
                        await ws.send("x" * 50)
                        sent += 1
                    await asyncio.sleep(0)
        except websockets.ConnectionClosed as closed:
            # A flood's close frame is often lost in the reset of a socket closed with
            # unread data, hence 1006 ("abnormal") as often as the server's 1008.
            codes.add(closed.rcvd.code if closed.rcvd else 1006)
        except OSError:
            await asyncio.sleep(0.05)
    return sent, sockets, codes


def summary(times):
    if not times:
        return "no answers"
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"{len(times)} requests, median {statistics.median(times) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--join-seconds", type=float, default=15)
    parser.add_argument("--flood-seconds", type=float, default=8)
    parser.add_argument("--parallel", type=int, default=20, help="simultaneous wrong logins")
    args = parser.parse_args()

    configure()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment(debug=False)
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    proc = None
    try:
        restaurant, pizza, order = set_up()
        connection.close()
        port = free_port()
        proc, log = start_daphne(port)
        base = f"http://127.0.0.1:{port}"
        where = f"{connection.vendor}, {'Redis cache' if settings.REDIS_URL else 'local-memory cache'}"
        print(f"bench/abuse.py against daphne on {where}")
        print(
            f"limits: joins {settings.JOIN_RATE_PER_ADDRESS} per address, "
            f"{settings.JOIN_RATE_PER_RESTAURANT} per restaurant; logins locked after "
            f"{settings.LOGIN_FAILURE_LIMIT} failures for {settings.LOGIN_LOCKOUT_MINUTES} min"
        )

        accepted, refused, other, elapsed = joins_from_one_address(base, restaurant, pizza, args.join_seconds)
        tries = accepted + refused + other
        print(
            f"\njoins from one address, {elapsed:.1f} s flat out: {tries} tries "
            f"({tries / elapsed:.1f}/s), {accepted} joined ({accepted / elapsed:.2f} joins/s), "
            f"{refused} refused with 429, {other} other answers"
        )

        per_account = attempts_until_locked(base, ["host"], [f"198.51.100.{n}" for n in range(10, 250)])
        per_address = attempts_until_locked(base, [f"guess{n}" for n in range(500)], ["203.0.113.50"])
        checked, locked, other_logins = parallel_attempts(base, "cook", args.parallel)
        print(
            f"\nlogins, one at a time: the lockout page came with attempt {per_account} at one "
            f"account (each from a new address), and with attempt {per_address} from one "
            f"address (each at a new account)"
        )
        print(
            f"{args.parallel} wrong passwords at one account at the same moment: {checked} "
            f"answered as wrong, {locked} with the lockout page, {other_logins} other answers"
        )

        quiet = healthz_latencies(base, 3)
        print(f"\n/healthz, nothing else going on: {summary(quiet)}")
        stop = threading.Event()
        result = {}
        flooder = threading.Thread(
            target=lambda: result.update(out=asyncio.run(flood(port, order.public_token, args.flood_seconds)))
        )
        flooder.start()
        busy = healthz_latencies(base, args.flood_seconds, stop)
        flooder.join()
        sent, sockets, codes = result.get("out", (0, 0, set()))
        print(
            f"/healthz while one client floods diner sockets, opening a new one each time the "
            f"server closes it: {summary(busy)}; the client sent {sent} messages "
            f"({sent / args.flood_seconds:.0f}/s) over {sockets} sockets, closed with "
            f"{sorted(c for c in codes if c is not None) or 'nothing'}"
        )
        print(f"\n(daphne log: {log})")
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    return 0


if __name__ == "__main__":
    sys.exit(main())
