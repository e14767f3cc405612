#!/usr/bin/env python
"""ReadyTable's live updates under load, measured as diners and hosts live through them.

The whole path, as in production: daphne processes (one or two) serving the app with DEBUG
off, PostgreSQL, Redis (the pub/sub channel layer), and a load client that opens diner
sockets the way a browser does: it loads diner pages, reads the socket path from their
ws-connect attribute and opens it with the page's cookie and Origin (every diner's page is
not loaded: above a sample of 20 the path is built as the page writes it). A host, logged in
with a real session and CSRF token, presses "Notify next" over HTTP; every waiting diner's
place changes, so every diner socket of that restaurant must hear something. The client
records, per socket, when the first message after the click arrived.

Printed per run: sockets, how long opening them took, the host request's time (p50/p95),
arrival from the click to each socket (p50/p95/p99/max) and the share of sockets that heard
within 15 s. Two layouts: N diners queued in one restaurant ("one"), and N diners spread over
100 restaurants with a change somewhere every second ("spread").

The same client then drives bench/bare_server.py, a bare `websockets` broadcast server with
the same 2 KB payload: the machine's ceiling, beside us in the same run.

Also: idle cost (memory per open socket, CPU with sockets quiet and with the page's 20 s
heartbeat), the burst (500 simultaneous page loads and 500 simultaneous socket connects:
errors, and time until /healthz answers again), and a py-spy profile of the largest run.

Everything runs on a throwaway PostgreSQL database (created and dropped here) and a channel
prefix of its own on the local Redis. Takes 15-30 minutes in full.

    .venv/bin/python bench/live_load.py                          # everything
    .venv/bin/python bench/live_load.py --only ramp --sizes 100,1000 --processes 1
    .venv/bin/python bench/live_load.py --only idle,burst
"""

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
DEADLINE = 15.0  # a socket that has not heard within this long "never heard"
SPREAD_RESTAURANTS = 100
PAGE_SAMPLE = 20
OPEN_CONCURRENCY = 200
SECRET_KEY = "bench-only-not-a-secret"


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def ms(seconds):
    return f"{seconds * 1000:.0f}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- the database


class BenchDatabase:
    def __init__(self):
        self.name = f"readytable_bench_live_{os.getpid()}"
        base = PG_URL.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"

    def _admin(self, sql):
        import psycopg2

        conn = psycopg2.connect(PG_URL)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(sql)
        conn.close()

    def create(self):
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}"')
        self._admin(f'CREATE DATABASE "{self.name}"')
        os.environ["DATABASE_URL"] = self.url
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        os.environ["LIVE_QUEUE_BROADCAST"] = "0"  # the bench's own writes: no pushes
        os.environ["SECRET_KEY"] = SECRET_KEY  # the servers' own, so its sessions are theirs
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)

    def drop(self):
        from django.db import connections

        connections.close_all()
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def staff_cookie():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="bench-host", is_superuser=True)
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def make_restaurants(count, waiting_each, tag):
    """`count` restaurants, each with 30 tables all taken and `waiting_each` parties in
    line with one dish each. Returns [(restaurant id, slug, [diner tokens])]."""
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import (
        DiningTable,
        MenuItem,
        Order,
        OrderItem,
        OrderStatus,
        RestaurantProfile,
        new_public_token,
    )

    now = timezone.now()
    out = []
    for r in range(count):
        restaurant = RestaurantProfile.objects.create(
            name=f"Bench {tag} {r}", slug=f"bench-{tag}-{r}", total_tables=0,
            avg_dine_in_duration_minutes=50, max_party_size=8,
        )
        tables = DiningTable.objects.bulk_create(
            DiningTable(restaurant=restaurant, number=n, seats=4) for n in range(1, 31)
        )
        dish = MenuItem.objects.create(
            restaurant=restaurant, name="Pizza", price="14.50", estimated_prep_time_minutes=12
        )
        seated = Order.objects.bulk_create(
            Order(
                restaurant=restaurant, customer_name=f"Seated {n}", party_size=2,
                order_code=f"S{n:03d}"[-4:], status=OrderStatus.READY, table=table,
                quoted_wait_minutes=10, joined_at=now - timedelta(minutes=40),
                seated_at_time=now - timedelta(minutes=30 - n % 25), actual_wait_minutes=10,
            )
            for n, table in enumerate(tables)
        )
        alphabet = "ACDEFGHJKMNPQRTUVWXY34679"
        codes = set()
        while len(codes) < waiting_each:
            codes.add("".join(random.choices(alphabet, k=4)))
        codes = sorted(codes)
        waiting = Order.objects.bulk_create(
            Order(
                restaurant=restaurant, customer_name=f"Party {n}", party_size=2,
                order_code=codes[n - 1], status=OrderStatus.IN_QUEUE,
                queue_position=n, quoted_wait_minutes=30, public_token=new_public_token(),
                joined_at=now - timedelta(seconds=waiting_each - n),
            )
            for n in range(1, waiting_each + 1)
        )
        OrderItem.objects.bulk_create(
            OrderItem(order=order, menu_item=dish, quantity=1, unit_price=dish.price)
            for order in waiting + seated
        )
        RestaurantProfile.objects.filter(pk=restaurant.pk).update(
            total_tables=30, currently_occupied_tables=30
        )
        out.append((restaurant.pk, restaurant.slug, [o.public_token for o in waiting]))
    return out


# --------------------------------------------------------------------------- the servers


class Daphnes:
    """`count` daphne processes serving the app as in production (DEBUG off)."""

    def __init__(self, count, db_url, static_root, prefix, extra_env=None):
        self.ports = [free_port() for _ in range(count)]
        self.procs = []
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("LIVE_QUEUE_BROADCAST",)},
            "DATABASE_URL": db_url,
            "REDIS_URL": REDIS_URL,
            "CHANNEL_LAYER_PREFIX": prefix,
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_COOKIES": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "STATIC_ROOT": static_root,
            "LOG_LEVEL": "WARNING",
            # One client stands in for thousands of phones, all from 127.0.0.1.
            "LIVE_QUEUE_MAX_SOCKETS_PER_ADDRESS": "1000000",
            **(extra_env or {}),
        }
        self.log = tempfile.NamedTemporaryFile(prefix="rt-bench-daphne-", suffix=".log", delete=False)

    def start(self):
        for port in self.ports:
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                     "config.asgi:application"],
                    cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                )
            )
        for port in self.ports:
            wait_for_http(f"http://127.0.0.1:{port}/healthz")
        return self

    def stop(self):
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs = []

    def tracebacks(self):
        text = Path(self.log.name).read_text(errors="replace")
        return text.count("Traceback")

    @property
    def pids(self):
        return [p.pid for p in self.procs]


def wait_for_http(url, within=60):
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} never answered")
        time.sleep(0.2)


def collect_static():
    root = tempfile.mkdtemp(prefix="rt-bench-static-")
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "bench", "STATIC_ROOT": root}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT, env=env, check=True,
    )
    return root


# --------------------------------------------------------------------------- the client


class Host:
    """A logged-in host pressing buttons over HTTP, with the session and CSRF token a
    browser would have."""

    def __init__(self, base, session):
        self.base = base
        self.session = session
        self.csrf = None
        self.service_times = []  # the queue's own work in each click (Server-Timing)

    def _open(self, request):
        return urllib.request.urlopen(request, timeout=60)

    def log_in(self, slug):
        request = urllib.request.Request(
            f"{self.base}/restaurant/{slug}/host/", headers={"Cookie": f"sessionid={self.session}"}
        )
        with self._open(request) as answer:
            page = answer.read().decode()
            cookie = SimpleCookie()
            for header in answer.headers.get_all("Set-Cookie") or []:
                cookie.load(header)
        self.csrf = cookie["csrftoken"].value
        return len(page)

    def notify_next(self, slug):
        request = urllib.request.Request(
            f"{self.base}/restaurant/{slug}/notify-next/",
            data=b"",
            method="POST",
            headers={
                "Cookie": f"sessionid={self.session}; csrftoken={self.csrf}",
                "X-CSRFToken": self.csrf,
                "HX-Request": "true",
                "Origin": self.base,
            },
        )
        started = time.perf_counter()
        with self._open(request) as answer:
            answer.read()
            status = answer.status
            if answer.headers.get("HX-Redirect"):
                raise RuntimeError("the bench's host is not logged in")
            timing = re.search(r"service;dur=([\d.]+)", answer.headers.get("Server-Timing", ""))
        took = time.perf_counter() - started
        self.service_times.append(float(timing.group(1)) / 1000 if timing else float("nan"))
        return took, status


def load_page(url):
    """A diner's page as a browser loads it: the socket path its ws-connect names and the
    cookies it sets."""
    with urllib.request.urlopen(url, timeout=60) as answer:
        page = answer.read().decode()
        cookie = SimpleCookie()
        for header in answer.headers.get_all("Set-Cookie") or []:
            cookie.load(header)
    path = re.search(r'ws-connect="([^"]+)"', page).group(1)
    return path, "; ".join(f"{k}={m.value}" for k, m in cookie.items())


class Watcher:
    """Open sockets and when each first heard something after its restaurant's last click."""

    def __init__(self):
        self.rounds = {}  # group -> (round id, t0)
        self.heard = defaultdict(list)  # round id -> [seconds]
        self.sockets = []
        self.failed = 0
        self.closed = Counter()

    async def open(self, url, group, origin, cookie, connected):
        import websockets

        try:
            ws = await websockets.connect(
                url, origin=origin, additional_headers={"Cookie": cookie} if cookie else None,
                max_size=None, ping_interval=None, open_timeout=60, close_timeout=1,
            )
        except Exception:
            self.failed += 1
            return
        entry = {"ws": ws, "group": group, "round": None, "first": None}
        self.sockets.append(entry)
        asyncio.ensure_future(self._read(entry, connected))

    async def _read(self, entry, connected):
        ws = entry["ws"]
        try:
            async for _ in ws:
                now = time.perf_counter()
                if entry["first"] is None:
                    entry["first"] = now
                    connected.append(now)
                    continue
                current = self.rounds.get(entry["group"])
                if current is not None and entry["round"] != current[0]:
                    entry["round"] = current[0]
                    self.heard[current[0]].append(now - current[1])
        except Exception:
            pass
        finally:
            self.closed[getattr(ws, "close_code", None)] += 1

    def start_round(self, group, round_id):
        self.rounds[group] = (round_id, time.perf_counter())

    async def close(self):
        for entry in self.sockets:
            try:
                await entry["ws"].close()
            except Exception:
                pass
        self.sockets = []


async def open_all(watcher, targets, concurrency=OPEN_CONCURRENCY):
    """targets: [(url, group, origin, cookie)]. Returns (seconds to open, seconds until every
    socket had its first screen)."""
    connected = []
    started = time.perf_counter()
    gate = asyncio.Semaphore(concurrency)

    async def one(target):
        async with gate:
            await watcher.open(*target, connected)

    await asyncio.gather(*(one(t) for t in targets))
    opened = time.perf_counter() - started
    deadline = time.perf_counter() + 60
    while len(connected) < len(watcher.sockets) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    screens = (max(connected) - started) if connected else float("nan")
    return opened, screens, len(connected)


# --------------------------------------------------------------------------- runs


def diner_targets(ports, restaurants, groups_by_restaurant=True):
    """Where each diner's socket goes: its page's ws-connect path, its cookie, our Origin.
    Diners are shared out over the server processes, as a load balancer would."""
    targets = []
    sampled = 0
    i = 0
    for rid, slug, tokens in restaurants:
        for token in tokens:
            port = ports[i % len(ports)]
            i += 1
            base = f"http://127.0.0.1:{port}"
            if sampled < PAGE_SAMPLE:
                path, cookie = load_page(f"{base}/q/{token}/")
                assert path == f"/ws/q/{token}/", path
                sampled += 1
            else:
                path, cookie = f"/ws/q/{token}/", cookie
            targets.append((f"ws://127.0.0.1:{port}{path}", slug, base, cookie))
    return targets


async def measure_rounds(watcher, click, groups, rounds, every=None, expected=None):
    """Press `click(group)` for each round (one group after another, every `every` seconds,
    or each once the last has been heard everywhere). Returns (host times, arrivals, heard
    share)."""
    host_times, arrivals, expected_total, heard_total = [], [], 0, 0
    pending = []
    for n in range(rounds):
        group = groups[n % len(groups)]
        round_id = f"{group}#{n}"
        watcher.start_round(group, round_id)
        took, status = await asyncio.to_thread(click, group)
        assert status == 200, status
        host_times.append(took)
        want = expected(group)
        pending.append((round_id, want))
        if every is None:
            deadline = time.perf_counter() + DEADLINE
            while len(watcher.heard[round_id]) < want and time.perf_counter() < deadline:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)
        else:
            await asyncio.sleep(max(0.0, every - took))
    if every is not None:
        await asyncio.sleep(DEADLINE)
    for round_id, want in pending:
        got = [t for t in watcher.heard[round_id] if t <= DEADLINE]
        arrivals += got
        expected_total += want
        heard_total += min(len(got), want)
    return host_times, arrivals, heard_total / max(1, expected_total)


def report(label, n, processes, opened, screens, host_times, arrivals, share, extra="", services=()):
    beyond = [t - s for t, s in zip(host_times, services) if s == s] if services else []
    line = (
        f"| {label} | {n} | {processes} | {opened:.1f} | {screens:.1f} | "
        f"{ms(pct(host_times, 50))} / {ms(pct(host_times, 95))} | "
        f"{ms(pct(services, 95)) if services else '-'} / {ms(pct(beyond, 95)) if beyond else '-'} | "
        f"{ms(pct(arrivals, 50))} / {ms(pct(arrivals, 95))} / {ms(pct(arrivals, 99))} / "
        f"{ms(max(arrivals) if arrivals else float('nan'))} | {share * 100:.1f}% |{extra}"
    )
    print(line, flush=True)
    return {
        "label": label, "n": n, "processes": processes, "p95": pct(arrivals, 95),
        "p99": pct(arrivals, 99), "share": share,
    }


async def ramp_readytable(db, static_root, sizes, processes, layouts, rounds, profile):
    results = []
    session = await asyncio.to_thread(staff_cookie)
    for layout in layouts:
        for n in sizes:
            for count in processes:
                tag = f"{layout}{n}p{count}"
                if layout == "one":
                    restaurants = await asyncio.to_thread(make_restaurants, 1, n, tag)
                else:
                    restaurants = await asyncio.to_thread(
                        make_restaurants, SPREAD_RESTAURANTS, max(1, n // SPREAD_RESTAURANTS), tag
                    )
                prefix = f"rt-bench-{os.getpid()}-{tag}"
                servers = Daphnes(count, db.url, static_root, prefix).start()
                watcher = Watcher()
                spy = None
                try:
                    ports = servers.ports
                    targets = await asyncio.to_thread(diner_targets, ports, restaurants)
                    opened, screens, got = await open_all(watcher, targets)
                    host = Host(f"http://127.0.0.1:{ports[0]}", session)
                    await asyncio.to_thread(host.log_in, restaurants[0][1])
                    waiting = {slug: len(tokens) for _, slug, tokens in restaurants}

                    def click(slug):
                        waiting[slug] -= 1
                        return host.notify_next(slug)

                    # Every diner still waiting hears: the notified one its status, everyone
                    # behind a new place. (Parties told to head over in earlier rounds see
                    # nothing change for them, and are sent nothing.)
                    def expected(slug):
                        sockets = sum(1 for e in watcher.sockets if e["group"] == slug)
                        return min(sockets, waiting[slug] + 1)

                    if profile and n == max(sizes) and count == max(processes) and layout == layouts[-1]:
                        spy = start_profile(servers.pids[0])
                    groups = [slug for _, slug, _ in restaurants]
                    random.shuffle(groups)
                    host_times, arrivals, share = await measure_rounds(
                        watcher, click, groups, rounds if layout == "one" else max(rounds, 20),
                        every=None if layout == "one" else 1.0, expected=expected,
                    )
                    results.append(
                        report(
                            f"ReadyTable, {layout}", n, count, opened, screens, host_times,
                            arrivals, share, f" {watcher.failed} refused |",
                            services=host.service_times[-len(host_times):],
                        )
                    )
                finally:
                    if spy is not None:
                        finish_profile(spy)
                    await watcher.close()
                    await asyncio.sleep(1)
                    servers.stop()
                    if servers.tracebacks():
                        print(f"  (server log {servers.log.name}: {servers.tracebacks()} tracebacks)")
    return results


async def ramp_bare(sizes, layouts, rounds):
    results = []
    for layout in layouts:
        for n in sizes:
            port = free_port()
            proc = subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "bare_server.py"), "--port", str(port)],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )
            proc.stdout.readline()
            watcher = Watcher()
            controls = {}
            try:
                groups = ["g0"] if layout == "one" else [f"g{k}" for k in range(SPREAD_RESTAURANTS)]
                targets = [
                    (f"ws://127.0.0.1:{port}/r/{groups[i % len(groups)]}/{i}", groups[i % len(groups)], None, None)
                    for i in range(n)
                ]
                opened, _, _ = await open_all(watcher, targets)
                # The bare server sends nothing on connect: count the socket as connected.
                screens = opened
                import websockets

                for group in groups:
                    controls[group] = await websockets.connect(
                        f"ws://127.0.0.1:{port}/r/{group}/control", ping_interval=None
                    )
                for entry in watcher.sockets:
                    entry["first"] = 0.0  # no snapshot on connect: every message is a push
                loop = asyncio.get_running_loop()

                def click(group):
                    started = time.perf_counter()
                    asyncio.run_coroutine_threadsafe(controls[group].send("broadcast"), loop).result()
                    return time.perf_counter() - started, 200

                def expected(group):
                    return sum(1 for e in watcher.sockets if e["group"] == group)

                random.shuffle(groups)
                host_times, arrivals, share = await measure_rounds(
                    watcher, click, groups, rounds if layout == "one" else max(rounds, 20),
                    every=None if layout == "one" else 1.0, expected=expected,
                )
                results.append(
                    report(f"bare websockets, {layout}", n, 1, opened, screens, host_times, arrivals, share, f" {watcher.failed} refused |")
                )
            finally:
                await watcher.close()
                for control in controls.values():
                    await control.close()
                proc.terminate()
                proc.wait(10)
    return results


# --------------------------------------------------------------------------- idle cost


def cpu_seconds(pids):
    import psutil

    return sum(sum(psutil.Process(pid).cpu_times()[:2]) for pid in pids)


def rss(pids):
    import psutil

    return sum(psutil.Process(pid).memory_info().rss for pid in pids)


async def heartbeats(watcher, every=20.0, stop=None):
    """Each socket sends "ping" every `every` seconds, spread evenly, as the pages do."""
    sockets = list(watcher.sockets)
    if not sockets:
        return
    gap = every / len(sockets)
    while not stop.is_set():
        for entry in sockets:
            if stop.is_set():
                return
            try:
                await entry["ws"].send("ping")
            except Exception:
                pass
            await asyncio.sleep(gap)


async def idle_cost(label, pids, watcher, targets, seconds):
    await asyncio.sleep(3)
    before = rss(pids)
    opened, screens, got = await open_all(watcher, targets)
    await asyncio.sleep(5)
    after = rss(pids)
    start_cpu, start = cpu_seconds(pids), time.perf_counter()
    await asyncio.sleep(seconds)
    quiet = (cpu_seconds(pids) - start_cpu) / (time.perf_counter() - start)
    stop = asyncio.Event()
    beating = asyncio.ensure_future(heartbeats(watcher, stop=stop))
    await asyncio.sleep(5)
    start_cpu, start = cpu_seconds(pids), time.perf_counter()
    await asyncio.sleep(seconds)
    beating_cpu = (cpu_seconds(pids) - start_cpu) / (time.perf_counter() - start)
    stop.set()
    await beating
    per_socket = (after - before) / max(1, len(watcher.sockets)) / 1024
    print(
        f"| {label} | {len(watcher.sockets)} | {per_socket:.1f} | {quiet * 100:.1f}% | "
        f"{beating_cpu * 100:.1f}% |",
        flush=True,
    )


async def idle(db, static_root, n, seconds):
    print("\nIdle cost: memory per open socket, CPU of the server processes with the sockets quiet"
          " and with every page's heartbeat (one ping per socket every 20 s)\n")
    print("| server | sockets | KiB per socket | CPU quiet | CPU with heartbeats |")
    print("| --- | ---: | ---: | ---: | ---: |")
    restaurants = await asyncio.to_thread(make_restaurants, SPREAD_RESTAURANTS, n // SPREAD_RESTAURANTS, "idle")
    servers = Daphnes(2, db.url, static_root, f"rt-bench-{os.getpid()}-idle").start()
    watcher = Watcher()
    try:
        targets = await asyncio.to_thread(diner_targets, servers.ports, restaurants)
        await idle_cost("ReadyTable, 2 daphne processes", servers.pids, watcher, targets, seconds)
        await watcher.close()
        await asyncio.sleep(3)
    finally:
        servers.stop()
    closing_tracebacks = servers.tracebacks()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "bare_server.py"), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    proc.stdout.readline()
    watcher = Watcher()
    try:
        targets = [(f"ws://127.0.0.1:{port}/r/g{i % 100}/{i}", f"g{i % 100}", None, None) for i in range(n)]
        await idle_cost("bare websockets, 1 process", [proc.pid], watcher, targets, seconds)
    finally:
        await watcher.close()
        proc.terminate()
        proc.wait(10)
    print(f"\nTracebacks in the ReadyTable servers' log after closing {n} sockets: {closing_tracebacks}")


# --------------------------------------------------------------------------- the burst


async def http_get(port, path):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()
    writer.close()
    return int(status_line.split()[1])


def count_connections(db_name):
    import psycopg2

    conn = psycopg2.connect(PG_URL)
    with conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [db_name])
        (n,) = cursor.fetchone()
    conn.close()
    return n


async def burst(db, static_root, size):
    print(f"\nThe burst: {size} simultaneous page loads of a restaurant page, then {size} "
          "simultaneous diner sockets, against 2 daphne processes\n")
    restaurants = await asyncio.to_thread(make_restaurants, 1, size, "burst")
    rid, slug, tokens = restaurants[0]
    servers = Daphnes(2, db.url, static_root, f"rt-bench-{os.getpid()}-burst").start()
    peak = [0]
    stop = asyncio.Event()

    async def watch_connections():
        while not stop.is_set():
            peak[0] = max(peak[0], await asyncio.to_thread(count_connections, db.name))
            await asyncio.sleep(0.05)

    watching = asyncio.ensure_future(watch_connections())
    try:
        ports = servers.ports
        started = time.perf_counter()
        statuses = await asyncio.gather(
            *(http_get(ports[i % 2], f"/r/{slug}/") for i in range(size)), return_exceptions=True
        )
        took = time.perf_counter() - started
        counted = Counter(s if isinstance(s, int) else type(s).__name__ for s in statuses)
        healthy_after = time.perf_counter()
        while True:
            try:
                if all([await http_get(p, "/healthz") == 200 for p in ports]):
                    break
            except Exception:
                pass
            await asyncio.sleep(0.05)
        healthy_after = time.perf_counter() - healthy_after
        print(f"- page loads: {dict(counted)} in {took:.1f} s; /healthz 200 on both processes "
              f"{healthy_after * 1000:.0f} ms after the last answer")
        watcher = Watcher()
        targets = await asyncio.to_thread(diner_targets, ports, restaurants)
        opened, screens, got = await open_all(watcher, targets, concurrency=size)
        print(f"- sockets: {len(watcher.sockets)} opened, {watcher.failed} refused, {got} had "
              f"their screen {screens:.1f} s after the first was opened")
        await watcher.close()
        print(f"- PostgreSQL connections to the database at most: {peak[0]} "
              f"(cap: 2 x (MAX_CONCURRENT_REQUESTS 16 + LIVE_QUEUE_DB_THREADS 2 + 1) = 38)")
    finally:
        stop.set()
        await watching
        servers.stop()
    print(f"- tracebacks in the server log: {servers.tracebacks()}")


# --------------------------------------------------------------------------- reconnect storm


async def open_like_pages(watcher, targets):
    """Every socket opened as static/js/live.js reopens one after its server went away: a
    first try after 0.25 s plus up to 1 s at random, then full-jitter backoff (0.25 s plus
    up to 2^n s, at most 15 s) until it is in. Returns (seconds until every socket had its
    whole screen, how many tries failed)."""
    import websockets

    connected, failures = [], [0]
    started = time.perf_counter()

    async def one(url, group, origin, cookie):
        tries = 0
        while True:
            await asyncio.sleep(0.25 + random.random() * min(15, 2 ** tries))
            tries += 1
            ws = None
            try:
                ws = await websockets.connect(
                    url, origin=origin, additional_headers={"Cookie": cookie} if cookie else None,
                    max_size=None, ping_interval=None, open_timeout=10, close_timeout=1,
                )
                await asyncio.wait_for(ws.recv(), 30)
            except Exception:
                failures[0] += 1
                if ws is not None:
                    await ws.close()
                continue
            connected.append(time.perf_counter())
            watcher.sockets.append({"ws": ws, "group": group, "round": None, "first": connected[-1]})
            return

    await asyncio.gather(*(one(*target) for target in targets))
    return max(connected) - started, failures[0]


async def storm(db, static_root, n, processes):
    print(f"\nReconnect storm: {n} diner sockets of {SPREAD_RESTAURANTS} restaurants on "
          f"{processes} daphne processes; the processes restart (a deploy) and every page "
          "reconnects as its script does\n")
    restaurants = await asyncio.to_thread(make_restaurants, SPREAD_RESTAURANTS, n // SPREAD_RESTAURANTS, "storm")
    servers = Daphnes(processes, db.url, static_root, f"rt-bench-{os.getpid()}-storm").start()
    watcher = Watcher()
    try:
        targets = await asyncio.to_thread(diner_targets, servers.ports, restaurants)
        opened, screens, got = await open_all(watcher, targets)
        print(f"- before: {got} sockets open and shown their screens ({opened:.1f} s to open them)")
        servers.stop()
        await watcher.close()
        servers.start()
        again = Watcher()
        took, failed = await open_like_pages(again, targets)
        print(f"- after the restart: all {len(again.sockets)} sockets had their whole screen "
              f"{took:.1f} s after the servers were back ({failed} tries failed and were retried)")
        await again.close()
    finally:
        servers.stop()
    print(f"- tracebacks in the server log: {servers.tracebacks()}")


# --------------------------------------------------------------------------- profile


def start_profile(pid):
    if shutil.which("py-spy") is None and not (Path(sys.executable).parent / "py-spy").exists():
        print("(py-spy not installed: no profile)")
        return None
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out = tempfile.NamedTemporaryFile(prefix="rt-bench-profile-", suffix=".txt", delete=False).name
    proc = subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--format", "raw", "--output", out, "--rate", "100",
         "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return proc, out


PROFILE_BUCKETS = [
    ("reading the database", ("psycopg2", "django/db/")),
    ("planning the line (orders.timing / estimates)", ("orders/timing.py", "orders/estimates.py")),
    ("rendering templates", ("django/template/",)),
    ("diffing screens (live_queue.screens)", ("live_queue/screens.py",)),
    ("WebSocket framing and sending (autobahn, twisted)", ("autobahn/", "twisted/", "txaio/")),
    ("daphne and the ASGI glue", ("daphne/", "asgiref/", "channels/")),
    ("Django HTTP (middleware, views)", ("django/core/handlers", "django/middleware", "orders/views")),
]


def finish_profile(spy):
    proc, out = spy
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
    totals = Counter()
    samples = 0
    try:
        lines = Path(out).read_text().splitlines()
    except OSError:
        return
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        count = int(count)
        samples += count
        if "idle" in stack.split(";")[-1] or "select" in stack.split(";")[-1]:
            totals["waiting (idle in the event loop or a lock)"] += count
            continue
        for name, needles in PROFILE_BUCKETS:
            if any(n in stack for n in needles):
                totals[name] += count
                break
        else:
            totals["other"] += count
    print(f"\nProfile of one daphne process during the largest run (py-spy, {samples} samples; a "
          "sample counts in the first bucket its stack touches, in this order):")
    for name, count in totals.most_common():
        print(f"- {name}: {count / max(1, samples) * 100:.0f}%")
    print(f"(raw stacks: {out})")


# --------------------------------------------------------------------------- main


async def main(args):
    db = BenchDatabase()
    await asyncio.to_thread(db.create)
    static_root = await asyncio.to_thread(collect_static)
    try:
        if "ramp" in args.only:
            print("\nArrival of a host's \"Notify next\" at every diner socket of the restaurant "
                  "(ms; host request and arrival from the click)\n")
            print("| server | diners | processes | open s | all screens s | host request p50 / p95 | "
                  "of which the service p95 / the rest p95 | arrival p50 / p95 / p99 / max | "
                  "heard within 15 s | refused |")
            print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            ours = await ramp_readytable(
                db, static_root, args.sizes, args.processes, args.layouts, args.rounds, args.profile
            )
            bare = await ramp_bare(args.bare_sizes, args.layouts, args.rounds)
            summarise(ours, bare)
        if "storm" in args.only:
            await storm(db, static_root, args.storm, 2)
        if "idle" in args.only:
            await idle(db, static_root, args.idle_sockets, args.idle_seconds)
        if "burst" in args.only:
            await burst(db, static_root, args.burst)
    finally:
        await asyncio.to_thread(db.drop)
        shutil.rmtree(static_root, ignore_errors=True)


def summarise(ours, bare):
    print("\nLargest N with p95 under 500 ms and every socket heard:")
    for layout in ("one", "spread"):
        def best(rows, layout=layout):
            fine = [r["n"] for r in rows if layout in r["label"] and r["p95"] < 0.5 and r["share"] >= 1.0]
            return max(fine, default=0)

        for processes in sorted({r["processes"] for r in ours}):
            mine = best([r for r in ours if r["processes"] == processes])
            ceiling = best(bare)
            share = f"{mine / ceiling * 100:.0f}% of the bare server's {ceiling}" if ceiling else "n/a"
            print(f"- {layout}, {processes} daphne process(es): {mine} ({share})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="ramp,storm,idle,burst", type=lambda s: s.split(","))
    parser.add_argument("--sizes", default="100,1000,5000,10000", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--bare-sizes", default="100,1000,5000,10000,15000", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--processes", default="1,2", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--layouts", default="one,spread", type=lambda s: s.split(","))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--idle-sockets", type=int, default=10_000)
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--storm", type=int, default=5000)
    parser.add_argument("--profile", action="store_true", default=True)
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    asyncio.run(main(parser.parse_args()))
