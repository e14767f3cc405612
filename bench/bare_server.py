#!/usr/bin/env python
"""The machine's ceiling for bench/live_load.py: a bare broadcast server written with the
`websockets` library, doing nothing but hold sockets and send one payload to a group of them.

Sockets connect to /r/<group>/<anything>; a socket that sends "broadcast" makes the server
send PAYLOAD_BYTES to every socket of its group (itself excluded); "ping" is answered "pong",
as the app's live pages do. No database, no templates, no channel layer: what a socket server
on this machine can do at most, measured with the same client that measures ReadyTable.

    .venv/bin/python bench/bare_server.py --port 8765
"""

import argparse
import asyncio
import signal
from collections import defaultdict

import websockets

PAYLOAD_BYTES = 2_000
PAYLOAD = '<div id="order-position">' + "x" * (PAYLOAD_BYTES - 31) + "</div>"

groups = defaultdict(set)


async def handler(socket):
    path = socket.request.path
    parts = path.strip("/").split("/")
    group = parts[1] if len(parts) > 1 and parts[0] == "r" else ""
    members = groups[group]
    members.add(socket)
    try:
        async for message in socket:
            if message == "ping":
                await socket.send("pong")
            elif message == "broadcast":
                websockets.broadcast([s for s in members if s is not socket], PAYLOAD)
    finally:
        members.discard(socket)


async def main(port):
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with websockets.serve(
        handler, "127.0.0.1", port, ping_interval=None, max_queue=None, backlog=4096
    ):
        print("ready", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    asyncio.run(main(parser.parse_args().port))
