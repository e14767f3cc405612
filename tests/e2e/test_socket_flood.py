"""A client flooding a socket against a real daphne: the flood is cut where daphne reads it
(live_queue.rates), the socket closed with 1008, and the server goes on serving."""

import asyncio
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import websockets

from .conftest import elsewhere


def test_a_flooding_socket_is_closed_with_1008_and_the_server_goes_on(
    start_server, restaurant, join
):
    server = start_server(LOG_LEVEL="INFO")
    order = elsewhere(join, "Ada")

    async def flood():
        async with websockets.connect(
            f"ws://127.0.0.1:{server.port}/ws/q/{order.public_token}/",
            origin=server.url, max_queue=None,
        ) as socket:
            await socket.recv()  # the whole screen
            try:
                for n in range(500):
                    await socket.send(f"junk {n}")
                    await asyncio.sleep(0)  # hundreds a second, and the client hears back
            except websockets.ConnectionClosed:
                pass
            await asyncio.wait_for(socket.wait_closed(), 10)
            return socket.close_code

    # Playwright's sync API keeps an event loop running in this thread when other e2e tests
    # ran first, so the client gets a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, flood()).result() == 1008
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as answer:
        assert answer.status == 200
    # The junk it read before the cut is logged, but only so much of it.
    assert server.log_path.read_text().count("Ignored unexpected message") <= 10
