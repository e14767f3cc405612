#!/usr/bin/env python
"""Fan-out of one restaurant's live screens through the two Redis channel layers that
channels_redis offers (RedisChannelLayer, "core", and RedisPubSubChannelLayer, "pubsub").

What it models: one restaurant with N diners watching their tracking pages, one host stand
and one kitchen display, spread over two server processes (two daphne workers). One committed
change makes live_queue.broadcast send a screen to every group: the host stand, the kitchen
and each diner (2 + N group_sends, one after another, as `send_all` does). Each "socket" here
is what a consumer is to the channel layer: a channel of its own, added to its group, with a
task receiving on it. The message sizes are this app's real ones: a diner's screen is about
2 kB, the kitchen about 2 kB, the host stand about 9 kB plus 1.45 kB per waiting party
(measured by rendering live_queue.screens for the demo restaurant).

Figures, per layer and per N:
  send ms     how long the sender spends in one broadcast (the request that changed the queue
              waits for this, since the broadcast runs on commit in the request)
  p50/p95/max from the start of the broadcast to the moment each socket has its message
  burst       20 changes sent back to back: delivered messages per second, and how many of the
              expected messages arrived (the layer drops silently when over capacity)
Then a Redis restart with screens open: how many sockets the layer drops during the outage
(the consumer dies, daphne closes the socket, the browser reconnects and gets a snapshot),
what a broadcast during the outage does, and whether sockets that stayed open hear pushes
again after Redis is back, and how soon.

Runs against a private `redis-server` on a free port (never the shared one: it is killed and
restarted here). Give --redis-url to measure an existing Redis instead (no restart part).

    .venv/bin/python bench/fanout.py                 # both layers, N = 10, 100, 500
    .venv/bin/python bench/fanout.py --sizes 10,1000 --changes 50
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"core": "RedisChannelLayer", "pubsub": "RedisPubSubChannelLayer"}
DINER_BYTES = 2_000
KITCHEN_BYTES = 2_000
HOST_BYTES_BASE = 9_000
HOST_BYTES_PER_PARTY = 1_450
WORKERS = 2  # daphne processes
BURST = 20


# ---------------------------------------------------------------- a private Redis

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """redis-server on its own port, no persistence: a restart loses everything, like a
    crashed or replaced Redis in production."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="rt-bench-redis-")
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- one server process

def _django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from channels.layers import get_channel_layer

    return get_channel_layer()


def receiver_process(groups, delivered, ready, stop, out):
    """A daphne worker's sockets: one channel per socket, added to its group; a receive
    loop per socket as a consumer has. A receive that raises is what kills a consumer (and
    makes daphne close that socket)."""

    async def run():
        layer = _django()
        records, dropped = [], []

        async def socket_loop(sid, channel):
            while True:
                try:
                    message = await layer.receive(channel)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - we report what the consumer would die of
                    dropped.append((sid, time.time(), type(exc).__name__))
                    return
                records.append((sid, message["version"], message["sent_at"], time.time()))
                with delivered.get_lock():
                    delivered.value += 1

        tasks = []
        for sid, group in groups:
            channel = await layer.new_channel()
            await layer.group_add(group, channel)
            tasks.append(asyncio.ensure_future(socket_loop(sid, channel)))
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        out.put({"records": records, "dropped": dropped})

    asyncio.run(run())


# ---------------------------------------------------------------- one layer's run

def percentile(values, pct):
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


class Room:
    """N diner sockets + host + kitchen over WORKERS processes, and the sender."""

    def __init__(self, ctx, n, run_id):
        self.n = n
        self.groups = [("host", f"{run_id}.host"), ("kitchen", f"{run_id}.kitchen")] + [
            (f"diner{i}", f"{run_id}.order.{i}") for i in range(n)
        ]
        self.delivered = ctx.Value("l", 0)
        self.stop = ctx.Event()
        self.out = ctx.Queue()
        self.procs = []
        readies = []
        for w in range(WORKERS):
            share = self.groups[w::WORKERS]
            ready = ctx.Event()
            readies.append(ready)
            proc = ctx.Process(
                target=receiver_process, args=(share, self.delivered, ready, self.stop, self.out)
            )
            proc.start()
            self.procs.append(proc)
        for ready in readies:
            if not ready.wait(60):
                raise RuntimeError("receivers did not get ready")
        host_bytes = HOST_BYTES_BASE + HOST_BYTES_PER_PARTY * n
        self.payload = {
            group: "h" * (host_bytes if sid == "host" else KITCHEN_BYTES if sid == "kitchen" else DINER_BYTES)
            for sid, group in self.groups
        }

    @property
    def sockets(self):
        return len(self.groups)

    async def broadcast(self, layer, version):
        """What live_queue.broadcast.send_all does for one change."""
        sent_at = time.time()
        for _, group in self.groups:
            await layer.group_send(
                group,
                {"type": "screen.update", "html": self.payload[group], "version": version, "sent_at": sent_at},
            )
        return time.time() - sent_at

    async def wait_delivered(self, expected, timeout):
        deadline = time.monotonic() + timeout
        while self.delivered.value < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        return self.delivered.value

    def finish(self):
        self.stop.set()
        results = [self.out.get(timeout=60) for _ in self.procs]
        for proc in self.procs:
            proc.join(10)
        records = [r for res in results for r in res["records"]]
        dropped = [d for res in results for d in res["dropped"]]
        return records, dropped


async def measure_size(ctx, layer, n, changes, run_id):
    room = Room(ctx, n, run_id)
    try:
        # Warm-up (not counted): the pub/sub layer's reader polls every 0.1 s until its first
        # subscription is confirmed, so a socket's very first push can be up to 0.1 s late.
        await room.broadcast(layer, 0)
        await room.wait_delivered(room.sockets, timeout=10)
        send_times = []
        for version in range(1, changes + 1):
            send_times.append(await room.broadcast(layer, version))
            await room.wait_delivered((version + 1) * room.sockets, timeout=3)
        before_burst = room.delivered.value
        burst_start = time.time()
        for k in range(BURST):
            await room.broadcast(layer, changes + 1 + k)
        await room.wait_delivered(before_burst + BURST * room.sockets, timeout=10)
        records, dropped = room.finish()
    finally:
        room.stop.set()
    latencies = [(got - sent) * 1000 for _, version, sent, got in records if 1 <= version <= changes]
    burst = [got for _, version, _, got in records if version > changes]
    burst_elapsed = (max(burst) - burst_start) if burst else float("nan")
    return {
        "sockets": room.sockets,
        "send_ms": statistics.median(send_times) * 1000,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "max": max(latencies) if latencies else float("nan"),
        "delivered": len(latencies),
        "expected": changes * room.sockets,
        "burst_msgs_per_s": len(burst) / burst_elapsed if burst else 0,
        "burst_delivered": len(burst),
        "burst_expected": BURST * room.sockets,
        "dropped": len(dropped),
    }


async def measure_restart(ctx, layer, redis, n, run_id):
    """Screens open; Redis is killed; a change is broadcast while it is away; Redis comes
    back empty; changes are broadcast every 0.25 s for 10 s."""
    room = Room(ctx, n, run_id)
    out = {"sockets": room.sockets}
    try:
        await room.broadcast(layer, 1)
        await room.wait_delivered(room.sockets, timeout=10)
        redis.kill()
        await asyncio.sleep(1.5)  # long enough for every receive loop to notice
        started = time.monotonic()
        try:
            await asyncio.wait_for(room.broadcast(layer, 2), timeout=15)
            out["send_while_down"] = "no error (message lost)"
        except Exception as exc:  # noqa: BLE001
            out["send_while_down"] = f"{type(exc).__name__} after {time.monotonic() - started:.2f}s"
        redis.start()
        back_at = time.time()
        version = 3
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                await room.broadcast(layer, version)
            except Exception:  # noqa: BLE001 - the sender's own connection may still be re-opening
                pass
            version += 1
            await asyncio.sleep(0.25)
        records, dropped = room.finish()
    finally:
        room.stop.set()
    dropped_ids = {sid for sid, _, _ in dropped}
    after = {}
    for sid, v, _, got in records:
        if v >= 3 and sid not in after:
            after[sid] = got - back_at
    open_ids = [sid for sid, _ in room.groups if sid not in dropped_ids]
    heard = [after[sid] for sid in open_ids if sid in after]
    out.update(
        dropped_during_outage=len(dropped_ids),
        open_after=len(open_ids),
        hear_pushes_again=len(heard),
        first_push_after_s=(max(heard) if heard else None),
        got_lost_message=sum(1 for _, v, _, _ in records if v == 2),
    )
    return out


def layer_run(args):
    """In a child process whose environment selects the layer."""
    redis = None
    if not os.environ.get("REDIS_URL"):
        redis = PrivateRedis()
        redis.start()
        os.environ["REDIS_URL"] = redis.url  # before the settings are read
    try:
        _layer_run(args, redis)
    finally:
        if redis:
            redis.stop()


def _layer_run(args, redis):
    layer = _django()
    ctx = multiprocessing.get_context("spawn")
    results = {"backend": type(layer).__name__, "sizes": [], "restart": None}

    async def go():
        for i, n in enumerate(args.sizes):
            results["sizes"].append(
                {"n": n, **await measure_size(ctx, layer, n, args.changes, f"bench{os.getpid()}.{i}")}
            )
        if redis:
            results["restart"] = await measure_restart(
                ctx, layer, redis, args.restart_sockets, f"bench{os.getpid()}.r"
            )

    asyncio.run(go())
    print(json.dumps(results))


# ---------------------------------------------------------------- the table

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,500", help="diner sockets per run (comma-separated)")
    parser.add_argument("--changes", type=int, default=30, help="spaced changes per size, for latency")
    parser.add_argument("--layers", default="core,pubsub")
    parser.add_argument("--restart-sockets", type=int, default=100)
    parser.add_argument("--redis-url", default="", help="an existing Redis (skips the restart part)")
    parser.add_argument("--_layer-run", dest="layer_run", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",") if s]

    if args.layer_run:
        layer_run(args)
        return

    if not args.redis_url and not shutil.which("redis-server"):
        sys.exit("redis-server is not on PATH: install it, or pass --redis-url redis://... (no restart part)")

    print(f"Fan-out of one restaurant: N diner sockets + host + kitchen over {WORKERS} processes; "
          f"{args.changes} spaced changes and a burst of {BURST} per N.")
    print(f"Python {sys.version.split()[0]}, redis-server {redis_version()}, {os.cpu_count()} CPUs\n")
    all_results = {}
    for name in args.layers.split(","):
        env = dict(os.environ, CHANNEL_LAYER=name, CHANNEL_LAYER_PREFIX=f"bench{os.getpid()}",
                   LOG_LEVEL="CRITICAL", DEBUG="1", REDIS_URL=args.redis_url)
        env.pop("DATABASE_URL", None)
        cmd = [sys.executable, __file__, "--_layer-run", name, "--sizes", ",".join(map(str, args.sizes)),
               "--changes", str(args.changes), "--restart-sockets", str(args.restart_sockets)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            sys.exit(f"layer run {name} failed")
        all_results[name] = json.loads(done.stdout.strip().splitlines()[-1])

    print("| layer | sockets | send ms/change | p50 ms | p95 ms | max ms | delivered | burst msg/s | burst delivered |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, res in all_results.items():
        for row in res["sizes"]:
            print(f"| {res['backend']} | {row['sockets']} | {row['send_ms']:.1f} | {row['p50']:.1f} | "
                  f"{row['p95']:.1f} | {row['max']:.1f} | {row['delivered']}/{row['expected']} | "
                  f"{row['burst_msgs_per_s']:.0f} | {row['burst_delivered']}/{row['burst_expected']} |")
    if any(res["restart"] for res in all_results.values()):
        print("\nRedis killed and restarted (empty) with screens open:\n")
        print("| layer | sockets | dropped by the layer during the outage | broadcast while Redis is down | "
              "open sockets hearing pushes again | slowest first push after restart |")
        print("|---|---:|---:|---|---:|---:|")
        for name, res in all_results.items():
            r = res["restart"]
            if not r:
                continue
            first = f"{r['first_push_after_s']:.2f} s" if r["first_push_after_s"] is not None else "never"
            print(f"| {res['backend']} | {r['sockets']} | {r['dropped_during_outage']} | {r['send_while_down']} | "
                  f"{r['hear_pushes_again']}/{r['open_after']} | {first} |")


def redis_version():
    try:
        out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
        return next((part.split("=")[1] for part in out.split() if part.startswith("v=")), "?")
    except OSError:
        return "?"


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main()
